"""The one trainer, for every level and the prior: data parallel over every device of every host.

`jax.make_mesh` + `NamedSharding` + `jax.jit` with donated state (pmap is in maintenance mode):
parameters are replicated, the batch is split along the "data" axis, and each process feeds its
own slice with `jax.make_array_from_process_local_data`. Orbax saves the train state and the grain
iterator state together, asynchronously, every `checkpoint_every` steps and on SIGTERM or
preemption; rerunning the same command resumes exactly where the last checkpoint left off.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import time
from pathlib import Path
from typing import Any

import flax
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding, PartitionSpec as P

from ada.config import ConfigError, validate
from ada.dataset import open_dataset
from ada.loader import eval_batches, train_loader
from ada.models import ModelSpec, build_model

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"


class TrainingDiverged(Exception):
    """The loss became NaN or infinite; the last good checkpoint is left as it was."""


@flax.struct.dataclass
class TrainState:
    step: jax.Array
    params: Any
    ema_params: Any  # Polyak averages, used for evaluation, encoding and sampling
    opt_state: Any
    vq: Any  # the VQ codebook and its EMA statistics ({} for other models)

    @property
    def eval_variables(self) -> dict:
        """What evaluation, encoding and sampling apply: Polyak parameters and the codebook."""
        return {"params": self.ema_params, **self.vq}


def optimiser(t) -> optax.GradientTransformation:
    schedule = optax.linear_schedule(0.0, t.learning_rate, max(t.warmup_steps, 1))
    return optax.chain(optax.clip_by_global_norm(t.grad_clip), optax.adam(schedule))


def init_state(model, config, tx) -> TrainState:
    tokens = jnp.zeros((1, config.data.crop), jnp.int32)
    variables = model.init(jax.random.key(config.seed), tokens)
    params = variables["params"]
    return TrainState(step=jnp.zeros((), jnp.int32), params=params, ema_params=params,
                      opt_state=tx.init(params), vq={k: v for k, v in variables.items() if k == "vq"})


def data_mesh() -> jax.sharding.Mesh:
    """Every device of every host on one "data" axis; XLA propagates shardings (Auto axes)."""
    return jax.make_mesh((jax.device_count(),), ("data",), axis_types=(jax.sharding.AxisType.Auto,))


def make_train_step(model, tx, config):
    decay = config.train.ema_decay

    def train_step(state: TrainState, batch):
        rng = jax.random.fold_in(jax.random.key(config.seed), state.step)

        def loss_fn(params):
            out, mutated = model.apply({"params": params, **state.vq}, batch["tokens"], update=True, rng=rng,
                                       mutable=["vq"])
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


def make_eval_step(model):
    """(variables, padded batch) -> (summed NLL of the real rows, how many real rows)."""

    def eval_step(variables, batch):
        out = model.apply(variables, batch["tokens"], batch["mask"])
        return out["nll"] * batch["mask"].sum(), batch["mask"].sum()

    return eval_step


def maybe_initialize_distributed(coordinator: str | None = None, num_processes: int | None = None,
                                 process_id: int | None = None) -> None:
    """Join a multi-process job: explicit coordinator flags, or what SLURM / a TPU pod provides."""
    import os

    if coordinator:
        # collectives between CPU processes go over gloo; the setting leaves GPU and TPU backends alone
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator, num_processes, process_id)
    elif int(os.environ.get("SLURM_NTASKS", "1")) > 1 or os.environ.get("TPU_WORKER_HOSTNAMES") \
            or os.environ.get("JAX_COORDINATOR_ADDRESS"):
        jax.distributed.initialize()


class _StopFlag:
    """SIGTERM (a scheduler's preemption notice) asks the loop to checkpoint and stop cleanly."""

    def __init__(self):
        self.raised = False
        self._old = signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum, frame):
        self.raised = True

    def restore(self):
        signal.signal(signal.SIGTERM, self._old)


