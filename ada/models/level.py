"""An ADA level: encoder → quantiser → modulator → local model (paper, section 3 and appendix A).

The encoder reads tokens and is pooled by `hop` at its output; the quantiser turns each pooled
vector into a code; the modulator turns the code vectors into a time-dependent bias for every
dilated convolution of the causal local model, which models the tokens. Sampling a level is
sampling its local model with the biases of given codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import jax
import jax.numpy as jnp

from ada.models.base import Autoregressive, AutoregressiveSpec, nll, wavenet_spec
from ada.nn.quantise import QuantiserSpec, make_quantiser
from ada.nn.wavenet import WaveNet, WaveNetSpec, receptive_field

ENCODER_INPUTS = ("continuous", "one_hot")


class ADALevel(Autoregressive):
    """Autoregressive discrete autoencoder: codes every `hop` steps condition a local WaveNet."""

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

    def _quantise(self, tokens, update=False, rng=None, mask=None, hyper=None):
        z = self.encoder(self._encoder_input(tokens), mask=mask)
        B, T, D = z.shape
        z = z.reshape(B, T // self.spec.hop, self.spec.hop, D).mean(axis=2)  # pool at the output side
        return self.quantiser(z, update, rng, hyper) if hyper else self.quantiser(z, update, rng)

    def conditioning_from_vectors(self, vectors, mask=None):
        """Code vectors [B, T/hop, D] -> per-layer biases of the local model [B, T/hop, layers, 2·inner]."""
        local = self.spec.local
        out = self.modulator(vectors, mask=mask)
        return out.reshape(*out.shape[:2], local.layers, local.cond_width)

    def __call__(self, tokens, mask=None, update: bool = False, rng=None, step=None, hyper=None):
        q = self._quantise(tokens, update, rng, hyper=hyper)
        heard = tokens  # what the local model hears of the past; it always predicts the true tokens
        if update and rng is not None and self.spec.input_dropout > 0:
            heard = drop_tokens(tokens, self.spec.input_dropout, self.spec.vocab, jax.random.fold_in(rng, 1))
        logits = self.local(heard, self.conditioning_from_vectors(q["vectors"]))
        value = nll(logits, tokens, mask)
        return {"loss": value + q["loss"], "nll": value, "stats": {**q["stats"], "quantiser_loss": q["loss"]}}

    def nll_with_other_codes(self, tokens, mask=None):
        """NLL of each crop when the local model hears the codes of the crop before it in the batch. Near the NLL
        with its own codes, the local model ignores its codes: the failure section 3 of the paper guards against."""
        q = self._quantise(tokens)
        logits = self.local(tokens, self.conditioning_from_vectors(jnp.roll(q["vectors"], 1, axis=0)))
        return nll(logits, tokens, None if mask is None else mask * jnp.roll(mask, 1))

    def encode(self, tokens, mask=None):
        """Tokens [B, T] -> codes [B, T / hop]; deterministic (no codebook update)."""
        return self._quantise(tokens, mask=mask)["codes"]

    def conditioning(self, codes, mask=None):
        """Codes [B, T/hop] -> per-layer biases: what the local model hears while sampling."""
        vectors = self.quantiser.embed(jnp.maximum(codes, 0))  # masked (padding) positions may hold -1
        return self.conditioning_from_vectors(vectors, mask)


def drop_tokens(tokens, rate: float, vocab: int, rng):
    """Each token replaced, with probability `rate`, by one drawn uniformly from the vocabulary: the word
    dropout of Bowman et al. (2016), which makes a decoder that could continue its own past lean on its
    conditioning. Training only; sampling hears its own draws."""
    drop_rng, draw_rng = jax.random.split(rng)
    dropped = jax.random.bernoulli(drop_rng, rate, tokens.shape)
    return jnp.where(dropped, jax.random.randint(draw_rng, tokens.shape, 0, vocab, tokens.dtype), tokens)


@dataclass(frozen=True)
class LevelSpec(AutoregressiveSpec):
    encoder: WaveNetSpec = None
    quantiser: QuantiserSpec = None
    modulator: WaveNetSpec = None
    hop: int = 8
    encoder_input: str = "continuous"  # or "one_hot"
    input_dropout: float = 0.0  # share of the local model's past replaced at random in training (drop_tokens)
    kind = "ada"
    title = "an ADA level"
    module = ADALevel
    is_level: ClassVar[bool] = True

    @classmethod
    def from_config(cls, cfg) -> LevelSpec:
        if cfg.encoder_input not in ENCODER_INPUTS:
            raise ValueError(f"model.encoder_input must be 'continuous' or 'one_hot', not {cfg.encoder_input!r}")
        q = QuantiserSpec(**cfg.quantiser.to_dict())
        input_dropout = float(cfg.get("input_dropout", 0.0))  # exports written before it have none
        if not 0.0 <= input_dropout < 1.0:
            raise ValueError(f"model.input_dropout must be in [0, 1), not {input_dropout}")
        one_hot = cfg.encoder_input == "one_hot"
        local = wavenet_spec(cfg.local, out=cfg.vocab, causal=True, vocab=cfg.vocab)
        encoder = wavenet_spec(cfg.encoder, out=q.input_width, causal=False, vocab=cfg.vocab if one_hot else 0,
                               features=0 if one_hot else 1)
        modulator = wavenet_spec(cfg.modulator, out=local.layers * local.cond_width, causal=False, vocab=0,
                                 features=q.input_width)
        return cls(vocab=cfg.vocab, local=local, hop=cfg.hop, encoder_input=cfg.encoder_input, encoder=encoder,
                   quantiser=q, modulator=modulator, input_dropout=input_dropout)

    def hyperparameters(self) -> dict[str, float]:
        """A VQ level's commitment β and codebook decay γ, what PBT explores (ModelSpec.hyperparameters)."""
        q = self.quantiser
        return {"beta": q.beta, "decay": q.decay} if q.kind == "vq" else {}

    @property
    def code_vocab(self) -> int:
        """K: the vocabulary of the codes this level emits (the next level's or the prior's input)."""
        return self.quantiser.codes

    @property
    def conditioning_context(self) -> int:
        return receptive_field(self.modulator)

    def receptive_fields(self) -> dict[str, int]:
        return {"local": receptive_field(self.local), "encoder": receptive_field(self.encoder),
                "modulator": receptive_field(self.modulator)}

    def check_crop(self, crop: int) -> None:
        if self.hop < 1 or crop % self.hop:
            raise ValueError(f"model.hop={self.hop} does not divide data.crop={crop}")
        super().check_crop(crop)
