"""The shipped-stack format: `ada export` keeps exactly the Polyak variables (rounded to bfloat16 when
asked), a stack file naming the exported folders samples as the workdirs do, and nothing is overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import ml_dtypes
import numpy as np
import pytest
from flax import traverse_util

from ada.generation.stack import load_stack
from ada.training import checkpoint, member
from ada.training.config import ConfigError

from helpers import ada_in_process, run_ada


def _flat(variables):
    return traverse_util.flatten_dict(jax.device_get(variables), sep="/")


def export(capsys, *args):
    """`ada export ARGS` through the function the command runs, in this process (no start-up to pay); the first
    test runs it as the command itself."""
    proc = ada_in_process(capsys, "export", *args)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_a_float32_export_samples_what_the_workdirs_sample(micro_stack, tmp_path):
    from ada.generation.audio import sample_stack

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


def test_a_bfloat16_export_rounds_each_parameter_once_and_is_smaller(micro_stack, tmp_path, capsys):
    out = tmp_path / "shipped"
    export(capsys, "--stack", micro_stack, "--out", out)
    original = load_stack(micro_stack).levels[0]
    exported = checkpoint.load(out / "level1")
    fa, fb = _flat(original.variables), _flat(exported.variables)
    for k in fa:
        want = np.asarray(fa[k])
        if want.dtype == np.float32:
            want = want.astype(ml_dtypes.bfloat16).astype(np.float32)
        np.testing.assert_array_equal(np.asarray(fb[k]), want)
    packed = (out / "level1" / member.PARAMS).stat().st_size
    assert packed < 0.3 * sum(f.stat().st_size for f in (original.workdir / "checkpoints").rglob("*") if f.is_file())
    card = (out / "MODEL_CARD.md").read_text()
    assert "| level 1 |" in card and "| prior |" in card and f"| {original.step} |" in card



def test_eval_of_an_exported_level_leaves_the_shipped_folder_as_it_is(micro_stack, piano, tmp_path, capsys):
    out = tmp_path / "shipped"
    export(capsys, "--stack", micro_stack, "--out", out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    args = ("eval", "--workdir", out / "level1", "--data", piano, "--crops", 4, "--excerpts", 1, "--samples", 1,
            "--seconds", 0.25)
    proc = ada_in_process(capsys, *args)
    assert proc.returncode != 0 and "name --out" in proc.stderr.strip().splitlines()[-1]
    run_ada(*args, "--out", tmp_path / "table")
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert json.loads((tmp_path / "table.json").read_text())[0]["eval_nll"] > 0
    assert (tmp_path / "table-level1" / "reconstructions" / "sample-0" / "index.html").is_file()


def test_an_export_never_replaces_one_without_being_asked(micro_stack, tmp_path, capsys):
    out = tmp_path / "shipped"
    export(capsys, "--stack", micro_stack, "--out", out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    proc = ada_in_process(capsys, "export", "--stack", micro_stack, "--out", out, "--dtype", "float32")
    assert proc.returncode == 2 and proc.stderr.strip().startswith("error:") and "--overwrite" in proc.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    export(capsys, "--stack", micro_stack, "--out", out, "--dtype", "float32", "--overwrite")
    assert json.loads((out / "level1" / member.MEMBER).read_text())["dtype"] == "float32"


def test_parameters_that_do_not_fit_the_config_are_refused_by_name(micro_stack, tmp_path, capsys):
    out = tmp_path / "shipped"
    export(capsys, "--stack", micro_stack, "--out", out)
    params = out / "prior" / member.PARAMS
    with np.load(params) as npz:
        arrays = {k: npz[k] for k in npz.files}
    dropped = sorted(arrays)[0]
    del arrays[dropped]
    with open(params, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ConfigError, match="missing"):
        checkpoint.load(out / "prior")
    proc = ada_in_process(capsys, "sample", "--stack", out / "stack.json", "--seconds", 0.05, "--out", tmp_path / "s")
    assert proc.returncode == 2 and "does not fit the model" in proc.stderr


def test_the_model_card_sets_the_pages_measures_beside_the_corpus(micro_stack, tmp_path, capsys):
    from ada.generation.audio import sample_stack

    runs = tmp_path / "pages"
    sample_stack(micro_stack, 0.2, 2, runs / "samples", seed=1, chunk=2000)
    out = tmp_path / "shipped"
    export(capsys, "--stack", micro_stack, "--out", out, "--measured", f"micro={runs}", "--hardware", "2 CPU cores")
    card = (out / "MODEL_CARD.md").read_text()
    page = json.loads((runs / "samples" / "samples.json").read_text())
    key = f"{page['measures']['key_clarity']['mean']:.3g}"
    assert "Trained on: 2 CPU cores" in card and "| measure | micro | corpus |" in card
    assert f"| samples: key clarity | {key} ±" in card
    proc = ada_in_process(capsys, "export", "--stack", micro_stack, "--out", tmp_path / "x", "--measured", "nolabel")
    assert proc.returncode == 2 and "LABEL=FOLDER" in proc.stderr


def test_the_export_ships_the_temperatures_it_is_given_and_the_card_says_them(micro_stack, tmp_path, capsys):
    from ada.generation.stack import Temperatures

    out = tmp_path / "shipped"
    export(capsys, "--stack", micro_stack, "--out", out, "--temperature", "0.3,0.8,1")
    assert load_stack(out / "stack.json").temperatures == Temperatures((0.3, 0.8), 1.0)
    assert "Sampled at temperature level 1 0.3, level 2 0.8, prior 1" in (out / "MODEL_CARD.md").read_text()
    again = tmp_path / "again"  # an export of an export keeps them; one number is every model's
    export(capsys, "--stack", out / "stack.json", "--out", again)
    assert load_stack(again / "stack.json").temperatures == Temperatures((0.3, 0.8), 1.0)
    first, second = (json.loads((d / "prior" / member.MEMBER).read_text()) for d in (out, again))
    assert second["source"] == first["source"] == str(load_stack(micro_stack).prior.workdir)  # and how long it trained
    assert second["train_seconds"] == first["train_seconds"] > 0
    rows = [[r for r in (d / "MODEL_CARD.md").read_text().splitlines() if r.startswith("| prior |")]
            for d in (out, again)]
    assert rows[0] == rows[1] and " min |" in rows[0][0]
    export(capsys, "--stack", out / "stack.json", "--out", again, "--overwrite", "--temperature", "0.5")
    assert json.loads((again / "stack.json").read_text())["temperature"] == 0.5
    proc = ada_in_process(capsys, "export", "--stack", micro_stack, "--out", tmp_path / "bad", "--temperature", "1,1")
    assert proc.returncode == 2 and "give one temperature ≥ 0 for every model, or 3" in proc.stderr
    assert not (tmp_path / "bad" / "stack.json").exists()


def test_an_export_onto_itself_keeps_its_parameters_and_the_size_of_its_data(micro_stack, tmp_path, capsys):
    """`make ship-card` writes a new card into the export it measured: the parameters stay as they are (pages drawn
    since are still current), and the card still says what each model was trained on where the data is gone."""
    out = tmp_path / "shipped"
    export(capsys, "--stack", micro_stack, "--out", out)
    params = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob(member.PARAMS)}
    record = json.loads((out / "level1" / member.MEMBER).read_text())
    data = Path(load_stack(micro_stack).levels[0].config.data.path)
    assert record["data"].startswith(f"`{data.name}` (") and " files, " in record["data"]
    card_line = next(r for r in (out / "MODEL_CARD.md").read_text().splitlines() if r.startswith("| level 1 |"))
    for config in out.glob("*/config.json"):  # the data is not on this machine any more
        c = json.loads(config.read_text())
        c["data"]["path"] = str(tmp_path / "gone" / Path(c["data"]["path"]).name)
        config.write_text(json.dumps(c))

    export(capsys, "--stack", out / "stack.json", "--out", out, "--overwrite", "--temperature", "0.5")
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob(member.PARAMS)} == params
    assert json.loads((out / "stack.json").read_text())["temperature"] == 0.5
    assert card_line in (out / "MODEL_CARD.md").read_text().splitlines()  # files and hours, from member.json
    export(capsys, "--stack", out / "stack.json", "--out", out, "--overwrite", "--dtype", "float32")
    for p in params:  # another storage is written anew
        assert json.loads((p.parent / member.MEMBER).read_text())["dtype"] == "float32"
        assert p.stat().st_mtime_ns > params[p][1]


def test_an_export_keeps_its_corpus_measures_for_pages_drawn_where_the_corpus_is_not(micro_stack, piano, tmp_path,
                                                                                     capsys):
    import shutil

    from ada.generation.audio import CORPUS_MEASURES, sample_stack

    corpus = tmp_path / "corpus"  # a copy that goes away, as on a machine that has only pretrained/
    shutil.copytree(piano, corpus)
    out = tmp_path / "shipped"
    export(capsys, "--stack", micro_stack, "--out", out, "--corpus", corpus, "--corpus-excerpts", 4)
    recorded = json.loads((out / CORPUS_MEASURES).read_text())
    assert recorded["data"] == "corpus" and "4" in recorded["by_seconds"]
    assert recorded["by_seconds"]["4"]["key_clarity"]["n"] == 4 and recorded["count"] == 4
    for level in ("level1", "level2", "prior"):  # their configs name the copy, which is then gone
        config = json.loads((out / level / "config.json").read_text())
        config["data"]["path"] = str(corpus)
        (out / level / "config.json").write_text(json.dumps(config))
    shutil.rmtree(corpus)
    sample_stack(out / "stack.json", 4.0, 1, tmp_path / "s", seed=1, chunk=2000)
    page = json.loads((tmp_path / "s" / "samples.json").read_text())
    assert page["corpus_measures"] == recorded["by_seconds"]["4"]
    assert "(corpus " in page["key clarity"]
