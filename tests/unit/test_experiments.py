"""Every experiment config loads, says how to launch it, and has the paper's shape."""

import importlib.util

import jax
import jax.numpy as jnp
import pytest

from ada.models import build_model, model_spec

from helpers import REPO

CONFIGS = sorted((REPO / "experiments").glob("*.py"))


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_is_a_config_per_paper_model():
    names = {p.stem for p in CONFIGS}
    for n in ("t1_1", "t1_2", "t1_3", "t1_4", "t1_5", "t1_6", "t1_7", "t2_1", "t2_2", "t2_3", "t2_4", "t2_5", "t2_6"):
        assert any(name.startswith(n + "_") for name in names), n
    assert {"t3_prior_large", "t3_prior_very_large", "t3_prior_thin", "tiny_level1", "tiny_level2", "tiny_prior",
            "tiny_wavenet", "tiny_amae"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_config_builds_and_shows_its_launch_command(path):
    module = load(path)
    assert f"ada train --config experiments/{path.name} --workdir workdirs/{path.stem}" in module.__doc__
    config = module.get_config()
    spec = model_spec(config.model)
    fields = spec.receptive_fields()
    assert config.data.crop >= fields["local"]
    if spec.is_level:
        assert config.data.crop % config.model.hop == 0
    if path.stem.startswith("t1") and spec.is_level:
        assert fields == {"local": 1024, "encoder": 512, "modulator": 512} and spec.vocab == 256
    if path.stem.startswith(("t2_3", "t2_4", "t2_5", "t2_6")):
        assert fields["local"] == int(path.stem.rsplit("rf", 1)[1])
    if path.stem.startswith("t3"):
        assert fields["local"] == {"large": 6144, "very_large": 12288, "thin": 49152}[path.stem[len("t3_prior_"):]]
        assert spec.local.layers == {"large": 30, "very_large": 60, "thin": 39}[path.stem[len("t3_prior_"):]]


def test_paper_level_1_2_has_the_appendix_sizes():
    config = load(REPO / "experiments" / "t1_2_vqvae_continuous.py").get_config()
    spec = model_spec(config.model)
    assert (spec.local.layers, spec.local.residual, spec.local.inner, spec.local.filter) == (32, 384, 64, 2)
    assert (spec.encoder.layers, spec.encoder.residual, spec.encoder.filter) == (16, 256, 3)
    assert spec.quantiser.codes == 256 and spec.hop == 8
    shapes = jax.eval_shape(build_model(spec).init, jax.random.key(0), jnp.zeros((1, config.data.crop), jnp.int32))
    params = sum(x.size for x in jax.tree.leaves(shapes["params"]))
    assert 10e6 < params < 40e6  # three WaveNets of these widths
