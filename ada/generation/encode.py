"""`ada encode`: a dataset through a trained level's encoder (EMA parameters) into its codes.

The codes are the next level's dataset, in the one dataset format (vocabulary K, rate / hop),
with each file's path, hash and split carried over. Files are encoded in windows spread over the
local devices; each finished file is cached atomically, so a rerun resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jax
import numpy as np
from tqdm import tqdm

from ada.data import lock, windows
from ada.data.dataset import DatasetError, WorkCache, describe, open_dataset, read_index, refuse_same_dir, write_dataset
from ada.data.loader import check_emphasis
from ada.training import checkpoint
from ada.training.config import ConfigError
from ada.training.parallel import shardings


def _round_up(n: int, k: int) -> int:
    return -(-n // k) * k


def load_level(workdir) -> checkpoint.Trained:
    """A trained ADA level (Polyak parameters), refusing other model kinds."""
    level = checkpoint.load(workdir)
    if not level.spec.is_level:
        raise ConfigError(f"{workdir} holds {level.spec.title}, not an ADA level: it has no encoder")
    return level


class LevelEncoder:
    """One level's encoder over token arrays of any length, in windows spread over the local devices.

    The context either side is the encoder's receptive field, so the codes equal one pass over the
    whole array; the window size only sets memory.
    """

    def __init__(self, model, variables, spec, window: int = 16384, batch_size: int = 8):
        self.spec, self.hop = spec, spec.hop
        self.context = _round_up(spec.receptive_fields()["encoder"], self.hop)
        self.window = _round_up(window, self.hop)
        self.batch_size = _round_up(batch_size, jax.device_count())
        replicated, sharded = shardings()
        self._encode = jax.jit(lambda v, x, m: model.apply(v, x, m, method=type(model).encode),
                               in_shardings=(replicated, sharded, sharded), out_shardings=sharded)
        self.variables = jax.device_put(variables, replicated)

    def __call__(self, tokens: np.ndarray) -> np.ndarray:
        """Tokens [T] -> codes [T // hop] (a trailing partial hop is dropped)."""
        n = len(tokens) // self.hop * self.hop
        codes = np.zeros(n // self.hop, np.int64)
        plan = windows.plan([n], self.window)
        for i in range(0, len(plan), self.batch_size):
            part = plan[i : i + self.batch_size]
            padded = part + [windows.Window(0, 0, 0)] * (self.batch_size - len(part))
            x, mask = windows.gather([np.asarray(tokens[:n])], padded, self.window, self.context)
            result = np.asarray(self._encode(self.variables, x, mask))
            for w, c in windows.kept(result, part, self.context, self.hop):
                codes[w.start // self.hop : w.stop // self.hop] = c
        return codes


def _files_digest(src) -> str:
    return hashlib.sha256(" ".join(f["sha256"] for f in src.files).encode()).hexdigest()[:16]


# train settings that do not change a checkpoint's weights: resuming a level to a later step rewrites them
HORIZON = ("steps", "eval_every", "checkpoint_every", "log_every", "keep_checkpoints")


def level_fingerprints(level, step: int) -> tuple[str, str]:
    """What names a checkpoint's codes: its config less the training horizon (HORIZON), and its step. Then the
    same, over the whole config, as codes written before the horizon was left out recorded it."""
    text = Path(level, checkpoint.CONFIG_FILE).read_text()
    config = json.loads(text)
    for key in HORIZON:
        config.get("train", {}).pop(key, None)
    return tuple(hashlib.sha256(record.encode()).hexdigest()[:12]
                 for record in (json.dumps(config, sort_keys=True) + str(step), text + str(step)))


def _same_codes(index: dict, fingerprints: tuple[str, ...], src) -> bool:
    return index.get("level_fingerprint") in fingerprints and index.get("source_files") == _files_digest(src)


def _finished(out: Path, fingerprints: tuple[str, ...], src) -> dict | None:
    """The index already in `out`, if it holds these files' codes from this very checkpoint."""
    try:
        index = open_dataset(out).index
    except DatasetError:
        return None
    return index if _same_codes(index, fingerprints, src) else None


def _refuse_other(out: Path, overwrite: bool, fingerprints: tuple[str, ...] | None = None, src=None) -> None:
    """A dataset in `out` that is not these codes (another kind, model, checkpoint or input) stays, unless
    `overwrite`. Without `fingerprints` only the kind is checked (before the level is loaded)."""
    index = read_index(out)
    if index is None or overwrite:
        return
    if index.get("kind") != "codes":
        why = f"it holds {describe(index)}"
    elif fingerprints and not _same_codes(index, fingerprints, src):
        why = f"it holds other codes: {describe(index)}"
    else:
        return
    raise DatasetError(f"{out} already holds a dataset and {why}; choose another --out, or add --overwrite to "
                       "replace it")


def encode_dataset(level, data, out, window: int = 16384, batch_size: int = 8, progress: bool = True,
                   overwrite: bool = False) -> dict:
    """Encode every file of `data` with the level in workdir `level`; returns the new index.

    `out` may not be `data`; a dataset of another kind, or codes of another model, checkpoint or
    input there, is refused unless `overwrite`.
    """
    out = Path(out)
    refuse_same_dir(out, [data], "--data dataset")
    refuse_same_dir(out, [level], "--level workdir")
    _refuse_other(out, overwrite)
    with lock.hold(out, "ada encode"):
        return _encode(level, data, out, window, batch_size, progress, overwrite)


def _encode(level, data, out: Path, window: int, batch_size: int, progress: bool, overwrite: bool) -> dict:
    trained = load_level(level)
    spec, step = trained.spec, trained.step
    src = open_dataset(data)
    if src.vocab != spec.vocab:
        raise DatasetError(f"{data} has vocabulary {src.vocab} but level {level} reads {spec.vocab}-token input")
    check_emphasis(trained.config.data.get("preemphasis", 0.0), src)
    hop = spec.hop
    encoder = LevelEncoder(trained.model, trained.variables, spec, window, batch_size)
    fingerprints = level_fingerprints(level, step)
    fingerprint = fingerprints[0]
    _refuse_other(out, overwrite, fingerprints, src)
    done = _finished(out, fingerprints, src)
    if done:
        return done
    work = WorkCache(out, fingerprint)
    entries = [f for f in src.files if f["length"] >= hop]
    skipped = len(src.files) - len(entries)
    bar = tqdm(total=sum(f["length"] // hop * hop for f in entries) / src.rate, unit="s", desc="encode",
               disable=not progress, bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s audio [{elapsed}<{remaining}]")
    for entry in entries:
        if not work.has(entry["sha256"]):
            work.put(entry["sha256"], encoder(src.tokens(entry)))
        bar.update(entry["length"] // hop * hop / src.rate)
    bar.close()
    coded = [{"path": e["path"], "sha256": e["sha256"], "split": e["split"], "length": e["length"] // hop}
             for e in entries]
    index = write_dataset(out, coded, lambda e: work.get(e["sha256"]), vocab=spec.code_vocab,
                          rate=src.rate / hop,
                          meta={"kind": "codes", "level": str(Path(level).resolve()), "level_step": step,
                                "hop": hop, "source": str(Path(data).resolve()), "skipped_short": skipped,
                                "level_fingerprint": fingerprint, "source_files": _files_digest(src),
                                "made_by": {"command": "ada encode", "level": str(Path(level).resolve()),
                                            "level_step": step, "source": str(Path(data).resolve())}})
    work.clear()
    return index
