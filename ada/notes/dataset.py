"""The note-dataset format: one directory of fixed-length windows of class indices per stream.

``index.json`` says what the windows are (kind, bars, streams and their vocabularies, splits, what was
read); ``<split>.npy`` holds int16 [N, S, T] class indices (S streams, T = bars * 16 steps) and
``<split>-tunes.npy`` int32 [N] tune ids, so windows of one tune can be told apart. A note dataset is
small (tens of MB), so it is written whole into a temporary directory and renamed into place: a reader
sees the old dataset or the new one, never half.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ada.data.dataset import DatasetError
from ada.data.mapped import MemoryMaps
from ada.notes.kinds import KINDS, STREAM_KINDS

FORMAT = "ada-notes"
VERSION = 3  # 2: a melody's (and a trio part's) last note is held to the bar line, as note_seq ends it;
# 3: exact half steps round up, a repeated time signature does not split, 8/8 is kept, and trio windows follow
# Magenta's TrioConverter (edge bars, coverage before filtering, repeats kept)
INDEX = "index.json"
STEPS_PER_BAR = 16
TOKEN_DTYPE = np.dtype(np.int16)
TUNE_DTYPE = np.dtype(np.int32)


class NoteDatasetError(DatasetError):
    """A note dataset that cannot be read or written as asked; the message says what and where."""


WINDOW_BARS = (2, 16)  # Magenta's window lengths, in bars


def check_bars(bars: int) -> None:
    if bars not in WINDOW_BARS:
        raise NoteDatasetError(f"--bars {bars}: choose {' or '.join(map(str, WINDOW_BARS))}")


@dataclass
class NoteDataset:
    """An opened note dataset; split arrays are memory-mapped on first use."""

    root: Path
    index: dict
    _arrays: MemoryMaps = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        self._arrays = MemoryMaps(self.root)

    @property
    def kind(self) -> str:
        return self.index["kind"]

    @property
    def bars(self) -> int:
        return int(self.index["bars"])

    @property
    def steps_per_bar(self) -> int:
        return int(self.index["steps_per_bar"])

    @property
    def steps(self) -> int:
        """Steps per window (T)."""
        return self.bars * self.steps_per_bar

    @property
    def streams(self) -> list[dict]:
        """One dict per stream: name, kind (melody or drums) and vocab."""
        return self.index["streams"]

    @property
    def vocabs(self) -> list[int]:
        return [int(s["vocab"]) for s in self.streams]

    @property
    def splits(self) -> list[str]:
        return list(self.index["splits"])

    def examples(self, name: str) -> int:
        return int(self._entry(name)["examples"])

    def split(self, name: str) -> np.ndarray:
        """The windows of one split: int16 [N, S, T], read-only, memory-mapped."""
        return self._load(self._entry(name)["file"])

    def tunes(self, name: str) -> np.ndarray:
        """The tune id of each window of one split: int32 [N]."""
        return self._load(self._entry(name)["tunes"])

    def _entry(self, name: str) -> dict:
        if name not in self.index["splits"]:
            raise NoteDatasetError(f"{self.root}: no split {name!r}; it has {', '.join(self.index['splits'])}")
        return self.index["splits"][name]

    def _load(self, file: str) -> np.ndarray:
        return self._arrays(file)


def stream(name: str, kind: str) -> dict:
    """The index entry of one stream: melody streams have 90 classes, drum streams 512."""
    from ada.notes.representation import vocab_of  # the encodings own the vocabulary sizes

    return {"name": name, "kind": kind, "vocab": vocab_of(kind)}


def write_notes(root: str | os.PathLike, *, kind: str, bars: int, streams: list[dict],
                splits: dict[str, tuple[np.ndarray, np.ndarray]], sources: dict, overwrite: bool = False,
                meta: dict | None = None) -> dict:
    """Write a note dataset to `root` atomically; returns its index.

    `splits` maps a split name to (tokens [N, S, T], tune ids [N]). A directory holding a note dataset is
    replaced only with `overwrite`; a directory holding anything else is never touched.
    """
    root = Path(root)
    check_target(root, overwrite)
    if kind not in KINDS:
        raise NoteDatasetError(f"kind {kind!r}; choose one of {', '.join(KINDS)}")
    steps = int(bars) * STEPS_PER_BAR
    entries, arrays = {}, {}
    for name, (tokens, tunes) in splits.items():
        tokens, tunes = np.asarray(tokens), np.asarray(tunes)
        if tokens.ndim == 2 and tokens.shape[0] == 0:
            tokens = tokens.reshape(0, len(streams), steps)
        if tokens.ndim != 3 or tokens.shape[1:] != (len(streams), steps):
            raise NoteDatasetError(f"split {name}: tokens of shape {tokens.shape}, "
                                   f"expected [N, {len(streams)}, {steps}]")
        if tunes.shape != (tokens.shape[0],):
            raise NoteDatasetError(f"split {name}: {tunes.shape} tune ids for {tokens.shape[0]} windows")
        for s, st in enumerate(streams):
            if st["kind"] not in STREAM_KINDS:
                raise NoteDatasetError(f"stream {st['name']}: kind {st['kind']!r}, expected one of {STREAM_KINDS}")
            col = tokens[:, s]
            if col.size and (int(col.min()) < 0 or int(col.max()) >= int(st["vocab"])):
                raise NoteDatasetError(f"split {name}, stream {st['name']}: classes {int(col.min())}..{int(col.max())}"
                                       f" outside 0..{int(st['vocab']) - 1}")
        arrays[f"{name}.npy"] = tokens.astype(TOKEN_DTYPE)
        arrays[f"{name}-tunes.npy"] = tunes.astype(TUNE_DTYPE)
        entries[name] = {"examples": int(tokens.shape[0]), "file": f"{name}.npy", "tunes": f"{name}-tunes.npy",
                         "distinct_tunes": int(np.unique(tunes).size)}
    index = {"format": FORMAT, "version": VERSION, "kind": kind, "bars": int(bars), "steps_per_bar": STEPS_PER_BAR,
             "streams": [dict(s) for s in streams], "splits": entries, "sources": sources, **(meta or {})}
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
    try:
        for file, a in arrays.items():
            np.save(tmp / file, a)
        (tmp / INDEX).write_text(json.dumps(index, indent=1) + "\n")
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's 0700 would hide the dataset from other users
        _replace_dir(tmp, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return index


def open_notes(root: str | os.PathLike) -> NoteDataset:
    """Open a note dataset, checking that its index and arrays are whole and agree."""
    root = Path(root)
    if not root.is_dir():
        raise NoteDatasetError(f"{root}: no such note dataset directory (build one with `ada notes corpus` "
                               "or `ada notes prepare`)")
    index = read_notes_index(root)
    if index is None:
        raise NoteDatasetError(f"{root}: no readable {INDEX}; it is not a note dataset")
    if index.get("format") != FORMAT or index.get("version") != VERSION:
        raise NoteDatasetError(f"{root / INDEX}: format {index.get('format')!r} version {index.get('version')!r}, "
                               f"expected {FORMAT!r} version {VERSION}; build it again (`ada notes corpus` or "
                               "`ada notes prepare` with --overwrite, or delete the folder and rerun the make target)")
    try:
        steps = int(index["bars"]) * int(index["steps_per_bar"])
        n_streams = len(index["streams"])
        splits = index["splits"]
    except (KeyError, TypeError, ValueError) as e:
        raise NoteDatasetError(f"{root / INDEX}: incomplete index ({e!r} missing or malformed)") from e
    for entry in splits.values():
        n = entry.get("examples")
        for file, shape, dtype in ((entry.get("file"), (n, n_streams, steps), TOKEN_DTYPE),
                                   (entry.get("tunes"), (n,), TUNE_DTYPE)):
            damage = _array_damage(root / str(file), shape, dtype)
            if damage:
                raise NoteDatasetError(f"{root / str(file)}: {damage}; the note dataset is damaged: rebuild it "
                                       "with the command that made it")
    return NoteDataset(root, index)


def read_notes_index(root: str | os.PathLike) -> dict | None:
    """The index in `root`, unchecked, or None when there is none or it is unreadable."""
    try:
        index = json.loads((Path(root) / INDEX).read_text())
    except (OSError, ValueError):
        return None
    return index if isinstance(index, dict) else None


def check_target(root: str | os.PathLike, overwrite: bool) -> None:
    """Refuse, before any work, an output that holds a note dataset (unless `overwrite`) or anything else."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise NoteDatasetError(f"--out {root} is a file, not a directory")
    if not root.is_dir() or not any(root.iterdir()):
        return
    index = read_notes_index(root)
    if index is None or index.get("format") != FORMAT:
        raise NoteDatasetError(f"--out {root} is a non-empty directory that is not a note dataset; "
                               "choose another --out (nothing there is replaced)")
    if not overwrite:
        raise NoteDatasetError(f"--out {root} already holds a note dataset ({index.get('kind')}, "
                               f"{index.get('bars')} bars); choose another --out, or add --overwrite to replace it")


def _replace_dir(new: Path, root: Path) -> None:
    """Rename `new` to `root`; an existing `root` is moved aside first and removed after."""
    if root.is_dir() and not any(root.iterdir()):
        root.rmdir()
    if not root.exists():
        os.rename(new, root)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".old", dir=root.parent))
    os.rename(root, old / root.name)
    try:
        os.rename(new, root)
    except OSError:
        os.rename(old / root.name, root)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _array_damage(path: Path, shape: tuple, dtype: np.dtype) -> str | None:
    """What is wrong with a .npy file (missing, truncated, another shape or type), or None; reads the header only."""
    if not path.is_file():
        return "missing"
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            stored_shape, _, stored = read(f)
            header = f.tell()
    except (OSError, ValueError) as e:
        return f"not a readable .npy file ({e})"
    if tuple(stored_shape) != tuple(shape) or stored != dtype:
        return f"holds {stored} {tuple(stored_shape)}, the index says {dtype} {tuple(shape)}"
    need = header + int(np.prod(shape)) * dtype.itemsize
    if path.stat().st_size < need:
        return f"truncated: {path.stat().st_size} bytes, {need} expected"
    return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
