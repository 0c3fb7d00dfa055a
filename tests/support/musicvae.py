"""Shared by tests/unit/models/test_musicvae.py and tests/e2e/models/test_musicvae.py."""

import jax

from ada.models import model_spec
from ada.training.config import musicvae


def micro(decoder_type="flat", streams="melody", bars=4, **kw):
    c = musicvae("unset", streams=streams, bars=bars, encoder=(12, 10), decoder=(12, 12), decoder_type=decoder_type,
                 z=6, **kw)
    spec = model_spec(c.model)
    model = spec.build()
    return spec, model, jax.jit(model.init)(jax.random.key(0), spec.example(c))
