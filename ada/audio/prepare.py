"""`ada prepare`: folders of recordings -> a dataset of 16 kHz 8-bit μ-law token shards.

Files are decoded in parallel worker processes; each result is cached under ``.work/`` (atomic
writes) before anything else happens, and files already in the existing index are reused, so a
rerun after a kill or with more files only does the new work. Bad files never stop the run:
they are listed with their reason in ``rejects.json``.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ada import SAMPLE_RATE
from ada.audio import audiofile, mulaw
from ada.audio.emphasis import emphasise
from ada.data import lock
from ada.data.atomic import write_json
from ada.data.dataset import (
    REJECTS,
    Dataset,
    DatasetError,
    WorkCache,
    assign_splits,
    describe,
    read_index,
    refuse_same_dir,
    shard_damage,
    write_dataset,
)

AUDIO_SUFFIXES = {".wav", ".wave", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".aifc"}


@dataclass(frozen=True)
class Recipe:
    """How audio becomes tokens; a dataset only reuses work done with the same recipe."""

    sample_rate: int = SAMPLE_RATE
    normalise: bool = True
    top_db: float = 60.0
    min_seconds: float = 0.1
    preemphasis: float = 0.0  # noise shaping before μ-law (ada/audio/emphasis.py); 0: off, as in the paper

    def record(self) -> dict:
        """As the index records it: without pre-emphasis when it is off, so that datasets prepared before it
        existed keep their recipe."""
        return {k: v for k, v in asdict(self).items() if k != "preemphasis" or v}

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.record(), sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class PrepareResult:
    index: dict
    rejects: list[dict] = field(default_factory=list)
    reused: int = 0
    kept: int = 0  # files of the dataset already there that were not named again and stay
    removed: list[str] = field(default_factory=list)  # paths taken out by `remove`


def find_audio(sources: list[str | os.PathLike]) -> tuple[list[Path], list[dict]]:
    """Files named directly (whatever their suffix) and audio files found recursively in folders."""
    found, rejects = [], []
    for src in map(Path, sources):
        if src.is_dir():
            found += [p for p in src.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()
                      and not any(part.startswith(".") for part in p.relative_to(src).parts)]
        elif src.exists():
            found.append(src)
        else:
            rejects.append({"path": str(src), "reason": "does not exist"})
    return sorted({p.resolve() for p in found}), rejects


def die_with_parent(parent: int) -> None:
    """In a worker process: have the kernel kill it when `parent` dies (Linux), so that kill -9 of a
    long job leaves no orphan workers behind."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _process(path: Path, recipe: Recipe, work: WorkCache, reusable: frozenset) -> dict:
    """Hash, decode, clean and μ-law encode one file into the work cache; never raises."""
    try:
        sha = sha256_of(path)
    except OSError as e:
        return {"path": str(path), "reason": f"unreadable: {e.strerror or e}"}
    result = {"path": str(path), "sha256": sha}
    if sha in reusable:
        return result
    if work.has(sha):
        return {**result, "length": int(work.get(sha).shape[0])}
    try:
        x = audiofile.read(path, recipe.sample_rate)
        x = audiofile.clean(x, recipe.normalise, recipe.top_db, recipe.min_seconds, recipe.sample_rate)
    except audiofile.AudioError as e:
        return {"path": str(path), "reason": str(e)}
    except Exception as e:  # a decoder bug on one odd file must not stop a long run
        return {"path": str(path), "reason": f"unexpected {type(e).__name__}: {e}"}
    tokens = mulaw.encode(emphasise(x, recipe.preemphasis))
    work.put(sha, tokens)
    return {**result, "length": int(tokens.size)}


def _previous(out: Path, recipe: Recipe, overwrite: bool, command: str, exact: bool) -> Dataset | None:
    """The audio dataset already in `out` to add to (None when there is none, or `overwrite`).

    Another kind of dataset, or audio made with another recipe, is refused unless `overwrite`.
    Entries in damaged shards are dropped (with a warning): they come back when their sources are named.
    """
    index = read_index(out)
    if index is None or overwrite:
        return None
    why = None
    if index.get("kind") != "audio":
        why = f"it holds {describe(index)}, not audio"
    elif index.get("recipe") != recipe.record():
        why = f"it was prepared with another recipe ({index.get('recipe')}; now {recipe.record()})"
    elif exact and index.get("made_by", {}).get("command", command) != command:
        why = f"it holds {describe(index)}, and `{command}` would replace its files"
    if why:
        raise DatasetError(f"{out} already holds a dataset and {why}; choose another --out, or add --overwrite "
                           "to replace it")
    ds = Dataset(out, index)
    damaged = {sh["name"] for sh in index.get("shards", []) if not (out / sh["name"]).is_file()
               or shard_damage(out / sh["name"], sh["length"], np.dtype(index["dtype"]))}
    if damaged:
        lost = [f for f in index["files"] if f["shard"] in damaged]
        print(f"warning: {out}: shard(s) {', '.join(sorted(damaged))} damaged; their {len(lost)} file(s) are "
              "kept only if named again", file=sys.stderr)
        ds.index = {**index, "files": [f for f in index["files"] if f["shard"] not in damaged]}
    return ds


def _under(path: str, root: Path) -> bool:
    p = Path(path)
    return p == root or root in p.parents


