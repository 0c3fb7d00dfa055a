"""Helpers the tests share: synthetic audio, running `ada` as a user would, the micro config."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import soundfile as sf
from filelock import FileLock

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


def optimised_env(**extra) -> dict:
    """The environment with XLA's full optimisation, as users run: for tests that compare numbers
    across device counts or measure long runs (the others compile with most passes off; conftest)."""
    env = {k: v for k, v in os.environ.items() if k != "JAX_DISABLE_MOST_OPTIMIZATIONS"}
    return {**env, **extra}


@contextmanager
def optimised():
    """XLA's full optimisation for what compiles meanwhile, in this process and in the `ada` processes it
    starts: for tests that run a model long enough (hundreds of steps, seconds of audio) that the passes
    conftest turns off save more run time than they cost to compile (`@pytest.mark.optimised`)."""
    import jax

    saved = os.environ.pop("JAX_DISABLE_MOST_OPTIMIZATIONS", None)
    before = jax.config.values["jax_disable_most_optimizations"]
    jax.config.update("jax_disable_most_optimizations", False)
    try:
        yield
    finally:
        jax.config.update("jax_disable_most_optimizations", before)
        if saved is not None:
            os.environ["JAX_DISABLE_MOST_OPTIMIZATIONS"] = saved


def run_ada(*args, check=True, env=None, **kw) -> subprocess.CompletedProcess:
    """Run the `ada` command as a user would, in a fresh process."""
    env = {**(env or os.environ), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run([sys.executable, "-m", "ada.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"ada {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc



def ada_in_process(capsys, *args) -> SimpleNamespace:
    """`ada ARGS` through `ada.cli.main`, the function the command runs, in this process (no start-up to pay):
    its exit status, stdout and stderr, as `run_ada` gives them. For refusals that come before any work."""
    from ada import cli

    capsys.readouterr()
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as e:  # argparse's usage errors
        code = e.code
    out, err = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out, stderr=err)


MICRO = REPO / "tests" / "micro_config.py"  # a level small enough to train in seconds
PIANO_PIECES = ["bach/bwv1.6.mxl", "josquin/milleRegrets.abc"]


def built_once(tmp_path_factory, name: str, build):
    """`build(dir)` once per test run, shared by every xdist worker (each used to build its own):
    the first worker to get the lock builds, the others wait and reuse the finished folder."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    out, done = root / name, root / f"{name}.done"
    with FileLock(str(root / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)  # a build that failed part way
            out.mkdir(parents=True)
            build(out)
            done.touch()
    return out
