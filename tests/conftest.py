"""Shared helpers: synthetic audio files and tiny token datasets made on the spot."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]


def tone(rate: int, seconds: float, channels: int = 1, freq: float = 440.0, seed: int = 0) -> np.ndarray:
    """A decaying partial plus a little noise: like a piano note, and unique per seed."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    x = 0.4 * np.sin(2 * np.pi * freq * t) * np.exp(-t) + 0.01 * rng.standard_normal(t.size)
    return np.stack([x * (1 - 0.1 * c) for c in range(channels)], axis=1) if channels > 1 else x


def write_audio(path: Path, rate: int = 44100, seconds: float = 1.0, channels: int = 1, seed: int = 0, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(rate, seconds, channels, seed=seed), rate, **kw)
    return path


def run_ada(*args, check=True, env=None, **kw) -> subprocess.CompletedProcess:
    """Run the `ada` command as a user would, in a fresh process."""
    env = {**(env or os.environ), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run([sys.executable, "-m", "ada.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"ada {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


@pytest.fixture
def token_dataset(tmp_path):
    """A dataset whose file i holds only the token 10 * i + 1: a crop shows where it came from."""
    from ada.dataset import assign_splits, write_dataset

    def make(lengths, vocab=256, name="tokens"):
        entries = [{"path": f"file{i}", "sha256": hashlib.sha256(f"file{i}".encode()).hexdigest(), "length": n}
                   for i, n in enumerate(lengths)]
        assign_splits(entries, 0.01, {})
        write_dataset(tmp_path / name, entries, lambda e: np.full(e["length"], 10 * int(e["path"][4:]) + 1),
                      vocab=vocab, rate=16000.0)
        return tmp_path / name

    return make


PIANO_PIECES = ["bach/bwv1.6.mxl", "josquin/milleRegrets.abc"]


@pytest.fixture(scope="session")
def piano(tmp_path_factory):
    """A real piano dataset: two scores rendered by `ada corpus` (about two and a half minutes)."""
    out = tmp_path_factory.mktemp("piano") / "corpus"
    run_ada("corpus", "--out", out, "--pieces", *PIANO_PIECES, "--soundfonts", "fluidr3", "--quiet")
    return out


MICRO = REPO / "tests" / "micro_config.py"


@pytest.fixture(scope="session")
def micro_level(piano, tmp_path_factory):
    """A micro ADA level trained for a few steps on the piano fixture: its workdir."""
    workdir = tmp_path_factory.mktemp("micro") / "level"
    run_ada("train", "--config", MICRO, "--workdir", workdir, f"--config.data.path={piano}", "--noprogress",
            "--config.train.steps=6", "--config.train.checkpoint_every=6")
    return workdir


@pytest.fixture(scope="session")
def micro_stack(micro_level, piano, tmp_path_factory):
    """Micro level 1, a micro level 2 over its codes and a micro prior over those: a stack file."""
    root = tmp_path_factory.mktemp("stack")
    codes1, codes2 = root / "codes1", root / "codes2"
    run_ada("encode", "--level", micro_level, "--data", piano, "--out", codes1, "--quiet")
    common = ["--config", MICRO, "--noprogress", "--config.train.steps=4", "--config.train.checkpoint_every=4",
              "--config.model.vocab=16"]
    run_ada("train", *common, "--workdir", root / "level2", f"--config.data.path={codes1}",
            "--config.model.encoder_input=one_hot")
    run_ada("encode", "--level", root / "level2", "--data", codes1, "--out", codes2, "--quiet")
    run_ada("train", *common, "--workdir", root / "prior", f"--config.data.path={codes2}",
            "--config.model.kind=prior", "--config.data.crop=64")
    stack = root / "stack.json"
    stack.write_text(json.dumps({"levels": [str(micro_level), "level2"], "prior": "prior"}))
    return stack
