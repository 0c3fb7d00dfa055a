"""The two models: an ADA level (encoder → quantiser → modulator → local model) and a prior.

Both read token batches [B, T] and return the NLL in nats per timestep; both expose the same
single-step apply over their causal local model, so one sampler serves both. A prior is a local
model without conditioning; a level conditions its local model on its own codes.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    kind: str  # "ada" | "prior" | "predictor"
    vocab: int
    local: WaveNetSpec | None = None
    hop: int = 1
    rf: int = 0  # predictor: length of its causal convolution
    hidden: int = 0  # predictor: width of its hidden layers
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
    if cfg.kind == "predictor":
        if cfg.rf < 1:
            raise ValueError(f"model.rf must be at least 1, not {cfg.rf}")
        return ModelSpec(kind="predictor", vocab=cfg.vocab, rf=cfg.rf, hidden=cfg.hidden)
    local = _wavenet(cfg.local, out=cfg.vocab, causal=True, vocab=cfg.vocab, conditioned=cfg.kind == "ada")
    if cfg.kind == "prior":
        return ModelSpec(kind="prior", vocab=cfg.vocab, local=local)
    if cfg.kind != "ada":
        raise ValueError(f"model.kind must be 'ada', 'prior' or 'predictor', not {cfg.kind!r}")
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


class Predictor(nn.Module):
    """The paper's 3-layer predictor for its predictability profile (Fig. 2): a causal convolution
    of length `rf` over one-hot tokens (so an embedding table per tap), ReLU, a linear layer, ReLU,
    and a linear layer to the logits. Taps are summed in a scan, so rf = 1024 stays cheap."""

    spec: ModelSpec
    dtype: Any = jnp.float32

    def __call__(self, tokens, mask=None, update: bool = False, rng=None):
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


def build_model(spec: ModelSpec, dtype=jnp.float32) -> nn.Module:
    return {"ada": ADALevel, "prior": Prior, "predictor": Predictor}[spec.kind](spec, dtype)


def model_receptive_fields(spec: ModelSpec) -> dict:
    if spec.kind == "predictor":
        return {"local": spec.rf}
    fields = {"local": receptive_field(spec.local)}
    if spec.kind == "ada":
        fields["encoder"] = receptive_field(spec.encoder)
        fields["modulator"] = receptive_field(spec.modulator)
    return fields
