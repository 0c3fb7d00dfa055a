"""MusicVAE's training data: random windows of a note dataset, and a fixed sweep of a split.

As the audio loader's crops, record i of the training stream is one window drawn from (seed, i), so
grain's record position (saved in each checkpoint) is all a resumed run needs to see the batches an
uninterrupted run would. With `data.transpose = k` every melody window is moved by a shift drawn
uniformly from the ones within ±k semitones that keep all its notes on the piano (Magenta's
NoteSequenceAugmenter for the 2-bar models: ±5); drum streams are never moved. With `data.transpose_draw =
"tune"` the shift is drawn once per tune from the seed, as Magenta's cached dataset fixes one per file (then
narrowed, like a window's, to the shifts that keep its notes on the piano, where Magenta deletes the notes that
fall off). With
`data.windows_per_tune = k` (Magenta's max_tensors_per_notesequence: 5) each tune or file gives at most k windows:
a fixed random k of its train windows, drawn once from the seed (as Magenta's cached dataset keeps one draw), and
its first k eval windows.
"""

from __future__ import annotations

from typing import Iterator

import grain
import numpy as np

from ada.data.loader import RECORDS, grain_batches, process_shard
from ada.notes.dataset import NoteDataset, open_notes
from ada.notes.representation import FIRST_PITCH_CLASS, MELODY_VOCAB

PITCHED = ("melody",)  # stream kinds that transposition moves (drum classes are not pitches)
TRANSPOSE_DRAWS = ("window", "tune")  # a shift per training window (ours), or one per tune (Magenta's cached draw)


def transpose_window(window: np.ndarray, kinds, shift: int) -> np.ndarray:
    """Move every note onset of the melody streams by `shift` semitones (no event and note off stay)."""
    out = window.copy()
    for s, kind in enumerate(kinds):
        if kind in PITCHED:
            row = out[s]
            row[row >= FIRST_PITCH_CLASS] += shift
    return out


def allowed_shifts(window: np.ndarray, kinds, limit: int) -> tuple[int, int]:
    """The range of shifts within ±limit that keep every melody onset in 21..108."""
    rows = [window[s] for s, k in enumerate(kinds) if k in PITCHED]
    pitched = np.concatenate([r[r >= FIRST_PITCH_CLASS] for r in rows]) if rows else np.zeros(0)
    if pitched.size == 0:
        return 0, 0
    return max(-limit, FIRST_PITCH_CLASS - int(pitched.min())), min(limit, MELODY_VOCAB - 1 - int(pitched.max()))


def per_tune(tunes: np.ndarray, cap: int, seed: int | None = None) -> np.ndarray:
    """The indices of the windows kept when each tune gives at most `cap` (0: all): its first `cap` in order, or,
    with a seed, a random `cap` of them drawn once from (seed, tune) (Magenta's maybe_sample_items)."""
    tunes = np.asarray(tunes)
    if not cap:
        return np.arange(len(tunes))
    kept = []
    for tune in np.unique(tunes):
        mine = np.nonzero(tunes == tune)[0]
        if len(mine) > cap:
            mine = (np.sort(np.random.default_rng((seed, int(tune))).choice(mine, cap, replace=False))
                    if seed is not None else mine[:cap])
        kept.append(mine)
    return np.sort(np.concatenate(kept)) if kept else np.zeros(0, np.int64)


class WindowSource(grain.sources.RandomAccessDataSource):
    """Record i -> one window [S, T] of the train split, drawn (and transposed) from (seed, i)."""

    def __init__(self, notes: NoteDataset, seed: int, transpose: int, split: str = "train", per_tune_cap: int = 0,
                 transpose_draw: str = "window"):
        if transpose_draw not in TRANSPOSE_DRAWS:
            raise ValueError(f"data.transpose_draw={transpose_draw!r}: choose one of {', '.join(TRANSPOSE_DRAWS)}")
        self.notes, self.seed, self.transpose, self.split = notes, seed, transpose, split
        self.per_tune_shift = transpose_draw == "tune"
        self.kinds = [s["kind"] for s in notes.streams]
        self.cap = per_tune_cap
        self.kept = per_tune(notes.tunes(split), per_tune_cap, seed)
        self.count = len(self.kept)

    def __len__(self) -> int:
        return RECORDS

    def __repr__(self) -> str:  # grain checks a restored state against this
        return (f"WindowSource({self.notes.root.resolve()}, split={self.split}, seed={self.seed}, "
                f"transpose={self.transpose}{', per tune' if self.per_tune_shift else ''}, windows={self.count}"
                + (f", per tune={self.cap})" if self.cap else ")"))

    def __getitem__(self, record: int) -> np.ndarray:
        rng = np.random.default_rng((self.seed, int(record)))
        index = int(self.kept[rng.integers(self.count)])
        window = np.array(self.notes.split(self.split)[index], np.int32)
        if self.transpose:
            low, high = allowed_shifts(window, self.kinds, self.transpose)
            if self.per_tune_shift:
                tune = int(self.notes.tunes(self.split)[index])
                drawn = int(np.random.default_rng((self.seed, 1, tune)).integers(-self.transpose, self.transpose + 1))
                shift = min(max(drawn, low), high)
            else:
                shift = int(rng.integers(low, high + 1))
            window = transpose_window(window, self.kinds, shift)
        return window


