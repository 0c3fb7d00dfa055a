"""Configs: the shared base every experiment file starts from, and the checks run before compiling.

Experiment files (experiments/*.py) define ``get_config()`` returning an ml_collections
ConfigDict; any field can be overridden on the command line, ``--config.train.steps=1000``.
"""

from __future__ import annotations

import ml_collections

from ada.data.dataset import DatasetError
from ada.models import model_spec
from ada.training.state import SCHEDULES


class ConfigError(Exception):
    """A config that cannot train; the message names the field and what to set."""


def wavenet(filter: int, stages: int, repeats: int, residual: int, inner: int, skip: int):
    return ml_collections.ConfigDict(dict(filter=filter, stages=stages, repeats=repeats, residual=residual,
                                          inner=inner, skip=skip))


def base_config(kind: str = "ada") -> ml_collections.ConfigDict:
    """The paper's level-1 ADA (#1.2: VQ-VAE, continuous input, hop 8) with its appendix-A sizes."""
    c = ml_collections.ConfigDict()
    c.seed = 0
    # preemphasis: the α of the μ-law audio's noise shaping (ada/audio/emphasis.py), as its dataset records it
    c.data = dict(path="data/prepared/piano-small", crop=8192, batch_size=16, workers=0, eval_crops=256,
                  eval_batch_size=16, preemphasis=0.0)
    c.model = ml_collections.ConfigDict(dict(
        kind=kind, vocab=256, hop=8, encoder_input="continuous",
        input_dropout=0.0,  # levels: word dropout of the local model's past in training (ours; the paper has none)
        # local model: filter 2, 4 × 8 stages, dilated conv 128 -> gate 64 -> residual 384
        local=wavenet(filter=2, stages=8, repeats=4, residual=384, inner=64, skip=384),
        # encoder and modulator: non-causal, filter 3, 2 × 8 stages, 256 wide
        encoder=wavenet(filter=3, stages=8, repeats=2, residual=256, inner=256, skip=256),
        modulator=wavenet(filter=3, stages=8, repeats=2, residual=256, inner=256, skip=256),
        quantiser=dict(kind="vq", codes=256, dim=64, beta=0.25, decay=0.99, epsilon=1e-5, restart_below=0.0,
                       diversity=0.1, entropy=0.0),
    ))
    c.train = dict(steps=200_000, learning_rate=2e-4, warmup_steps=1000, grad_clip=1.0, ema_decay=0.9999,
                   dtype="float32", log_every=100, eval_every=5000, checkpoint_every=2000, keep_checkpoints=3)
    return c


