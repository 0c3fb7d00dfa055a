"""Fixtures: tiny token datasets made on the spot, a real piano corpus and micro models trained on it."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest

from helpers import MICRO, PIANO_PIECES, REPO, built_once, optimised, run_ada

# the fixtures a topic's unit and end-to-end tests share
pytest_plugins = ['support.recordings', 'support.datasets', 'support.locks', 'support.continuation', 'support.pbt',
                  'support.musicvae']

# One persistent XLA cache for pytest and every `ada` process it starts: the same micro models are
# compiled once per run rather than once per process (results are the same compiled programs).
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(REPO / ".pytest_cache" / "jax"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
# The tests check shapes, equalities and learning on micro models, where XLA's optimisation passes
# cost more compile time than they save in run time (both sides of every equality run with it); the few
# tests that run a model for long are marked `optimised` and compile with them.
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")


def pytest_configure(config):
    """numba (under librosa's onset and chroma measures) corrupts its on-disk cache when two processes
    compile the same function into it at once, and every later process that loads it segfaults: each
    xdist worker, and the `ada` processes it starts (one at a time), keep their own cache. Set here, not
    at import: xdist names the worker only after this file is imported; numba reads it on first import."""
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker:  # replaces what the controller set (the workers inherit its environment)
        os.environ["NUMBA_CACHE_DIR"] = str(REPO / ".pytest_cache" / "numba" / worker)
    else:
        os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".pytest_cache" / "numba" / "main"))


def pytest_collection_modifyitems(config, items):
    """The longest files first, the many short unit files last to even out the end: `make test` hands
    whole files to the workers in collection order (`--dist loadfile --no-loadscope-reorder`), and xdist's
    own order, the files with most tests first, left one worker on a 80-s file while the other idled.
    Files whose every test is marked slow come first, then the other end-to-end files, then the units."""
    files = {}
    for item in items:
        files.setdefault(item.path, []).append(item)

    def weight(path):
        tests = files[path]
        return (not all(t.get_closest_marker("slow") for t in tests), "e2e" not in path.parts)

    order = {path: rank for rank, path in enumerate(sorted(files, key=weight))}  # a stable sort
    items.sort(key=lambda item: order[item.path])


@pytest.fixture(autouse=True)
def _optimised_when_marked(request):
    """A test marked `optimised` compiles with XLA's full optimisation (helpers.optimised)."""
    if request.node.get_closest_marker("optimised"):
        with optimised():
            yield
    else:
        yield


@pytest.fixture
def token_dataset(tmp_path):
    """A dataset whose file i holds only the token 10 * i + 1: a crop shows where it came from."""
    from ada.data.dataset import assign_splits, write_dataset

    def make(lengths, vocab=256, name="tokens"):
        entries = [{"path": f"file{i}", "sha256": hashlib.sha256(f"file{i}".encode()).hexdigest(), "length": n}
                   for i, n in enumerate(lengths)]
        assign_splits(entries, 0.01, {})
        write_dataset(tmp_path / name, entries, lambda e: np.full(e["length"], 10 * int(e["path"][4:]) + 1),
                      vocab=vocab, rate=16000.0)
        return tmp_path / name

    return make


@pytest.fixture(scope="session")
def piano(tmp_path_factory):
    """A real piano dataset: two scores rendered by `ada corpus` (about two and a half minutes)."""

    def build(root):
        run_ada("corpus", "--out", root / "corpus", "--pieces", *PIANO_PIECES, "--soundfonts", "fluidr3", "--quiet")

    return built_once(tmp_path_factory, "piano", build) / "corpus"


@pytest.fixture(scope="session")
def brisk_piano(tmp_path_factory):
    """The piano fixture's two scores played four times as fast (a minute of audio in all): for the test of
    `make demo`, whose level-1 encode of the whole corpus was its longest step."""

    def build(root):
        run_ada("corpus", "--out", root / "corpus", "--pieces", *PIANO_PIECES, "--soundfonts", "fluidr3",
                "--tempo", 4, 4, "--quiet")

    return built_once(tmp_path_factory, "brisk_piano", build) / "corpus"


@pytest.fixture(scope="session")
def micro_level(piano, tmp_path_factory):
    """A micro ADA level trained for a few steps on the piano fixture: its workdir."""

    def build(root):
        run_ada("train", "--config", MICRO, "--workdir", root / "level", f"--config.data.path={piano}",
                "--noprogress", "--config.train.steps=6", "--config.train.checkpoint_every=6")

    return built_once(tmp_path_factory, "micro", build) / "level"


@pytest.fixture(scope="session")
def micro_stack(micro_level, piano, tmp_path_factory):
    """Micro level 1, a micro level 2 over its codes and a micro prior over those: a stack file."""

    def build(root):
        codes1, codes2 = root / "codes1", root / "codes2"
        run_ada("encode", "--level", micro_level, "--data", piano, "--out", codes1, "--quiet")
        common = ["--config", MICRO, "--noprogress", "--config.train.steps=4", "--config.train.checkpoint_every=4",
                  "--config.model.vocab=16"]
        run_ada("train", *common, "--workdir", root / "level2", f"--config.data.path={codes1}",
                "--config.model.encoder_input=one_hot")
        run_ada("encode", "--level", root / "level2", "--data", codes1, "--out", codes2, "--quiet")
        run_ada("train", *common, "--workdir", root / "prior", f"--config.data.path={codes2}",
                "--config.model.kind=prior", "--config.data.crop=64")
        (root / "stack.json").write_text(json.dumps({"levels": [str(micro_level), "level2"], "prior": "prior"}))

    return built_once(tmp_path_factory, "stack", build) / "stack.json"
