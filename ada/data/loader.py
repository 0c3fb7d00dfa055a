"""Batches of random fixed-length crops for training, and a fixed sweep of the eval split.

Training crops are a grain random-access source whose record ``i`` is a crop drawn with a key
derived from ``(seed, i)``: the stream is a pure function of the seed, so grain's iterator state
(a record position, saved inside each checkpoint) is all a resumed run needs to see exactly the
batches an uninterrupted run would. Crops never straddle two files; each file is drawn in
proportion to the number of crops it holds. Each JAX process reads its own slice of the records.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Iterator

import grain
import numpy as np
from absl import flags

from ada.data.dataset import Dataset, DatasetError, open_dataset

RECORDS = 1 << 50  # the crop stream is, for any practical run, endless


class CropSource(grain.sources.RandomAccessDataSource):
    """Record i -> one crop of `crop` tokens from the train split, drawn from (seed, i)."""

    def __init__(self, data: Dataset, crop: int, seed: int, split: str = "train"):
        self.data, self.crop, self.seed = data, crop, seed
        self.entries = [f for f in data.split(split) if f["length"] >= crop]
        if not self.entries:
            longest = max((f["length"] for f in data.split(split)), default=0)
            raise DatasetError(f"{data.root}: no {split} file holds a crop of {crop} tokens "
                               f"(longest has {longest}); use a shorter crop or more data")
        starts = np.array([f["length"] - crop + 1 for f in self.entries], dtype=np.float64)
        self.cumulative = np.cumsum(starts) / starts.sum()

    def __len__(self) -> int:
        return RECORDS

    def __repr__(self) -> str:  # grain checks a restored state against this
        return (f"CropSource({self.data.root.resolve()}, crop={self.crop}, seed={self.seed}, "
                f"files={len(self.entries)}, tokens={int(sum(f['length'] for f in self.entries))})")

    def __getitem__(self, record: int) -> np.ndarray:
        rng = np.random.default_rng((self.seed, int(record)))
        k = min(int(np.searchsorted(self.cumulative, rng.random(), side="right")), len(self.entries) - 1)
        entry = self.entries[k]
        start = int(rng.integers(0, entry["length"] - self.crop + 1))
        return np.array(self.data.tokens(entry)[start : start + self.crop])


class _ToBatch(grain.transforms.Map):
    """[B, crop] -> {"tokens": [B, crop]}: batches of every level and of the prior look alike."""

    def map(self, element):
        return {"tokens": element}


class Resumable:
    """The train iterator, restorable onto a dataset that changed since the checkpoint was saved.

    Grain refuses a saved state whose data source (its repr: path, crop, files, tokens) differs from
    the current one. Since record i is a pure function of (seed, i) over whatever the dataset holds,
    the stream simply goes on from the saved record position over the new data; `changed` then says
    (before, now) so the trainer can report it.
    """

    def __init__(self, iterator):
        self.iterator, self.changed = iterator, None

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.iterator)

    def get_state(self):
        return self.iterator.get_state()

    def set_state(self, state) -> None:
        saved, now = json.loads(state), json.loads(self.iterator.get_state())
        if saved.get("data_source") != now.get("data_source"):
            self.changed = (saved.get("data_source"), now.get("data_source"))
            saved["data_source"] = now["data_source"]
            state = json.dumps(saved, indent=4).encode()
        self.iterator.set_state(state)

    def start_prefetch(self) -> None:
        if hasattr(self.iterator, "start_prefetch"):
            self.iterator.start_prefetch()


def process_shard() -> tuple[int, int]:
    """(index, count) of this JAX process, without importing jax when it is not loaded."""
    if "jax" in sys.modules:
        import jax  # already loaded: costs nothing; not loaded: a numpy-only reader stays light

        return jax.process_index(), jax.process_count()
    return 0, 1


def train_loader(data: str | os.PathLike | Dataset, *, crop: int, batch_size: int, seed: int = 0,
                 workers: int = 0, shard: tuple[int, int] | None = None) -> grain.DataLoader:
    """Endless batches of `batch_size` crops (this process's share of the global batch)."""
    data = data if isinstance(data, Dataset) else open_dataset(data)
    return grain_batches(CropSource(data, crop, seed), batch_size=batch_size, seed=seed, workers=workers, shard=shard)


def grain_batches(source: grain.sources.RandomAccessDataSource, *, batch_size: int, seed: int, workers: int = 0,
                  shard: tuple[int, int] | None = None) -> grain.DataLoader:
    """Endless, resumable batches of a source's records (records are drawn from (seed, index), so the
    sampler itself does not shuffle), this process's share of every global batch."""
    index, count = shard or process_shard()
    if workers and not flags.FLAGS.is_parsed():  # grain's worker processes read absl flags
        flags.FLAGS.mark_as_parsed()
    sampler = grain.samplers.IndexSampler(
        num_records=len(source), shard_options=grain.sharding.ShardOptions(index, count, drop_remainder=True),
        shuffle=False, num_epochs=1, seed=seed)
    return grain.DataLoader(data_source=source, sampler=sampler, worker_count=workers,
                            operations=[grain.transforms.Batch(batch_size, drop_remainder=True), _ToBatch()])


def eval_batches(data: str | os.PathLike | Dataset, *, crop: int, batch_size: int, max_crops: int | None = None,
                 shard: tuple[int, int] | None = None, split: str = "eval") -> Iterator[dict]:
    """A split (eval by default) cut into consecutive crops, in index order; the last batch is padded.

    Yields {"tokens": [B, crop], "mask": [B]} where mask is 0 on padding rows, so every batch has
    one static shape and a jitted eval step compiles once.
    """
    data = data if isinstance(data, Dataset) else open_dataset(data)
    index, count = shard or process_shard()
    crops = [(e, s) for e in data.split(split) for s in range(0, e["length"] - crop + 1, crop)]
    if not crops:
        raise DatasetError(f"{data.root}: the {split} split holds no crop of {crop} tokens")
    if max_crops and len(crops) > max_crops:  # spread over the whole split, not its first files
        crops = [crops[i * len(crops) // max_crops] for i in range(max_crops)]
    crops += [None] * (-len(crops) % (count * batch_size))  # every process yields as many batches
    crops = crops[index::count]
    dtype = np.dtype(data.index["dtype"])
    for i in range(0, len(crops), batch_size):
        part = crops[i : i + batch_size]
        tokens = np.zeros((batch_size, crop), dtype)
        mask = np.zeros((batch_size,), np.float32)
        for row, crop_at in enumerate(part):
            if crop_at is not None:
                e, s = crop_at
                tokens[row] = data.tokens(e)[s : s + crop]
                mask[row] = 1
        yield {"tokens": tokens, "mask": mask}


def check_emphasis(preemphasis: float, data: Dataset) -> None:
    """A model of audio hears it as its dataset was prepared: the same pre-emphasis, or none, on both."""
    if data.index.get("kind") == "audio" and abs(preemphasis - data.preemphasis) > 1e-9:
        raise DatasetError(f"{data.root} was prepared with pre-emphasis {data.preemphasis:g} but the model's is "
                           f"{preemphasis:g}: set --config.data.preemphasis={data.preemphasis:g}, or prepare the audio "
                           f"with --preemphasis {preemphasis:g}")


class AudioCrops:
    """The training data of the audio kinds (levels, priors, predictors): a token dataset read as crops.

    Every model's training data answers the trainer and the evaluator alike (`spec.training_data(config)`):
    `check_model(spec)` and `check_splits()` raise ValueError naming what to change; `train_batches(...)` is
    the endless, resumable grain loader; `eval_batches(...)` the fixed sweep of a split, padded rows masked;
    `steps_per_example` counts the timesteps of one example (for samples/s).
    """

    def __init__(self, data: Dataset, crop: int, preemphasis: float = 0.0):
        self.data, self.crop, self.preemphasis = data, crop, preemphasis

    @classmethod
    def open(cls, config) -> AudioCrops:
        return cls(open_dataset(config.data.path), config.data.crop, config.data.get("preemphasis", 0.0))

    @property
    def steps_per_example(self) -> int:
        return self.crop

    def check_model(self, spec) -> None:
        if spec.vocab != self.data.vocab:
            raise ValueError(f"model.vocab={spec.vocab} but dataset {self.data.root} has vocabulary "
                             f"{self.data.vocab} (set --config.model.vocab={self.data.vocab})")
        spec.check_crop(self.crop)
        check_emphasis(self.preemphasis, self.data)

    def check_splits(self) -> None:
        for split, remedy in (("train", "more data"), ("eval", "a larger `ada prepare --eval-fraction`")):
            files = self.data.split(split)
            if not any(f["length"] >= self.crop for f in files):
                longest = max((f["length"] for f in files), default=0)
                raise ValueError(f"{self.data.root}: the {split} split has no file of data.crop={self.crop} tokens "
                                 f"({len(files)} files, longest {longest}); use a shorter --config.data.crop or "
                                 f"{remedy}")

    def train_batches(self, *, batch_size: int, seed: int, workers: int = 0) -> grain.DataLoader:
        return train_loader(self.data, crop=self.crop, batch_size=batch_size, seed=seed, workers=workers)

    def eval_batches(self, *, batch_size: int, max_examples: int | None, split: str = "eval") -> Iterator[dict]:
        return eval_batches(self.data, crop=self.crop, batch_size=batch_size, max_crops=max_examples, split=split)