class _Metrics:
    """Scalars to metrics.jsonl (any tool reads it) and TensorBoard, from process 0 only."""

    def __init__(self, workdir: Path, resumed_at: int):
        self.active = jax.process_index() == 0
        if not self.active:
            return
        path = workdir / METRICS_FILE
        if path.exists():  # drop lines from beyond the checkpoint we resume from
            from ada.atomic import write_text

            keep = [l for l in path.read_text().splitlines() if l and json.loads(l)["step"] <= resumed_at]
            write_text(path, "".join(l + "\n" for l in keep))
        self.file = open(path, "a")
        from tensorboardX import SummaryWriter

        self.tb = SummaryWriter(str(workdir / "tensorboard"))

    def write(self, step: int, scalars: dict):
        if not self.active:
            return
        self.file.write(json.dumps({"step": step, **{k: float(v) for k, v in scalars.items()}}) + "\n")
        self.file.flush()
        for k, v in scalars.items():
            self.tb.add_scalar(k, float(v), step)

    def close(self):
        if self.active:
            self.file.close()
            self.tb.close()


def save_config(workdir: Path, config) -> None:
    """Record the config; refuse to resume a workdir that holds a different model."""
    from ada.atomic import write_json

    path = workdir / CONFIG_FILE
    new = json.loads(config.to_json())
    if path.exists():
        old = json.loads(path.read_text())
        if old["model"] != new["model"]:
            raise ConfigError(f"{workdir} holds a checkpoint of a different model (see {path}); "
                              "use a new --workdir or the same model config")
    if jax.process_index() == 0:
        write_json(path, new)


