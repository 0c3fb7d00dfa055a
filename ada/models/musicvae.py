"""MusicVAE (Roberts et al., ICML 2018), as Magenta's magenta/models/music_vae builds it, in JAX.

A recurrent VAE over note windows [B, S streams, T steps]. The encoder is a stacked bidirectional LSTM;
μ = Dense and σ = softplus(Dense) of both directions' final top-layer h. The decoder is either *flat*
(one LSTM stack over all T steps, every layer's state from tanh(Dense(z)), input [previous tokens, z],
one softmax per stream) or *hierarchical*: a conductor LSTM (the decoder's size, zero input) runs over
the U bars from tanh(Dense(z)), and each bar is decoded from its conductor embedding c_u alone, one bar
decoder per stream, each started from tanh(Dense(c_u)) with input [previous token, c_u]; bar u's first
input is bar u-1's last token (the true one in training, the sampled one in sampling).

LSTM cells are Magenta's LSTMBlockCell: one kernel over [input, h], gates i, j, f, o, and a forget-gate
bias of 1.0 added to the (zero-initialised) bias. A token of -1 stands for the all-zero start input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from ada.models.base import ModelSpec

MELODY_VOCAB, DRUM_VOCAB, DRUM_BITS = 90, 512, 9
STREAM_VOCABS = {"melody": MELODY_VOCAB, "drums": DRUM_VOCAB}
DECODERS = ("flat", "hierarchical")
SAMPLING_SCHEDULES = ("constant", "inverse_sigmoid", "exponential")
FORGET_BIAS = 1.0
LN2 = math.log(2.0)


def one_hot_gates(rows, tok):
    """A melody stream's input: its one-hot (a row gather of the kernel)."""
    return rows[jnp.maximum(tok, 0)]


def drum_roll_gates(rows, tok):
    """A drum stream as a roll: the 9 drum bits of its class and a 'nothing struck' (NOR) bit: Magenta's
    DrumsConverter with roll_input, which only an encoder reads."""
    bits = ((jnp.maximum(tok, 0)[..., None] >> jnp.arange(DRUM_BITS)) & 1).astype(rows.dtype)
    return jnp.concatenate([bits, (tok == 0)[..., None].astype(rows.dtype)], -1) @ rows


# what each input kind feeds an LSTM per step: its width and its part of the gates. Decoders read every stream
# as the one-hot of its output (Magenta feeds a decoder its output sequence, shifted); an encoder reads drums as
# a roll where the model has roll_input (cat-drums), else as the one-hot too (the trio)
STREAM_INPUTS = {"melody": (MELODY_VOCAB, one_hot_gates), "drums": (DRUM_VOCAB, one_hot_gates),
                 "drum_roll": (DRUM_BITS + 1, drum_roll_gates)}


def input_width(kind: str) -> int:
    """What one input kind feeds an LSTM per step: a melody one-hot (90), a drum one-hot (512), or the drum roll
    (9 bits + NOR bit)."""
    return STREAM_INPUTS[kind][0]


# ---------------------------------------------------------------- schedules and losses (pure functions)

def beta(step, max_beta: float, beta_rate: float):
    """KL weight β = max_beta · (1 − beta_rate^step) (Magenta's base_model)."""
    return max_beta * (1.0 - jnp.power(beta_rate, jnp.asarray(step, jnp.float32)))


def sampling_probability(step, schedule: str, rate: float):
    """Probability of feeding the decoder its own sample rather than the truth (scheduled sampling).

    inverse_sigmoid: 1 − k / (k + e^(step/k)) with k = rate; exponential: 1 − rate^step; constant: rate.
    """
    step = jnp.asarray(step, jnp.float32)
    if schedule == "inverse_sigmoid":
        return 1.0 - rate / (rate + jnp.exp(jnp.minimum(step / rate, 80.0)))
    if schedule == "exponential":
        return 1.0 - jnp.power(rate, step)
    return jnp.asarray(rate, jnp.float32)


def kl_divergence(mu, sigma):
    """KL(N(μ, σ²) || N(0, I)) in nats, summed over the latent dimensions: [B]."""
    return 0.5 * jnp.sum(mu**2 + sigma**2 - 1.0 - 2.0 * jnp.log(sigma), axis=-1)


