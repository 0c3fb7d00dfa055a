"""The trainer, driven as users drive it: `ada train` in fresh processes on a real piano dataset."""

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

from helpers import MICRO, REPO, optimised_env, run_ada

pytestmark = pytest.mark.slow


def train_cmd(data, workdir, *overrides):
    return ["train", "--config", MICRO, "--workdir", workdir, f"--config.data.path={data}", "--noprogress",
            *overrides]


def env_with_devices(n: int) -> dict:
    return optimised_env(JAX_NUM_CPU_DEVICES=str(n), JAX_PLATFORMS="cpu")


def params_of(workdir):
    from ada.training.checkpoint import load

    return jax.device_get(load(workdir).state)


def assert_trees_close(a, b, **tol):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=False):
        np.testing.assert_allclose(np.asarray(x, np.float64), np.asarray(y, np.float64), **tol)


def metrics(workdir):
    return [json.loads(l) for l in (Path(workdir) / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def uninterrupted(piano, tmp_path_factory):
    """40 steps on one device, never stopped: the reference the other runs are held to."""
    workdir = tmp_path_factory.mktemp("train") / "reference"
    run_ada(*train_cmd(piano, workdir, "--config.train.steps=40", "--config.train.checkpoint_every=5"),
            env=env_with_devices(1))
    return workdir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DRIVER = """
import sys, numpy as np, jax
from ada.training.parallel import maybe_initialize_distributed
from ada.training.trainer import train
maybe_initialize_distributed(sys.argv[1], 2, int(sys.argv[2]))
sys.path.insert(0, sys.argv[5])
from micro_config import get_config
config = get_config()
config.data.path, config.train.steps, config.train.checkpoint_every = sys.argv[3], 8, 4
state, result = train(config, sys.argv[4], progress=False)
leaves = jax.tree.leaves(jax.device_get(state.params))
np.savez(f"{sys.argv[4]}/params-{jax.process_index()}.npz", *leaves)
print("processes", jax.process_count(), "devices", jax.device_count(), "loss", result["loss"])
"""


def test_a_tiny_level_learns_the_piano(uninterrupted):
    logged = [m for m in metrics(uninterrupted) if "nll" in m]
    assert logged[-1]["nll"] < logged[0]["nll"] - 0.25  # 40 steps of a 4-block model: a clear start
    evals = [m["eval_nll"] for m in metrics(uninterrupted) if "eval_nll" in m]
    assert len(evals) == 7 and all(np.isfinite(evals))  # every 6 steps and at the end
    assert all(k in logged[-1] for k in ("perplexity", "codes_used", "samples_per_s", "grad_norm"))
    assert (uninterrupted / "tensorboard").is_dir() and json.loads((uninterrupted / "config.json").read_text())


def test_eight_devices_train_like_one(piano, uninterrupted, tmp_path):
    run_ada(*train_cmd(piano, tmp_path / "eight", "--config.train.steps=40", "--config.train.checkpoint_every=5"),
            env=env_with_devices(8))
    one, eight = params_of(uninterrupted), params_of(tmp_path / "eight")
    assert_trees_close(one.params, eight.params, rtol=2e-3, atol=2e-4)
    assert_trees_close(one.vq, eight.vq, rtol=2e-3, atol=2e-4)


def test_killed_run_resumes_to_the_uninterrupted_result(piano, uninterrupted, tmp_path):
    workdir = tmp_path / "killed"
    cmd = [sys.executable, "-m", "ada.cli", *map(str, train_cmd(piano, workdir, "--config.train.steps=40",
                                                                "--config.train.checkpoint_every=5"))]
    proc = subprocess.Popen(cmd, env=env_with_devices(1), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (workdir / "checkpoints" / "10").is_dir() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = [int(p.name) for p in (workdir / "checkpoints").iterdir() if p.name.isdigit()]
    assert max(done) < 40, "the run finished before it could be killed"
    run_ada(*train_cmd(piano, workdir, "--config.train.steps=40", "--config.train.checkpoint_every=5"),
            env=env_with_devices(1))
    assert_trees_close(params_of(uninterrupted), params_of(workdir), rtol=1e-6, atol=1e-7)
    assert [m["step"] for m in metrics(workdir)] == [m["step"] for m in metrics(uninterrupted)]


def test_sigterm_checkpoints_and_exits_cleanly(piano, tmp_path):
    workdir = tmp_path / "term"
    cmd = [sys.executable, "-m", "ada.cli", *map(str, train_cmd(piano, workdir, "--config.train.steps=100000",
                                                                "--config.train.checkpoint_every=1000"))]
    proc = subprocess.Popen(cmd, env=env_with_devices(1), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not (workdir / "metrics.jsonl").exists() or not (workdir / "metrics.jsonl").read_text():
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "stopped at step" in err and "rerun the same command to resume" in err
    step = int(re.search(r"stopped at step (\d+)", err).group(1))
    assert 4 <= step < 1000
    assert (workdir / "checkpoints" / str(step)).is_dir()


def test_two_processes_train_together_and_agree(piano, tmp_path):
    address = f"127.0.0.1:{_free_port()}"
    workdir = tmp_path / "multi"
    procs = [subprocess.Popen([sys.executable, "-c", DRIVER, address, str(i), str(piano), str(workdir),
                               str(REPO / "tests")], env=env_with_devices(1), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=False):
        assert p.returncode == 0, err[-3000:]
        assert "processes 2 devices 2" in out
    a, b = (np.load(workdir / f"params-{i}.npz") for i in range(2))
    assert len(a.files) > 10
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])
    assert (workdir / "checkpoints" / "8").is_dir()


@pytest.mark.parametrize("override, message", [  # the rest are refused in-process: tests/unit/training/test_config.py
    ("--config.data.batch_size=7", "not divisible by the 2 devices"),  # the devices the command sees
    ("--config.data.path=/nonexistent/data", "/nonexistent/data: no such dataset directory"),  # the data layer's
])
def test_bad_configs_fail_in_one_clear_line(piano, tmp_path, override, message):
    args = train_cmd(piano, tmp_path / "bad")
    if "data.path" in override:
        args = [a for a in args if not str(a).startswith("--config.data.path")]
    proc = run_ada(*args, override, check=False, env=env_with_devices(2))
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [l for l in proc.stderr.strip().splitlines() if not l.startswith("WARNING")]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], proc.stderr[-2000:]
    assert not (tmp_path / "bad").exists()  # refused before the workdir is made


def test_non_finite_loss_stops_with_the_last_good_checkpoint(piano, tmp_path):
    workdir = tmp_path / "nan"
    run_ada(*train_cmd(piano, workdir, "--config.train.steps=4"), env=env_with_devices(1))
    good = params_of(workdir)
    proc = run_ada(*train_cmd(piano, workdir, "--config.train.steps=40", "--config.train.learning_rate=1e30",
                              "--config.train.grad_clip=1e30"), check=False, env=env_with_devices(1))
    assert proc.returncode == 2 and "loss became" in proc.stderr and "last good checkpoint" in proc.stderr
    assert_trees_close(params_of(workdir).params, good.params, rtol=0, atol=0)
