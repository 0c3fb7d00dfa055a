"""One writer per dataset folder and per workdir: a second one is refused in one line naming the lock;
the lock of a killed process is taken over."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ada.data.lock import LOCK_FILE

from helpers import MICRO, run_ada, write_audio


def one_error(proc, *words):
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [l for l in proc.stderr.strip().splitlines() if not l.startswith("WARNING")]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr[-2000:]
    for w in words:
        assert w in lines[0], (w, lines[0])


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_second_prepare_is_refused_naming_the_holder_and_the_lock(held, tmp_path):
    folder, holder = held
    wav = write_audio(tmp_path / "a.wav", 16000, 0.5)
    proc = run_ada("prepare", wav, "--out", folder, "--quiet", check=False)
    one_error(proc, f"{folder} is in use", f"pid {holder.pid}", str(folder / LOCK_FILE))
    assert not (folder / "index.json").exists()
    info = json.loads((folder / LOCK_FILE).read_text())
    assert info["pid"] == holder.pid and info["host"]


def test_the_lock_of_a_killed_process_is_taken_over(held, tmp_path):
    folder, holder = held
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (folder / LOCK_FILE).exists()  # left behind by kill -9
    wav = write_audio(tmp_path / "a.wav", 16000, 0.5)
    proc = run_ada("prepare", wav, "--out", folder, "--quiet")
    assert "taking over" in proc.stderr and f"pid {holder.pid}" in proc.stderr
    assert (folder / "index.json").exists() and not (folder / LOCK_FILE).exists()


def test_train_and_encode_are_refused_on_a_held_folder(held, tmp_path, token_dataset):
    folder, holder = held
    data = token_dataset([3000, 2000, 2500])
    one_error(run_ada("train", "--config", MICRO, "--workdir", folder, f"--config.data.path={data}", check=False),
              "is in use", f"pid {holder.pid}", "rerun this ada train")
    assert not (folder / "config.json").exists()
    one_error(run_ada("encode", "--level", tmp_path / "level", "--data", data, "--out", folder, check=False),
              "is in use", "rerun this ada encode")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_prepare_leaves_no_orphan_workers(tmp_path):
    src = tmp_path / "src"
    for i in range(12):
        write_audio(src / f"{i:02d}.wav", 44100, 3.0, 2, seed=i)
    proc = subprocess.Popen([sys.executable, "-m", "ada.cli", "prepare", str(src), "--out", str(tmp_path / "out"),
                             "--workers", "2", "--quiet"], stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    workers = []
    while len(workers) < 2 and time.time() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "prepare never started its workers"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 20
    while any(_alive(w) for w in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)], "workers outlived a killed prepare"
