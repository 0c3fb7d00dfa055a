import json

import numpy as np
import pytest

from ada import mulaw
from ada.corpus import SMALL, Variation, pieces
from ada.dataset import open_dataset

from helpers import PIANO_PIECES, run_ada


def test_variants_are_drawn_from_the_seed_and_the_piece_alone():
    v = Variation(seed=3)
    assert v.draw("bach/bwv1.6.mxl") == Variation(seed=3).draw("bach/bwv1.6.mxl")
    drawn = [v.draw(p) for p in SMALL]
    assert {d["soundfont"] for d in drawn} == {"fluidr3", "musescore"}
    assert {d["preset"] for d in drawn} == {"grand", "bright"}
    assert all(0.9 <= d["tempo"] <= 1.1 and -2 <= d["transpose"] <= 2 and 0.8 <= d["velocity"] <= 1.2
               for d in drawn)
    assert drawn != [Variation(seed=4).draw(p) for p in SMALL]


def test_small_corpus_lists_one_piece_per_work():
    assert len(SMALL) == len(set(SMALL)) and pieces("small") == SMALL


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
