"""The paper's 3-layer predictor for its predictability profile (Fig. 2, `ada profile`)."""

from __future__ import annotations

from dataclasses import dataclass

import flax.linen as nn
import jax
import jax.numpy as jnp

from ada.models.base import ModelSpec, nll


class Predictor(nn.Module):
    """A causal convolution of length `rf` over one-hot tokens (so an embedding table per tap), ReLU,
    a linear layer, ReLU, and a linear layer to the logits. Taps are summed in a scan, so rf = 1024
    stays cheap."""

    spec: PredictorSpec
    dtype: jnp.dtype = jnp.float32

    def __call__(self, tokens, mask=None, update: bool = False, rng=None, step=None):
        value = nll(self.logits(tokens), tokens, mask)
        return {"loss": value, "nll": value, "stats": {}}

    @nn.compact
    def logits(self, tokens):
        r, V, H = self.spec.rf, self.spec.vocab, self.spec.hidden
        tables = self.param("conv", nn.initializers.normal(1.0 / jnp.sqrt(r)), (r, V, H))
        x = tokens.astype(jnp.int32)
        B, T = x.shape
        padded = jnp.pad(x, ((0, 0), (r, 0)), constant_values=-1)  # padded[i] = x[i - r]

        def tap(acc, j_table):
            j, table = j_table
            past = jax.lax.dynamic_slice_in_dim(padded, r - 1 - j, T, axis=1)  # x[t - 1 - j]
            return acc + jnp.where((past >= 0)[..., None], table[jnp.maximum(past, 0)].astype(acc.dtype), 0), None

        h, _ = jax.lax.scan(tap, jnp.zeros((B, T, H), self.dtype), (jnp.arange(r), tables))
        h = jax.nn.relu(h + self.param("conv_bias", nn.initializers.zeros, (H,)).astype(self.dtype))
        h = jax.nn.relu(nn.Dense(H, dtype=self.dtype)(h))
        return nn.Dense(V, dtype=self.dtype)(h).astype(jnp.float32)


@dataclass(frozen=True)
class PredictorSpec(ModelSpec):
    rf: int = 1  # length of its causal convolution
    hidden: int = 128  # width of its hidden layers
    kind = "predictor"
    title = "a predictor"
    module = Predictor

    @classmethod
    def from_config(cls, cfg) -> PredictorSpec:
        if cfg.rf < 1:
            raise ValueError(f"model.rf must be at least 1, not {cfg.rf}")
        return cls(vocab=cfg.vocab, rf=cfg.rf, hidden=cfg.hidden)

    def receptive_fields(self) -> dict[str, int]:
        return {"local": self.rf}
