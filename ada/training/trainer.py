"""The one trainer, for every model kind: data parallel over every device of every host.

`jax.make_mesh` + `NamedSharding` + `jax.jit` with donated state (pmap is in maintenance mode):
parameters are replicated, the batch is split along the "data" axis, and each process feeds its
own slice with `jax.make_array_from_process_local_data`. Orbax saves the train state and the grain
iterator state together, asynchronously, every `checkpoint_every` steps and on SIGTERM or
preemption; rerunning the same command resumes exactly where the last checkpoint left off.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import sys
import threading
import time
from pathlib import Path

import grain
import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp
from tqdm import tqdm

from ada.data import lock
from ada.data.atomic import write_json
from ada.data.loader import Resumable
from ada.training import checkpoint
from ada.training.config import validate
from ada.training.evaluator import Evaluator
from ada.training.metrics_log import MetricsLog
from ada.training.parallel import shardings
from ada.training.state import INITIALIZED_FROM, TrainState, compute_dtype, init_state, optimiser


class TrainingDiverged(Exception):
    """The loss became NaN or infinite; the last good checkpoint is left as it was."""


def make_train_step(model, tx, config):
    decay = config.train.ema_decay

    def train_step(state: TrainState, batch, hyper=None):
        """`hyper`: the model's runtime hyperparameters (ModelSpec.hyperparameters), or None for its spec's."""
        rng = jax.random.fold_in(jax.random.key(config.seed), state.step)
        given = {"hyper": hyper} if hyper else {}

        def loss_fn(params):
            out, mutated = model.apply({"params": params, **state.vq}, batch["tokens"], update=True, rng=rng,
                                       step=state.step, mutable=["vq"], **given)
            return out["loss"], (out, mutated)

        (loss, (out, mutated)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
        updates, opt_state = tx.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        # Polyak averaging, with a short warm-up so early averages are not dominated by the init
        d = jnp.minimum(decay, (1.0 + state.step) / (10.0 + state.step))
        ema = jax.tree.map(lambda e, p: d * e + (1 - d) * p, state.ema_params, params)
        metrics = {"loss": loss, "nll": out["nll"], "grad_norm": optax.global_norm(grads), **out["stats"]}
        return state.replace(step=state.step + 1, params=params, ema_params=ema, opt_state=opt_state,
                             vq=dict(mutated) or state.vq), metrics

    return train_step


def runtime_hyperparameters(spec) -> dict:
    """The spec's runtime hyperparameters as float32 scalars, the train step's `hyper`: runs that differ only in
    them (PBT's β and γ) compile one program, which the persistent compilation cache then serves to all."""
    return {name: jnp.float32(value) for name, value in spec.hyperparameters().items()}


def start_from_exported(state: TrainState, tx, folder, workdir: Path) -> TrainState:
    """A fresh train state carrying an exported model's parameters (`ada export`, `ada notes export`, or a
    shipped folder in pretrained/) and its step, so that the learning-rate, KL-weight and averaging schedules
    go on where its training left them. An export keeps no optimiser state: Adam's moments start at zero.
    Its Polyak parameters become both the trained and the averaged ones. Where it came from is recorded in
    the workdir (INITIALIZED_FROM), which also counts its training time (`member.train_seconds`)."""
    from ada.training.member import load_member, read_member

    folder = Path(folder).resolve()
    step, variables = load_member(folder, state.eval_variables)  # checked leaf by leaf against this config's model
    params = variables["params"]
    if jax.process_index() == 0:
        write_json(workdir / INITIALIZED_FROM, {"from": str(folder), "step": step,
                                               "train_seconds": read_member(folder).get("train_seconds")})
    averaged = jax.tree.map(lambda p: jnp.array(p, copy=True), params)  # its own buffers: the step donates both
    return state.replace(step=jnp.asarray(step, jnp.int32), params=params, ema_params=averaged,
                         opt_state=_schedule_at(tx.init(params), step),
                         vq={k: v for k, v in variables.items() if k == "vq"})


def _say_resumed_not_begun(workdir: Path, init_from, step: int) -> None:
    """One note where --init_from names a model the workdir's checkpoints did not begin from: they win."""
    begun = workdir / INITIALIZED_FROM
    if jax.process_index() == 0 and (not begun.is_file() or
                                     json.loads(begun.read_text())["from"] != str(Path(init_from).resolve())):
        print(f"note: {workdir} already holds checkpoint {step}, not begun from {init_from}; resuming from it "
              "(--init_from starts only a workdir without checkpoints)", file=sys.stderr)


def _schedule_at(opt_state, step: int):
    """A fresh optimiser state whose learning-rate schedule stands at `step` (Adam's moments and their bias
    correction start afresh, as they must with moments of zero)."""
    def at(s):
        return s._replace(count=jnp.asarray(step, s.count.dtype)) if isinstance(s, optax.ScaleByScheduleState) else s

    return jax.tree.map(at, opt_state, is_leaf=lambda s: isinstance(s, optax.ScaleByScheduleState))


class _StopFlag:
    """SIGTERM (a scheduler's preemption notice) asks the loop to checkpoint and stop cleanly.

    Only a trainer on the main thread can hear it; one run in a thread (a Ray Tune member, `ada pbt`)
    leaves stopping to its host."""

    def __init__(self):
        self.raised = False
        self._main = threading.current_thread() is threading.main_thread()
        self._old = signal.signal(signal.SIGTERM, self._handle) if self._main else None

    def _handle(self, signum, frame):
        self.raised = True

    def restore(self):
        if self._main:
            signal.signal(signal.SIGTERM, self._old)


class Run:
    """One training run's parts (state, data, checkpoints, metrics), each loop stage a method."""

    def __init__(self, config, workdir, progress: bool, init_from=None):
        self.config, self.workdir = config, Path(workdir).resolve()
        processes = jax.process_count()
        spec, self.data = validate(config, jax.device_count(), processes)  # the data the model kind trains on
        self.workdir.mkdir(parents=True, exist_ok=True)
        checkpoint.record_config(self.workdir, config)

        replicated, self.sharded = shardings()
        model = spec.build(compute_dtype(config.train))
        tx = optimiser(config.train)
        self.state = jax.jit(lambda: init_state(model, config, tx), out_shardings=replicated)()
        self.batches = Resumable(iter(self.data.train_batches(batch_size=config.data.batch_size // processes,
                                                              seed=config.seed, workers=config.data.workers)))
        self.manager = checkpoint.manager(self.workdir, keep=config.train.keep_checkpoints)
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, self.state)
        _, restored = checkpoint.restore_newest(
            self.manager, lambda: ocp.args.Composite(state=ocp.args.StandardRestore(abstract),
                                                     data=grain.checkpoint.CheckpointRestore(self.batches)),
            self.workdir, set_aside=True)
        if restored is not None:
            self.state = restored["state"]
            if init_from is not None:
                _say_resumed_not_begun(self.workdir, init_from, int(self.state.step))
        elif init_from is not None:
            self.state = jax.device_put(start_from_exported(self.state, tx, init_from, self.workdir), replicated)
        self.step = self.last_saved = int(self.state.step)

        self.hyper = jax.device_put(runtime_hyperparameters(spec), replicated)  # on every device once
        self._train_step = jax.jit(make_train_step(model, tx, config),
                                   in_shardings=(replicated, self.sharded, replicated),
                                   out_shardings=(replicated, replicated), donate_argnums=0)
        self.evaluator = Evaluator(model, self.data, batch_size=config.data.eval_batch_size,
                                   examples=config.data.eval_crops)
        self.metrics = MetricsLog(self.workdir, self.step)
        if self.batches.changed:  # a grown dataset, another crop or path: said once, and logged
            if jax.process_index() == 0:
                print(f"note: the training data changed since checkpoint {self.step} (was {self.batches.changed[0]},"
                      f" now {self.batches.changed[1]}); the crop stream goes on over the new data", file=sys.stderr)
            self.metrics.write(self.step, {"data_changed": 1})
        self.stop = _StopFlag()
        self.pending, self.last = [], {}
        self.bar = tqdm(total=config.train.steps, initial=self.step, unit="step", desc="train",
                        disable=not progress or jax.process_index() != 0, dynamic_ncols=True)
        self.tick, self.tick_step, self.data_wait = time.perf_counter(), self.step, 0.0

    def train_step(self) -> None:
        t0 = time.perf_counter()
        local = next(self.batches)
        self.data_wait += time.perf_counter() - t0
        batch = {"tokens": jax.make_array_from_process_local_data(self.sharded, local["tokens"])}
        self.state, metrics = self._train_step(self.state, batch, self.hyper)
        self.step += 1
        self.pending.append(metrics)

    def preempted(self) -> bool:
        return self.stop.raised or self.manager.reached_preemption(self.step)

    def check(self) -> None:
        """Fetch metrics since the last check; refuse to go on (or save) past a non-finite loss."""
        fetched, self.pending = jax.device_get(self.pending), []
        for i, m in enumerate(fetched):
            if not math.isfinite(float(m["loss"])):
                raise TrainingDiverged(
                    f"loss became {float(m['loss'])} at step {self.step - len(fetched) + i + 1}; the last good "
                    f"checkpoint (step {self.last_saved}) in {self.workdir} is intact. Lower "
                    "--config.train.learning_rate or use float32, then rerun to resume from it.")
        if fetched:
            self.last = {k: float(np.mean([m[k] for m in fetched])) for k in fetched[-1]}

    def log(self) -> None:
        self.check()
        now = time.perf_counter()
        rate = (self.step - self.tick_step) / (now - self.tick)
        # samples/s counts timesteps (audio samples, note steps), as audio people do, not examples
        scalars = {**self.last, "steps_per_s": rate,
                   "samples_per_s": rate * self.config.data.batch_size * self.data.steps_per_example,
                   "data_wait_share": self.data_wait / (now - self.tick)}
        self.metrics.write(self.step, scalars)
        self.bar.set_postfix(loss=f"{self.last['loss']:.3f}", nll=f"{self.last['nll']:.3f}",
                             samples_s=f"{scalars['samples_per_s']:,.0f}")
        self.tick, self.tick_step, self.data_wait = now, self.step, 0.0

    def evaluate(self) -> None:
        self.last["eval_nll"] = self.evaluator(self.state.eval_variables).nll
        self.metrics.write(self.step, {"eval_nll": self.last["eval_nll"]})

    def save(self) -> None:
        self.check()
        self.manager.save(self.step, args=ocp.args.Composite(state=ocp.args.StandardSave(self.state),
                                                             data=grain.checkpoint.CheckpointSave(self.batches)),
                          force=True)
        self.last_saved = self.step

    def result(self, **extra) -> tuple[TrainState, dict]:
        self.manager.wait_until_finished()
        return self.state, {**self.last, "step": self.step, **extra}

    def close(self) -> None:
        self.bar.close()
        self.stop.restore()
        self.metrics.close()
        self.manager.wait_until_finished()
        self.manager.close()


