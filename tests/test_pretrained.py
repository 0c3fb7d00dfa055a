"""The shipped-stack format: `ada export` keeps exactly the Polyak variables (rounded to bfloat16 when
asked), a stack file naming the exported folders samples as the workdirs do, and nothing is overwritten."""

from __future__ import annotations

import json

import jax
import ml_dtypes
import numpy as np
import pytest
from flax import traverse_util

from ada import checkpoint, pretrained
from ada.config import ConfigError
from ada.stack import load_stack

from helpers import run_ada


def _flat(variables):
    return traverse_util.flatten_dict(jax.device_get(variables), sep="/")


def test_a_float32_export_samples_what_the_workdirs_sample(micro_stack, tmp_path):
    from ada.render import sample_stack

    out = tmp_path / "shipped"
    proc = run_ada("export", "--stack", micro_stack, "--out", out, "--dtype", "float32")
    assert "exported 2 levels and a prior" in proc.stdout
    original, exported = load_stack(micro_stack), load_stack(out / "stack.json")
    for a, b in zip([*original.levels, original.prior], [*exported.levels, exported.prior], strict=True):
        assert a.step == b.step and b.state is None
        fa, fb = _flat(a.variables), _flat(b.variables)
        assert fa.keys() == fb.keys()
        for k in fa:
            np.testing.assert_array_equal(fa[k], fb[k])
    ours = sample_stack(out / "stack.json", 0.1, 2, tmp_path / "s1", seed=5, chunk=2000)
    theirs = sample_stack(micro_stack, 0.1, 2, tmp_path / "s2", seed=5, chunk=2000)
    for a, b in zip(ours.files, theirs.files, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_a_bfloat16_export_rounds_each_parameter_once_and_is_smaller(micro_stack, tmp_path):
    out = tmp_path / "shipped"
    run_ada("export", "--stack", micro_stack, "--out", out)
    original = load_stack(micro_stack).levels[0]
    exported = checkpoint.load(out / "level1")
    fa, fb = _flat(original.variables), _flat(exported.variables)
    for k in fa:
        want = np.asarray(fa[k])
        if want.dtype == np.float32:
            want = want.astype(ml_dtypes.bfloat16).astype(np.float32)
        np.testing.assert_array_equal(np.asarray(fb[k]), want)
    packed = (out / "level1" / pretrained.PARAMS).stat().st_size
    assert packed < 0.3 * sum(f.stat().st_size for f in (original.workdir / "checkpoints").rglob("*") if f.is_file())
    card = (out / "MODEL_CARD.md").read_text()
    assert "| level 1 |" in card and "| prior |" in card and f"| {original.step} |" in card


def test_an_export_never_replaces_one_without_being_asked(micro_stack, tmp_path):
    out = tmp_path / "shipped"
    run_ada("export", "--stack", micro_stack, "--out", out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    proc = run_ada("export", "--stack", micro_stack, "--out", out, "--dtype", "float32", check=False)
    assert proc.returncode == 2 and proc.stderr.strip().startswith("error:") and "--overwrite" in proc.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    run_ada("export", "--stack", micro_stack, "--out", out, "--dtype", "float32", "--overwrite")
    assert json.loads((out / "level1" / pretrained.MEMBER).read_text())["dtype"] == "float32"


def test_parameters_that_do_not_fit_the_config_are_refused_by_name(micro_stack, tmp_path):
    out = tmp_path / "shipped"
    run_ada("export", "--stack", micro_stack, "--out", out)
    params = out / "prior" / pretrained.PARAMS
    with np.load(params) as npz:
        arrays = {k: npz[k] for k in npz.files}
    dropped = sorted(arrays)[0]
    del arrays[dropped]
    with open(params, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ConfigError, match="missing"):
        checkpoint.load(out / "prior")
    proc = run_ada("sample", "--stack", out / "stack.json", "--seconds", 0.05, "--out", tmp_path / "s", check=False)
    assert proc.returncode == 2 and "does not fit the model" in proc.stderr


def test_the_model_card_sets_the_pages_measures_beside_the_corpus(micro_stack, tmp_path):
    from ada.render import sample_stack

    runs = tmp_path / "pages"
    sample_stack(micro_stack, 0.2, 2, runs / "samples", seed=1, chunk=2000)
    out = tmp_path / "shipped"
    run_ada("export", "--stack", micro_stack, "--out", out, "--measured", f"micro={runs}", "--hardware", "2 CPU cores")
    card = (out / "MODEL_CARD.md").read_text()
    page = json.loads((runs / "samples" / "samples.json").read_text())
    key = f"{page['measures']['key_clarity']['mean']:.3g}"
    assert "Trained on: 2 CPU cores" in card and "| measure | micro | corpus |" in card
    assert f"| samples: key clarity | {key} ±" in card
    proc = run_ada("export", "--stack", micro_stack, "--out", tmp_path / "x", "--measured", "nolabel", check=False)
    assert proc.returncode == 2 and "LABEL=FOLDER" in proc.stderr
