"""MIDI in and out: a MIDI file as a note `Sequence` (timed in quarter notes, so tempo changes do not matter),
and token windows back to MIDI.

Written MIDI follows Magenta's output: velocity 80; melody and voice streams on the acoustic grand piano,
a trio's bass on electric bass (program 33) and its drums on channel 10 (each class's first pitch).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pretty_midi

from ada.data.atomic import atomic_path
from ada.notes.dataset import NoteDatasetError
from ada.notes.extract import Meter, Note, Sequence
from ada.notes.kinds import KINDS
from ada.notes.representation import STEPS_PER_QUARTER, drum_pitches, melody_notes

VELOCITY = 80
BASS_PROGRAM = 33  # electric bass (finger), as Magenta writes trio basses
PIANO_PROGRAM = 0
MIDI_SUFFIXES = (".mid", ".midi", ".kar", ".smf")


class MidiError(NoteDatasetError):
    """A MIDI file that cannot be read or gives no window; the message says which and why."""


def read_midi(path: str | os.PathLike) -> Sequence:
    """A MIDI file's notes (in quarter notes, from ticks) and time signatures (each change starts a bar)."""
    pretty_midi.pretty_midi.MAX_TICK = 1e8
    try:
        with warnings.catch_warnings():  # meta events on other tracks than the first: read as they are
            warnings.simplefilter("ignore", RuntimeWarning)
            pm = pretty_midi.PrettyMIDI(str(path))
    except Exception as e:  # noqa: BLE001 - mido and pretty_midi raise many kinds for a damaged file
        raise MidiError(f"{path}: unreadable MIDI ({type(e).__name__}{': ' + str(e)[:200] if str(e) else ''})") from e
    res = float(pm.resolution)

    def quarters(t: float) -> float:
        return float(pm.time_to_tick(t) / res)

    notes = [Note(int(n.pitch), quarters(n.start), quarters(n.end), instrument=i, program=int(inst.program),
                  is_drum=bool(inst.is_drum))
             for i, inst in enumerate(pm.instruments) for n in inst.notes]
    meters = [Meter(quarters(ts.time), int(ts.numerator), int(ts.denominator), quarters(ts.time))
              for ts in pm.time_signature_changes]
    return Sequence(notes, meters or [Meter(0.0, 4, 4)], name=str(path))


def windows_from_midi(path: str | os.PathLike, kind: str, bars: int) -> np.ndarray:
    """All distinct windows of `kind` (melody, drums, trio, voices) and `bars` in a MIDI file: int16 [N, S, T].
    Raises MidiError saying why when there are none (for `ada notes interpolate/attribute` inputs)."""
    got = KINDS[kind].extract(read_midi(path), bars)
    if not len(got.windows):
        raise MidiError(f"{path}: no {bars}-bar {kind} window: {got.reason}")
    return got.windows


def stream_kinds(kind: str, streams: int) -> list[str]:
    """The stream kinds of a dataset kind (trio is melody, bass (a melody stream), drums); melody streams for a
    kind the table does not name."""
    return KINDS[kind].stream_kinds if kind in KINDS and kind != "voices" else ["melody"] * streams


def stream_names(kind: str) -> list[str]:
    """The names of a kind's streams, for MIDI instruments and page legends ([] for a kind not in the table)."""
    return KINDS[kind].stream_names if kind in KINDS and len(KINDS[kind].streams) > 1 else []


def tokens_to_pretty_midi(tokens, kind: str, qpm: float = 120.0) -> pretty_midi.PrettyMIDI:
    """Token windows [S, T] (or [T] for one stream) as a PrettyMIDI, one instrument per stream."""
    tokens = np.asarray(tokens)
    tokens = tokens[None] if tokens.ndim == 1 else tokens
    step = 60.0 / qpm / STEPS_PER_QUARTER
    pm = pretty_midi.PrettyMIDI(initial_tempo=qpm)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    kinds = stream_kinds(kind, len(tokens))
    for s, (row, sk) in enumerate(zip(tokens, kinds, strict=True)):
        if sk == "drums":
            inst = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
            for t, c in enumerate(row.tolist()):
                for p in drum_pitches(c):
                    inst.notes.append(pretty_midi.Note(VELOCITY, p, t * step, (t + 1) * step))
        else:
            bass = kind in KINDS and KINDS[kind].bass == s
            names = stream_names(kind)
            inst = pretty_midi.Instrument(program=BASS_PROGRAM if bass else PIANO_PROGRAM,
                                          name=names[s] if s < len(names) else kind)
            for start, end, pitch in melody_notes(row):
                inst.notes.append(pretty_midi.Note(VELOCITY, pitch, start * step, end * step))
        pm.instruments.append(inst)
    return pm


def tokens_to_midi(tokens, kind: str, path: str | os.PathLike, qpm: float = 120.0) -> Path:
    """Write token windows [S, T] of a dataset `kind` as a MIDI file (atomically); returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tokens_to_pretty_midi(tokens, kind, qpm).write(str(tmp))
    return path


def midi_files(inputs) -> list[Path]:
    """The MIDI files named or found (recursively) in folders, sorted; a missing input is an error."""
    files = []
    for i in map(Path, inputs):
        if i.is_dir():
            files += sorted(p for p in i.rglob("*") if p.is_file() and p.suffix.lower() in MIDI_SUFFIXES)
        elif i.is_file():
            files.append(i)
        else:
            raise MidiError(f"{i}: no such file or folder")
    return files
