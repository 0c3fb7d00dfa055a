"""From notes to training windows, by Magenta's rules (music_vae/data.py, note_seq's melody and drum extraction).

Input is a `Sequence`: notes timed in quarter notes (MIDI ticks / resolution, or music21 offsets) with the
time signatures. Only stretches whose bar is 4 quarters (4/4, 2/2, 8/8: 16 steps per bar) are used; each is
quantised to 4 steps per quarter on its own bar grid, exact half steps rounding up as note_seq rounds them.
Melody: per instrument, notes outside 21..108 are dropped, of notes starting together the highest is kept, a
new note ends the held one, and a melody ends after a bar or more of silence; each melody is padded to whole
bars and cut into windows of `bars` bars with a hop of one bar; a tune's identical windows are kept once.
Drums: all drum notes of a stretch on the 9-class map, split the same way on a bar without hits. Trio and
voices: every stream is encoded over the whole stretch, and a window is kept where every stream sounds in each
of its bars (the trio by Magenta's TrioConverter rules, repeats included). Windows are stored as written; the
2-bar models' ±5-semitone transposition is drawn per training example by the loader.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from ada.notes.representation import (
    BASS_PROGRAMS,
    DRUM_CLASS_OF_PITCH,
    MAX_PITCH,
    MELODY_PROGRAMS,
    MIN_PITCH,
    STEPS_PER_BAR,
    STEPS_PER_QUARTER,
    drum_tokens,
    melody_tokens,
)

GAP_STEPS = STEPS_PER_BAR  # a melody or drum track ends after a bar of silence
TRIO_GAP_BARS = 2  # Magenta's trio: a part may be silent this many bars around a window and still cover it

def sixteen_steps_a_bar(m: Meter) -> bool:
    """Whether a meter's bar is 4 quarters (4/4, 2/2, 8/8, ...): the only bars Magenta's converters keep
    (`steps_per_bar_in_quantized_sequence == 16`)."""
    return m.numerator == m.denominator  # 4 × numerator / denominator quarters a bar


def quantize(quarters: float) -> int:
    """A time in quarters to the nearest step, exact halves up (note_seq's quantize_to_step, cutoff 0.5)."""
    return math.floor(quarters * STEPS_PER_QUARTER + 0.5)


@dataclass(frozen=True)
class Note:
    """One note, timed in quarter notes from the start of the piece."""

    pitch: int
    start: float
    end: float
    instrument: int = 0  # the track (MIDI instrument, score part) it belongs to
    program: int = 0
    is_drum: bool = False


@dataclass(frozen=True)
class Meter:
    """A time signature in force from `start` (quarters); `downbeat` is a time at which one of its bars begins
    (later than `start` after a pickup)."""

    start: float
    numerator: int
    denominator: int
    downbeat: float | None = None

    @property
    def ratio(self) -> str:
        return f"{self.numerator}/{self.denominator}"


@dataclass
class Sequence:
    """The notes and time signatures of one tune or MIDI file."""

    notes: list[Note]
    meters: list[Meter] = field(default_factory=lambda: [Meter(0.0, 4, 4)])
    name: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "meters": [[m.start, m.numerator, m.denominator, m.downbeat] for m in self.meters],
                "notes": [[n.pitch, n.start, n.end, n.instrument, n.program, int(n.is_drum)] for n in self.notes]}

    @classmethod
    def from_json(cls, d: dict) -> Sequence:
        return cls([Note(int(p), s, e, int(i), int(pr), bool(dr)) for p, s, e, i, pr, dr in d["notes"]],
                   [Meter(s, int(n), int(de), db) for s, n, de, db in d["meters"]], d.get("name", ""))


@dataclass(frozen=True)
class QNote:
    """A note quantised to steps of a stretch's bar grid (step 0 is a downbeat)."""

    pitch: int
    start: int
    end: int
    instrument: int
    program: int
    is_drum: bool


@dataclass
class Stretch:
    """A stretch of a sequence in 4/4 or 2/2, quantised; `steps` is its length, whole bars."""

    notes: list[QNote]
    steps: int


@dataclass
class Extraction:
    """What one sequence gave: windows int16 [N, S, T] and, when there are none, why."""

    windows: np.ndarray
    reason: str | None = None


