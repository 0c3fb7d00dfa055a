"""μ-law companding and 8-bit quantisation, numpy and jax.

Matches librosa bit for bit (except that librosa's float32 encoding of exactly 1.0 overflows
to 256, where we return 255): ``encode(x) == librosa.mu_compress(x, mu=255, quantize=True) + 128``
and ``decode(t) == librosa.mu_expand(t - 128, mu=255, quantize=True)``. Unlike librosa,
out-of-range input is clipped rather than rejected: real recordings overshoot after resampling.
"""

from __future__ import annotations

import numpy as np

MU = 255
LEVELS = MU + 1
# librosa's quantisation: digitize the compressed value against these edges, right=True.
_EDGES = np.linspace(-1, 1, num=LEVELS, endpoint=True)
# decode table, float64 exactly as librosa computes it.
_TABLE = (lambda c: np.sign(c) / MU * (np.power(1 + MU, np.abs(c)) - 1))(
    (np.arange(LEVELS) - LEVELS // 2) * 2.0 / (1 + MU)
)


def encode(x: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] (clipped) -> uint8 tokens 0..255; same arithmetic as librosa."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    x = np.clip(x, -1, 1)
    compressed = np.sign(x) * np.log1p(MU * np.abs(x)) / np.log1p(MU)
    index = np.searchsorted(_EDGES, compressed, side="left")
    # float32 log1p(255)/log1p(255) can round above 1: librosa then returns 256, we keep 255.
    return np.minimum(index, MU).astype(np.uint8)


def decode(tokens: np.ndarray, dtype=np.float32) -> np.ndarray:
    """uint8 tokens -> float audio in [-1, 1]."""
    return _TABLE.astype(dtype)[np.asarray(tokens, dtype=np.int64)]


def encode_jax(x):
    """jax version of `encode` (float32 inside; at most one level off, only on a bin edge)."""
    import jax.numpy as jnp  # here, so that prepare's decoding workers never load JAX

    x = jnp.clip(jnp.asarray(x, jnp.float32), -1, 1)
    compressed = jnp.sign(x) * jnp.log1p(MU * jnp.abs(x)) / jnp.log1p(jnp.float32(MU))
    index = jnp.searchsorted(jnp.asarray(_EDGES, jnp.float32), compressed, side="left")
    return jnp.minimum(index, MU).astype(jnp.uint8)


def decode_jax(tokens):
    """jax version of `decode`: a table lookup, exact in float32."""
    import jax.numpy as jnp  # here, so that prepare's decoding workers never load JAX

    return jnp.asarray(_TABLE, jnp.float32)[jnp.asarray(tokens, jnp.int32)]