def kl_cost(kl, free_bits: float):
    """The KL term the loss pays: max(KL − free_bits · ln 2, 0), per sequence on its total KL."""
    return jnp.maximum(kl - free_bits * LN2, 0.0)


def slerp(a, b, t):
    """Spherical interpolation between latent vectors a and b (t in [0, 1]); linear when they are parallel."""
    a, b = jnp.asarray(a, jnp.float32), jnp.asarray(b, jnp.float32)
    cos = jnp.sum(a * b) / jnp.maximum(jnp.linalg.norm(a) * jnp.linalg.norm(b), 1e-12)
    omega = jnp.arccos(jnp.clip(cos, -1.0, 1.0))
    so = jnp.sin(omega)
    safe = jnp.where(so > 1e-6, so, 1.0)
    spherical = (jnp.sin((1.0 - t) * omega) / safe) * a + (jnp.sin(t * omega) / safe) * b
    return jnp.where(so > 1e-6, spherical, (1.0 - t) * a + t * b)


# ---------------------------------------------------------------- LSTM cells as pure functions over parameters

def lstm_update(gates, c):
    i, j, f, o = jnp.split(gates, 4, axis=-1)
    c = jax.nn.sigmoid(f + FORGET_BIAS) * c + jax.nn.sigmoid(i) * jnp.tanh(j)
    return c, jax.nn.sigmoid(o) * jnp.tanh(c)


def scan(body, init, xs, remat: bool, **kwargs):
    """lax.scan over time; with `remat` each step is recomputed in the backward pass from its carry and input
    instead of keeping its gates: the memory of Magenta's batch 512 at 2048 units for about a third more compute."""
    return jax.lax.scan(jax.checkpoint(body) if remat else body, init, xs, **kwargs)


def run_layer(kernel, bias, x_gates, reverse: bool = False, remat: bool = False):
    """One LSTM layer over a whole sequence whose input part of the gates is given: [B, T, 4H] -> (hs, final h)."""
    H = kernel.shape[1] // 4
    w_h = kernel[-H:]

    def body(carry, xg):
        c, h = carry
        c, h = lstm_update(xg + h @ w_h + bias, c)
        return (c, h), h

    B = x_gates.shape[0]
    zeros = jnp.zeros((B, H), x_gates.dtype)
    (_, h), hs = scan(body, (zeros, zeros), jnp.swapaxes(x_gates, 0, 1), remat, reverse=reverse)
    return jnp.swapaxes(hs, 0, 1), h


def stack_step(layers, state, first_gates):
    """One step of stacked LSTM layers: `first_gates` is the input's part of layer 0's gates."""
    new, x = [], None
    for n, ((kernel, bias), (c, h)) in enumerate(zip(layers, state, strict=True)):
        H = h.shape[-1]
        g = h @ kernel[-H:] + bias + (first_gates if n == 0 else x @ kernel[:-H])
        c, h = lstm_update(g, c)
        new.append((c, h))
        x = h
    return tuple(new), x


def draw(logits, key, temperature):
    """Categorical sample at `temperature` (argmax at 0), per row."""
    t = jnp.asarray(temperature, jnp.float32)
    sampled = jax.random.categorical(key, logits / jnp.maximum(t, 1e-6), axis=-1)
    return jnp.where(t > 0, sampled, jnp.argmax(logits, -1)).astype(jnp.int32)


class LSTMStack(nn.Module):
    """Kernels [in + H, 4H] (Glorot uniform, as TF's LSTMBlockCell) and zero biases for stacked layers."""

    inputs: int
    sizes: tuple[int, ...]

    @nn.compact
    def __call__(self):
        layers, width = [], self.inputs
        for n, H in enumerate(self.sizes):
            layers.append((self.param(f"kernel_{n}", nn.initializers.glorot_uniform(), (width + H, 4 * H)),
                           self.param(f"bias_{n}", nn.initializers.zeros, (4 * H,))))
            width = H
        return layers


def initial_state_layer(sizes, name):
    """tanh(Dense(embedding)) split into (c, h) per layer (Magenta's initial_cell_state_from_embedding)."""
    return nn.Dense(2 * sum(sizes), kernel_init=nn.initializers.normal(0.001), name=name)


def split_state(flat, sizes):
    state, at = [], 0
    for H in sizes:
        state.append((flat[..., at : at + H], flat[..., at + H : at + 2 * H]))
        at += 2 * H
    return tuple(state)


