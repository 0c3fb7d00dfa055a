"""The train state and its optimiser: what a checkpoint holds and what every step updates."""

from __future__ import annotations

from typing import Any

import flax
import jax
import jax.numpy as jnp
import optax

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}
INITIALIZED_FROM = "initialized_from.json"  # in a workdir started from an exported model (`ada train --init_from`)


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


def compute_dtype(train_config):
    """The activations' dtype (`train.dtype`); parameters stay float32."""
    return DTYPES[train_config.dtype]


def warmup(t):
    """Linear warm-up from 0 to `learning_rate` over `warmup_steps`, then constant (the audio models)."""
    return optax.linear_schedule(0.0, t.learning_rate, max(t.warmup_steps, 1))


def exponential_decay(t):
    """(learning_rate − min_learning_rate) · decay_rate^step + min_learning_rate (Magenta's MusicVAE)."""
    return lambda step: (t.learning_rate - t.min_learning_rate) * jnp.power(t.decay_rate, step) + t.min_learning_rate


SCHEDULES = {"warmup": warmup, "exponential_decay": exponential_decay}  # train.schedule


def optimiser(t) -> optax.GradientTransformation:
    """Adam after global-norm clipping at `grad_clip`, with the learning-rate schedule `train.schedule`
    (warm-up when a config names none, as every config written before schedules were a choice)."""
    schedule = SCHEDULES[t.get("schedule", "warmup")](t)
    return optax.chain(optax.clip_by_global_norm(t.grad_clip), optax.adam(schedule))


def init_state(model, config, tx) -> TrainState:
    tokens = model.spec.example(config)
    variables = model.init(jax.random.key(config.seed), tokens)
    params = variables["params"]
    return TrainState(step=jnp.zeros((), jnp.int32), params=params, ema_params=params,
                      opt_state=tx.init(params), vq={k: v for k, v in variables.items() if k == "vq"})
