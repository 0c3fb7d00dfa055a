"""WaveNet stacks: one set of parameters, a full-sequence apply for training and a single-step
apply with an explicit cache for sampling.

A stack is an input layer, ``repeats × stages`` gated residual blocks (dilations 1, 2, …,
2^(stages−1) per repeat) and a skip-connection head. The input layer is strictly causal for causal
stacks (output t sees inputs < t, so output t predicts token t) and has ``repeats × (k − 1)`` taps,
which makes the receptive field exactly the paper's ``repeats × (k − 1) × 2^stages``: 1024 for the
local model, 6144 / 12288 / 49152 for the priors, 512 each side for encoder and modulator.

Blocks may take a time-dependent bias per dilated convolution (the modulator's conditioning),
given at code rate as ``[B, T / hop, layers, 2 × inner]`` and broadcast over each hop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax


@dataclass(frozen=True)
class WaveNetSpec:
    """Shape of a stack. `vocab` > 0: integer tokens in; else dense features of width `features`."""

    filter: int = 2
    stages: int = 8
    repeats: int = 4
    residual: int = 384
    inner: int = 64
    skip: int = 384
    out: int = 256
    causal: bool = True
    vocab: int = 256
    features: int = 0

    @property
    def layers(self) -> int:
        return self.stages * self.repeats

    @property
    def dilations(self) -> list[int]:
        return [2**s for _ in range(self.repeats) for s in range(self.stages)]

    @property
    def input_taps(self) -> int:
        span = self.repeats * (self.filter - 1)
        return span if self.causal else span + 1

    @property
    def cond_width(self) -> int:
        """Width of the bias each dilated convolution takes (its output: filter and gate halves)."""
        return 2 * self.inner


def receptive_field(spec: WaveNetSpec) -> int:
    """Input steps one output depends on: all of them (causal), or each side's count (non-causal)."""
    blocks = spec.repeats * (spec.filter - 1) * (2**spec.stages - 1)
    if spec.causal:
        return spec.input_taps + blocks
    return (spec.input_taps - 1) // 2 + blocks // 2


