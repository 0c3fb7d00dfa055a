"""The one dataset format: token shards plus a JSON index, for audio and for codes alike.

A dataset directory holds memory-mappable ``shard-*.npy`` arrays (uint8 for vocabularies up to
256, uint16 above) and ``index.json``, which gives, per source file, its path, sha256, duration,
shard, offset, length and split. Writers put shards first and the index last, each atomically,
so a reader sees either the previous dataset or the new one, whatever moment a writer dies.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ada.data.atomic import save_npy, write_json
from ada.data.mapped import MemoryMaps

FORMAT = "ada-tokens/1"
INDEX = "index.json"
REJECTS = "rejects.json"
SPLITS = ("train", "eval")
SHARD_TOKENS = 1 << 26  # 64 Mi tokens: about 70 minutes of 16 kHz audio per shard
WORK = ".work"


class DatasetError(Exception):
    """A dataset that cannot be read as asked; the message says what and where."""


def dtype_for(vocab: int) -> np.dtype:
    if vocab <= 256:
        return np.dtype(np.uint8)
    if vocab <= 65536:
        return np.dtype(np.uint16)
    raise DatasetError(f"vocabulary {vocab} does not fit in uint16 tokens")


@dataclass
class Dataset:
    """An opened dataset: its index and lazily memory-mapped shards."""

    root: Path
    index: dict
    _shards: MemoryMaps = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        self._shards = MemoryMaps(self.root)

    @property
    def vocab(self) -> int:
        return int(self.index["vocab"])

    @property
    def preemphasis(self) -> float:
        """The α its audio was pre-emphasised with before μ-law (ada/audio/emphasis.py); 0 when off or not audio."""
        return float(self.index.get("recipe", {}).get("preemphasis", 0.0))

    @property
    def rate(self) -> float:
        """Tokens per second of audio (16000 for audio, 16000 / hop for codes)."""
        return float(self.index["rate"])

    @property
    def files(self) -> list[dict]:
        return self.index["files"]

    def split(self, name: str) -> list[dict]:
        if name not in SPLITS:
            raise DatasetError(f"unknown split {name!r}; choose one of {SPLITS}")
        return [f for f in self.files if f["split"] == name]

    def seconds(self, split: str) -> float:
        return sum(f["length"] for f in self.split(split)) / self.rate

    def tokens(self, entry: dict) -> np.ndarray:
        """The tokens of one file entry, a read-only memory-mapped view."""
        return self._shards(entry["shard"])[entry["offset"] : entry["offset"] + entry["length"]]


def open_dataset(root: str | os.PathLike) -> Dataset:
    """Open a prepared dataset, checking that its index and shards are whole."""
    root = Path(root)
    index_path = root / INDEX
    if not root.is_dir():
        raise DatasetError(f"{root}: no such dataset directory (build one with `ada prepare` or `ada corpus`)")
    if not index_path.is_file():
        raise DatasetError(f"{root}: no {INDEX}; it is not a dataset, or its preparation never finished "
                           "(rerun the same `ada prepare` command to resume)")
    try:
        index = json.loads(index_path.read_text())
    except json.JSONDecodeError as e:
        raise DatasetError(f"{index_path}: not valid JSON ({e})") from e
    if index.get("format") != FORMAT:
        raise DatasetError(f"{index_path}: format {index.get('format')!r}, expected {FORMAT!r}")
    for shard in index["shards"]:
        path = root / shard["name"]
        if not path.is_file():
            raise DatasetError(f"{root}: shard {shard['name']} listed in {INDEX} is missing")
        damage = shard_damage(path, shard["length"], np.dtype(index["dtype"]))
        if damage:
            raise DatasetError(f"{path}: {damage}; the dataset is damaged: rerun the command that made it "
                               "(the same `ada prepare` or `ada encode`) to rebuild the shard")
    return Dataset(root, index)


def shard_damage(path: Path, length: int, dtype: np.dtype) -> str | None:
    """What is wrong with a shard file (truncated, another shape or type), or None when it is whole.

    Reads only the .npy header and the file size, so opening a large dataset stays instant.
    """
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, _, stored = read_header(f)
            header = f.tell()
    except (OSError, ValueError) as e:
        return f"not a readable .npy shard ({e})"
    if shape != (length,) or stored != dtype:
        return f"holds {stored} {shape}, the index says {dtype} ({length},)"
    size, need = path.stat().st_size, header + length * dtype.itemsize
    if size < need:
        return f"truncated: {size} bytes, {need} expected"
    return None


def read_index(root: str | os.PathLike) -> dict | None:
    """The index of whatever dataset is in `root`, unchecked (None when there is none or it is unreadable):
    for writers deciding whether they may write there."""
    try:
        return json.loads((Path(root) / INDEX).read_text())
    except (OSError, ValueError):
        return None


def describe(index: dict) -> str:
    """What a dataset holds and what made it, in a few words, for messages."""
    made = index.get("made_by", {})
    if "level" in index:  # codes: the level that made them is recorded
        what = f"codes (vocabulary {index.get('vocab')}) of level {index.get('level')} step {index.get('level_step')}" \
               f" over {index.get('source')}"
    else:
        what = f"{index.get('kind', 'tokens')} (vocabulary {index.get('vocab')})"
    return what + (f", made by `{made['command']}`" if made.get("command") else "")


def refuse_same_dir(out: str | os.PathLike, inputs, what: str = "input") -> None:
    """--out must not be one of the inputs: writing there would replace what is being read."""
    for i in inputs:
        if Path(out).resolve() == Path(i).resolve():
            raise DatasetError(f"--out {out} is the {what} itself; writing there would destroy it: "
                               "choose another --out")


def split_of(sha256: str, eval_fraction: float) -> str:
    """Split by content hash: a file's split never depends on which other files are present."""
    return "eval" if int(sha256[:16], 16) / 2**64 < eval_fraction else "train"


