"""music21 scores as note `Sequence`s: ABC folk tunes (one tune of an ABC file at a time) and Bach chorales
(soprano, alto, tenor and bass as instruments 0..3).

Ties are merged, grace notes dropped, repeats kept as written (not expanded). The bar grid starts at the
first whole measure, so a pickup falls in the bar before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ada.notes.extract import Meter, Note, Sequence

CUT_TIME = {"C": "4/4", "C|": "2/2"}
VOICES = ("soprano", "alto", "tenor", "bass")


@dataclass(frozen=True)
class AbcTune:
    """One tune of an ABC file: its key (collection/file#ordinal), its text and the meters it declares."""

    key: str
    text: str
    meters: tuple[str, ...]


def abc_tunes(text: str, prefix: str) -> list[AbcTune]:
    """Split an ABC file into its tunes (each begins with an X: line); comment headers are dropped."""
    tunes, current = [], None
    for line in text.splitlines():
        if line.startswith("X:"):
            current = [line]
            tunes.append(current)
        elif current is not None:
            current.append(line)
    out = []
    for i, lines in enumerate(tunes):
        body = "\n".join(lines).strip() + "\n"
        meters = tuple(CUT_TIME.get(m.strip(), m.strip().replace(" ", ""))
                       for m in re.findall(r"(?:^M:|\[M:)([^\]\n%]*)", body, flags=re.M))
        out.append(AbcTune(f"{prefix}#{i + 1}", body, meters))
    return out


def parse_abc(text: str) -> Sequence:
    """One ABC tune (a text starting with X:) as a Sequence."""
    import music21

    return score_sequence(music21.converter.parse(text, format="abc"))


def parse_chorale(path: str) -> Sequence:
    """A four-voice chorale: instruments 0..3 are the soprano, alto, tenor and bass parts."""
    import music21

    score = music21.converter.parse(path)
    parts = {}
    for part in score.parts:
        name = (part.partName or part.id or "").strip().lower()
        for v in VOICES:
            if name.startswith(v) and v not in parts:
                parts[v] = part
    missing = [v for v in VOICES if v not in parts]
    if missing:
        raise ValueError(f"no {', '.join(missing)} part (parts: {[p.partName for p in score.parts]})")
    return score_sequence(score, [parts[v] for v in VOICES])


def score_sequence(score, parts=None) -> Sequence:
    """The notes of `parts` (default: every part of `score`, or the score itself) with the first part's meters."""
    import music21

    parts = list(parts if parts is not None else (score.parts or [score]))
    notes = []
    for i, part in enumerate(parts):
        for n in part.stripTies().flatten().notes:
            if n.duration.isGrace or n.quarterLength <= 0:
                continue
            start = float(n.offset)
            for p in n.pitches:
                notes.append(Note(int(p.midi), start, start + float(n.quarterLength), instrument=i))
    return Sequence(notes, meters_of(parts[0], music21) if parts else [])


def meters_of(part, music21) -> list[Meter]:
    """The time signatures of a part, each with the start of its first whole measure as a downbeat."""
    measures = list(part.getElementsByClass(music21.stream.Measure))
    meters = []
    for ts in part.flatten().getElementsByClass(music21.meter.TimeSignature):
        start = float(ts.offset)
        whole = [float(m.offset) for m in measures if float(m.offset) >= start - 1e-9 and not m.paddingLeft
                 and abs(float(m.duration.quarterLength) - float(ts.barDuration.quarterLength)) < 1e-6]
        meters.append(Meter(start, int(ts.numerator), int(ts.denominator), whole[0] if whole else start))
    return meters or [Meter(0.0, 4, 4)]
