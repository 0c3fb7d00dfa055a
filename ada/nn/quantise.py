"""Quantisers between encoder and modulator: VQ-VAE (EMA codebook) and argmax (AMAE).

Each takes encoder outputs z [B, T, D] and returns the straight-through code vectors the
modulator reads, the integer codes, auxiliary losses and usage statistics. Reductions run over
the global batch: under `jax.jit` with sharded inputs the sums below span every device and host.
"""

from __future__ import annotations

from dataclasses import dataclass

import flax.linen as nn
import jax
import jax.numpy as jnp


KINDS = ("vq", "argmax", "softmax")


@dataclass(frozen=True)
class QuantiserSpec:
    kind: str = "vq"  # vq | argmax | softmax
    codes: int = 256  # K
    dim: int = 64  # VQ code vector width (argmax: the encoder emits K channels)
    beta: float = 0.25  # VQ commitment
    decay: float = 0.99  # VQ EMA γ
    epsilon: float = 1e-5  # Laplace smoothing of EMA counts
    restart_below: float = 0.0  # VQ: restart a code whose EMA count falls below this (0: never)
    diversity: float = 0.1  # AMAE: scale of ||mean(q) - uniform||²
    entropy: float = 0.0  # softmax AMAE: scale of the per-step entropy penalty

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown quantiser {self.kind!r}: choose {', '.join(KINDS)}")

    @property
    def input_width(self) -> int:
        return self.dim if self.kind == "vq" else self.codes


def usage_stats(codes, K: int) -> dict:
    """Perplexity (exp of the entropy of code usage) and how many codes are used."""
    counts = jnp.bincount(codes.reshape(-1), length=K).astype(jnp.float32)
    p = counts / jnp.maximum(counts.sum(), 1)
    entropy = -jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1)), 0))
    return {"perplexity": jnp.exp(entropy), "codes_used": jnp.sum(counts > 0)}


class VectorQuantiser(nn.Module):
    """VQ-VAE with an EMA k-means codebook (collection "vq"), initialised from encoder outputs.

    update=True (training) moves the codebook; the first update also seeds it with encoder outputs,
    and when `restart_below` > 0 codes whose EMA count falls below it are moved onto random
    encoder outputs of the batch (Jukebox's cure for codebook collapse).
    """

    spec: QuantiserSpec

    @nn.compact
    def __call__(self, z, update: bool = False, rng=None):
        s = self.spec
        z = z.astype(jnp.float32)
        codebook = self.variable("vq", "codebook", lambda: jnp.zeros((s.codes, s.dim), jnp.float32))
        counts = self.variable("vq", "counts", lambda: jnp.ones((s.codes,), jnp.float32))
        sums = self.variable("vq", "sums", lambda: jnp.zeros((s.codes, s.dim), jnp.float32))
        ready = self.variable("vq", "initialised", lambda: jnp.zeros((), jnp.bool_))
        flat = z.reshape(-1, s.dim)
        if update:
            if rng is None:
                raise ValueError("a VQ update needs an rng for its code seeding and restarts")
            seed_rng, restart_rng = jax.random.split(rng)
            picks = flat[jax.random.randint(seed_rng, (s.codes,), 0, flat.shape[0])]
            codebook.value = jnp.where(ready.value, codebook.value, picks)
            sums.value = jnp.where(ready.value, sums.value, picks)
            counts.value = jnp.where(ready.value, counts.value, jnp.ones_like(counts.value))
            ready.value = jnp.ones((), jnp.bool_)
        codes = self.nearest(flat, codebook.value)
        q = codebook.value[codes]
        stats = usage_stats(codes, s.codes)
        if update:
            one_hot = jax.nn.one_hot(codes, s.codes, dtype=jnp.float32)
            n = s.decay * counts.value + (1 - s.decay) * one_hot.sum(0)
            m = s.decay * sums.value + (1 - s.decay) * jax.lax.stop_gradient(one_hot.T @ flat)
            total = n.sum()
            smoothed = (n + s.epsilon) / (total + s.codes * s.epsilon) * total
            book = m / smoothed[:, None]
            if s.restart_below > 0:
                dead = n < s.restart_below
                fresh = flat[jax.random.randint(restart_rng, (s.codes,), 0, flat.shape[0])]
                book = jnp.where(dead[:, None], fresh, book)
                m = jnp.where(dead[:, None], fresh * s.restart_below, m)
                n = jnp.where(dead, s.restart_below, n)
                stats["restarted"] = dead.sum()
            counts.value, sums.value, codebook.value = n, jax.lax.stop_gradient(m), jax.lax.stop_gradient(book)
        commitment = jnp.mean(jnp.sum((flat - jax.lax.stop_gradient(q)) ** 2, -1))
        q = flat + jax.lax.stop_gradient(q - flat)  # straight-through
        return {"vectors": q.reshape(z.shape), "codes": codes.reshape(z.shape[:-1]),
                "loss": s.beta * commitment, "stats": {**stats, "commitment": commitment}}

    @staticmethod
    def nearest(flat, codebook):
        distances = (jnp.sum(flat**2, -1, keepdims=True) - 2 * flat @ codebook.T + jnp.sum(codebook**2, -1)[None])
        return jnp.argmin(distances, axis=-1)


class ArgmaxQuantiser(nn.Module):
    """AMAE: queries on the simplex, one-hot of their argmax forward, their gradient backward.

    kind "argmax": ReLU then divisive normalisation; loss = diversity·||mean_{batch,time}(q) − 1/K||².
    kind "softmax" (the paper's ablation): softmax queries, the same diversity loss, and an
    `entropy`-scaled penalty on each step's entropy, pushing queries towards one-hot.
    """

    spec: QuantiserSpec

    @nn.compact
    def __call__(self, z, update: bool = False, rng=None):
        s = self.spec
        z = z.astype(jnp.float32)
        if s.kind == "softmax":
            q = jax.nn.softmax(z, axis=-1)
        else:
            r = jax.nn.relu(z)
            q = r / (jnp.sum(r, -1, keepdims=True) + 1e-6)
            q = jnp.where(jnp.sum(r, -1, keepdims=True) > 0, q, 1.0 / s.codes)  # an all-zero query: uniform
        codes = jnp.argmax(q, axis=-1)
        hard = jax.nn.one_hot(codes, s.codes, dtype=q.dtype)
        mean = q.reshape(-1, s.codes).mean(0)
        diversity = jnp.sum((mean - 1.0 / s.codes) ** 2)
        loss = s.diversity * diversity
        stats = {**usage_stats(codes, s.codes), "diversity": diversity}
        if s.kind == "softmax":
            entropy = -jnp.mean(jnp.sum(q * jnp.log(q + 1e-9), -1))
            loss = loss + s.entropy * entropy
            stats["query_entropy"] = entropy
        return {"vectors": q + jax.lax.stop_gradient(hard - q), "codes": codes, "loss": loss, "stats": stats}


def make_quantiser(spec: QuantiserSpec) -> nn.Module:
    return VectorQuantiser(spec) if spec.kind == "vq" else ArgmaxQuantiser(spec)
