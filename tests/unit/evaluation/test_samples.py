"""`ada notes eval --samples`' measures of windows, worked out by hand."""

import numpy as np
import pytest

from ada.evaluation.interpolation import Trigram
from ada.evaluation.samples import leap_shares, samples_table, summarise
from ada.notes.representation import MELODY_VOCAB, melody_tokens


def melody(pitches, length: int = 4, steps: int = 32) -> np.ndarray:
    """A window [1, steps] of notes of `length` steps each, one after another."""
    notes = [(i * length, (i + 1) * length, p) for i, p in enumerate(pitches)]
    return melody_tokens(notes, steps)[None]


def test_leap_shares_count_the_intervals_between_onsets_wider_than_a_fifth_and_an_octave():
    assert leap_shares(melody([60, 62, 70, 83])) == pytest.approx((2 / 3, 1 / 3))  # steps 2, 8, 13
    assert leap_shares(melody([60, 67, 60, 55])) == (0.0, 0.0)  # a fifth is not wider than a fifth
    assert leap_shares(melody([60, 72, 60])) == (1.0, 0.0)  # nor an octave than an octave
    assert leap_shares(melody([60])) == (0.0, 0.0)


def test_a_line_that_leaps_scores_more_leaps_and_a_lower_3_gram_log_p_than_the_stepwise_lines_it_was_fitted_on():
    scales = [melody([60 + s, 62 + s, 64 + s, 65 + s, 67 + s, 69 + s, 71 + s, 72 + s]) for s in range(5)]
    trigram = Trigram.of_split(scales, MELODY_VOCAB)
    leaping = [melody([60 + s, 75 + s, 62 + s, 79 + s, 64 + s, 72 + s, 65 + s, 80 + s]) for s in range(5)]
    data, samples = summarise("eval windows", scales, trigram, True), summarise("samples", leaping, trigram, True)
    assert data.means["leaps_over_fifth"] == 0 and data.means["leaps_over_octave"] == 0
    assert samples.means["leaps_over_fifth"] == pytest.approx(6 / 7)  # 15, 13, 17, 15, 8, 7, 15
    assert samples.means["leaps_over_octave"] == pytest.approx(5 / 7)
    assert samples.means["trigram"] < data.means["trigram"] - 0.5
    assert data.means["note_density"] == samples.means["note_density"] == pytest.approx(8 / 32)
    assert data.windows == 5 and data.ses["leaps_over_fifth"] == 0 and np.isfinite(samples.ses["trigram"])
    table = samples_table([samples, data])
    assert "| samples | 5 | " in table and "leaps > an octave" in table


def test_drum_windows_are_scored_by_the_3_gram_model_alone():
    windows = [np.array([[1, 0, 3, 0] * 4]) for _ in range(3)]
    rows = summarise("eval windows", windows, Trigram.of_split(windows, 512), melody=False)
    assert list(rows.means) == ["trigram"]
