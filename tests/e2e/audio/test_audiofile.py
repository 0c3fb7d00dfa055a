"""Hostile inputs: every accepted format cut short is rejected as truncated, a constant (DC) level as
silence, and file names that are not UTF-8 are prepared and printed; stale WAVs never linger on a page."""

import json
import os

import numpy as np
import pytest
import soundfile as sf

from ada.data.dataset import open_dataset

from helpers import ada_in_process, run_ada, write_audio


def test_a_constant_level_is_rejected_like_silence(tmp_path):
    src = tmp_path / "src"
    write_audio(src / "good.wav", 16000, 1.0)
    sf.write(src / "dc.wav", np.full(16000, 0.5), 16000)
    sf.write(src / "dc-negative.wav", np.full(16000, -0.2), 16000)
    run_ada("prepare", src, "--out", tmp_path / "out", "--quiet")
    rejects = {os.path.basename(r["path"]): r["reason"] for r in
               json.loads((tmp_path / "out" / "rejects.json").read_text())}
    assert set(rejects) == {"dc.wav", "dc-negative.wav"}
    assert all(r.startswith("all-silent") and "DC" in r for r in rejects.values())


def test_file_names_that_are_not_utf8_are_prepared_and_printed(tmp_path):
    src = tmp_path / "src"
    write_audio(src / "a.wav", 16000, 1.0)
    os.rename(bytes(src / "a.wav"), bytes(src) + b"/caf\xe9.wav")
    sf.write(src / "b.wav", np.zeros(16000), 16000)
    os.rename(bytes(src / "b.wav"), bytes(src) + b"/silence-\xff.wav")
    proc = run_ada("prepare", src, "--out", tmp_path / "out", "--quiet")
    [entry] = open_dataset(tmp_path / "out").files
    assert os.fsencode(entry["path"]).endswith(b"caf\xe9.wav")
    assert "rejected" in proc.stderr and "silence-" in proc.stderr
    info = run_ada("info", tmp_path / "out")
    assert "silence-" in info.stdout


@pytest.mark.slow
def test_sampling_again_with_fewer_pieces_leaves_no_stale_wavs(micro_stack, tmp_path, capsys):
    out = tmp_path / "out"
    sample = ("sample", "--stack", micro_stack, "--out", out, "--seconds", "0.05")  # in this process: no start-up
    assert ada_in_process(capsys, *sample, "--num", "3").returncode == 0
    assert sorted(p.name for p in out.glob("*.wav")) == ["sample-00.wav", "sample-01.wav", "sample-02.wav"]
    assert ada_in_process(capsys, *sample, "--num", "1").returncode == 0
    assert sorted(p.name for p in out.glob("*.wav")) == ["sample-00.wav"]
    assert sorted(p.name for p in out.glob("*.png")) == ["sample-00.png"]
