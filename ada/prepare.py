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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from ada import SAMPLE_RATE, audio, mulaw
from ada.atomic import write_json
from ada.dataset import INDEX, REJECTS, Dataset, DatasetError, WorkCache, assign_splits, open_dataset, write_dataset

AUDIO_SUFFIXES = {".wav", ".wave", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".aifc"}


@dataclass(frozen=True)
class Recipe:
    """How audio becomes tokens; a dataset only reuses work done with the same recipe."""

    sample_rate: int = SAMPLE_RATE
    normalise: bool = True
    top_db: float = 60.0
    min_seconds: float = 0.1

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class PrepareResult:
    index: dict
    rejects: list[dict] = field(default_factory=list)
    reused: int = 0


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
        x = audio.read(path, recipe.sample_rate)
        x = audio.clean(x, recipe.normalise, recipe.top_db, recipe.min_seconds, recipe.sample_rate)
    except audio.AudioError as e:
        return {"path": str(path), "reason": str(e)}
    except Exception as e:  # a decoder bug on one odd file must not stop a long run
        return {"path": str(path), "reason": f"unexpected {type(e).__name__}: {e}"}
    tokens = mulaw.encode(x)
    work.put(sha, tokens)
    return {**result, "length": int(tokens.size)}


def _previous(out: Path, recipe: Recipe) -> Dataset | None:
    """The dataset already in `out`, if it was made with the same recipe."""
    if not (out / INDEX).is_file():
        return None
    try:
        ds = open_dataset(out)
    except DatasetError:
        return None
    return ds if ds.index.get("recipe") == asdict(recipe) else None


def prepare(sources, out, recipe: Recipe = Recipe(), workers: int | None = None,
            eval_fraction: float = 0.01, progress: bool = True, shard_tokens: int | None = None) -> PrepareResult:
    """Turn audio files and folders into a token dataset in `out` (resumable, idempotent)."""
    out = Path(out)
    files, rejects = find_audio(sources)
    work = WorkCache(out, recipe.key())
    previous = _previous(out, recipe)
    old = {f["sha256"]: f for f in previous.files} if previous else {}
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
        with cf.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
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
    assign_splits(entries, eval_fraction, {sha: f["split"] for sha, f in old.items()})

    def load(entry):
        if entry["sha256"] in old:
            return previous.tokens(old[entry["sha256"]])
        return work.get(entry["sha256"])

    rejects.sort(key=lambda r: r["path"])
    write_json(out / REJECTS, rejects)
    if not entries:
        return PrepareResult(index={}, rejects=rejects)
    index = write_dataset(out, entries, load, vocab=mulaw.LEVELS, rate=recipe.sample_rate,
                          meta={"kind": "audio", "recipe": asdict(recipe)},
                          **({"shard_tokens": shard_tokens} if shard_tokens else {}))
    work.clear()
    return PrepareResult(index=index, rejects=rejects, reused=sum(e["sha256"] in old for e in entries))