def token_gates(w_x, tokens, kinds):
    """The token part of layer 0's gates: sum over streams of (one-hot or drum roll) @ rows of w_x.

    tokens [..., S] (−1 = the zero start input) -> [..., 4H]; one-hots are row gathers, not matmuls."""
    out, at = 0.0, 0
    for s, kind in enumerate(kinds):
        tok = tokens[..., s]
        width, gates = STREAM_INPUTS[kind]
        out = out + jnp.where((tok >= 0)[..., None], gates(w_x[at : at + width], tok), 0.0)
        at += width
    return out


# ---------------------------------------------------------------- modules

class Encoder(nn.Module):
    """Stacked bidirectional LSTM: each layer's input is both directions' outputs of the layer below."""

    kinds: tuple[str, ...]
    sizes: tuple[int, ...]
    remat: bool = False

    @nn.compact
    def __call__(self, tokens):  # tokens [B, S, T] -> [B, 2 H_top]
        x = jnp.moveaxis(tokens, 1, -1)  # [B, T, S]
        width = sum(input_width(k) for k in self.kinds)
        h_fw = h_bw = None
        for n, H in enumerate(self.sizes):
            (kf, bf), = LSTMStack(width, (H,), name=f"fw_{n}")()
            (kb, bb), = LSTMStack(width, (H,), name=f"bw_{n}")()
            if n == 0:
                gf, gb = token_gates(kf[:width], x, self.kinds), token_gates(kb[:width], x, self.kinds)
            else:
                gf, gb = x @ kf[:width], x @ kb[:width]
            out_f, h_fw = run_layer(kf, bf, gf, remat=self.remat)
            out_b, h_bw = run_layer(kb, bb, gb, reverse=True, remat=self.remat)
            x, width = jnp.concatenate([out_f, out_b], -1), 2 * H
        return jnp.concatenate([h_fw, h_bw], -1)


class CoreDecoder(nn.Module):
    """An LSTM stack decoding steps of one or more streams from a conditioning vector (z, or a bar's c_u).

    Its state starts at tanh(Dense(cond)); each step's input is [previous tokens of its streams, cond];
    its output layer holds one softmax per stream (Magenta's MultiOut decoder when it has several)."""

    kinds: tuple[str, ...]
    vocabs: tuple[int, ...]
    sizes: tuple[int, ...]
    cond: int
    remat: bool = False

    def setup(self):
        self.token_width = sum(input_width(k) for k in self.kinds)
        self.stack = LSTMStack(self.token_width + self.cond, self.sizes)
        self.initial = initial_state_layer(self.sizes, "initial_state")
        # raw parameters, not a Dense submodule: they are read inside lax.scan bodies
        self.out_kernel = self.param("output_kernel", nn.initializers.glorot_uniform(),
                                     (self.sizes[-1], sum(self.vocabs)))
        self.out_bias = self.param("output_bias", nn.initializers.zeros, (sum(self.vocabs),))

    def _prepare(self, cond):
        layers = self.stack()
        state = split_state(jnp.tanh(self.initial(cond)), self.sizes)
        cond_gates = cond @ layers[0][0][self.token_width : self.token_width + self.cond]
        return layers, state, cond_gates, None

    def _logits(self, h):
        return h @ self.out_kernel + self.out_bias

    def _split(self, logits):
        bounds, at = [], 0
        for v in self.vocabs[:-1]:
            at += v
            bounds.append(at)
        return jnp.split(logits, bounds, axis=-1)

    def _draw_all(self, logits, key, temperature):
        keys = jax.random.split(key, len(self.vocabs))
        return jnp.stack([draw(part, k, temperature) for part, k in zip(self._split(logits), keys, strict=True)], -1)

    def teacher_forced(self, cond, targets, first, p_sample=None, key=None):
        """Logits [B, T, sum V] of targets [B, T, S] given `first` [B, S] as step 0's input.

        With `p_sample`, each next input is, per row and with that probability, a token drawn from the
        model's own output instead of the truth (Magenta's ScheduledOutputTrainingHelper)."""
        layers, state, cond_gates, _ = self._prepare(cond)
        w_x = layers[0][0][: self.token_width]
        T = targets.shape[1]
        if p_sample is None:
            prev = jnp.concatenate([first[:, None], targets[:, :-1]], 1)
            in_gates = token_gates(w_x, prev, self.kinds) + cond_gates[:, None]

            def body(state, g):
                state, h = stack_step(layers, state, g)
                return state, h

            _, hs = scan(body, state, jnp.swapaxes(in_gates, 0, 1), self.remat)
            return self._logits(jnp.swapaxes(hs, 0, 1))
        keys = jax.random.split(key, T)

        def body(carry, xs):
            state, prev = carry
            target, k = xs
            state, h = stack_step(layers, state, token_gates(w_x, prev, self.kinds) + cond_gates)
            logits = self._logits(h)
            k_draw, k_coin = jax.random.split(k)
            use = jax.random.uniform(k_coin, (prev.shape[0], 1)) < p_sample
            nxt = jnp.where(use, self._draw_all(jax.lax.stop_gradient(logits), k_draw, 1.0), target)
            return (state, nxt), logits

        _, logits = scan(body, (state, first), (jnp.swapaxes(targets, 0, 1), keys), self.remat)
        return jnp.swapaxes(logits, 0, 1)

    def sample(self, cond, first, steps: int, key, temperature):
        """Free-running decoding: tokens [B, steps, S], each step's input the previous step's draw."""
        layers, state, cond_gates, _ = self._prepare(cond)
        w_x = layers[0][0][: self.token_width]

        def body(carry, k):
            state, prev = carry
            state, h = stack_step(layers, state, token_gates(w_x, prev, self.kinds) + cond_gates)
            tok = self._draw_all(self._logits(h), k, temperature)
            return (state, tok), tok

        _, toks = jax.lax.scan(body, (state, first), jax.random.split(key, steps))
        return jnp.swapaxes(toks, 0, 1)