def level2(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """A second level: it reads level-1 codes (vocabulary 256, one-hot into the encoder), hop 8 again."""
    c.model.vocab = 256
    c.model.encoder_input = "one_hot"
    c.data.path = "data/prepared/piano-small-codes1"
    return c


def level2_amae(decoder_rf: int) -> ml_collections.ConfigDict:
    """Table 2 #2.3–#2.6: a level-2 AMAE whose local model sees `decoder_rf` codes (4 repeats, filter 2)."""
    c = level2(base_config("ada"))
    c.model.quantiser.kind = "argmax"
    c.model.local.stages = {32: 3, 64: 4, 128: 5, 256: 6}[decoder_rf]
    return c


PRIORS = {  # Table 3: filter 3; large 3 × 10 (RF 6144), very large 6 × 10 (RF 12288), thin 3 × 13 (RF 49152)
    "large": wavenet(filter=3, stages=10, repeats=3, residual=512, inner=512, skip=512),
    "very_large": wavenet(filter=3, stages=10, repeats=6, residual=512, inner=512, skip=512),
    "thin": wavenet(filter=3, stages=13, repeats=3, residual=192, inner=192, skip=192),
}


def prior(size: str) -> ml_collections.ConfigDict:
    """An unconditional prior over the top codes (vocabulary 256 at 1/64 of the audio rate)."""
    c = base_config("prior")
    c.model.vocab = 256
    c.model.local = PRIORS[size]
    c.data.path = "data/prepared/piano-small-codes2"
    c.data.crop = 2 * c.model.local.repeats * (c.model.local.filter - 1) * 2**c.model.local.stages
    c.data.batch_size = 8
    return c


def pbt(c: ml_collections.ConfigDict, population: int = 20, interval: int = 5000, burn_in: int = 10_000,
        steps: int | None = None) -> ml_collections.ConfigDict:
    """Population based training over β and γ (appendix A; `ada pbt`): the paper's schedule by default.

    Every `interval` steps after `burn_in`, the worst quarter of the population copies a member of the
    best quarter (checkpoint and data position) and multiplies each of its β and 1 − γ by 0.8 or 1.2
    (1 − γ rather than γ, so γ stays below 1). Initial draws are log-uniform over ranges 25× wide,
    centred (geometrically) on our defaults: β in [0.05, 1.25] around 0.25, 1 − γ in [0.002, 0.05]
    around 0.01 (γ in [0.95, 0.998] around the default 0.99). With `explore_learning_rate` the learning rate
    is drawn from [lr/5, 5·lr] and perturbed too.
    """
    c.pbt = ml_collections.ConfigDict(dict(
        population=population, interval=interval, burn_in=burn_in, factors=(0.8, 1.2), quantile=0.25,
        beta=(0.05, 1.25), one_minus_decay=(0.002, 0.05), explore_learning_rate=False,
        learning_rate=(c.train.learning_rate / 5, c.train.learning_rate * 5), cpus_per_member=1.0, gpus_per_member=0.0))
    if steps is not None:
        c.train.steps = steps
    return c


def tiny(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """Shrink a config to train on 2 CPU cores in minutes (same structure, small widths)."""
    c.model.local = wavenet(filter=2, stages=6, repeats=2, residual=48, inner=24, skip=48)
    c.model.encoder = wavenet(filter=3, stages=5, repeats=1, residual=48, inner=48, skip=48)
    c.model.modulator = wavenet(filter=3, stages=3, repeats=1, residual=48, inner=48, skip=48)
    c.model.quantiser.codes = 64
    c.model.quantiser.dim = 16
    c.data.update(crop=1024, batch_size=8, eval_crops=64, eval_batch_size=16)
    c.train.update(steps=1500, learning_rate=1e-3, warmup_steps=100, ema_decay=0.99, log_every=50,
                   eval_every=500, checkpoint_every=500)
    return c


def predictor_config(data: str, rf: int, vocab: int, steps: int) -> ml_collections.ConfigDict:
    """The predictability profile's predictor with receptive field `rf`, trained with the one trainer."""
    c = base_config("predictor")
    c.model = ml_collections.ConfigDict(dict(kind="predictor", vocab=vocab, rf=rf, hidden=128))
    c.data.update(path=data, crop=max(1024, 2 * rf), batch_size=8, eval_crops=64, eval_batch_size=8)
    c.train.update(steps=steps, learning_rate=1e-3, warmup_steps=min(100, steps), ema_decay=0.99,
                   log_every=max(1, min(100, steps)), eval_every=steps, checkpoint_every=steps)
    return c


def musicvae(data: str, *, streams: str = "melody", bars: int, encoder, decoder, decoder_type: str = "flat",
             z: int, batch_size: int = 512, free_bits: float = 0.0, max_beta: float = 1.0, beta_rate: float = 0.0,
             sampling_schedule: str = "constant", sampling_rate: float = 0.0, transpose: int = 0,
             steps: int = 200_000, remat: bool = True, roll_input: bool = False) -> ml_collections.ConfigDict:
    """A MusicVAE on a note dataset, trained as Magenta trains it: Adam, lr (1e-3 − 1e-5)·0.9999^step + 1e-5,
    global-norm clip 1.0, no Polyak averaging (ema_decay 0: the evaluated parameters are the trained ones).
    The arguments' defaults are Magenta's (base_model and lstm_models default hparams). `remat` (ours)
    recomputes each LSTM step in the backward pass: without it hierdec-mel_16bar's step at batch 512 needs
    about 95 GiB of temporaries, more than an 80 GB GPU holds."""
    c = base_config("musicvae")
    # a window of `bars` bars is the example: data.crop is its length in steps, data.eval_crops the eval windows
    # windows_per_tune: Magenta's max_tensors_per_notesequence (5): a tune or file gives at most 5 windows
    # transpose_draw: "window" (ours: a shift per training window) or "tune" (Magenta's: one per file, cached)
    c.data = dict(path=data, crop=bars * 16, batch_size=batch_size, workers=0, eval_crops=2048, eval_batch_size=256,
                  transpose=transpose, transpose_draw="window", windows_per_tune=5)
    c.model = ml_collections.ConfigDict(dict(
        kind="musicvae", vocab=90, streams=streams, bars=bars, steps_per_bar=16, encoder=tuple(encoder),
        decoder=tuple(decoder), decoder_type=decoder_type, z=z, free_bits=float(free_bits), max_beta=float(max_beta),
        beta_rate=float(beta_rate), sampling_schedule=sampling_schedule, sampling_rate=float(sampling_rate),
        roll_input=roll_input, remat=remat))
    c.train = dict(steps=steps, schedule="exponential_decay", learning_rate=1e-3, min_learning_rate=1e-5,
                   decay_rate=0.9999, warmup_steps=0, grad_clip=1.0, ema_decay=0.0, dtype="float32",
                   log_every=100, eval_every=5000, checkpoint_every=2000, keep_checkpoints=3)
    return c


def tiny_musicvae(c: ml_collections.ConfigDict, steps: int) -> ml_collections.ConfigDict:
    """Shrink a MusicVAE config for 2 CPU cores (encoder [128], decoder [128, 128], z 64, batch 32).

    Our choice, not Magenta's: with a few thousand steps instead of hundreds of thousands, the KL weight
    reaches max_beta with beta_rate 0.999 (β at 63 % after 1,000 steps rather than 100,000) and scheduled
    sampling, where the config has it, uses k = 200 (half the inputs sampled after about 1,060 steps). A 16-bar
    step (32 windows of 256 steps) takes about 0.9 CPU-seconds at these sizes.

    Free bits keep Magenta's share per latent dimension (hierdec-mel_16bar: 256 bits over z 512, so 32 over
    z 64). Left at 256 for 64 dimensions they put no pressure on the KL at all, the 16-bar decoders learn to
    ignore z alike, and the flat one reconstructs as well as the hierarchical one (measured as draw accuracy,
    the share of temperature-1 draws equal to the truth, before `ada notes eval` scored Magenta's way: 0.544
    flat against 0.536 hierarchical after 1,200 steps, 0.570 against 0.553 after 3,000; with 32 bits 0.530
    against 0.562 after 1,200). With 32 bits, Magenta's sampled accuracy over 3 seeds: docs/results.md."""
    z = 64
    c.model.free_bits = c.model.free_bits * z / c.model.z
    c.model.update(encoder=(128,), decoder=(128, 128), z=z, remat=False)  # small enough to keep every step
    if c.model.beta_rate:
        c.model.beta_rate = 0.999
    if c.model.sampling_schedule == "inverse_sigmoid":
        c.model.sampling_rate = 200.0
    c.data.update(batch_size=32, eval_crops=512, eval_batch_size=128)
    c.train.update(steps=steps, log_every=50, eval_every=500, checkpoint_every=500)
    return c


def validate(config, devices: int, processes: int):
    """Check a config against its data and machine before anything compiles: (ModelSpec, its training data).

    The model kind says what data it trains on (`spec.training_data`): crops of a token dataset for the
    audio kinds, note windows for MusicVAE; that data checks the model and its own splits."""
    m, d, t = config.model, config.data, config.train
    try:
        spec = model_spec(m)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"model: {e}") from e
    source = spec.training_data(config)
    try:
        source.check_model(spec)
    except (ValueError, DatasetError) as e:
        raise ConfigError(str(e)) from e
    if d.batch_size % devices:
        raise ConfigError(f"data.batch_size={d.batch_size} is not divisible by the {devices} devices")
    if d.batch_size % processes:
        raise ConfigError(f"data.batch_size={d.batch_size} is not divisible by the {processes} processes")
    if t.dtype not in ("float32", "bfloat16"):
        raise ConfigError(f"train.dtype must be float32 or bfloat16, not {t.dtype!r}")
    if t.get("schedule", "warmup") not in SCHEDULES:
        raise ConfigError(f"train.schedule must be one of {', '.join(SCHEDULES)}, not {t.schedule!r}")
    for field in ("steps", "log_every", "eval_every", "checkpoint_every"):
        if t[field] < 1:
            raise ConfigError(f"train.{field} must be at least 1")
    for field in ("batch_size", "eval_batch_size", "eval_crops"):
        if d[field] < 1:
            raise ConfigError(f"data.{field} must be at least 1")
    try:
        source.check_splits()
    except ValueError as e:
        raise ConfigError(str(e)) from e
    return spec, source
