"""The workdir format: the config record, Orbax checkpoints, and loading a trained model from them.

A workdir holds ``config.json`` (the config it was trained with), ``checkpoints/<step>/`` (the
train state and the data iterator's position, saved together by Orbax), ``metrics.jsonl`` and
``tensorboard/``. A checkpoint that fails to restore is reported in one line and the newest
intact one is used instead; a trainer sets the damaged one aside in ``damaged-checkpoints/``.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import jax
import ml_collections
import orbax.checkpoint as ocp

from ada.data.atomic import write_json
from ada.models import ModelSpec, model_spec
from ada.training import member
from ada.training.config import ConfigError
from ada.training.parallel import shardings
from ada.training.state import TrainState, init_state, optimiser

CONFIG_FILE = "config.json"
CHECKPOINTS = "checkpoints"
DAMAGED = "damaged-checkpoints"
ITEMS = ("state", "data")
# config.model fields added after workdirs were written, at the value every workdir had before them
ADDED_MODEL_FIELDS = {"input_dropout": 0.0}


def record_config(workdir: Path, config) -> None:
    """Record the config; refuse to resume a workdir that holds a different model."""
    path = workdir / CONFIG_FILE
    new = json.loads(config.to_json())
    if path.exists():
        old = json.loads(path.read_text())
        added = {k: v for k, v in ADDED_MODEL_FIELDS.items() if k in new["model"]}
        if {**added, **old["model"]} != new["model"]:
            raise ConfigError(f"{workdir} holds a checkpoint of a different model (see {path}); "
                              "use a new --workdir or the same model config")
    if jax.process_index() == 0:
        write_json(path, new)


def read_config(workdir: Path) -> ml_collections.ConfigDict:
    path = workdir / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"{workdir}: no {CONFIG_FILE}; is it a training workdir? (train one with `ada train`)")
    return ml_collections.ConfigDict(json.loads(path.read_text()))


def manager(workdir: Path, keep: int | None = None, read_only: bool = False) -> ocp.CheckpointManager:
    """The one Orbax manager of a workdir: asynchronous saves for a trainer, read-only for everyone else."""
    options = (ocp.CheckpointManagerOptions(read_only=True) if read_only else
               ocp.CheckpointManagerOptions(max_to_keep=keep, create=True, enable_async_checkpointing=True))
    return ocp.CheckpointManager(Path(workdir) / CHECKPOINTS, item_names=ITEMS, options=options)


def abstract_state(model, config, sharding) -> TrainState:
    """Shapes and dtypes of the train state, placed by `sharding`: restores onto any topology."""
    tx = optimiser(config.train)
    return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding),
                        jax.eval_shape(lambda: init_state(model, config, tx)))


def _closed_loop_error(exc) -> bool:
    return isinstance(exc, RuntimeError) and str(exc) == "Event loop is closed"


def quiet_abandoned_reads() -> None:
    """A restore that fails part-way leaves tensorstore reads in flight; when each finishes, its callback finds
    orbax's event loop already closed and prints a traceback (hundreds for one damaged step). Those reads'
    results are not wanted: drop exactly that error from the hooks that print it, and nothing else."""
    if getattr(sys.excepthook, "quiet_abandoned_reads", False):
        return
    excepthook, unraisablehook = sys.excepthook, sys.unraisablehook

    def on_exception(kind, value, tb):
        if not _closed_loop_error(value):
            excepthook(kind, value, tb)

    def on_unraisable(info):
        if not _closed_loop_error(info.exc_value):
            unraisablehook(info)

    on_exception.quiet_abandoned_reads = True
    sys.excepthook, sys.unraisablehook = on_exception, on_unraisable


def restore_newest(mgr: ocp.CheckpointManager, args: Callable[[], Any], workdir: Path,
                   set_aside: bool = False) -> tuple[int | None, Any]:
    """(step, restored) of the newest checkpoint that restores, or (None, None) when there is none.

    A step that fails is reported in one line and skipped; with `set_aside` (a trainer, which will
    save over that step number again) it is moved to ``damaged-checkpoints/`` for inspection.
    """
    steps = sorted(mgr.all_steps(), reverse=True)
    quiet_abandoned_reads()  # before the first try: a failing restore's reads may finish before it raises
    for step in steps:
        try:
            return step, mgr.restore(step, args=args())
        except Exception as e:  # noqa: BLE001 - any failure of a damaged step means: try the one before
            reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
            print(f"warning: {workdir}: checkpoint {step} cannot be restored ({reason}); trying an older one",
                  file=sys.stderr)
            if set_aside and jax.process_index() == 0:
                aside = workdir / DAMAGED / str(step)
                aside.parent.mkdir(exist_ok=True)
                shutil.rmtree(aside, ignore_errors=True)
                shutil.move(str(workdir / CHECKPOINTS / str(step)), aside)
                print(f"warning: moved checkpoint {step} to {aside}", file=sys.stderr)
                mgr.reload()  # or the manager still counts the step and refuses to save it again
    if steps:
        if set_aside:
            mgr.reload()
            return None, None
        raise ConfigError(f"{workdir}: none of its checkpoints ({', '.join(map(str, steps))}) can be restored")
    return None, None


@dataclass
class Trained:
    """A trained model, loaded for encoding, sampling and evaluation (Polyak parameters in `variables`)
    from a training workdir (`state` is its whole train state) or an exported folder (no state)."""

    workdir: Path
    config: ml_collections.ConfigDict
    spec: ModelSpec
    model: Any
    step: int
    variables: dict
    state: TrainState | None = None


def restore_step(mgr: ocp.CheckpointManager, step: int, args: Callable[[], Any], workdir: Path) -> Any:
    """The checkpoint at `step`, which the workdir must keep (one error line naming those it keeps)."""
    kept = sorted(mgr.all_steps())
    if step not in kept:
        raise ConfigError(f"{workdir}: no checkpoint at step {step} (it keeps "
                          f"{', '.join(map(str, kept)) or 'none'})")
    try:
        return mgr.restore(step, args=args())
    except Exception as e:  # noqa: BLE001 - a damaged step: say which, in one line
        reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise ConfigError(f"{workdir}: checkpoint {step} cannot be restored ({reason})") from None


def load(workdir, step: int | None = None) -> Trained:
    """Config, spec, model (float32) and Polyak variables of a workdir's newest intact checkpoint (or the one
    at `step`, to measure or ship a step other than the last), or of an exported folder (`ada export`)."""
    workdir = Path(workdir).resolve()
    config = read_config(workdir)
    spec = model_spec(config.model)
    model = spec.build()
    replicated, _ = shardings()
    abstract = abstract_state(model, config, replicated)
    if member.is_exported(workdir):
        stored, variables = member.load_member(workdir, abstract.eval_variables)
        if step is not None and step != stored:
            raise ConfigError(f"{workdir}: an exported model of step {stored}; it holds no step {step}")
        return Trained(workdir, config, spec, model, stored, variables)
    args = lambda: ocp.args.Composite(state=ocp.args.StandardRestore(abstract))  # noqa: E731
    with manager(workdir, read_only=True) as mgr:
        if step is None:
            step, restored = restore_newest(mgr, args, workdir)
        else:
            restored = restore_step(mgr, step, args, workdir)
    if step is None:
        raise ConfigError(f"{workdir}: no checkpoint yet; train it first (`ada train --workdir {workdir}`)")
    state = restored["state"]
    return Trained(workdir, config, spec, model, int(state.step), state.eval_variables, state)
