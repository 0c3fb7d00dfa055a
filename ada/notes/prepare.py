"""`ada notes prepare`: a user's MIDI files as a note dataset, with a summary of what each file gave.

Every file is read once (in parallel, cached beside the output), windows are extracted by the rules of
ada.notes.extract, and files are split by content hash (a file and its copies land in one split). Files that
give no window are counted by reason (time signature, no melody, too short, unreadable...); unreadable ones
are listed one line each.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ada.notes.dataset import NoteDatasetError, check_bars, check_target, stream, write_notes
from ada.notes.extract import split_of
from ada.notes.kinds import KINDS
from ada.notes.midi import midi_files
from ada.notes.parse import parse_all

PREPARED = ("melody", "drums", "trio")  # the kinds a user's MIDI files are prepared as (voices: the chorales)


@dataclass
class Summary:
    """What a prepare run read and gave, for the user and for index.json."""

    files: int = 0
    used: int = 0
    examples: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)  # reason -> number of files
    unreadable: dict = field(default_factory=dict)  # path -> error
    per_file: dict = field(default_factory=dict)  # path -> windows

    def lines(self) -> list[str]:
        out = [f"{self.files} MIDI files read: {self.used} gave windows "
               f"({', '.join(f'{n} {s}' for s, n in self.examples.items())} examples)"]
        out += [f"  {n} file{'s' * (n != 1)}: {r}" for r, n in sorted(self.reasons.items(), key=lambda kv: -kv[1])]
        out += [f"skipped {p}: {e}" for p, e in sorted(self.unreadable.items())]
        return out


def prepare_midi(inputs, out, *, kind: str = "melody", bars: int = 2, eval_fraction: float = 0.1, workers: int = 2,
                 cache=None, progress: bool = True, overwrite: bool = False) -> tuple[dict, Summary]:
    """Extract `kind` windows of `bars` bars from MIDI files and folders into a note dataset at `out`."""
    if kind not in PREPARED:
        raise NoteDatasetError(f"--kind {kind}: choose one of {', '.join(PREPARED)}")
    check_bars(bars)
    started = time.monotonic()
    out = Path(out)
    check_target(out, overwrite)
    files = midi_files(inputs)
    if not files:
        raise NoteDatasetError(f"no MIDI files (*.mid, *.midi) in {', '.join(map(str, inputs))}")
    for f in files:
        if out.resolve() in f.resolve().parents:
            raise NoteDatasetError(f"--out {out} holds the input {f}; choose another --out")
    cache = Path(cache) if cache else out.parent / ".notes-cache"
    sequences, failed = parse_all([(str(f), "midi", str(f)) for f in files], cache, workers, progress,
                                  desc="read MIDI")
    streams = [stream(n, k) for n, k in KINDS[kind].streams]
    summary = Summary(files=len(files), unreadable={k: v.split(f"{k}: ", 1)[-1] for k, v in failed.items()})
    if failed:
        summary.reasons["unreadable"] = len(failed)
    used = []  # (file, windows, content hash)
    for f in files:
        key = str(f)
        if key not in sequences:
            continue
        got = KINDS[kind].extract(sequences[key], bars)
        summary.per_file[key] = len(got.windows)
        if len(got.windows):
            used.append((key, got.windows, hashlib.sha256(f.read_bytes()).hexdigest()))
        else:
            summary.reasons[got.reason] = summary.reasons.get(got.reason, 0) + 1
    if not used:
        raise NoteDatasetError(f"no {bars}-bar {kind} window in {len(files)} MIDI files: " + "; ".join(
            f"{n} {r}" for r, n in sorted(summary.reasons.items(), key=lambda kv: -kv[1])))
    split = [split_of(sha, eval_fraction) for _, _, sha in used]
    if len(used) >= 2 and "eval" not in split:  # both splits hold a file: the one of smallest hash goes to eval
        split[min(range(len(used)), key=lambda i: used[i][2])] = "eval"
    per_split = {"train": ([], []), "eval": ([], [])}
    for tune, ((_, windows, _), where) in enumerate(zip(used, split, strict=True)):
        per_split[where][0].append(windows)
        per_split[where][1].append(np.full(len(windows), tune, np.int32))
    names = [k for k, _, _ in used]
    summary.used = len(used)
    steps = bars * 16
    splits = {s: (np.concatenate(w) if w else np.zeros((0, len(streams), steps), np.int16),
                  np.concatenate(t) if t else np.zeros(0, np.int32)) for s, (w, t) in per_split.items()}
    summary.examples = {s: len(v[0]) for s, v in splits.items()}
    sources = {"inputs": [str(Path(i).resolve()) for i in inputs], "files": summary.files, "used": summary.used,
               "tunes": names, "windows_per_file": summary.per_file, "no_windows": summary.reasons,
               "unreadable": summary.unreadable,
               "eval_fraction": eval_fraction, "split_by": "sha256 of the file's bytes",
               "build_seconds": round(time.monotonic() - started, 1)}
    index = write_notes(out, kind=kind, bars=bars, streams=streams, splits=splits, sources=sources,
                        overwrite=overwrite, meta={"made_by": {"command": "ada notes prepare"}})
    return index, summary
