"""The built-in note corpus: music21's ABC folk collections (melody) and Bach chorales (four voices).

Tunes are read from the music21 package, so the corpus is built offline. ABC tunes that declare no 4/4 or
2/2 meter (M:C and M:C| included) are counted but not parsed. Windows are split by tune (a hash of its
key), so no tune has windows in both train and eval. Windows are stored as written: the 2-bar configs'
±5-semitone transposition of training windows (Magenta's NoteSequenceAugmenter) is drawn per example by
the loader (`data.transpose`, ada/notes/loader.py), so it never enters eval.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from ada.notes.dataset import NoteDatasetError, check_bars, check_target, stream, write_notes
from ada.notes.extract import split_of
from ada.notes.kinds import KINDS
from ada.notes.parse import parse_all
from ada.notes.scores import abc_tunes

FOLK = ("essenFolksong", "oneills1850", "airdsAirs", "ryansMammoth", "miscFolk")
CHORALES = "bach"
USABLE = {"4/4", "2/2"}
EVAL_FRACTION = 0.1


def corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def folk_tasks(root: Path) -> tuple[list[tuple[str, str, str]], dict]:
    """Parse tasks for the folk tunes in 4/4 or 2/2, and per collection what was found."""
    tasks, found = [], {}
    for collection in FOLK:
        files = sorted((root / collection).rglob("*.abc"))
        count = {"files": len(files), "tunes": 0, "declared 4/4 or 2/2": 0}
        for f in files:
            for tune in abc_tunes(f.read_text(encoding="utf-8", errors="replace"), f"{collection}/{f.name}"):
                count["tunes"] += 1
                if USABLE & set(tune.meters):
                    count["declared 4/4 or 2/2"] += 1
                    tasks.append((tune.key, "abc", tune.text))
        found[collection] = count
    return tasks, found


def chorale_tasks(root: Path) -> tuple[list[tuple[str, str, str]], dict]:
    files = sorted(p for p in (root / CHORALES).iterdir() if p.suffix in (".mxl", ".xml", ".krn"))
    return [(f"{CHORALES}/{p.name}", "chorale", str(p)) for p in files], {CHORALES: {"files": len(files)}}


def build(out, *, bars: int = 2, kind: str = "melody", cache=None, workers: int = 2,
          eval_fraction: float = EVAL_FRACTION, progress: bool = True, overwrite: bool = False) -> dict:
    """Build the folk melody corpus (kind melody) or the chorale corpus (kind voices) into `out`; returns its
    index. Parsed tunes are cached in `cache` (default: beside `out`, shared by every build)."""
    if kind not in ("melody", "voices"):
        raise NoteDatasetError(f"--kind {kind}: the built-in corpus has melody (folk tunes) and voices (Bach chorales)")
    check_bars(bars)
    started = time.monotonic()
    out = Path(out)
    check_target(out, overwrite)
    cache = Path(cache) if cache else out.parent / ".notes-cache"
    root = corpus_root()
    tasks, found = folk_tasks(root) if kind == "melody" else chorale_tasks(root)
    sequences, failed = parse_all(tasks, cache, workers, progress, desc="parse tunes" if kind == "melody" else "parse")
    parse_seconds = time.monotonic() - started
    streams = [stream(n, k) for n, k in KINDS[kind].streams]
    extract = KINDS[kind].extract
    per_split = {"train": ([], []), "eval": ([], [])}
    tunes, rejects = [], {}
    for key, _, _ in tasks:
        if key not in sequences:
            continue
        got = extract(sequences[key], bars)
        if not len(got.windows):
            rejects[got.reason] = rejects.get(got.reason, 0) + 1
            continue
        split = split_of(key, eval_fraction)
        per_split[split][0].append(got.windows)
        per_split[split][1].append(np.full(len(got.windows), len(tunes), np.int32))
        tunes.append(key)
    if not tunes:
        raise NoteDatasetError(f"no tune of the built-in corpus gave a {bars}-bar window: {rejects or failed}")
    splits = {name: (np.concatenate(w) if w else np.zeros((0, len(streams), bars * 16), np.int16),
                     np.concatenate(t) if t else np.zeros(0, np.int32)) for name, (w, t) in per_split.items()}
    for collection, count in found.items():
        mine = [k for k in tunes if k.startswith(collection + "/")]
        count["parsed"] = sum(k.startswith(collection + "/") for k, _, _ in tasks if k in sequences)
        count["failed to parse"] = sum(k.startswith(collection + "/") for k in failed)
        count["tunes with windows"] = len(mine)
    sources = {
        "corpus": "music21 folk ABC collections" if kind == "melody" else "music21 Bach chorales (S, A, T, B)",
        "collections": found,
        "tunes": tunes,
        "eval_fraction": eval_fraction,
        "split_by": "sha256 of the tune key",
        "rejects": dict(sorted(rejects.items(), key=lambda kv: -kv[1])),
        "failed": dict(sorted(failed.items())),
        "parse_seconds": round(parse_seconds, 1),
        "build_seconds": round(time.monotonic() - started, 1),
    }
    made_by = {"command": "ada notes corpus", "cpus": os.cpu_count(), "workers": workers}
    return write_notes(out, kind=kind, bars=bars, streams=streams, splits=splits, sources=sources,
                       overwrite=overwrite, meta={"made_by": made_by})