def prepare(sources, out, recipe: Recipe = Recipe(), workers: int | None = None,
            eval_fraction: float = 0.01, progress: bool = True, shard_tokens: int | None = None, *,
            remove=(), overwrite: bool = False, exact: bool = False, command: str = "ada prepare") -> PrepareResult:
    """Turn audio files and folders into a token dataset in `out` (resumable, idempotent).

    An audio dataset already in `out` grows: its files not named again are kept, a file named again
    with new content is replaced, and only the files or folders in `remove` are taken out. `exact`
    (for `ada corpus`) makes the dataset hold exactly the named files. A dataset of another kind or
    recipe in `out` is refused unless `overwrite`, and `out` may not be one of the sources.
    """
    out = Path(out)
    refuse_same_dir(out, [s for s in sources if Path(s).is_dir()], "source folder")
    with lock.hold(out, command):
        return _prepare(sources, out, recipe, workers, eval_fraction, progress, shard_tokens, remove, overwrite,
                        exact, command)


def _prepare(sources, out: Path, recipe, workers, eval_fraction, progress, shard_tokens, remove, overwrite, exact,
             command) -> PrepareResult:
    previous = _previous(out, recipe, overwrite, command, exact)
    removing = [Path(r).resolve() for r in remove]
    old_files = previous.files if previous else []
    for r in removing:
        if not any(_under(f["path"], r) for f in old_files):
            raise DatasetError(f"--remove {r}: no file of {out} is at or under that path; nothing removed "
                               "(`ada info` lists the dataset; paths are as prepared, absolute)")
    if removing and not sources and all(any(_under(f["path"], r) for r in removing) for f in old_files):
        raise DatasetError(f"--remove would take every file out of {out}; delete the folder instead")
    files, rejects = find_audio(sources)
    work = WorkCache(out, recipe.key())
    old = {f["sha256"]: f for f in old_files}
    reusable = frozenset(old)
    workers = workers or os.cpu_count() or 1
    bar = tqdm(total=len(files), unit="file", desc="prepare", disable=not progress)
    results = []
    if workers == 1 or len(files) <= 1:
        for p in files:
            results.append(_process(p, recipe, work, reusable))
            bar.update()
    else:
        ctx = multiprocessing.get_context("spawn")  # safe even when the caller has imported jax
        with cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=die_with_parent,
                                    initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(_process, p, recipe, work, reusable) for p in files]
            for fut in cf.as_completed(futures):
                results.append(fut.result())
                bar.update()
    bar.close()

    entries, seen = [], {}
    for r in sorted(results, key=lambda r: r["path"]):
        if "reason" in r:
            rejects.append(r)
        elif r["sha256"] in seen:
            rejects.append({"path": r["path"], "reason": f"duplicate content of {seen[r['sha256']]}"})
        else:
            seen[r["sha256"]] = r["path"]
            entries.append({"path": r["path"], "sha256": r["sha256"],
                            "length": r.get("length") or old[r["sha256"]]["length"]})
    named = {str(p) for p in files}
    fresh = bool(entries)
    removed = sorted(f["path"] for f in old_files if any(_under(f["path"], r) for r in removing))
    kept = [] if exact else [
        {k: f[k] for k in ("path", "sha256", "length")} for f in old_files
        if f["sha256"] not in seen and f["path"] not in named and f["path"] not in removed]
    entries = sorted(entries + kept, key=lambda e: e["path"])
    if removed:
        entries = [e for e in entries if e["path"] not in removed]
    assign_splits(entries, eval_fraction, {sha: f["split"] for sha, f in old.items()})

    def load(entry):
        if entry["sha256"] in old:
            return previous.tokens(old[entry["sha256"]])
        return work.get(entry["sha256"])

    rejects.sort(key=lambda r: r["path"])
    if removed and not entries:
        raise DatasetError(f"--remove would take every file out of {out}; delete the folder instead")
    if not fresh and not removed:  # nothing usable named: the dataset there stays exactly as it was
        if previous is None:
            write_json(out / REJECTS, rejects)
        return PrepareResult(index={}, rejects=rejects)
    if previous is not None and not exact:  # earlier rejects of sources not looked at again stay listed
        looked = named | {r["path"] for r in rejects}
        rejects += [r for r in _old_rejects(out) if r["path"] not in looked]
        rejects.sort(key=lambda r: r["path"])
    write_json(out / REJECTS, rejects)
    before = previous.index.get("made_by", {}).get("sources", []) if previous is not None and not exact else []
    made_by = {"command": command, "sources": sorted(set(before) | {str(Path(s).resolve()) for s in sources}),
               **({"removed": removed} if removed else {})}
    index = write_dataset(out, entries, load, vocab=mulaw.LEVELS, rate=recipe.sample_rate,
                          meta={"kind": "audio", "recipe": recipe.record(), "made_by": made_by},
                          **({"shard_tokens": shard_tokens} if shard_tokens else {}))
    work.clear()
    reused = sum(e["sha256"] in old for e in entries)
    return PrepareResult(index=index, rejects=rejects, reused=reused, kept=len(kept), removed=removed)


def _old_rejects(out: Path) -> list[dict]:
    try:
        return json.loads((out / REJECTS).read_text())
    except (OSError, ValueError):
        return []
