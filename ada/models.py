"""The two models: an ADA level (encoder → quantiser → modulator → local model) and a prior.

Both read token batches [B, T] and return the NLL in nats per timestep; both expose the same
single-step apply over their causal local model, so one sampler serves both. A prior is a local
model without conditioning; a level conditions its local model on its own codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from ada.nn.quantise import QuantiserSpec, make_quantiser
from ada.nn.wavenet import WaveNet, WaveNetSpec, receptive_field


@dataclass(frozen=True)
class ModelSpec:
    """Everything that fixes a model's parameters; built from a config by `model_spec`."""

    kind: str  # "ada" | "prior"
    vocab: int
    local: WaveNetSpec
    hop: int = 1
    encoder_input: str = "continuous"  # or "one_hot"
    encoder: WaveNetSpec | None = None
    quantiser: QuantiserSpec | None = None
    modulator: WaveNetSpec | None = None

    @property
    def code_vocab(self) -> int:
        return self.quantiser.codes if self.quantiser else 0


def _wavenet(cfg, **fixed) -> WaveNetSpec:
    return WaveNetSpec(filter=cfg.filter, stages=cfg.stages, repeats=cfg.repeats, residual=cfg.residual,
                       inner=cfg.inner, skip=cfg.skip, **fixed)


def model_spec(cfg) -> ModelSpec:
    """config.model (ml_collections) -> ModelSpec, with the widths that follow from each other."""
    local = _wavenet(cfg.local, out=cfg.vocab, causal=True, vocab=cfg.vocab, conditioned=cfg.kind == "ada")
    if cfg.kind == "prior":
        return ModelSpec(kind="prior", vocab=cfg.vocab, local=local)
    if cfg.kind != "ada":
        raise ValueError(f"model.kind must be 'ada' or 'prior', not {cfg.kind!r}")
    q = QuantiserSpec(**cfg.quantiser.to_dict())
    one_hot = cfg.encoder_input == "one_hot"
    if cfg.encoder_input not in ("continuous", "one_hot"):
        raise ValueError(f"model.encoder_input must be 'continuous' or 'one_hot', not {cfg.encoder_input!r}")
    encoder = _wavenet(cfg.encoder, out=q.input_width, causal=False, vocab=cfg.vocab if one_hot else 0,
                       features=0 if one_hot else 1)
    modulator = _wavenet(cfg.modulator, out=local.layers * local.cond_width, causal=False, vocab=0,
                         features=q.input_width)
    return ModelSpec(kind="ada", vocab=cfg.vocab, local=local, hop=cfg.hop, encoder_input=cfg.encoder_input,
                     encoder=encoder, quantiser=q, modulator=modulator)


def nll(logits, tokens, mask=None):
    """Mean cross-entropy in nats per timestep (rows weighted by `mask`)."""
    per_step = optax.softmax_cross_entropy_with_integer_labels(logits, tokens.astype(jnp.int32))
    if mask is None:
        return per_step.mean()
    per_row = per_step.mean(-1)
    return jnp.sum(per_row * mask) / jnp.maximum(mask.sum(), 1)


class Prior(nn.Module):
    """An unconditional WaveNet over tokens (μ-law audio for #1.1, codes for the priors)."""

    spec: ModelSpec
    dtype: Any = jnp.float32

    def setup(self):
        self.local = WaveNet(self.spec.local, self.dtype)

    def __call__(self, tokens, mask=None, update: bool = False, rng=None):
        value = nll(self.local(tokens), tokens, mask)
        return {"loss": value, "nll": value, "stats": {}}

    def init_cache(self, batch: int):
        return self.local.init_cache(batch)

    def step(self, token, cache, cond=None):
        return self.local.step(token, cache, cond)


class ADALevel(nn.Module):
    """Autoregressive discrete autoencoder: codes every `hop` steps condition a local WaveNet."""

    spec: ModelSpec
    dtype: Any = jnp.float32

    def setup(self):
        s = self.spec
        self.encoder = WaveNet(s.encoder, self.dtype)
        self.quantiser = make_quantiser(s.quantiser)
        self.modulator = WaveNet(s.modulator, self.dtype)
        self.local = WaveNet(s.local, self.dtype)

    def _encoder_input(self, tokens):
        if self.spec.encoder_input == "one_hot":
            return tokens
        return (tokens.astype(jnp.float32) * (2.0 / (self.spec.vocab - 1)) - 1.0)[..., None]

    def _quantise(self, tokens, update=False, rng=None, mask=None):
        z = self.encoder(self._encoder_input(tokens), mask=mask)
        B, T, D = z.shape
        z = z.reshape(B, T // self.spec.hop, self.spec.hop, D).mean(axis=2)  # pool at the output side
        return self.quantiser(z, update, rng)

    def conditioning_from_vectors(self, vectors, mask=None):
        """Code vectors [B, T/hop, D] -> per-layer biases of the local model [B, T/hop, layers, 2·inner]."""
        local = self.spec.local
        out = self.modulator(vectors, mask=mask)
        return out.reshape(*out.shape[:2], local.layers, local.cond_width)

    def __call__(self, tokens, mask=None, update: bool = False, rng=None):
        q = self._quantise(tokens, update, rng)
        logits = self.local(tokens, self.conditioning_from_vectors(q["vectors"]))
        value = nll(logits, tokens, mask)
        return {"loss": value + q["loss"], "nll": value, "stats": {**q["stats"], "quantiser_loss": q["loss"]}}

    def encode(self, tokens, mask=None):
        """Tokens [B, T] -> codes [B, T / hop]; deterministic (no codebook update)."""
        return self._quantise(tokens, mask=mask)["codes"]

    def conditioning(self, codes, mask=None):
        """Codes [B, T/hop] -> per-layer biases: what the local model hears while sampling."""
        codes = jnp.maximum(codes, 0)  # masked (padding) positions may hold -1
        if self.spec.quantiser.kind == "vq":
            vectors = self.quantiser.variables["vq"]["codebook"][codes]
        else:
            vectors = jax.nn.one_hot(codes, self.spec.quantiser.codes)
        return self.conditioning_from_vectors(vectors, mask)

    def init_cache(self, batch: int):
        return self.local.init_cache(batch)

    def step(self, token, cache, cond=None):
        return self.local.step(token, cache, cond)


def build_model(spec: ModelSpec, dtype=jnp.float32) -> nn.Module:
    return (ADALevel if spec.kind == "ada" else Prior)(spec, dtype)


def model_receptive_fields(spec: ModelSpec) -> dict:
    fields = {"local": receptive_field(spec.local)}
    if spec.kind == "ada":
        fields["encoder"] = receptive_field(spec.encoder)
        fields["modulator"] = receptive_field(spec.modulator)
    return fields