def stretches(seq: Sequence) -> tuple[list[Stretch], list[str]]:
    """The stretches of `seq` in meters of 16 steps a bar (4/4, 2/2, 8/8, ...), quantised; and the other meters
    met (those that hold notes), for the summary. A time signature that repeats the one in force changes
    nothing, as note_seq splits only where numerator or denominator change."""
    ordered = sorted(seq.meters, key=lambda m: m.start) or [Meter(0.0, 4, 4)]
    if ordered[0].start > 0:  # before the first time signature: 4/4, as MIDI defaults to
        ordered.insert(0, Meter(0.0, 4, 4))
    meters = [m for i, m in enumerate(ordered)
              if i == 0 or (m.numerator, m.denominator) != (ordered[i - 1].numerator, ordered[i - 1].denominator)]
    end = max((n.end for n in seq.notes), default=0.0)
    out, others = [], []
    for m, nxt in zip(meters, meters[1:] + [None], strict=True):
        stop = nxt.start if nxt is not None else end + 1e-9
        inside = [n for n in seq.notes if m.start <= n.start < stop]
        if not inside:
            continue
        if not sixteen_steps_a_bar(m):
            others.append(m.ratio)
            continue
        bar = 4.0  # quarters per bar
        downbeat = m.start if m.downbeat is None else m.downbeat
        origin = downbeat - math.ceil((downbeat - m.start) / bar - 1e-6) * bar  # the bar line at or before start
        notes = []
        for n in inside:
            s, e = quantize(n.start - origin), quantize(min(n.end, stop) - origin)
            notes.append(QNote(n.pitch, s, max(e, s + 1), n.instrument, n.program, n.is_drum))
        steps = max(q.end for q in notes)
        out.append(Stretch(notes, -(-steps // STEPS_PER_BAR) * STEPS_PER_BAR))
    return out, others


def monophonic(notes: list[QNote]) -> list[tuple[int, int, int]]:
    """(start, end, pitch) of one instrument's notes in 21..108, made monophonic: of notes starting together
    the highest is kept, and a new note ends the held one."""
    kept: list[tuple[int, int, int]] = []
    for n in sorted((n for n in notes if MIN_PITCH <= n.pitch <= MAX_PITCH), key=lambda n: (n.start, -n.pitch)):
        if kept and n.start == kept[-1][0]:
            continue
        if kept and n.start < kept[-1][1]:
            kept[-1] = (kept[-1][0], n.start, kept[-1][2])
        kept.append((n.start, n.end, n.pitch))
    return kept


def split_on_gaps(events: list[tuple[int, int, int]], gap: int = GAP_STEPS) -> list[list[tuple[int, int, int]]]:
    """Consecutive runs of (start, end, x) events in which no silence lasts `gap` steps or more."""
    runs: list[list[tuple[int, int, int]]] = []
    for e in events:
        if runs and e[0] - max(x[1] for x in runs[-1][-1:]) < gap:
            runs[-1].append(e)
        else:
            runs.append([e])
    return runs


def slide(tokens: np.ndarray, bars: int) -> list[np.ndarray]:
    """Windows of `bars` bars with a hop of one bar over [..., steps] tokens that start on a downbeat."""
    size = bars * STEPS_PER_BAR
    return [tokens[..., i - size:i] for i in range(size, tokens.shape[-1] + 1, STEPS_PER_BAR)]


def melody_track(run: list[tuple[int, int, int]]) -> np.ndarray:
    """Melody classes of one run of monophonic notes, from the bar of its first note, padded to whole bars; its last
    note held to the bar line, as note_seq ends a melody."""
    first = run[0][0] // STEPS_PER_BAR * STEPS_PER_BAR
    steps = -(-(run[-1][1] - first) // STEPS_PER_BAR) * STEPS_PER_BAR
    return melody_tokens([(s - first, e - first, p) for s, e, p in run], steps, final_off=False)


def unique(windows: list[np.ndarray], streams: int, steps: int) -> np.ndarray:
    """The distinct windows, in first-seen order, as int16 [N, streams, steps]."""
    seen: dict[bytes, np.ndarray] = {}
    for w in windows:
        w = np.asarray(w, np.int16).reshape(streams, steps)
        seen.setdefault(w.tobytes(), w)
    return np.stack(list(seen.values())) if seen else np.zeros((0, streams, steps), np.int16)


MAX_TRACK_STEPS = 100 * STEPS_PER_BAR  # Magenta's max_bars=100 (max_steps_truncate): a longer track is cut there


def melody_windows(seq: Sequence, bars: int, programs=MELODY_PROGRAMS) -> Extraction:
    """Monophonic melody windows of every non-drum instrument (whose program is in `programs`, if given), each
    melody cut to its first 100 bars. Magenta's 16-bar melody converter takes every program: so does this one
    at 16 bars (its 2-bar configs take programs 0-31, as `programs` does by default)."""
    if bars == 16:
        programs = None
    parts, others = stretches(seq)
    found, melodic, long_enough = [], False, False
    for part in parts:
        by_instrument: dict[int, list[QNote]] = {}
        for n in part.notes:
            if not n.is_drum and (programs is None or n.program in programs):
                by_instrument.setdefault(n.instrument, []).append(n)
        for notes in by_instrument.values():
            for run in split_on_gaps(monophonic(notes)):
                melodic = True
                track = melody_track(run)[:MAX_TRACK_STEPS]
                long_enough |= track.size >= bars * STEPS_PER_BAR
                found += slide(track, bars)
    windows = unique(found, 1, bars * STEPS_PER_BAR)
    if len(windows):
        return Extraction(windows)
    skipped = sorted({n.program for p in parts for n in p.notes if not n.is_drum and programs is not None
                      and n.program not in programs})
    if parts and not melodic and skipped:
        return Extraction(windows, f"no melody (only programs {', '.join(map(str, skipped))}; melodies come from "
                                   "programs 0-31)")
    return Extraction(windows, _why(parts, others, melodic, long_enough, "melody", bars))


def drum_windows(seq: Sequence, bars: int) -> Extraction:
    """Drum windows: all drum notes of a stretch on the 9-class map, split on a bar without hits, each drum track
    cut to its first 100 bars (as Magenta cuts it)."""
    parts, others = stretches(seq)
    found, any_drums, long_enough = [], False, False
    for part in parts:
        hits = sorted((n.start, n.start + 1, n.pitch) for n in part.notes
                      if n.is_drum and n.pitch in DRUM_CLASS_OF_PITCH)
        for run in split_on_gaps(hits):
            any_drums = True
            first = run[0][0] // STEPS_PER_BAR * STEPS_PER_BAR
            steps = -(-(run[-1][1] - first) // STEPS_PER_BAR) * STEPS_PER_BAR
            track = drum_tokens([(s - first, p) for s, _, p in run], steps)[:MAX_TRACK_STEPS]
            long_enough |= steps >= bars * STEPS_PER_BAR
            found += slide(track, bars)
    windows = unique(found, 1, bars * STEPS_PER_BAR)
    return Extraction(windows, None if len(windows) else _why(parts, others, any_drums, long_enough, "drums", bars))


def _coverage(notes: list[QNote], total_bars: int) -> np.ndarray:
    """Bars in which some note of `notes` sounds."""
    cover = np.zeros(total_bars, bool)
    for n in notes:
        cover[n.start // STEPS_PER_BAR:min(-(-n.end // STEPS_PER_BAR), total_bars)] = True
    return cover


def _fill_gaps(cover: np.ndarray, gap: int) -> np.ndarray:
    return np.array([cover[max(0, j - gap):j + gap + 1].any() for j in range(cover.size)], bool)


def _group_windows(tracks: list[np.ndarray], covers: list[np.ndarray], bars: int, edge: int = 0) -> list[np.ndarray]:
    """Windows of the streams `tracks` ([steps] each) over the bars that all `covers` cover. With `edge`, the
    first and last `edge` bars count as covered when any stream sounds in them (Magenta's trio edge rule)."""
    both = np.all(covers, axis=0)
    if edge:
        both[:edge] = np.any([c[:edge] for c in covers])
        both[-edge:] = np.any([c[-edge:] for c in covers])
    stacked = np.stack(tracks)
    return [stacked[:, j * STEPS_PER_BAR:(j + bars) * STEPS_PER_BAR]
            for j in range(both.size - bars + 1) if both[j:j + bars].all()]


TRIO_TYPE_OF_PROGRAM = {**{p: "melody" for p in MELODY_PROGRAMS}, **{p: "bass" for p in BASS_PROGRAMS}}
TRIO_PARTS = ("melody", "bass", "drums")


def trio_windows(seq: Sequence, bars: int) -> Extraction:
    """Melody (programs 0-31) + bass (32-39) + drums windows, by Magenta's TrioConverter: every combination of one
    instrument of each type, over the bars all three cover. An instrument whose notes mix types or have another
    program is left out, as is one of which nothing encodes. Its coverage counts all its notes (before the
    pitch and drum-map filters) and is widened by 2 bars each side; a group's first and last 2 bars count as covered
    when any of its parts sounds there. Windows are kept as found, repeats included: Magenta's trio does not
    de-duplicate."""
    parts, others = stretches(seq)
    found, kinds_seen, long_enough = [], set(), False
    for part in parts:
        total = part.steps // STEPS_PER_BAR
        type_of: dict[int, str] = {}
        notes_of: dict[int, list[QNote]] = {}
        for n in part.notes:
            kind = "drums" if n.is_drum else TRIO_TYPE_OF_PROGRAM.get(n.program, "other")
            type_of[n.instrument] = kind if type_of.get(n.instrument, kind) == kind else "other"
            notes_of.setdefault(n.instrument, []).append(n)
        groups = {k: [i for i, t in type_of.items() if t == k] for k in TRIO_PARTS}
        kinds_seen |= {k for k, v in groups.items() if v}
        tracks, covers = {}, {}
        for i in itertools.chain(*groups.values()):
            notes = notes_of[i]
            if type_of[i] == "drums":
                kept = [n for n in notes if n.pitch in DRUM_CLASS_OF_PITCH]
                tracks[i] = drum_tokens([(n.start, n.pitch) for n in kept], part.steps)
            else:
                kept = [n for n in notes if MIN_PITCH <= n.pitch <= MAX_PITCH]
                tracks[i] = melody_tokens(monophonic(kept), part.steps, final_off=False)
            if kept:  # else nothing of it encodes: Magenta leaves it out of every group
                covers[i] = _fill_gaps(_coverage(notes, total), TRIO_GAP_BARS)
        long_enough |= total >= bars
        for group in itertools.product(*([i for i in groups[k] if i in covers] for k in TRIO_PARTS)):
            found += _group_windows([tracks[i] for i in group], [covers[i] for i in group], bars, edge=TRIO_GAP_BARS)
    windows = np.stack(found).astype(np.int16) if found else np.zeros((0, 3, bars * STEPS_PER_BAR), np.int16)
    if len(windows):
        return Extraction(windows)
    missing = [k for k in TRIO_PARTS if k not in kinds_seen]
    if parts and missing:
        return Extraction(windows, "no " + " and no ".join(
            {"melody": "melody instrument (programs 0-31)", "bass": "bass (programs 32-39)",
             "drums": "drums (channel 10)"}[k] for k in missing))
    return Extraction(windows, _why(parts, others, True, long_enough, "trio", bars, "the three parts never play "
                                    f"together for {bars} bars"))


def voice_windows(seq: Sequence, bars: int, voices: int = 4) -> Extraction:
    """Windows of `voices` parts (instruments 0..voices-1, e.g. soprano, alto, tenor, bass), each a melody
    stream, over the bars in which every voice sounds."""
    parts, others = stretches(seq)
    found, long_enough = [], False
    for part in parts:
        total = part.steps // STEPS_PER_BAR
        per_voice = [[n for n in part.notes if n.instrument == v and MIN_PITCH <= n.pitch <= MAX_PITCH]
                     for v in range(voices)]
        if not all(per_voice):
            continue
        long_enough |= total >= bars
        found += _group_windows([melody_tokens(monophonic(v), part.steps) for v in per_voice],
                                [_coverage(v, total) for v in per_voice], bars)
    windows = unique(found, voices, bars * STEPS_PER_BAR)
    return Extraction(windows, None if len(windows) else _why(parts, others, True, long_enough, f"{voices} voices",
                                                               bars, f"the {voices} voices never sound together "
                                                               f"for {bars} bars"))


def _why(parts, others, found_any: bool, long_enough: bool, what: str, bars: int, otherwise: str = "") -> str:
    if not parts:
        if not others:
            return "no notes"
        return f"time signature {', '.join(sorted(set(others)))} (only bars of 4 quarters are used: 4/4, 2/2, 8/8)"
    if not found_any:
        return f"no {what}" + (" (no drum notes on the 9-class map)" if what == "drums" else "")
    if not long_enough:
        return f"too short (no {what} of {bars} bars)"
    return otherwise or f"too short (no {what} of {bars} bars without a bar of silence)"




def split_of(tune: str, eval_fraction: float = 0.1) -> str:
    """A tune's split, from a hash of its name: all its windows go to one split, whatever else is read."""
    return "eval" if int(hashlib.sha256(tune.encode()).hexdigest()[:16], 16) / 2**64 < eval_fraction else "train"
