"""Every experiment config loads, says how to launch it, and has the paper's shape."""

import importlib.util

import jax
import jax.numpy as jnp
import pytest

from ada.models import build_model, model_spec

from helpers import REPO

FILES = sorted((REPO / "experiments").glob("*.py"))



def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# (file, argument): a family of configs that differ by one value is one file whose get_config takes it
# (`--config experiments/t2_amae.py:64`); its ARGUMENTS name every member
CONFIGS = [(path, arg) for path in FILES for arg in getattr(load(path), "ARGUMENTS", (None,))]


def config_name(path, arg) -> str:
    return path.stem if arg is None else f"{path.stem}:{arg}"


def test_there_is_a_config_per_paper_model():
    names = {config_name(p, a) for p, a in CONFIGS}
    for n in ("t1_1", "t1_2", "t1_3", "t1_4", "t1_5", "t1_6", "t1_7", "t2_1", "t2_2"):
        assert any(name.startswith(n + "_") for name in names), n
    assert {"t2_amae:32", "t2_amae:64", "t2_amae:128", "t2_amae:256"} <= names  # #2.3-#2.6
    assert {"t3_prior:large", "t3_prior:very_large", "t3_prior:thin", "tiny_level1", "tiny_level2", "tiny_prior",
            "tiny_wavenet", "tiny_amae"} <= names


@pytest.mark.parametrize("path,arg", CONFIGS, ids=lambda p: p.stem if hasattr(p, "stem") else str(p))
def test_config_builds_and_shows_its_launch_command(path, arg):
    module = load(path)
    if arg is None:
        assert f"ada train --config experiments/{path.name} --workdir workdirs/{path.stem}" in module.__doc__
    else:  # one member's command stands for the family's
        assert f"ada train --config experiments/{path.name}:" in module.__doc__ and "--workdir workdirs/" in \
            module.__doc__
    config = module.get_config() if arg is None else module.get_config(arg)
    spec = model_spec(config.model)
    fields = spec.receptive_fields()
    assert config.data.crop >= fields["local"]
    if spec.is_level:
        assert config.data.crop % config.model.hop == 0
    if path.stem.startswith("t1") and spec.is_level:
        assert fields == {"local": 1024, "encoder": 512, "modulator": 512} and spec.vocab == 256
    if path.stem == "t2_amae":
        assert fields["local"] == int(arg)
    if path.stem.startswith("t3"):
        assert fields["local"] == {"large": 6144, "very_large": 12288, "thin": 49152}[arg]
        assert spec.local.layers == {"large": 30, "very_large": 60, "thin": 39}[arg]


def test_a_family_refuses_an_argument_it_does_not_have():
    with pytest.raises(ValueError, match="t2_amae.py:48: the receptive field is one of 32, 64, 128, 256"):
        load(REPO / "experiments" / "t2_amae.py").get_config("48")


def test_paper_level_1_2_has_the_appendix_sizes():
    config = load(REPO / "experiments" / "t1_2_vqvae_continuous.py").get_config()
    spec = model_spec(config.model)
    assert (spec.local.layers, spec.local.residual, spec.local.inner, spec.local.filter) == (32, 384, 64, 2)
    assert (spec.encoder.layers, spec.encoder.residual, spec.encoder.filter) == (16, 256, 3)
    assert spec.quantiser.codes == 256 and spec.hop == 8
    shapes = jax.eval_shape(build_model(spec).init, jax.random.key(0), jnp.zeros((1, config.data.crop), jnp.int32))
    params = sum(x.size for x in jax.tree.leaves(shapes["params"]))
    assert 10e6 < params < 40e6  # three WaveNets of these widths


def test_the_16_second_prior_hears_16_seconds_of_level_2_codes():
    spec = model_spec(load(REPO / "experiments" / "tiny_prior_16s.py").get_config().model)
    assert spec.receptive_fields()["local"] / 250 >= 16  # level-2 codes at 16,000 / 64 a second


def parameters(config) -> int:
    """How many numbers the config's model holds (its variables, as an export stores them)."""
    spec = model_spec(config.model)
    return sum(x.size for x in jax.tree.leaves(jax.eval_shape(build_model(spec).init, jax.random.key(0),
                                                                spec.example(config))))


def test_the_shipped_musicvaes_fit_in_20_mb_in_bfloat16():
    module = load(REPO / "experiments" / "musicvae_shipped.py")
    total = sum(parameters(module.get_config(name)) for name in module.ARGUMENTS)
    assert 2 * total < 20e6, total
    with pytest.raises(ValueError, match="musicvae_shipped.py:trio: choose one of folk_2bar"):
        module.get_config("trio")


def test_the_device_stack_fits_in_pretrained_beside_the_shipped_musicvaes_in_bfloat16():
    module = load(REPO / "experiments" / "device_stack.py")
    configs = [module.get_config(name) for name in module.ARGUMENTS]  # stored in bfloat16, trained in float32
    total = sum(parameters(c) for c in configs)
    for config in configs:
        spec = model_spec(config.model)
        assert (spec.code_vocab if spec.is_level else spec.vocab) == 64  # the shipped stack's vocabularies
    musicvaes = sum(p.stat().st_size for p in (REPO / "pretrained" / "musicvae").glob("*/params.npz"))
    assert 2 * total + musicvaes < 50e6, (total, musicvaes)  # pretrained/ holds at most 50 MB
    assert model_spec(module.get_config("prior").model).receptive_fields()["local"] / 250 >= 16