class NoteWindows:
    """MusicVAE's answer to `spec.training_data(config)` (see ada.data.loader.AudioCrops for the protocol)."""

    def __init__(self, notes: NoteDataset, transpose: int = 0, per_tune_cap: int = 0, transpose_draw: str = "window"):
        self.notes, self.transpose, self.cap, self.transpose_draw = notes, transpose, per_tune_cap, transpose_draw

    @classmethod
    def open(cls, config, spec=None) -> NoteWindows:
        return cls(open_notes(config.data.path), int(config.data.get("transpose", 0)),
                   int(config.data.get("windows_per_tune", 0)), str(config.data.get("transpose_draw", "window")))

    @property
    def steps_per_example(self) -> int:
        return self.notes.steps

    def check_model(self, spec) -> None:
        root, have = self.notes.root, [s["kind"] for s in self.notes.streams]
        if tuple(have) != tuple(spec.streams):
            raise ValueError(f"model.streams={','.join(spec.streams)} but note dataset {root} holds streams "
                             f"{','.join(have)} (set --config.model.streams={','.join(have)})")
        if self.notes.bars != spec.bars or self.notes.steps_per_bar != spec.steps_per_bar:
            raise ValueError(f"model.bars={spec.bars} ({spec.steps_per_bar} steps each) but note dataset {root} holds "
                             f"windows of {self.notes.bars} bars of {self.notes.steps_per_bar} steps "
                             f"(set --config.model.bars={self.notes.bars})")
        if [int(s["vocab"]) for s in self.notes.streams] != list(spec.vocabs):
            raise ValueError(f"note dataset {root}: stream vocabularies {self.notes.vocabs}, the model's "
                             f"{list(spec.vocabs)}")

    def check_splits(self) -> None:
        for split in ("train", "eval"):
            if split not in self.notes.splits or self.notes.examples(split) == 0:
                raise ValueError(f"{self.notes.root}: the {split} split holds no window; use more tunes or files")

    def train_batches(self, *, batch_size: int, seed: int, workers: int = 0,
                      shard: tuple[int, int] | None = None) -> grain.DataLoader:
        return grain_batches(WindowSource(self.notes, seed, self.transpose, per_tune_cap=self.cap,
                                          transpose_draw=self.transpose_draw),
                             batch_size=batch_size, seed=seed, workers=workers, shard=shard)

    def eval_batches(self, *, batch_size: int, max_examples: int | None, split: str = "eval",
                     shard: tuple[int, int] | None = None) -> Iterator[dict]:
        """The split's windows in order (each tune's first `windows_per_tune`; spread over the split when more
        than `max_examples`), padded rows masked: {"tokens": [B, S, T], "mask": [B]}."""
        index, count = shard or process_shard()
        windows = self.notes.split(split)
        chosen = [int(k) for k in per_tune(self.notes.tunes(split), self.cap)]
        if max_examples and len(chosen) > max_examples:
            chosen = [chosen[i * len(chosen) // max_examples] for i in range(max_examples)]
        chosen += [None] * (-len(chosen) % (count * batch_size))
        chosen = chosen[index::count]
        for i in range(0, len(chosen), batch_size):
            tokens = np.zeros((batch_size, *windows.shape[1:]), np.int32)
            mask = np.zeros((batch_size,), np.float32)
            for row, k in enumerate(chosen[i : i + batch_size]):
                if k is not None:
                    tokens[row], mask[row] = windows[k], 1
            yield {"tokens": tokens, "mask": mask}