def train(config, workdir, progress: bool = True) -> tuple[TrainState, dict]:
    """Train (or resume) to config.train.steps; returns the final state and last metrics."""
    import orbax.checkpoint as ocp
    import grain
    from tqdm import tqdm

    workdir = Path(workdir).resolve()
    data = open_dataset(config.data.path)
    devices, processes = jax.device_count(), jax.process_count()
    spec: ModelSpec = validate(config, data, devices, processes)
    workdir.mkdir(parents=True, exist_ok=True)
    save_config(workdir, config)

    mesh = data_mesh()
    replicated, sharded = NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))
    model = build_model(spec, jnp.bfloat16 if config.train.dtype == "bfloat16" else jnp.float32)
    tx = optimiser(config.train)
    state = jax.jit(lambda: init_state(model, config, tx), out_shardings=replicated)()
    local_batch = config.data.batch_size // processes
    loader = train_loader(data, crop=config.data.crop, batch_size=local_batch, seed=config.seed,
                          workers=config.data.workers)
    batches = iter(loader)

    manager = ocp.CheckpointManager(
        workdir / "checkpoints", item_names=("state", "data"),
        options=ocp.CheckpointManagerOptions(max_to_keep=config.train.keep_checkpoints, create=True,
                                             enable_async_checkpointing=True))
    start = manager.latest_step()
    if start is not None:
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, state)
        restored = manager.restore(start, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract), data=grain.checkpoint.CheckpointRestore(batches)))
        state = restored["state"]
    start = int(state.step)

    train_step = jax.jit(make_train_step(model, tx, config), in_shardings=(replicated, sharded),
                         out_shardings=(replicated, replicated), donate_argnums=0)
    eval_step = jax.jit(make_eval_step(model), in_shardings=(replicated, sharded), out_shardings=replicated)

    def save(step: int):
        manager.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                                   data=grain.checkpoint.CheckpointSave(batches)), force=True)

    def evaluate() -> float:
        total = count = 0.0
        for batch in eval_batches(data, crop=config.data.crop, batch_size=config.data.eval_batch_size // processes,
                                  max_crops=config.data.eval_crops):
            s, n = eval_step(state.eval_variables,
                             {k: jax.make_array_from_process_local_data(sharded, v) for k, v in batch.items()})
            total, count = total + float(s), count + float(n)
        return total / max(count, 1)

    metrics_log = _Metrics(workdir, start)
    stop = _StopFlag()
    pending, last, last_saved = [], {}, start
    bar = tqdm(total=config.train.steps, initial=start, unit="step", desc="train",
               disable=not progress or jax.process_index() != 0, dynamic_ncols=True)
    tick, tick_step, data_wait = time.perf_counter(), start, 0.0

    def check(step):
        """Fetch metrics since the last check; refuse to go on (or save) past a non-finite loss."""
        nonlocal pending, last
        fetched = jax.device_get(pending)
        pending = []
        for i, m in enumerate(fetched):
            if not math.isfinite(float(m["loss"])):
                raise TrainingDiverged(
                    f"loss became {float(m['loss'])} at step {step - len(fetched) + i + 1}; the last good "
                    f"checkpoint (step {last_saved}) in {workdir} is intact. Lower --config.train.learning_rate "
                    "or use float32, then rerun to resume from it.")
        if fetched:
            last = {k: float(np.mean([m[k] for m in fetched])) for k in fetched[-1]}

    try:
        step = start
        while step < config.train.steps:
            t0 = time.perf_counter()
            local = next(batches)
            data_wait += time.perf_counter() - t0
            batch = {"tokens": jax.make_array_from_process_local_data(sharded, local["tokens"])}
            state, metrics = train_step(state, batch)
            step += 1
            pending.append(metrics)
            preempted = stop.raised or manager.reached_preemption(step)
            if step % config.train.log_every == 0 or step == config.train.steps or preempted:
                check(step)
                now = time.perf_counter()
                rate = (step - tick_step) / (now - tick)
                # samples/s counts audio samples (timesteps), as audio people do, not crops
                scalars = {**last, "steps_per_s": rate,
                           "samples_per_s": rate * config.data.batch_size * config.data.crop,
                           "data_wait_share": data_wait / (now - tick)}
                metrics_log.write(step, scalars)
                bar.set_postfix(loss=f"{last['loss']:.3f}", nll=f"{last['nll']:.3f}", samples_s=f"{scalars['samples_per_s']:,.0f}")
                tick, tick_step, data_wait = now, step, 0.0
            if step % config.train.eval_every == 0 or step == config.train.steps:
                last["eval_nll"] = evaluate()
                metrics_log.write(step, {"eval_nll": last["eval_nll"]})
            if step % config.train.checkpoint_every == 0 or step == config.train.steps or preempted:
                check(step)
                save(step)
                last_saved = step
            bar.update(1)
            if preempted:
                manager.wait_until_finished()
                print(f"stopped at step {step} on request; checkpoint saved in {workdir}; "
                      "rerun the same command to resume", file=sys.stderr)
                return state, {**last, "step": step, "stopped": True}
        manager.wait_until_finished()
        if "eval_nll" not in last:  # resumed at the very end
            last["eval_nll"] = evaluate()
        return state, {**last, "step": step}
    finally:
        bar.close()
        stop.restore()
        metrics_log.close()
        manager.wait_until_finished()
        manager.close()


def load_state(workdir, step: int | None = None):
    """(config, spec, model, state) of a trained workdir, for encoding, sampling and evaluation."""
    import ml_collections
    import orbax.checkpoint as ocp

    from ada.models import model_spec

    workdir = Path(workdir).resolve()
    path = workdir / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"{workdir}: no {CONFIG_FILE}; is it a training workdir? (train one with `ada train`)")
    config = ml_collections.ConfigDict(json.loads(path.read_text()))
    spec = model_spec(config.model)
    model = build_model(spec)
    tx = optimiser(config.train)
    # restore replicated onto this process's devices, whatever topology the checkpoint was saved from
    replicated = NamedSharding(data_mesh(), P())
    abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=replicated),
                            jax.eval_shape(lambda: init_state(model, config, tx)))
    with ocp.CheckpointManager(workdir / "checkpoints", item_names=("state", "data"),
                               options=ocp.CheckpointManagerOptions(read_only=True)) as manager:
        step = manager.latest_step() if step is None else step
        if step is None:
            raise ConfigError(f"{workdir}: no checkpoint yet; train it first (`ada train --workdir {workdir}`)")
        restored = manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract)))
    return config, spec, model, restored["state"]
