"""The model interface: what the trainer, sampler, encoder, evaluator and stack may ask of a model.

A model kind is a frozen spec dataclass (its shape, built from `config.model`) and a Flax module
(its parameters and computations). The spec answers the questions asked before anything compiles
(receptive fields, hop, is it a level, can it be sampled step by step, what data it trains on); the
module computes. Every module's `__call__(tokens, mask=None, update=False, rng=None, step=None)` returns
``{"loss": scalar, "nll": nats per timestep, "stats": {name: scalar}}``; `step` is the training step, for
models whose objective follows a schedule (a KL weight, scheduled sampling); others ignore it. A kind whose
spec names `hyperparameters()` also takes them as `hyper=` (a dict of arrays) in training: the trainer passes
them as inputs of the compiled step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import flax.linen as nn
import jax.numpy as jnp
import optax

from ada.nn.wavenet import WaveNetSpec, receptive_field


@dataclass(frozen=True)
class ModelSpec:
    """The shape of a model; subclasses add their fields and register under `kind` (ada/models/__init__.py)."""

    vocab: int
    kind: ClassVar[str]  # its name in config.model.kind
    title: ClassVar[str]  # what a user calls it, in messages ("an ADA level")
    module: ClassVar[type[nn.Module]]
    autoregressive: ClassVar[bool] = False  # the module has init_cache and step (one sampler serves it)
    is_level: ClassVar[bool] = False  # the module has encode and conditioning (tokens <-> codes)

    @classmethod
    def from_config(cls, cfg) -> ModelSpec:
        """config.model (ml_collections) -> spec; raises ValueError naming the bad field."""
        raise NotImplementedError

    def receptive_fields(self) -> dict[str, int]:
        """Steps one output depends on, per component; "local" is what a training crop must cover."""
        raise NotImplementedError

    def check_crop(self, crop: int) -> None:
        """Raise ValueError when training crops of `crop` steps cannot train this model."""
        local = self.receptive_fields()["local"]
        if crop < local:
            raise ValueError(f"data.crop={crop} is shorter than the local model's receptive field ({local} steps)")

    def build(self, dtype=jnp.float32) -> nn.Module:
        return self.module(self, dtype)

    def hyperparameters(self) -> dict[str, float]:
        """Training hyperparameters the train step takes as inputs (`hyper=`) rather than compiling in as
        constants, so that runs differing only in them (PBT members, before and after an exploit) share one
        compiled program. None by default."""
        return {}

    def example(self, config) -> jnp.ndarray:
        """One batch row of the tokens the module reads, to initialise its parameters."""
        return jnp.zeros((1, config.data.crop), jnp.int32)

    def training_data(self, config):
        """The data it trains on (`ada.data.loader.TrainingData`): random crops of a token dataset by default."""
        from ada.data.loader import AudioCrops  # the data layer; imported here so specs stay cheap to import

        return AudioCrops.open(config)


@dataclass(frozen=True)
class AutoregressiveSpec(ModelSpec):
    """A model sampled step by step through its causal local WaveNet, `hop` steps per conditioning code."""

    local: WaveNetSpec = None
    autoregressive: ClassVar[bool] = True

    @property
    def hop(self) -> int:
        return 1

    @property
    def conditioning_context(self) -> int:
        """Codes either side that the conditioning of one code depends on (0: unconditioned)."""
        return 0

    def receptive_fields(self) -> dict[str, int]:
        return {"local": receptive_field(self.local)}


def wavenet_spec(cfg, **fixed) -> WaveNetSpec:
    return WaveNetSpec(filter=cfg.filter, stages=cfg.stages, repeats=cfg.repeats, residual=cfg.residual,
                       inner=cfg.inner, skip=cfg.skip, **fixed)


def nll(logits, tokens, mask=None):
    """Mean cross-entropy in nats per timestep (rows weighted by `mask`)."""
    per_step = optax.softmax_cross_entropy_with_integer_labels(logits, tokens.astype(jnp.int32))
    if mask is None:
        return per_step.mean()
    per_row = per_step.mean(-1)
    return jnp.sum(per_row * mask) / jnp.maximum(mask.sum(), 1)


class Autoregressive(nn.Module):
    """A module around a causal local WaveNet (`self.local`, made in `setup`): the sampler's interface."""

    spec: AutoregressiveSpec
    dtype: Any = jnp.float32

    def local_logits(self, tokens, cond=None, mask=None):
        """The local model over a whole sequence: logits [B, T, vocab] (the naive sampler's step)."""
        return self.local(tokens, cond, mask)

    def init_cache(self, batch: int):
        return self.local.init_cache(batch)

    def step(self, token, cache, cond=None):
        """Previous token [B] (and this step's conditioning) -> next token's logits and the new cache."""
        return self.local.step(token, cache, cond)