class Conductor(nn.Module):
    """The hierarchical decoder's top LSTM: U steps of zero input from tanh(Dense(z)); c_u = top h."""

    sizes: tuple[int, ...]
    bars: int

    @nn.compact
    def __call__(self, z):
        layers = LSTMStack(1, self.sizes, name="stack")()
        state = split_state(jnp.tanh(initial_state_layer(self.sizes, "initial_state")(z)), self.sizes)
        zero = jnp.zeros((z.shape[0], 4 * self.sizes[0]), z.dtype)  # a zero input adds nothing to the gates

        def body(state, _):
            state, h = stack_step(layers, state, zero)
            return state, h

        _, c = jax.lax.scan(body, state, None, length=self.bars)
        return jnp.swapaxes(c, 0, 1)  # [B, U, H]


class MusicVAE(nn.Module):
    spec: MusicVAESpec
    dtype: Any = jnp.float32

    def setup(self):
        s = self.spec
        kinds, vocabs = s.kinds, s.vocabs
        self.encoder = Encoder(s.encoder_kinds, s.encoder, s.remat)
        self.mu = nn.Dense(s.z, kernel_init=nn.initializers.normal(0.001), name="mu")
        self.sigma = nn.Dense(s.z, kernel_init=nn.initializers.normal(0.001), name="sigma")
        if s.hierarchical:
            self.conductor = Conductor(s.decoder, s.bars)
            self.bar_decoders = [CoreDecoder((k,), (v,), s.decoder, s.decoder[-1], s.remat,
                                             name=f"bar_decoder_{i}")
                                 for i, (k, v) in enumerate(zip(kinds, vocabs, strict=True))]
        else:
            self.flat_decoder = CoreDecoder(kinds, vocabs, s.decoder, s.z, s.remat)

    # ---- encoder
    def encode(self, tokens):
        """Tokens [B, S, T] -> (μ, σ) of the posterior, each [B, z]."""
        h = self.encoder(tokens.astype(jnp.int32))
        return self.mu(h), jax.nn.softplus(self.sigma(h))

    # ---- decoders
    def conductor_embeddings(self, z):
        return self.conductor(z)

    def logits(self, z, tokens, p_sample=None, key=None):
        """Teacher-forced logits, one array [B, T, V_s] per stream."""
        if self.spec.hierarchical:
            return self.bar_logits(self.conductor(z), tokens, p_sample, key)
        targets = jnp.moveaxis(tokens, 1, -1)  # [B, T, S]
        first = jnp.full(targets[:, 0].shape, -1, jnp.int32)
        out = self.flat_decoder.teacher_forced(z, targets, first, p_sample, key)
        return self.flat_decoder._split(out)

    def bar_logits(self, c, tokens, p_sample=None, key=None):
        """Hierarchical teacher forcing from conductor embeddings c [B, U, H]: every bar decoded at once,
        started from c_u with the true last token of bar u-1 (zero input for bar 0)."""
        B, S, T = tokens.shape
        U, L = self.spec.bars, T // self.spec.bars
        prev_last = jnp.concatenate([jnp.full((B, S, 1), -1, jnp.int32), tokens[:, :, L - 1 : T - 1 : L]], -1)
        out = []
        for s, dec in enumerate(self.bar_decoders):
            bars = tokens[:, s].reshape(B * U, L, 1)
            first = prev_last[:, s].reshape(B * U, 1)
            keys = None if key is None else jax.random.fold_in(key, s)
            lg = dec.teacher_forced(c.reshape(B * U, -1), bars, first, p_sample, keys)
            out.append(lg.reshape(B, T, -1))
        return out

    def decode(self, z, key, temperature=1.0):
        """Free-running decoding from z: tokens [B, S, T]."""
        s = self.spec
        B, L = z.shape[0], s.steps // s.bars
        if not s.hierarchical:
            first = jnp.full((B, len(s.kinds)), -1, jnp.int32)
            return jnp.moveaxis(self.flat_decoder.sample(z, first, s.steps, key, temperature), -1, 1)
        c = self.conductor(z)
        bars = []
        prev = [jnp.full((B, 1), -1, jnp.int32) for _ in s.kinds]
        for u in range(s.bars):  # bar u starts from bar u-1's last sampled token
            k = jax.random.fold_in(key, u)
            row = []
            for i, dec in enumerate(self.bar_decoders):
                toks = dec.sample(c[:, u], prev[i], L, jax.random.fold_in(k, i), temperature)  # [B, L, 1]
                prev[i] = toks[:, -1]
                row.append(toks[..., 0])
            bars.append(jnp.stack(row, 1))
        return jnp.concatenate(bars, -1)

    # ---- the training objective
    def __call__(self, tokens, mask=None, update: bool = False, rng=None, step=None):
        """Loss = mean reconstruction (summed CE per sequence) + β · mean max(KL − free nats, 0).

        With `rng`, z is drawn from the posterior and scheduled sampling runs (training); without it z = μ
        and decoding is teacher-forced (a deterministic evaluation). `step` sets β and the sampling
        probability; without it, β is max_beta."""
        s = self.spec
        tokens = tokens.astype(jnp.int32)
        mu, sigma = self.encode(tokens)
        if rng is not None:
            k_z, k_dec = jax.random.split(rng)
            z = mu + sigma * jax.random.normal(k_z, mu.shape)
        else:
            z, k_dec = mu, None
        p = None
        if rng is not None and s.scheduled_sampling:
            p = sampling_probability(0 if step is None else step, s.sampling_schedule, s.sampling_rate)
        logits = self.logits(z, tokens, p, k_dec)
        ce = sum(optax.softmax_cross_entropy_with_integer_labels(lg, tokens[:, i]).sum(-1)
                 for i, lg in enumerate(logits))  # [B]
        correct = sum((jnp.argmax(lg, -1) == tokens[:, i]).mean(-1) for i, lg in enumerate(logits)) / len(logits)
        kl = kl_divergence(mu, sigma)
        w = jnp.ones(tokens.shape[0]) if mask is None else mask.astype(jnp.float32)
        mean = lambda x: jnp.sum(x * w) / jnp.maximum(w.sum(), 1.0)  # noqa: E731
        b = beta(step, s.max_beta, s.beta_rate) if step is not None else jnp.asarray(s.max_beta, jnp.float32)
        r_loss, kl_paid = mean(ce), mean(kl_cost(kl, s.free_bits))
        stats = {"r_loss": r_loss, "kl_bits": mean(kl) / LN2, "beta": b, "accuracy": mean(correct),
                 "elbo": -(r_loss + mean(kl))}
        if p is not None:
            stats["sampling_probability"] = p
        return {"loss": r_loss + b * kl_paid, "nll": r_loss / (len(s.kinds) * s.steps), "stats": stats}


