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


@dataclass(frozen=True)
class QuantiserSpec:
    kind: str = "vq"  # vq | argmax | softmax | softmax_l2
    codes: int = 256  # K
    dim: int = 64  # VQ code vector width (argmax: the encoder emits K channels)
    beta: float = 0.25  # VQ commitment
    decay: float = 0.99  # VQ EMA γ
    epsilon: float = 1e-5  # Laplace smoothing of EMA counts
    restart_below: float = 0.0  # VQ: restart a code whose EMA count falls below this (0: never)
    diversity: float = 0.1  # AMAE: scale of the diversity loss (argmax: L2 to uniform; softmax: −entropy of the mean)
    entropy: float = 0.0  # softmax_l2 variant only: scale of the per-step entropy penalty

    def __post_init__(self):
        if self.kind not in QUANTISERS:
            raise ValueError(f"unknown quantiser {self.kind!r}: choose {', '.join(QUANTISERS)}")

    @property
    def input_width(self) -> int:
        """Width of the encoder's output and of the code vectors the modulator reads."""
        return QUANTISERS[self.kind].vector_width(self)


def entropy(p, axis=-1):
    """Shannon entropy in nats (0·log 0 = 0)."""
    return -jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0), axis)


def usage_stats(codes, K: int) -> dict:
    """Perplexity (exp of the entropy of code usage) and how many codes are used."""
    counts = jnp.bincount(codes.reshape(-1), length=K).astype(jnp.float32)
    return {"perplexity": jnp.exp(entropy(counts / jnp.maximum(counts.sum(), 1))), "codes_used": jnp.sum(counts > 0)}


class VectorQuantiser(nn.Module):
    """VQ-VAE with an EMA k-means codebook (collection "vq"), initialised from encoder outputs.

    update=True (training) moves the codebook; the first update also seeds it with encoder outputs,
    and when `restart_below` > 0 codes whose EMA count falls below it are moved onto random
    encoder outputs of the batch (Jukebox's cure for codebook collapse).
    """

    spec: QuantiserSpec

    @staticmethod
    def vector_width(spec: QuantiserSpec) -> int:
        return spec.dim

    def setup(self):
        s = self.spec
        self.codebook = self.variable("vq", "codebook", lambda: jnp.zeros((s.codes, s.dim), jnp.float32))
        self.counts = self.variable("vq", "counts", lambda: jnp.ones((s.codes,), jnp.float32))
        self.sums = self.variable("vq", "sums", lambda: jnp.zeros((s.codes, s.dim), jnp.float32))
        self.ready = self.variable("vq", "initialised", lambda: jnp.zeros((), jnp.bool_))

    def embed(self, codes):
        """Codes [...] -> their codebook vectors [..., dim]."""
        return self.codebook.value[codes]

    def __call__(self, z, update: bool = False, rng=None, hyper=None):
        """`hyper` ({"beta", "decay"}, arrays) replaces the spec's β and γ as inputs of the compiled program."""
        s = self.spec
        beta, decay = (hyper["beta"], hyper["decay"]) if hyper else (s.beta, s.decay)
        z = z.astype(jnp.float32)
        codebook, counts, sums, ready = self.codebook, self.counts, self.sums, self.ready
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
            n = decay * counts.value + (1 - decay) * one_hot.sum(0)
            m = decay * sums.value + (1 - decay) * jax.lax.stop_gradient(one_hot.T @ flat)
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
                "loss": beta * commitment, "stats": {**stats, "commitment": commitment}}

    @staticmethod
    def nearest(flat, codebook):
        distances = (jnp.sum(flat**2, -1, keepdims=True) - 2 * flat @ codebook.T + jnp.sum(codebook**2, -1)[None])
        return jnp.argmin(distances, axis=-1)


class ArgmaxQuantiser(nn.Module):
    """AMAE: queries on the simplex, one-hot of their argmax forward, their gradient backward.

    Queries are ReLU then divisive normalisation; loss = diversity·||mean_{batch,time}(q) − 1/K||².
    """

    spec: QuantiserSpec

    @staticmethod
    def vector_width(spec: QuantiserSpec) -> int:
        return spec.codes

    def embed(self, codes):
        """Codes [...] -> their one-hot vectors [..., K] (what the modulator heard in training)."""
        return jax.nn.one_hot(codes, self.spec.codes)

    def queries(self, z):
        r = jax.nn.relu(z)
        q = r / (jnp.sum(r, -1, keepdims=True) + 1e-6)
        return jnp.where(jnp.sum(r, -1, keepdims=True) > 0, q, 1.0 / self.spec.codes)  # an all-zero query: uniform

    def diversity(self, mean):
        """The unscaled diversity loss of the batch-and-time mean query `mean` [K]."""
        return jnp.sum((mean - 1.0 / self.spec.codes) ** 2)

    def penalty(self, q) -> dict:
        """Extra loss terms on the queries, by name: (scale, value)."""
        return {}

    def __call__(self, z, update: bool = False, rng=None):
        s = self.spec
        q = self.queries(z.astype(jnp.float32))
        codes = jnp.argmax(q, axis=-1)
        hard = jax.nn.one_hot(codes, s.codes, dtype=q.dtype)
        diversity = self.diversity(q.reshape(-1, s.codes).mean(0))
        loss = s.diversity * diversity
        stats = {**usage_stats(codes, s.codes), "diversity": diversity}
        for name, (scale, value) in self.penalty(q).items():
            loss = loss + scale * value
            stats[name] = value
        return {"vectors": q + jax.lax.stop_gradient(hard - q), "codes": codes, "loss": loss, "stats": stats}


class SoftmaxQuantiser(ArgmaxQuantiser):
    """The paper's ablation (#1.6): softmax queries whose diversity loss maximises the entropy of
    their batch-and-time mean: loss = diversity·(log K − H(mean_{b,t} softmax(z))), which is −H up to
    the constant log K (so the term is 0 when usage is uniform).

    Why the entropy of the mean: it rewards spreading code usage across the batch and time without
    forcing any single query to be uniform, so each step can still commit to one code (a per-step
    entropy bonus would push every query towards uniform, the opposite of a discrete code)."""

    def queries(self, z):
        return jax.nn.softmax(z, axis=-1)

    def diversity(self, mean):
        return jnp.log(self.spec.codes) - entropy(mean)


class SoftmaxL2Quantiser(SoftmaxQuantiser):
    """A variant of #1.6 (not the paper's): softmax queries with the argmax AMAE's L2 diversity loss,
    plus an `entropy`-scaled penalty on each step's entropy that pushes queries towards one-hot."""

    def diversity(self, mean):
        return ArgmaxQuantiser.diversity(self, mean)

    def penalty(self, q) -> dict:
        return {"query_entropy": (self.spec.entropy, jnp.mean(entropy(q)))}


QUANTISERS: dict[str, type[nn.Module]] = {"vq": VectorQuantiser, "argmax": ArgmaxQuantiser,
                                          "softmax": SoftmaxQuantiser, "softmax_l2": SoftmaxL2Quantiser}


def make_quantiser(spec: QuantiserSpec) -> nn.Module:
    return QUANTISERS[spec.kind](spec)
