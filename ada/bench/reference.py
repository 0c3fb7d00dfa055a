"""Plain reference implementations of ADA's models, for `ada bench` and the equivalence tests.

Written the straightforward way, with stock Flax layers and optax, and nothing of ADA's own code
beyond the spec dataclasses: a WaveNet of `nn.Embed` / `nn.Conv(kernel_dilation=d)` / `nn.Dense`
layers, a plain VQ-VAE level (encoder → mean-pool → EMA codebook → modulator → local model), an
optax Adam + global-norm-clip training step, and a cached `lax.scan` sampler with a circular
buffer per layer. The function each computes is exactly ADA's (same taps, same receptive field), so
`to_reference_params` maps ADA's parameters onto it and the tests compare outputs and gradients.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ada.nn.wavenet import WaveNetSpec


class PlainWaveNet(nn.Module):
    """Input layer, gated residual blocks with separate residual and skip projections, ReLU head."""

    spec: WaveNetSpec

    @nn.compact
    def __call__(self, x, cond=None):
        s = self.spec
        taps = s.input_taps
        if s.vocab:  # a causal conv over one-hot tokens: one embedding row per tap, summed with shifts
            e = nn.Embed(s.vocab, taps * s.residual, name="embed")(x)
            e = e.reshape(*x.shape, taps, s.residual)
            T = x.shape[1]
            h = 0
            for j in range(taps):  # tap j reads x[t - 1 - j]
                h = h + jnp.pad(e[:, :, j], ((0, 0), (j + 1, 0), (0, 0)))[:, :T]
        else:
            if s.causal:
                raise NotImplementedError("the reference has no causal stack over features")
            pad = ((taps - 1) // 2, (taps - 1) // 2)
            h = nn.Conv(s.residual, (taps,), padding=[pad], use_bias=False, name="input")(x)
        skips = 0
        for i, d in enumerate(s.dilations):
            total = (s.filter - 1) * d
            pad = (total, 0) if s.causal else (total // 2, total - total // 2)
            z = nn.Conv(2 * s.inner, (s.filter,), kernel_dilation=(d,), padding=[pad], name=f"conv_{i}")(h)
            if cond is not None:
                B, T, C = z.shape
                z = (z.reshape(B, cond.shape[1], T // cond.shape[1], C) + cond[:, :, None, i]).reshape(B, T, C)
            g = jnp.tanh(z[..., : s.inner]) * jax.nn.sigmoid(z[..., s.inner :])
            h = h + nn.Dense(s.residual, use_bias=False, name=f"res_{i}")(g)
            skips = skips + nn.Dense(s.skip, use_bias=False, name=f"skip_{i}")(g)
        h = nn.Dense(s.skip, name="head1")(jax.nn.relu(skips))
        return nn.Dense(s.out, name="head2")(jax.nn.relu(h))


def nll(logits, tokens):
    return optax.softmax_cross_entropy_with_integer_labels(logits, tokens).mean()


class PlainPrior(nn.Module):
    local: WaveNetSpec

    @nn.compact
    def __call__(self, tokens):
        return nll(PlainWaveNet(self.local, name="local")(tokens), tokens)


class PlainLevel(nn.Module):
    """VQ-VAE level, continuous encoder input: the same layers and losses as ADA's #1.2 level."""

    local: WaveNetSpec
    encoder: WaveNetSpec
    modulator: WaveNetSpec
    hop: int
    codes: int
    dim: int
    beta: float = 0.25
    decay: float = 0.99

    @nn.compact
    def __call__(self, tokens, update: bool = True):
        x = (tokens.astype(jnp.float32) * (2.0 / 255) - 1.0)[..., None]
        z = PlainWaveNet(self.encoder, name="encoder")(x)
        B, T, D = z.shape
        z = z.reshape(B, T // self.hop, self.hop, D).mean(2).reshape(-1, D)
        book = self.variable("vq", "codebook", lambda: jax.random.normal(jax.random.key(0), (self.codes, D)))
        sums = self.variable("vq", "sums", lambda: book.value)
        counts = self.variable("vq", "counts", lambda: jnp.ones((self.codes,)))
        codes = jnp.argmin(jnp.sum(z**2, -1, keepdims=True) - 2 * z @ book.value.T + jnp.sum(book.value**2, -1), -1)
        q = book.value[codes]
        if update:
            one_hot = jax.nn.one_hot(codes, self.codes)
            n = self.decay * counts.value + (1 - self.decay) * one_hot.sum(0)
            m = self.decay * sums.value + (1 - self.decay) * jax.lax.stop_gradient(one_hot.T @ z)
            counts.value, sums.value, book.value = n, m, m / (n[:, None] + 1e-5)
        commitment = jnp.mean(jnp.sum((z - jax.lax.stop_gradient(q)) ** 2, -1))
        q = (z + jax.lax.stop_gradient(q - z)).reshape(B, T // self.hop, D)
        cond = PlainWaveNet(self.modulator, name="modulator")(q)
        cond = cond.reshape(B, T // self.hop, self.local.layers, 2 * self.local.inner)
        logits = PlainWaveNet(self.local, name="local")(tokens, cond)
        return nll(logits, tokens) + self.beta * commitment


def plain_level(spec) -> PlainLevel:
    """The plain level with an ADA ModelSpec's sizes (VQ quantiser)."""
    return PlainLevel(local=spec.local, encoder=spec.encoder, modulator=spec.modulator, hop=spec.hop,
                      codes=spec.quantiser.codes, dim=spec.quantiser.dim, beta=spec.quantiser.beta,
                      decay=spec.quantiser.decay)


def make_train_step(model, learning_rate: float = 2e-4, clip: float = 1.0):
    """(init, step): optax clip + Adam on `model`'s loss; a level's codebook rides along in `vq`."""
    tx = optax.chain(optax.clip_by_global_norm(clip), optax.adam(learning_rate))

    def init(tokens):
        variables = model.init(jax.random.key(0), tokens)
        return {"variables": variables, "opt": tx.init(variables["params"])}

    def step(state, tokens):
        variables = state["variables"]
        rest = {k: v for k, v in variables.items() if k != "params"}

        def loss_fn(params):
            if rest:
                loss, new = model.apply({"params": params, **rest}, tokens, mutable=list(rest))
                return loss, new
            return model.apply({"params": params}, tokens), {}

        (loss, new), grads = jax.value_and_grad(loss_fn, has_aux=True)(variables["params"])
        updates, opt = tx.update(grads, state["opt"], variables["params"])
        params = optax.apply_updates(variables["params"], updates)
        return {"variables": {"params": params, **rest, **new}, "opt": opt}, loss

    return init, step


# -- sampling -------------------------------------------------------------------------------------

def make_sampler(spec: WaveNetSpec):
    """A cached sampler for a causal token WaveNet with PlainWaveNet's parameters.

    (params, batch, steps, key) -> tokens [batch, steps]. One `lax.scan` over the steps; each layer
    keeps its last (k − 1)·d inputs in a circular buffer, read at t − d, …, t − (k − 1)·d (Paine et
    al.'s Fast WaveNet); the input layer keeps the last `input_taps` tokens.
    """
    s = spec
    taps = s.input_taps

    def sample(params, batch: int, steps: int, key):
        p = params["params"]
        embed = p["embed"]["embedding"].reshape(s.vocab, taps, s.residual)
        rows = [[p[f"conv_{i}"]["kernel"][r] for r in range(s.filter)] for i in range(s.layers)]  # sliced once
        queues = [jnp.zeros((batch, (s.filter - 1) * d, s.residual)) for d in s.dilations]
        history = jnp.full((batch, taps), -1, jnp.int32)  # the last `taps` tokens, newest first (-1: none)

        def body(carry, t):
            queues, history = carry
            h = 0
            for j in range(taps):  # tap j reads x[t - 1 - j]
                tok = history[:, j]
                h = h + jnp.where((tok >= 0)[:, None], embed[jnp.maximum(tok, 0), j], 0)
            skips, new_queues = 0, []
            for i, d in enumerate(s.dilations):
                q, conv = queues[i], p[f"conv_{i}"]
                size = q.shape[1]
                w = rows[i]  # rows read t − (k−1)d, …, t − d, t
                z = h @ w[-1] + conv["bias"]
                for m in range(1, s.filter):
                    z = z + jax.lax.dynamic_index_in_dim(q, (t - m * d) % size, 1, keepdims=False) @ w[-1 - m]
                new_queues.append(jax.lax.dynamic_update_index_in_dim(q, h, t % size, 1))
                g = jnp.tanh(z[:, : s.inner]) * jax.nn.sigmoid(z[:, s.inner :])
                h = h + g @ p[f"res_{i}"]["kernel"]
                skips = skips + g @ p[f"skip_{i}"]["kernel"]
            out = jax.nn.relu(jax.nn.relu(skips) @ p["head1"]["kernel"] + p["head1"]["bias"])
            logits = out @ p["head2"]["kernel"] + p["head2"]["bias"]
            token = jax.random.categorical(jax.random.fold_in(key, t), logits).astype(jnp.int32)
            return (new_queues, jnp.concatenate([token[:, None], history[:, :-1]], axis=1)), token

        _, tokens = jax.lax.scan(body, (queues, history), jnp.arange(steps))
        return tokens.T

    return jax.jit(sample, static_argnums=(1, 2))


def to_reference_params(spec: WaveNetSpec, params: dict) -> dict:
    """ADA WaveNet parameters -> PlainWaveNet parameters computing the same function."""
    s, out = spec, {}
    taps = s.input_taps
    table = np.asarray(params["input"])  # [taps, in, residual]; tap j reads x[t - offset_j]
    if s.vocab:
        out["embed"] = {"embedding": np.transpose(table, (1, 0, 2)).reshape(s.vocab, taps * s.residual)}
    else:
        out["input"] = {"kernel": table[::-1]}  # tap j reads x[t + h - j], conv row r reads x[t - h + r]
    for i in range(s.layers):
        out[f"conv_{i}"] = {"kernel": np.asarray(params[f"dilated_{i}"]),
                            "bias": np.asarray(params[f"dilated_bias_{i}"])}
        out[f"res_{i}"] = {"kernel": np.asarray(params[f"res_{i}"])}
        out[f"skip_{i}"] = {"kernel": np.asarray(params[f"skip_{i}"])}
    out["head1"], out["head2"] = params["head1"], params["head2"]
    return out
