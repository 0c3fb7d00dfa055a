"""Checks made before any work: stack hops chain, both splits hold a crop; nothing is written on refusal."""

import json

import pytest

from ada.generation.stack import load_stack
from ada.training.config import ConfigError

from helpers import MICRO, ada_in_process, run_ada


def test_an_empty_eval_split_is_refused_before_training(token_dataset, tmp_path, capsys):
    data = token_dataset([3000])  # one file: it is the train split, the eval split is empty
    assert json.loads((data / "index.json").read_text())["files"][0]["split"] == "train"
    proc = ada_in_process(capsys, "train", "--config", MICRO, "--workdir", tmp_path / "w",
                          f"--config.data.path={data}")
    lines = [l for l in proc.stderr.strip().splitlines() if not l.startswith("WARNING")]
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"), proc.stderr[-2000:]
    assert "the eval split has no file of data.crop=256 tokens (0 files" in lines[0] and "--eval-fraction" in lines[0]
    assert not (tmp_path / "w").exists()


def test_an_eval_split_of_short_files_is_refused_too(token_dataset, tmp_path, capsys):
    data = token_dataset([3000, 100, 2000])
    index = json.loads((data / "index.json").read_text())
    for f in index["files"]:
        f["split"] = "eval" if f["length"] == 100 else "train"
    (data / "index.json").write_text(json.dumps(index))
    proc = ada_in_process(capsys, "train", "--config", MICRO, "--workdir", tmp_path / "w",
                          f"--config.data.path={data}")
    assert proc.returncode == 2 and "the eval split has no file of data.crop=256 tokens (1 files, longest 100)" \
        in proc.stderr


@pytest.mark.slow
def test_a_prior_of_another_levels_codes_is_refused_though_vocabularies_match(micro_stack, tmp_path):
    raw = json.loads(micro_stack.read_text())
    root = micro_stack.parent
    stack = tmp_path / "stack.json"
    stack.write_text(json.dumps({"levels": [str(root / raw["levels"][0])], "prior": str(root / raw["prior"])}))
    with pytest.raises(ConfigError, match="prior .* the hops do not chain"):
        load_stack(stack)
    proc = run_ada("sample", "--stack", stack, "--out", tmp_path / "out", "--seconds", "0.1", "--num", "1",
                   check=False)
    assert proc.returncode == 2 and "the hops do not chain" in proc.stderr and not (tmp_path / "out").exists()
    load_stack(micro_stack)  # the right stack still loads
