import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import soundfile as sf

from ada.audio.prepare import prepare
from ada.data.dataset import INDEX, open_dataset

from helpers import run_ada, tone, write_audio


def test_bad_inputs_are_listed_and_skipped(tmp_path):
    src = tmp_path / "src"
    write_audio(src / "good.wav", 16000, 2.0)
    (src / "empty.wav").write_bytes(b"")
    (src / "text.flac").write_text("this is not audio")
    (src / "garbage.mp3").write_bytes(np.random.default_rng(0).bytes(5000))
    write_audio(src / "whole.wav", 44100, 2.0, 2, seed=3)
    data = (src / "whole.wav").read_bytes()
    (src / "truncated.wav").write_bytes(data[: len(data) // 2])
    (src / "whole.wav").unlink()
    sf.write(src / "silent.wav", np.zeros(32000), 16000)
    sf.write(src / "zero.wav", np.zeros(0), 16000)
    sf.write(src / "blip.wav", tone(16000, 0.05), 16000)
    (src / "locked.wav").write_bytes(data)
    os.chmod(src / "locked.wav", 0)
    explicit = tmp_path / "readme.txt"
    explicit.write_text("named on the command line, so tried, and rejected")

    proc = run_ada("prepare", src, explicit, tmp_path / "missing", "--out", tmp_path / "out", "--quiet")
    listed = json.loads((tmp_path / "out/rejects.json").read_text())
    rejects = {os.path.basename(r["path"]): r["reason"] for r in listed}
    expected = {"empty.wav": "empty", "text.flac": "not decodable", "garbage.mp3": "not decodable",
                "truncated.wav": "truncated", "silent.wav": "all-silent", "zero.wav": "zero-length",
                "blip.wav": "too short", "readme.txt": "not decodable", "missing": "does not exist"}
    if os.geteuid() != 0:  # root reads anything
        expected["locked.wav"] = "unreadable"
    for name, reason in expected.items():
        assert reason in rejects.pop(name), (name, rejects)
    assert rejects == {}
    ds = open_dataset(tmp_path / "out")
    assert sorted(os.path.basename(f["path"]) for f in ds.files) == sorted(
        ["good.wav"] + (["locked.wav"] if os.geteuid() == 0 else []))
    assert "rejected" in proc.stderr and "prepared" in proc.stdout


def test_nothing_usable_fails_without_touching_an_existing_dataset(tmp_path):
    write_audio(tmp_path / "a.wav", 16000, 1.0)
    prepare([tmp_path / "a.wav"], tmp_path / "out", progress=False)
    before = (tmp_path / "out" / INDEX).read_text()
    (tmp_path / "bad.wav").write_bytes(b"")
    proc = run_ada("prepare", tmp_path / "bad.wav", "--out", tmp_path / "out", "--quiet", check=False)
    assert proc.returncode == 1 and "nothing usable" in proc.stderr
    assert (tmp_path / "out" / INDEX).read_text() == before


def test_killed_run_leaves_a_valid_dataset_and_resumes_to_the_clean_result(tmp_path):
    src = tmp_path / "src"
    for i in range(24):
        write_audio(src / f"{i:02d}.wav", 44100, 4.0, 2, seed=i)
    clean = prepare([src], tmp_path / "clean", progress=False, shard_tokens=200_000).index
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "import sys; from ada.audio.prepare import prepare; "
           f"prepare([{str(src)!r}], {str(out)!r}, workers=1, progress=False, shard_tokens=200_000)"]
    for delay in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0):
        proc = subprocess.Popen(cmd)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if (out / INDEX).exists():  # whatever moment it died, what is there opens and reads whole
            ds = open_dataset(out)
            for f in ds.files:
                assert ds.tokens(f).shape == (f["length"],)
    resumed = prepare([src], out, progress=False, shard_tokens=200_000).index
    assert resumed == clean
    assert sorted(p.name for p in out.glob("shard-*")) == sorted(s["name"] for s in clean["shards"])
    assert len(clean["shards"]) > 1
    assert not list(out.glob(".*.tmp"))


def test_info_shows_hours_vocabulary_and_rejects(recordings, tmp_path):
    (recordings / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    run_ada("prepare", recordings, "--out", tmp_path / "out", "--quiet")
    out = run_ada("info", tmp_path / "out").stdout
    assert "vocabulary 256" in out and "train" in out and "eval" in out and " h " in out
    assert "rejects  1" in out and "broken.wav" in out


def test_info_on_a_missing_dataset_is_one_clear_line(tmp_path):
    proc = run_ada("info", tmp_path / "nope", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error:") and len(proc.stderr.strip().splitlines()) == 1
