"""Model kinds, registered under the name a config gives in `model.kind`.

Adding a kind: a module in this package with a spec dataclass (a `ModelSpec` subclass naming its
Flax module) and a line in `KINDS`; then a config whose `model.kind` is that name.
"""

from __future__ import annotations

import jax.numpy as jnp

from ada.models.base import Autoregressive, AutoregressiveSpec, ModelSpec, nll
from ada.models.level import ADALevel, LevelSpec
from ada.models.musicvae import MusicVAE, MusicVAESpec
from ada.models.predictor import Predictor, PredictorSpec
from ada.models.prior import Prior, PriorSpec

KINDS: dict[str, type[ModelSpec]] = {spec.kind: spec for spec in (LevelSpec, PriorSpec, PredictorSpec, MusicVAESpec)}

__all__ = ["KINDS", "ADALevel", "Autoregressive", "AutoregressiveSpec", "LevelSpec", "ModelSpec", "MusicVAE",
           "MusicVAESpec", "Predictor", "PredictorSpec", "Prior", "PriorSpec", "build_model", "model_spec", "nll"]


def model_spec(cfg) -> ModelSpec:
    """config.model -> the spec of its kind (ValueError for an unknown kind or a bad field)."""
    if cfg.kind not in KINDS:
        raise ValueError(f"model.kind must be one of {', '.join(repr(k) for k in KINDS)}, not {cfg.kind!r}")
    return KINDS[cfg.kind].from_config(cfg)


def build_model(spec: ModelSpec, dtype=jnp.float32):
    return spec.build(dtype)