def train(config, workdir, progress: bool = True, init_from=None) -> tuple[TrainState, dict]:
    """Train (or resume) to config.train.steps; returns the final state and the last metrics.

    `init_from`, an exported model folder, starts a workdir without a checkpoint from its parameters
    (`start_from_exported`); a workdir with one resumes it as always.
    Process 0 holds the workdir's lock (`ada.data.lock`): a second `ada train` on it is refused in one line."""
    with lock.hold(workdir, "ada train") if jax.process_index() == 0 else contextlib.nullcontext():
        return _train(config, workdir, progress, init_from)


def _train(config, workdir, progress: bool, init_from=None) -> tuple[TrainState, dict]:
    t = config.train
    run = Run(config, workdir, progress, init_from)
    try:
        while run.step < t.steps:
            run.train_step()
            end, preempted = run.step == t.steps, run.preempted()
            if run.step % t.log_every == 0 or end or preempted:
                run.log()
            if run.step % t.eval_every == 0 or end:
                run.evaluate()
            if run.step % t.checkpoint_every == 0 or end or preempted:
                run.save()
            run.bar.update(1)
            if preempted:
                print(f"stopped at step {run.step} on request; checkpoint saved in {run.workdir}; "
                      "rerun the same command to resume", file=sys.stderr)
                return run.result(stopped=True)
        if "eval_nll" not in run.last:  # resumed at the very end: report, the log has it already
            run.last["eval_nll"] = run.evaluator(run.state.eval_variables).nll
        return run.result()
    finally:
        run.close()