def assign_splits(entries: list[dict], eval_fraction: float, previous: dict[str, str]) -> None:
    """Set entry["split"]: kept from `previous` (sha -> split), else by hash; at least one eval file."""
    for e in entries:
        e["split"] = previous.get(e["sha256"]) or split_of(e["sha256"], eval_fraction)
    if len(entries) >= 2 and not any(e["split"] == "eval" for e in entries):
        min(entries, key=lambda e: e["sha256"])["split"] = "eval"


def write_dataset(root: str | os.PathLike, entries: list[dict], load: Callable[[dict], np.ndarray], *,
                  vocab: int, rate: float, meta: dict | None = None, shard_tokens: int = SHARD_TOKENS) -> dict:
    """Pack the tokens of `entries` (in order) into shards, then write the index; returns the index.

    `load(entry)` gives an entry's tokens. Shards are named by their content, so rerunning over the
    same inputs rewrites nothing; shards no longer referenced, and the temporary files of a killed run, are
    removed after the index is written (the caller holds the folder's lock).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    dtype = dtype_for(vocab)
    files, shards = [], []
    for group in _groups(entries, shard_tokens):
        arrays = [np.asarray(load(e)) for e in group]
        data = np.concatenate(arrays).astype(dtype, copy=False)
        if data.size and int(data.max()) >= vocab:
            raise DatasetError(f"token {int(data.max())} out of range for vocabulary {vocab}")
        name = f"shard-{len(shards):05d}-{hashlib.sha256(data.tobytes()).hexdigest()[:12]}.npy"
        if not (root / name).is_file() or shard_damage(root / name, data.size, dtype):
            save_npy(root / name, data)
        offset = 0
        for e, a in zip(group, arrays, strict=False):
            files.append({**{k: e[k] for k in e if k not in ("shard", "offset", "length")},
                          "duration": round(len(a) / rate, 4), "shard": name, "offset": offset, "length": len(a)})
            offset += len(a)
        shards.append({"name": name, "length": int(data.size)})
    index = {"format": FORMAT, "vocab": vocab, "dtype": dtype.name, "rate": rate, **(meta or {}),
             "shards": shards, "files": files}
    write_json(root / INDEX, index)
    keep = {s["name"] for s in shards}
    for stale in root.glob("shard-*.npy"):
        if stale.name not in keep:
            stale.unlink()
    for left in root.glob(".*.tmp"):  # a writer killed mid-write left it; every caller holds the folder's lock
        left.unlink(missing_ok=True)
    return index


@dataclass(frozen=True)
class WorkCache:
    """Per-file results of a long job that writes a dataset, each saved atomically under
    ``DIR/.work/<key>/<sha256>.npy``: a rerun after a kill redoes only the files not yet there."""

    out: Path
    key: str

    @property
    def dir(self) -> Path:
        return self.out / WORK / self.key

    def has(self, sha256: str) -> bool:
        return (self.dir / f"{sha256}.npy").is_file()

    def get(self, sha256: str) -> np.ndarray:
        return np.load(self.dir / f"{sha256}.npy", mmap_mode="r")

    def put(self, sha256: str, tokens: np.ndarray) -> None:
        save_npy(self.dir / f"{sha256}.npy", tokens)

    def clear(self) -> None:
        """Once the dataset is written: every job's cache in DIR goes."""
        shutil.rmtree(self.out / WORK, ignore_errors=True)


def _groups(entries: Iterable[dict], shard_tokens: int):
    """Consecutive entries whose lengths add up to at most `shard_tokens` (a longer file stands alone)."""
    group, size = [], 0
    for e in entries:
        if group and size + e["length"] > shard_tokens:
            yield group
            group, size = [], 0
        group.append(e)
        size += e["length"]
    if group:
        yield group
