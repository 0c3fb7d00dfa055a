"""`ada device pack`, `train` and `receive` as a session with a lent GPU runs them, here on the CPU with micro
models: the export that comes back loads as a stack and its card names where and how long it trained."""

import json
import os
import subprocess
import sys

import pytest

from helpers import REPO, ada_in_process, run_ada

MICRO_STACK = REPO / "tests" / "micro_stack_config.py"
# ADA's dependencies that a bare JAX image (the lent GPU's: docs/training.md) lacks and the kit does not carry
NOT_THERE = ("librosa", "soundfile", "soxr", "audioread", "pretty_midi", "mido", "music21", "ray", "gradio")
BLOCKER = f"""import sys
class NotThere:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {NOT_THERE!r}:
            raise ImportError("not on the device: " + name)
sys.meta_path.insert(0, NotThere())
"""


@pytest.mark.slow
def test_a_kit_trains_a_stack_whose_parts_come_back_as_an_export_with_its_minutes(piano, tmp_path, capsys):
    kit, out, shipped = tmp_path / "kit", tmp_path / "out", tmp_path / "shipped"
    packed = ada_in_process(capsys, "device", "pack", "--data", piano, "--kit", kit, "--no-wheels")
    assert packed.returncode == 0 and f"2 of 2 works of {piano}" in packed.stdout
    configs = [a for m in ("level1", "level2", "prior") for a in (f"--{m}-config", f"{MICRO_STACK}:{m}")]
    # the command the device runs, in its own processes as there, none of which may import what is not there
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    assert subprocess.run([sys.executable, "-c", "import librosa"], env=env, capture_output=True).returncode == 1
    run_ada("device", "train", "--kit", kit, "--runs", tmp_path / "runs", "--out", out, "--minutes", 5, 5, 5,
            "--steps", 4, 4, 4, "--init-from", "", *configs, env=env)
    sent = json.loads((out / "device.json").read_text())
    assert sent["steps"] == {"level 1": 4, "level 2": 4, "prior": 4}
    assert "CPU cores, no accelerator, " in sent["hardware"]
    assert [p["name"] for p in sent["parts"]] == ["export.tar.00"]
    back = ada_in_process(capsys, "device", "receive", "--returned", out, "--shipped", shipped)
    assert back.returncode == 0, back.stderr
    assert json.loads((shipped / "stack.json").read_text())["hardware"] == sent["hardware"]
    again = ada_in_process(capsys, "export", "--stack", shipped / "stack.json", "--out", shipped, "--overwrite")
    assert again.returncode == 0, again.stderr  # the card written again, as `ada release card` does
    card = (shipped / "MODEL_CARD.md").read_text()
    assert f"Trained on: {sent['hardware']}." in card and "minutes of training (level 1 " in card