def _conv(x, kernel, dilation: int, causal: bool):
    """Dilated 1-D convolution, 'same' length: x [B, T, C], kernel [k, C, O]."""
    total = (kernel.shape[0] - 1) * dilation
    pad = (total, 0) if causal else (total // 2, total - total // 2)
    return lax.conv_general_dilated(x, kernel, (1,), [pad], rhs_dilation=(dilation,),
                                    dimension_numbers=("NWC", "WIO", "NWC"))


def _shift(x, offset: int):
    """y[:, t] = x[:, t - offset], zeros where t - offset is outside [0, T)."""
    if offset == 0:
        return x
    T = x.shape[1]
    if offset > 0:
        return jnp.pad(x, ((0, 0), (offset, 0), (0, 0)))[:, :T]
    return jnp.pad(x, ((0, 0), (0, -offset), (0, 0)))[:, -offset:]


class WaveNet(nn.Module):
    spec: WaveNetSpec
    dtype: Any = jnp.float32

    def setup(self):
        s = self.spec
        init = nn.initializers.lecun_normal()
        cin = s.vocab if s.vocab else s.features
        # [taps, in, residual]; for tokens, an embedding table per tap (a conv over one-hot input).
        self.input = self.param("input", nn.initializers.normal(1.0 / jnp.sqrt(s.input_taps)),
                                (s.input_taps, cin, s.residual))
        self.dilated = [self.param(f"dilated_{i}", init, (s.filter, s.residual, 2 * s.inner)) for i in range(s.layers)]
        self.dilated_bias = [self.param(f"dilated_bias_{i}", nn.initializers.zeros, (2 * s.inner,))
                             for i in range(s.layers)]
        self.res = [self.param(f"res_{i}", init, (s.inner, s.residual)) for i in range(s.layers)]
        self.skip = [self.param(f"skip_{i}", init, (s.inner, s.skip)) for i in range(s.layers)]
        self.head1 = nn.Dense(s.skip, dtype=self.dtype, name="head1")
        self.head2 = nn.Dense(s.out, dtype=self.dtype, name="head2")

    # -- input layer ---------------------------------------------------------------------------
    def _tap_offsets(self) -> list[int]:
        """Offset of each input tap: tap j reads x[t - offset_j]."""
        s = self.spec
        if s.causal:
            return list(range(1, s.input_taps + 1))
        h = s.input_taps // 2
        return list(range(-h, h + 1))

    def _embed(self, x, tap: int):
        kernel = self.input[tap].astype(self.dtype)
        if self.spec.vocab:
            valid = (x >= 0)[..., None]  # -1 marks "no token yet" in the sampler's cache
            return jnp.where(valid, jnp.take(kernel, jnp.maximum(x, 0), axis=0), 0)
        return x.astype(self.dtype) @ kernel

    def _embed_all(self, x):
        """Input layer over a whole sequence: sum over taps of each tap's projection, shifted."""
        s, offsets = self.spec, self._tap_offsets()
        if not s.vocab:  # features: a convolution with the taps in reverse (row r reads x[t - first + r])
            kernel = self.input[::-1].astype(self.dtype)
            h = _conv(x.astype(self.dtype), kernel, 1, s.causal)
            return _shift(h, 1) if s.causal else h
        # tokens: one gather from all taps' tables side by side, [V + 1, taps · residual]; row V is
        # zeros, read by -1 ("no token"); its backward is one scatter-add instead of one per tap
        taps, R = len(offsets), s.residual
        table = jnp.transpose(self.input, (1, 0, 2)).reshape(s.vocab, taps * R).astype(self.dtype)
        table = jnp.concatenate([table, jnp.zeros((1, taps * R), self.dtype)])
        e = jnp.take(table, jnp.where(x >= 0, x, s.vocab), axis=0)
        return sum(_shift(e[..., j * R : (j + 1) * R], off) for j, off in enumerate(offsets))

    # -- full sequence -------------------------------------------------------------------------
    def __call__(self, x, cond=None, mask=None):
        """x: tokens [B, T] or features [B, T, C]; cond: [B, T / hop, layers, 2·inner]. -> [B, T, out].

        `mask` [B, T] (1 = real step) makes a window cut from a longer sequence behave as if the
        steps outside it did not exist: every layer sees zeros there, as at a sequence's ends.
        """
        s = self.spec
        keep = None if mask is None else mask[..., None].astype(self.dtype)
        if keep is not None:
            x = jnp.where(mask > 0, x, -1) if s.vocab else x * keep
        h = self._embed_all(x)
        gates = []
        for i, d in enumerate(s.dilations):
            if keep is not None:
                h = h * keep
            z = _conv(h, self.dilated[i].astype(self.dtype), d, s.causal) + self.dilated_bias[i].astype(self.dtype)
            if cond is not None:
                B, T, C = z.shape
                z = (z.reshape(B, cond.shape[1], T // cond.shape[1], C)
                     + cond[:, :, None, i].astype(self.dtype)).reshape(B, T, C)
            g = self._gate(z)
            gates.append(g)
            h = h + g @ self.res[i].astype(self.dtype)
        # every layer's skip projection at once, over the gates side by side: the same sum as adding each
        # layer's g @ skip_i, as one wide contraction instead of one of width `inner` per layer plus an
        # add of [B, T, skip] each (memory-bound on a CPU)
        skip = jnp.concatenate([w.astype(self.dtype) for w in self.skip], axis=0)
        return self._head(jnp.concatenate(gates, axis=-1) @ skip)

    @staticmethod
    def _gate(z):
        """Gated unit: tanh of the filter half times the sigmoid of the gate half."""
        filt, gate = jnp.split(z, 2, axis=-1)
        return jnp.tanh(filt) * jax.nn.sigmoid(gate)

    def _head(self, skips):
        out = self.head2(jax.nn.relu(self.head1(jax.nn.relu(skips))))
        return out.astype(jnp.float32)

    # -- one step ------------------------------------------------------------------------------
    def init_cache(self, batch: int):
        """Empty cache: no past tokens, zero past activations (the full apply's zero padding)."""
        s = self.spec
        if not s.causal or not s.vocab:
            raise ValueError("single-step apply needs a causal stack over tokens")
        # one slot more than the (k − 1)·d inputs a layer reads, so that the step writes the new
        # input before reading the old ones: a read of the slot about to be overwritten made XLA copy
        # every buffer twice per step (1.6 MB a step for the paper's local model)
        return {"pos": jnp.zeros((), jnp.int32), "tokens": jnp.full((batch, s.input_taps), -1, jnp.int32),
                "layers": [jnp.zeros((batch, (s.filter - 1) * d + 1, s.residual), self.dtype) for d in s.dilations]}

    def step(self, token, cache, cond=None):
        """Feed the previous token [B]; -> logits for the next one [B, out] and the new cache.

        `cond` is this step's bias [B, layers, 2·inner]. Each layer keeps a circular buffer of its
        last (k − 1)·d inputs and this one, read at t − d, t − 2d, … (Fast WaveNet).
        """
        s = self.spec
        tokens = jnp.concatenate([token[:, None].astype(jnp.int32), cache["tokens"][:, :-1]], axis=1)
        # one gather of every tap's row straight from the [taps, vocab, residual] table (slicing a
        # tap's table first would copy it at every step); -1 ("no token yet") reads zeros
        rows = self.input[jnp.arange(s.input_taps)[None], jnp.maximum(tokens, 0)].astype(self.dtype)
        h = jnp.where((tokens >= 0)[..., None], rows, 0).sum(1)
        pos, skips, layers = cache["pos"], 0, []
        for i, d in enumerate(s.dilations):
            buf = cache["layers"][i]
            size = buf.shape[1]
            kernel = self.dilated[i].astype(self.dtype)
            buf = lax.dynamic_update_index_in_dim(buf, h.astype(buf.dtype), pos % size, axis=1)
            layers.append(buf)
            # taps oldest first (t - (k-1)·d, …, t - d, t), as the kernel's rows: one matmul per layer
            taps = [lax.dynamic_index_in_dim(buf, (pos - m * d) % size, 1, keepdims=False)
                    for m in range(s.filter - 1, 0, -1)]
            z = jnp.concatenate([*taps, h], axis=-1) @ kernel.reshape(-1, kernel.shape[-1])
            z = z + self.dilated_bias[i].astype(self.dtype)
            if cond is not None:
                z = z + cond[:, i].astype(self.dtype)
            g = self._gate(z)
            h, skips = h + g @ self.res[i].astype(self.dtype), skips + g @ self.skip[i].astype(self.dtype)
        return self._head(skips), {"pos": pos + 1, "tokens": tokens, "layers": layers}
