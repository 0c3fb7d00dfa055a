"""An exported model folder (`ada export`): config.json, params.npz and member.json, written and read.

params.npz holds the evaluation variables (Polyak parameters and the VQ codebook), float32 leaves stored as
bfloat16 by default: a quarter of a checkpoint with its optimiser state. member.json records the step, the
storage dtype, where and how long it was trained and on what data. A stack file may name such a folder
wherever it names a workdir: `ada.training.checkpoint.load` reads either.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
from flax import traverse_util

from ada.data.atomic import atomic_path, write_json
from ada.training.config import ConfigError
from ada.training.state import INITIALIZED_FROM

PARAMS = "params.npz"
MEMBER = "member.json"
STORAGE = ("bfloat16", "float32")


def is_exported(folder) -> bool:
    return (Path(folder) / PARAMS).is_file()


def save_member(trained, out: Path, dtype: str = "bfloat16") -> dict:
    """Write one trained model's config and evaluation variables to `out`; returns its member.json."""
    if dtype not in STORAGE:
        raise ConfigError(f"--dtype {dtype}: choose {' or '.join(STORAGE)}")
    flat = traverse_util.flatten_dict(jax.device_get(trained.variables), sep="/")
    arrays, narrowed = {}, []
    for name, value in flat.items():
        value = np.asarray(value)
        if dtype == "bfloat16" and value.dtype == np.float32:
            value = value.astype(ml_dtypes.bfloat16).view(np.uint16)  # npz keeps the bits; load widens them
            narrowed.append(name)
        arrays[name] = value
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / PARAMS) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    write_json(out / "config.json", json.loads(trained.config.to_json()))
    before = read_member(trained.workdir)  # an export of an export keeps where and how long it was trained
    seconds = train_seconds(trained.workdir, upto=trained.step)  # a step other than the last counts up to itself
    member = {"step": trained.step, "dtype": dtype, "bfloat16": narrowed,
              "source": before.get("source", str(trained.workdir)), "train_seconds": seconds,
              "parameters": int(sum(v.size for v in arrays.values())), "data": data_line(trained.config, before)}
    write_json(out / MEMBER, member)
    return member


def load_member(folder: Path, abstract_variables) -> tuple[int, dict]:
    """(step, variables) of an exported member, checked leaf by leaf against the model its config builds."""
    member = json.loads((folder / MEMBER).read_text())
    with np.load(folder / PARAMS) as npz:
        flat = {k: npz[k] for k in npz.files}
    narrowed = set(member.get("bfloat16", ()))
    flat = {k: v.view(ml_dtypes.bfloat16).astype(np.float32) if k in narrowed else v for k, v in flat.items()}
    expected = traverse_util.flatten_dict(abstract_variables, sep="/")
    if set(flat) != set(expected):
        missing, extra = sorted(set(expected) - set(flat)), sorted(set(flat) - set(expected))
        raise ConfigError(f"{folder}: {PARAMS} does not fit the model in its config.json "
                          f"(missing {missing[:3]}, unexpected {extra[:3]})")
    for k, want in expected.items():
        if flat[k].shape != want.shape:
            raise ConfigError(f"{folder}: {PARAMS} holds {k} of shape {flat[k].shape}; the model expects {want.shape}")
    variables = traverse_util.unflatten_dict({k: jnp.asarray(v, expected[k].dtype) for k, v in flat.items()}, sep="/")
    return int(member["step"]), variables


def data_line(config, member: dict | None = None) -> str:
    """The training data's name and size, from its index; where the data is not on this machine, the line an
    earlier export recorded in member.json."""
    from ada.data.dataset import read_index

    index, name = read_index(config.data.path), Path(config.data.path).name
    if not index or "files" not in index:
        return (member or {}).get("data") or f"`{name}`"
    hours = sum(f["length"] for f in index["files"]) / float(index["rate"]) / 3600
    return f"`{name}` ({len(index['files'])} files, {hours:.2f} h at {float(index['rate']):g} tokens/s)"


def read_member(folder: Path) -> dict:
    """member.json of an exported folder; {} for a workdir."""
    path = Path(folder) / MEMBER
    return json.loads(path.read_text()) if path.is_file() else {}


def train_seconds(workdir: Path, upto: int | None = None) -> float | None:
    """Seconds spent in training steps (up to step `upto`, where given), from the logged step rates (evaluation
    and saving left out); an exported folder has no metrics, so its member.json carries the figure of the
    workdir it came from, and a workdir begun from an exported folder adds that folder's figure."""
    path = Path(workdir) / "metrics.jsonl"
    if not path.is_file():
        return read_member(workdir).get("train_seconds")
    start = Path(workdir) / INITIALIZED_FROM  # begun from an exported model: its steps and seconds count too
    begun = json.loads(start.read_text()) if start.is_file() else {}
    seconds, last = float(begun.get("train_seconds") or 0.0), int(begun.get("step", 0))
    for line in path.read_text().splitlines():
        row = json.loads(line) if line.strip() else {}
        if upto is not None and row.get("step", 0) > upto:
            continue
        if row.get("steps_per_s") and row.get("step", 0) > last:
            seconds += (row["step"] - last) / row["steps_per_s"]
            last = row["step"]
    return seconds or None


def train_time(workdir: Path) -> str:
    seconds = train_seconds(workdir)
    return f"{seconds / 60:.0f} min" if seconds else "–"
