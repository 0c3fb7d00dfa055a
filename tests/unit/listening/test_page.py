"""The listening page's pictures."""

import numpy as np

from ada.listening.page import notes_view


def test_the_notes_view_shows_each_note_in_its_own_semitone_row():
    """A piano's notes live below 2 kHz, in the bottom quarter of a linear spectrogram: the page's notes view
    gives each semitone from A1 a row, so a chord reads as its notes, and silence stays dark."""
    t = np.arange(32000) / 16000
    chord = sum(0.2 * np.sin(2 * np.pi * f * t) for f in (110.0, 261.63, 659.26))  # A2, C4, E5
    db, freqs = notes_view(chord)
    rows = db.mean(1)
    peaks = [i for i in range(1, len(rows) - 1) if rows[i] > max(rows[i - 1], rows[i + 1]) and rows[i] > -20]
    assert [round(12 * np.log2(freqs[i] / 55.0)) for i in peaks] == [12, 27, 43]  # semitones above A1
    assert db.max() == 0.0 and np.median(db) < -40  # the rows between the notes are dark
    silent, _ = notes_view(np.zeros(16000, np.float32))
    assert silent.max() < -60
