"""A damaged newest checkpoint blocks nothing: readers use the newest intact one with a one-line
warning, and the trainer resumes from it, setting the damaged one aside."""

import json
import shutil

import pytest

from helpers import MICRO, run_ada

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_checkpoints(micro_level, piano, tmp_path_factory):
    """The micro level trained on to step 8: checkpoints 6 and 8."""
    workdir = tmp_path_factory.mktemp("ckpt") / "level"
    shutil.copytree(micro_level, workdir)
    run_ada("train", "--config", MICRO, "--workdir", workdir, f"--config.data.path={piano}", "--noprogress",
            "--config.train.steps=8", "--config.train.checkpoint_every=2")
    assert sorted(int(p.name) for p in (workdir / "checkpoints").iterdir() if p.name.isdigit()) == [6, 8]
    return workdir


def damage(step_dir, how: str) -> None:
    files = sorted(p for p in step_dir.rglob("*") if p.is_file())
    if how == "deleted":  # the array data of the state
        for p in files:
            if "/d/" in str(p):
                p.unlink()
    elif how == "truncated":  # every file cut in half, as a full disk or a half-copied folder leaves it
        for p in files:
            p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    elif how == "no_state":
        shutil.rmtree(step_dir / "state")


def warnings(stderr: str) -> list[str]:
    return [l for l in stderr.splitlines() if l.startswith("warning:")]


@pytest.mark.parametrize("how", ["deleted", "truncated", "no_state"])
def test_encode_uses_the_older_checkpoint_with_one_warning(two_checkpoints, token_dataset, tmp_path, how):
    workdir = tmp_path / "level"
    shutil.copytree(two_checkpoints, workdir)
    damage(workdir / "checkpoints" / "8", how)
    data = token_dataset([3000, 2000, 2500])
    proc = run_ada("encode", "--level", workdir, "--data", data, "--out", tmp_path / "codes", "--quiet")
    # one warning and no traceback of the damaged step's abandoned reads (there were hundreds)
    assert "Traceback" not in proc.stderr and len(warnings(proc.stderr)) == 1, proc.stderr[:3000]
    [warning] = warnings(proc.stderr)
    assert "checkpoint 8 cannot be restored" in warning and "trying an older one" in warning
    assert json.loads((tmp_path / "codes" / "index.json").read_text())["level_step"] == 6
    assert (workdir / "checkpoints" / "8").is_dir()  # readers never move anything


def test_eval_reads_the_older_checkpoint(two_checkpoints, token_dataset, tmp_path):
    workdir = tmp_path / "level"
    shutil.copytree(two_checkpoints, workdir)
    damage(workdir / "checkpoints" / "8", "truncated")
    data = token_dataset([3000, 2000, 2500])
    proc = run_ada("eval", "--workdir", workdir, "--data", data, "--crops", "4", "--excerpts", "0")
    assert len(warnings(proc.stderr)) == 1 and "| level | 6 |" in proc.stdout


def test_train_resumes_from_the_older_checkpoint_and_sets_the_damaged_one_aside(two_checkpoints, piano, tmp_path):
    workdir = tmp_path / "level"
    shutil.copytree(two_checkpoints, workdir)
    damage(workdir / "checkpoints" / "8", "truncated")
    proc = run_ada("train", "--config", MICRO, "--workdir", workdir, f"--config.data.path={piano}", "--noprogress",
                   "--config.train.steps=10", "--config.train.checkpoint_every=2")
    said = warnings(proc.stderr)
    assert len(said) == 2 and "checkpoint 8 cannot be restored" in said[0] and "damaged-checkpoints" in said[1]
    assert (workdir / "damaged-checkpoints" / "8").is_dir()
    assert sorted(int(p.name) for p in (workdir / "checkpoints").iterdir() if p.name.isdigit())[-2:] == [8, 10]


def test_every_checkpoint_damaged_is_one_error_line_for_readers(two_checkpoints, token_dataset, tmp_path):
    workdir = tmp_path / "level"
    shutil.copytree(two_checkpoints, workdir)
    for step in (6, 8):
        damage(workdir / "checkpoints" / str(step), "no_state")
    proc = run_ada("encode", "--level", workdir, "--data", token_dataset([3000]), "--out", tmp_path / "c",
                   check=False)
    errors = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
    assert proc.returncode == 2 and len(errors) == 1 and "none of its checkpoints (8, 6) can be restored" in errors[0]
    assert "Traceback" not in proc.stderr
