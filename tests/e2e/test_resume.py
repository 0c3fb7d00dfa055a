"""Resuming survives a changed dataset (grown, another crop): the data iterator is rebuilt, said in one
line and logged in metrics.jsonl; a changed model is refused before config.json is touched."""

import json

import pytest

from helpers import MICRO, run_ada

pytestmark = pytest.mark.slow


def train(data, workdir, *overrides, check=True):
    return run_ada("train", "--config", MICRO, "--workdir", workdir, f"--config.data.path={data}", "--noprogress",
                   "--config.train.eval_every=1000", *overrides, check=check)


def notes(stderr):
    return [l for l in stderr.splitlines() if l.startswith("note: the training data changed")]


def test_a_grown_dataset_or_another_crop_resumes(token_dataset, tmp_path):
    data = token_dataset([5000, 4000, 3000])
    workdir = tmp_path / "w"
    train(data, workdir, "--config.train.steps=4", "--config.train.checkpoint_every=4")
    token_dataset([5000, 4000, 3000, 6000])  # one more file, in the same folder
    proc = train(data, workdir, "--config.train.steps=8", "--config.train.checkpoint_every=4")
    [note] = notes(proc.stderr)
    assert "since checkpoint 4" in note and "files=2" in note and "files=3" in note
    assert "Traceback" not in proc.stderr and (workdir / "checkpoints" / "8").is_dir()
    logged = [json.loads(l) for l in (workdir / "metrics.jsonl").read_text().splitlines()]
    assert {"step": 4, "data_changed": 1.0} in logged
    proc = train(data, workdir, "--config.train.steps=10", "--config.train.checkpoint_every=2",
                 "--config.data.crop=512")
    [note] = notes(proc.stderr)
    assert "crop=256" in note and "crop=512" in note and (workdir / "checkpoints" / "10").is_dir()
    proc = train(data, workdir, "--config.train.steps=12", "--config.train.checkpoint_every=2",
                 "--config.data.crop=512")
    assert notes(proc.stderr) == []  # unchanged since: nothing to say


def test_a_changed_model_is_refused_before_config_json_is_touched(token_dataset, tmp_path):
    data = token_dataset([5000, 4000, 3000])
    workdir = tmp_path / "w"
    train(data, workdir, "--config.train.steps=2", "--config.train.checkpoint_every=2")
    before = (workdir / "config.json").read_bytes()
    proc = train(data, workdir, "--config.train.steps=4", "--config.model.local.residual=32", check=False)
    lines = [l for l in proc.stderr.strip().splitlines() if not l.startswith("WARNING")]
    assert proc.returncode == 2 and len(lines) == 1 and "different model" in lines[0], proc.stderr[-2000:]
    assert (workdir / "config.json").read_bytes() == before
