"""Shared by tests/unit/models/test_musicvae.py and the end-to-end MusicVAE and app tests: micro models, a
synthetic note dataset and a micro MusicVAE trained on it once per run."""

import json

import jax
import numpy as np
import pytest

from ada.models import model_spec
from ada.notes.dataset import stream, write_notes
from ada.training.config import musicvae

from helpers import REPO, built_once, run_ada

MICRO = REPO / "tests" / "musicvae_micro_config.py"
ARGS = ("--config.train.log_every=10", "--config.train.checkpoint_every=30", "--config.train.eval_every=30",
        "--config.model.encoder=(32,)", "--config.model.decoder=(32,32)")


def micro(decoder_type="flat", streams="melody", bars=4, **kw):
    c = musicvae("unset", streams=streams, bars=bars, encoder=(12, 10), decoder=(12, 12), decoder_type=decoder_type,
                 z=6, **kw)
    spec = model_spec(c.model)
    model = spec.build()
    return spec, model, jax.jit(model.init)(jax.random.key(0), spec.example(c))


def synthetic_melodies(root, bars: int, tunes: int = 40, seed: int = 0):
    """A note dataset of tunes that repeat a one-bar motif, moved by a fifth or a fourth on odd bars."""
    rng = np.random.default_rng(seed)
    windows, ids = [], []
    for tune in range(tunes):
        onsets = np.sort(rng.choice(np.arange(1, 16), size=rng.integers(2, 7), replace=False))
        onsets = np.concatenate([[0], onsets])
        pitches = int(rng.integers(55, 75)) + np.array([0, 2, 4, 5, 7, 9, 11, 12])[rng.integers(0, 8, len(onsets))]
        for _ in range(3):
            row = np.zeros(bars * 16, np.int16)
            for b in range(bars):
                shift = int(rng.choice([5, 7])) if b % 2 else 0
                row[b * 16 + onsets] = pitches + shift - 21 + 2
            windows.append(row[None])
            ids.append(tune)
    x, t = np.stack(windows), np.array(ids)
    n = len(x) * 9 // 10
    write_notes(root, kind="melody", bars=bars, streams=[stream("melody", "melody")],
                splits={"train": (x[:n], t[:n]), "eval": (x[n:], t[n:])}, sources={"synthetic": tunes})
    return root


def train(data, workdir, *overrides):
    return run_ada("train", "--config", MICRO, "--workdir", workdir, f"--config.data.path={data}", "--noprogress",
                   *overrides)


def metrics(workdir):
    return [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="session")
def micro_musicvae(tmp_path_factory):
    """(notes dataset, workdir of a micro MusicVAE trained 60 steps on it)."""
    def build(root):
        train(synthetic_melodies(root / "notes", bars=2), root / "full", "--config.train.steps=60", *ARGS)

    root = built_once(tmp_path_factory, "musicvae", build)  # once per run, shared by the xdist workers
    return root / "notes", root / "full"
