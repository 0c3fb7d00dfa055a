"""The token encodings of MusicVAE (Magenta's music_vae/data.py and note_seq's encoders), 16 steps per bar.

Melody: 90 classes per step: 0 no event (the held note goes on, or silence goes on), 1 note off,
2..89 a note onset at MIDI 21..108 (the piano's range). Drums: per step, the set of the 9 reduced drum
classes struck, as the integer sum(2**i) (512 classes); the model's input is the 9-wide roll plus a
"nothing struck" bit (`drum_roll`). Trio: a melody, a bass (also a melody stream) and drums.
"""

from __future__ import annotations

import numpy as np

STEPS_PER_BAR = 16
STEPS_PER_QUARTER = 4
MIN_PITCH, MAX_PITCH = 21, 108  # the piano's range; other notes are dropped
NO_EVENT, NOTE_OFF = 0, 1
FIRST_PITCH_CLASS = 2
MELODY_VOCAB = FIRST_PITCH_CLASS + MAX_PITCH - MIN_PITCH + 1  # 90

# General MIDI drum pitches reduced to 9 classes (note_seq's DEFAULT_DRUM_TYPE_PITCHES); the first pitch of
# each class is the one written out.
DRUM_CLASS_PITCHES = (
    (36, 35),  # kick
    (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85),  # snare
    (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22),  # closed hi-hat
    (46, 67, 72, 74, 79, 81, 26),  # open hi-hat
    (45, 29, 41, 43, 61, 64, 84),  # low tom
    (48, 47, 60, 63, 77, 86, 87),  # mid tom
    (50, 30, 62, 76, 83),  # high tom
    (49, 52, 55, 57, 58),  # crash
    (51, 53, 59, 82),  # ride
)
DRUM_CLASS_NAMES = ("kick", "snare", "closed hi-hat", "open hi-hat", "low tom", "mid tom", "high tom", "crash", "ride")
NUM_DRUM_CLASSES = len(DRUM_CLASS_PITCHES)
DRUM_VOCAB = 2 ** NUM_DRUM_CLASSES  # 512
DRUM_CLASS_OF_PITCH = {p: i for i, pitches in enumerate(DRUM_CLASS_PITCHES) for p in pitches}

MELODY_PROGRAMS = range(0, 32)  # piano, chromatic percussion, organ, guitar
BASS_PROGRAMS = range(32, 40)
DRUM_CHANNEL = 9  # MIDI channel 10


def vocab_of(stream_kind: str) -> int:
    """Classes per step of a stream kind."""
    return {"melody": MELODY_VOCAB, "drums": DRUM_VOCAB}[stream_kind]


def pitch_class(pitch: int) -> int:
    """The melody class of a note onset at `pitch` (21..108)."""
    if not MIN_PITCH <= pitch <= MAX_PITCH:
        raise ValueError(f"pitch {pitch} outside {MIN_PITCH}..{MAX_PITCH}")
    return pitch - MIN_PITCH + FIRST_PITCH_CLASS


def class_pitch(cls: int) -> int | None:
    """The MIDI pitch of melody class `cls`, or None for no-event / note-off."""
    return int(cls) - FIRST_PITCH_CLASS + MIN_PITCH if cls >= FIRST_PITCH_CLASS else None


def melody_tokens(notes: list[tuple[int, int, int]], steps: int, final_off: bool = True) -> np.ndarray:
    """Melody classes [steps] of monophonic notes (start_step, end_step, pitch), sorted and non-overlapping.

    A note's onset class sits at its start; a note off follows at its end unless the next note starts
    there (a new note ends the held one) or the window ends. Without `final_off` the last note has none and
    is held to the end, as note_seq ends a melody (Melody.from_quantized_sequence strips its final NOTE_OFF
    before padding to the bar).
    """
    out = np.full(steps, NO_EVENT, np.int16)
    for n, (start, end, pitch) in enumerate(notes):
        if start >= steps:
            break
        out[start] = pitch_class(pitch)
        last = n == len(notes) - 1 or notes[n + 1][0] >= steps
        if end < steps and out[end] == NO_EVENT and (final_off or not last):
            out[end] = NOTE_OFF
    return out


def melody_notes(tokens) -> list[tuple[int, int, int]]:
    """The notes (start_step, end_step, pitch) of melody classes: a note lasts until the next onset or note off
    (or the end)."""
    notes, held = [], None
    for t, c in enumerate(np.asarray(tokens).tolist()):
        if c == NO_EVENT:
            continue
        if held is not None:
            notes.append((held[0], t, held[1]))
            held = None
        if c >= FIRST_PITCH_CLASS:
            held = (t, class_pitch(c))
    if held is not None:
        notes.append((held[0], len(tokens), held[1]))
    return notes


def drum_class(pitches) -> int:
    """The drum class (0..511) of the drum pitches struck at one step; pitches outside the map are ignored."""
    bits = {DRUM_CLASS_OF_PITCH[p] for p in pitches if p in DRUM_CLASS_OF_PITCH}
    return sum(1 << i for i in bits)


def drum_pitches(cls: int) -> list[int]:
    """The pitches written for drum class `cls`: the first pitch of each of its drum classes."""
    return [DRUM_CLASS_PITCHES[i][0] for i in range(NUM_DRUM_CLASSES) if int(cls) >> i & 1]


def drum_roll(tokens) -> np.ndarray:
    """The roll a roll_input encoder reads (Magenta's DrumsConverter(roll_input=True)): [..., T] classes -> [..., T, 10]
    float32, the 9 drum bits then the NOR bit. Decoders read the 512-way one-hot."""
    tokens = np.asarray(tokens)
    bits = (tokens[..., None] >> np.arange(NUM_DRUM_CLASSES)) & 1
    return np.concatenate([bits, (tokens == 0)[..., None]], axis=-1).astype(np.float32)


def drum_tokens(hits: list[tuple[int, int]], steps: int) -> np.ndarray:
    """Drum classes [steps] of drum hits (step, pitch)."""
    per_step = [set() for _ in range(steps)]
    for step, pitch in hits:
        if 0 <= step < steps:
            per_step[step].add(pitch)
    return np.array([drum_class(s) for s in per_step], np.int16)


def is_melody_program(program: int) -> bool:
    return program in MELODY_PROGRAMS


def is_bass_program(program: int) -> bool:
    return program in BASS_PROGRAMS
