"""A prior: an unconditional WaveNet over tokens (μ-law audio for #1.1, the top codes for Table 3)."""

from __future__ import annotations

from dataclasses import dataclass

from ada.models.base import Autoregressive, AutoregressiveSpec, nll, wavenet_spec
from ada.nn.wavenet import WaveNet


class Prior(Autoregressive):
    def setup(self):
        self.local = WaveNet(self.spec.local, self.dtype)

    def __call__(self, tokens, mask=None, update: bool = False, rng=None, step=None):
        value = nll(self.local(tokens), tokens, mask)
        return {"loss": value, "nll": value, "stats": {}}


@dataclass(frozen=True)
class PriorSpec(AutoregressiveSpec):
    kind = "prior"
    title = "a prior"
    module = Prior

    @classmethod
    def from_config(cls, cfg) -> PriorSpec:
        return cls(vocab=cfg.vocab, local=wavenet_spec(cfg.local, out=cfg.vocab, causal=True, vocab=cfg.vocab))
