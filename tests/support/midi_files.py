"""Shared by tests/unit/notes/test_extract.py and tests/e2e/notes/test_extract.py."""

import pretty_midi

Q = 0.5  # seconds per quarter note at 120 qpm


def midi(path, parts, ts=((4, 4, 0.0),)):
    """Write a MIDI file: parts are (program, is_drum, [(pitch, start_q, end_q), ...]), times in quarters."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    for num, den, at in ts:
        pm.time_signature_changes.append(pretty_midi.TimeSignature(num, den, at * Q))
    for program, is_drum, notes in parts:
        inst = pretty_midi.Instrument(program, is_drum=is_drum)
        inst.notes += [pretty_midi.Note(90, p, s * Q, e * Q) for p, s, e in notes]
        pm.instruments.append(inst)
    pm.write(str(path))
    return path


def scale(bars, first=60, start=0):
    """A different quarter note on every beat for `bars` bars."""
    return [(first + (i * 7) % 12, start + i, start + i + 1) for i in range(bars * 4)]
