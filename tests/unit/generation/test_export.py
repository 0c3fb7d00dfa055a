"""The shipped-stack format: `ada export` keeps exactly the Polyak variables (rounded to bfloat16 when
asked), a stack file naming the exported folders samples as the workdirs do, and nothing is overwritten."""

from __future__ import annotations

import json
import os

import numpy as np

from ada.evaluation import card


def test_the_card_gives_each_corpus_its_own_column_and_each_mean_its_standard_error(tmp_path):
    def page(folder, key, corpus_key, n=4):
        (folder / "samples").mkdir(parents=True)
        m = {"key_clarity": {"mean": key, "std": 0.1, "n": n}, "flatness": {"mean": 0.006, "std": 0.004, "n": n},
             "silent": {"mean": 0.0, "std": 0.0, "n": n}}
        corpus = {"key_clarity": {"mean": corpus_key, "std": 0.1, "n": 16}, "flatness": {"mean": 0.004, "std": 0.002,
                  "n": 16}, "silent": {"mean": 0.0, "std": 0.0, "n": 16}}
        (folder / "samples" / "samples.json").write_text(json.dumps(
            {"temperature": 1.0, "samples": n, "noisiness (flatness over the corpus's)": 1.5, "measures": m,
             "corpus_measures": corpus}))

    page(tmp_path / "a", 0.6, 0.8)
    page(tmp_path / "b", 0.5, 0.7, n=16)
    page(tmp_path / "c", 0.55, 0.8)
    lines = card.sound_table({"a": tmp_path / "a", "b": tmp_path / "b", "c": tmp_path / "c"})
    assert lines[0] == "| measure | a | b | c | corpus of a, c | corpus of b |"
    # a spread of 0.1 over 4 clips puts their mean within 0.1 / sqrt(3) = 0.058; over 16, 0.1 / sqrt(15) = 0.026
    assert "| samples: key clarity | 0.6 ± 0.058 | 0.5 ± 0.026 | 0.55 ± 0.058 | 0.8 ± 0.026 | 0.7 ± 0.026 |" in lines
    # flatness 0.006 ± 0.004 / sqrt(3) over the corpus's 0.004: noisiness 1.5 ± 0.58
    assert "| samples: noisiness (flatness over the corpus's) | 1.5 ± 0.58 | 1.5 ± 0.26 | 1.5 ± 0.58 | 1 | 1 |" in lines
    assert "| samples: count | 4 | 16 | 4 | 16 | 16 |" in lines
    assert "| samples: temperature | 1 | 1 | 1 |  |  |" in lines
    old = tmp_path / "old" / "samples"  # a page from before measures counted their clips: the mean alone
    old.mkdir(parents=True)
    (old / "samples.json").write_text(json.dumps({"measures": {"key_clarity": {"mean": 0.6, "std": 0.1}}}))
    assert "| samples: key clarity | 0.6 | – |" in card.sound_table({"old": old.parent})


def test_reconstructions_give_their_excerpts_and_each_mean_its_standard_error_over_them(tmp_path):
    (tmp_path / "a" / "reconstructions").mkdir(parents=True)
    gaps = [6.0, 7.0, 8.0, 9.0]  # mean 7.5, population sd sqrt(1.25): se sqrt(1.25 / 3) = 0.65
    (tmp_path / "a" / "reconstructions" / "reconstructions.json").write_text(json.dumps(
        {"temperature": 0.2, "source": "piano-heldout (eval split)", "mean harmonic contrast gap db": 7.5,
         "mean noisiness": 2.0, "excerpts": [{"harmonic_contrast_gap_db": g, "noisiness": None} for g in gaps]}))
    lines = card.sound_table({"a": tmp_path / "a"})
    assert "| reconstructions: excerpts | 4, piano-heldout (eval split) | – |" in lines
    assert "| reconstructions: harmonic contrast lost (dB) | 7.5 ± 0.65 | – |" in lines
    # a silent excerpt has no noisiness: the page's own mean, with no error to give
    assert "| reconstructions: noisiness (over the original's) | 2 | 1 |" in lines


def test_a_temperature_sweep_is_a_row_per_setting(tmp_path):
    for name, t, noisiness in (("t1", 1.0, 11.2), ("t0.3", 0.3, 2.9), ("t0.3,0.6,1", 0.3, 2.9)):
        (tmp_path / name / "reconstructions").mkdir(parents=True)
        (tmp_path / name / "reconstructions" / "reconstructions.json").write_text(json.dumps(
            {"temperature": t, "mean noisiness": noisiness, "mean chroma to original": 0.97,
             "mean log mel to original": 1.1}))
    (tmp_path / "stray").mkdir()  # a folder without pages is not a setting
    lines = card.sweep_table(tmp_path)
    assert lines[0] == ("| reconstructions at | noisiness (over the original's) | chroma to original | "
                        "log-mel distance | harmonic contrast lost (dB) |")
    assert lines[2:4] == ["| 0.3 | 2.9 | 0.97 | 1.1 | – |", "| 1 | 11.2 | 0.97 | 1.1 | – |"]
    assert len(lines) == 5 and lines[4] == ""
    old = tmp_path / "t1" / "reconstructions" / "reconstructions.json"  # drawn before the parameters were written
    os.utime(old, (old.stat().st_atime, old.stat().st_mtime - 60))
    assert card.sweep_table(tmp_path, since=old.stat().st_mtime + 30)[2:] == ["| 0.3 | 2.9 | 0.97 | 1.1 | – |", ""]


def test_a_shipped_musicvaes_examples_are_busy_windows_of_two_tunes_that_its_means_decode_back_to():
    from types import SimpleNamespace

    from ada.generation.export import example_windows

    rng = np.random.default_rng(0)
    windows = rng.integers(2, 90, (12, 1, 32))  # an onset at every step
    windows[0, 0, 4:] = 0  # 4 onsets in 32 steps: too sparse to show a path with
    tunes = np.array([0, 0, 1, 1, 1, 2, 3, 3, 4, 4, 5, 5])
    garbled = {1, 2, 6}  # windows whose mean decodes to something else

    class Model:
        spec = SimpleNamespace(streams=("melody",))

        def encode(self, w):
            return np.asarray(w), None

        def decode(self, mu, seed, temperature):
            return [np.zeros_like(w) if any((w == windows[k]).all() for k in garbled) else w for w in mu]

    assert example_windows(Model(), windows, tunes) == (3, 7)  # 0 sparse, 1-2 garbled; from the middle: 6 garbled
    tunes[7] = 1  # the tune of the first example: the second comes from another tune
    assert example_windows(Model(), windows, tunes) == (3, 8)
    garbled |= set(range(12)) - {5, 9}
    assert example_windows(Model(), windows, tunes, within=0.0) == (5, 9)
    garbled |= {5, 9}  # none decodes back: the nearest (all equally far here: the first looked at)
    assert example_windows(Model(), windows, tunes) == (1, 6)