@dataclass(frozen=True)
class MusicVAESpec(ModelSpec):
    streams: tuple[str, ...] = ("melody",)  # the kind of each stream: melody or drums
    bars: int = 2
    steps_per_bar: int = 16
    encoder: tuple[int, ...] = (512,)
    decoder: tuple[int, ...] = (256, 256)
    decoder_type: str = "flat"  # or "hierarchical"
    z: int = 256
    free_bits: float = 0.0
    max_beta: float = 0.2
    beta_rate: float = 0.99999
    sampling_schedule: str = "constant"
    sampling_rate: float = 0.0
    roll_input: bool = False  # the encoder reads drums as a roll (Magenta's DrumsConverter roll_input), not one-hot
    remat: bool = False  # recompute each LSTM step in the backward pass (memory for compute)
    kind = "musicvae"
    title = "a MusicVAE"
    module = MusicVAE

    @classmethod
    def from_config(cls, cfg) -> MusicVAESpec:
        streams = tuple(cfg.streams.split(",")) if isinstance(cfg.streams, str) else tuple(cfg.streams)
        for k in streams:
            if k not in STREAM_VOCABS:
                raise ValueError(f"model.streams: {k!r} is not a stream kind (melody or drums)")
        if cfg.decoder_type not in DECODERS:
            raise ValueError(f"model.decoder_type must be 'flat' or 'hierarchical', not {cfg.decoder_type!r}")
        if cfg.sampling_schedule not in SAMPLING_SCHEDULES:
            raise ValueError(f"model.sampling_schedule must be one of {', '.join(SAMPLING_SCHEDULES)}, "
                             f"not {cfg.sampling_schedule!r}")
        if cfg.sampling_schedule == "inverse_sigmoid" and cfg.sampling_rate < 1:
            raise ValueError(f"model.sampling_rate must be at least 1 for inverse_sigmoid, not {cfg.sampling_rate}")
        for name in ("encoder", "decoder"):
            sizes = tuple(int(v) for v in cfg[name])
            if not sizes or min(sizes) < 1:
                raise ValueError(f"model.{name} must list layer sizes ≥ 1, not {list(cfg[name])}")
        if cfg.z < 1 or cfg.bars < 1:
            raise ValueError("model.z and model.bars must be at least 1")
        vocabs = tuple(STREAM_VOCABS[k] for k in streams)
        return cls(vocab=max(vocabs), streams=streams, bars=int(cfg.bars), steps_per_bar=int(cfg.steps_per_bar),
                   encoder=tuple(int(v) for v in cfg.encoder), decoder=tuple(int(v) for v in cfg.decoder),
                   decoder_type=cfg.decoder_type, z=int(cfg.z), free_bits=float(cfg.free_bits),
                   max_beta=float(cfg.max_beta), beta_rate=float(cfg.beta_rate),
                   sampling_schedule=cfg.sampling_schedule, sampling_rate=float(cfg.sampling_rate),
                   roll_input=bool(cfg.get("roll_input", False)), remat=bool(cfg.get("remat", False)))

    @property
    def kinds(self) -> tuple[str, ...]:
        return self.streams

    @property
    def encoder_kinds(self) -> tuple[str, ...]:
        """How the encoder reads each stream: drums as a roll where the model has roll_input."""
        return tuple("drum_roll" if k == "drums" and self.roll_input else k for k in self.streams)

    @property
    def vocabs(self) -> tuple[int, ...]:
        return tuple(STREAM_VOCABS[k] for k in self.streams)

    @property
    def steps(self) -> int:
        return self.bars * self.steps_per_bar

    @property
    def hierarchical(self) -> bool:
        return self.decoder_type == "hierarchical"

    @property
    def scheduled_sampling(self) -> bool:
        return not (self.sampling_schedule == "constant" and self.sampling_rate == 0)

    def receptive_fields(self) -> dict[str, int]:
        return {"local": self.steps}

    def check_crop(self, crop: int) -> None:
        pass  # it reads whole windows of `bars` bars, never crops

    def example(self, config):
        return jnp.zeros((1, len(self.streams), self.steps), jnp.int32)

    def training_data(self, config):
        from ada.notes.loader import NoteWindows

        return NoteWindows.open(config, self)
