import json
import subprocess
import sys
import time

import numpy as np
import pytest

from ada.audio import mulaw
from ada.audio.audiofile import trim_silence
from ada.audio.corpus import GAP_SECONDS, Variation, render_piece
from ada.data.dataset import open_dataset

from helpers import PIANO_PIECES, run_ada

RESUME_PROBE = """
import sys, time
import numpy as np, soundfile as sf
import ada.audio.corpus as corpus

def render(piece, variants, out):  # a second of a tone per piece; with "hang", the second never ends
    if piece == "x/b.mxl" and sys.argv[2] == "hang":
        time.sleep(600)
    tone = 0.5 * np.sin(np.arange(16000) * (0.05 if piece == "x/a.mxl" else 0.08))
    sf.write(out, tone, 16000, format="FLAC", subtype="PCM_16")
    print("rendered", piece, flush=True)
    return 1.0

corpus.render_piece = render  # the forked renderers inherit it
corpus.build(sys.argv[1], only=["x/a.mxl", "x/b.mxl"], workers=1, progress=False)
"""


@pytest.mark.slow
def test_a_works_variants_are_played_in_turn_into_its_one_file(tmp_path):
    import soundfile as sf

    piece, v = "bach/bwv10.7.mxl", Variation()
    first, second = v.draw(piece, 0), v.draw(piece, 1)
    seconds = render_piece(piece, [first, second], tmp_path / "both.flac")
    for k, d in enumerate((first, second)):
        render_piece(piece, d, tmp_path / f"{k}.flac")
    # each take as rendered alone, trimmed of its silence as prepare trims a file's ends
    takes_alone = [trim_silence(sf.read(tmp_path / f"{k}.flac", dtype="float32")[0]) for k in range(2)]
    both, _ = sf.read(tmp_path / "both.flac", dtype="float32")
    gap = int(GAP_SECONDS * 16000)
    assert len(both) == len(takes_alone[0]) + gap + len(takes_alone[1]) and seconds == len(both) / 16000
    np.testing.assert_array_equal(both[: len(takes_alone[0])], takes_alone[0])  # each take, unchanged
    np.testing.assert_array_equal(both[len(takes_alone[0]) + gap :], takes_alone[1])
    assert np.abs(both[len(takes_alone[0]) : len(takes_alone[0]) + gap]).max() == 0  # a second of silence
    assert len(takes_alone[0]) < len(sf.read(tmp_path / "0.flac")[0]) - 16000  # FluidSynth's tail is gone


@pytest.mark.slow
def test_two_pieces_build_end_to_end(piano):
    out, chosen = piano, PIANO_PIECES
    ds = open_dataset(out)
    assert len(ds.files) == 2 and {f["split"] for f in ds.files} == {"train", "eval"}
    manifest = json.loads((out / "corpus.json").read_text())
    assert set(manifest["pieces"]) == set(chosen)
    for f in ds.files:
        assert f["duration"] > 20  # a chorale and a chanson last minutes, not an empty render
        audio = mulaw.decode(ds.tokens(f))
        assert np.abs(audio).max() > 0.95  # normalised
        spectrum = np.abs(np.fft.rfft(audio[: 16000 * 10]))
        freqs = np.fft.rfftfreq(16000 * 10, 1 / 16000)
        # a piano: most energy in the musical range, not noise spread up to 8 kHz
        assert spectrum[(freqs > 50) & (freqs < 2000)].sum() > 0.6 * spectrum.sum()
        # nothing left of FluidSynth's seconds of trailing silence
        tail = audio[-1600:]
        assert np.abs(tail).max() > 1e-3
    renders = {p.name: p.stat().st_mtime_ns for p in (out / "renders").iterdir()}
    again = run_ada("corpus", "--out", out, "--pieces", *chosen, "--soundfonts", "fluidr3", "--quiet")
    assert "(2 reused)" in again.stdout and "corpus: 2 pieces" in again.stdout
    assert {p.name: p.stat().st_mtime_ns for p in (out / "renders").iterdir()} == renders
    info = run_ada("info", out).stdout
    assert "vocabulary 256" in info


def test_missing_soundfont_is_a_clear_error(tmp_path):
    proc = run_ada("corpus", "--out", tmp_path / "c", "--pieces", "bach/bwv1.6.mxl", "--soundfonts", "steinway",
                   check=False)
    assert proc.returncode == 2 and "unknown soundfont 'steinway'" in proc.stderr


@pytest.mark.slow
def test_a_killed_build_keeps_the_renders_it_made(tmp_path):
    out, manifest = tmp_path / "c", tmp_path / "c" / "corpus.json"
    proc = subprocess.Popen([sys.executable, "-c", RESUME_PROBE, str(out), "hang"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (manifest.is_file() and "x/a.mxl" in json.loads(manifest.read_text())["pieces"]):
        assert time.monotonic() < deadline and proc.poll() is None, "the first render was never recorded"
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    again = subprocess.run([sys.executable, "-c", RESUME_PROBE, str(out), "finish"], capture_output=True, text=True,
                           check=True)
    assert again.stdout.split() == ["rendered", "x/b.mxl"]  # the first piece's render was reused
    assert len(open_dataset(out).files) == 2
