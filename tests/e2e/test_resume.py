"""Resuming survives a changed dataset (grown, another crop): the data iterator is rebuilt, said in one
line and logged in metrics.jsonl; a changed model is refused before config.json is touched. A workdir
begun from an exported model (`--init_from`) goes on at its step."""

import json

import jax
import numpy as np
import pytest
from flax import traverse_util

from ada.training import checkpoint, member
from ada.training.state import INITIALIZED_FROM, SCHEDULES

from helpers import MICRO, ada_in_process, run_ada

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


def test_a_workdir_begun_from_an_exported_model_goes_on_at_its_step(token_dataset, tmp_path, capsys):
    data = token_dataset([5000, 4000, 3000])
    train(data, tmp_path / "w", "--config.train.steps=4", "--config.train.checkpoint_every=4")
    exported = tmp_path / "exported"
    member.save_member(checkpoint.load(tmp_path / "w"), exported, "float32")
    # what does not fit is refused in one line, before anything is written (in this process: a refusal)
    for given, overrides, said in [(exported, ["--config.model.local.residual=32"], "the model expects"),
                                   (tmp_path / "w", [], "not an exported model")]:
        proc = ada_in_process(capsys, "train", "--config", MICRO, "--workdir", tmp_path / "other",
                              f"--config.data.path={data}", "--noprogress", "--config.train.steps=5",
                              f"--init_from={given}", *overrides)
        lines = [l for l in proc.stderr.strip().splitlines() if not l.startswith("WARNING")]
        assert proc.returncode == 2 and len(lines) == 1 and said in lines[0], proc.stderr[-2000:]
        saved = tmp_path / "other" / "checkpoints"
        assert not saved.exists() or not any(saved.iterdir())
    begun = tmp_path / "begun"
    train(data, begun, "--config.train.steps=5", "--config.train.checkpoint_every=1", f"--init_from={exported}")
    assert json.loads((begun / INITIALIZED_FROM).read_text())["step"] == 4
    after = checkpoint.load(begun)
    assert after.step == 5  # one step, the fifth: the schedules stand where the export left them
    before = traverse_util.flatten_dict(checkpoint.load(exported).variables["params"], sep="/")
    now = traverse_util.flatten_dict(jax.device_get(after.state.params), sep="/")
    moved = np.concatenate([np.abs(np.asarray(v) - np.asarray(before[k])).ravel() for k, v in now.items()])
    # Adam's first step from moments of zero moves each parameter by the learning rate of step 4, no more
    rate = float(SCHEDULES["warmup"](after.config.train)(4))
    assert moved.max() <= rate * 1.001 and np.median(moved) == pytest.approx(rate, rel=1e-2)
    assert member.train_seconds(begun) > member.train_seconds(tmp_path / "w")  # the export's time counts too
    # a rerun resumes its own checkpoints; naming an export to a workdir not begun from it says it is not used
    again = train(data, begun, "--config.train.steps=6", "--config.train.checkpoint_every=1",
                  f"--init_from={exported}")
    assert "note:" not in again.stderr and checkpoint.load(begun).step == 6
    other = train(data, tmp_path / "w", "--config.train.steps=5", f"--init_from={exported}")
    assert "already holds checkpoint 4, not begun from" in other.stderr
