"""`ada bench`: speed of the sampler, the trainer and the data path, measured side by side.

Writes BENCHMARKS.md and benchmarks.json naming the machine. Ratios measured in one run hold
from machine to machine; absolute CPU figures do not, so each is printed beside its target.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import soundfile as sf

from ada.audio.prepare import prepare
from ada.bench import reference
from ada.data.atomic import write_json, write_text
from ada.data.loader import train_loader
from ada.generation.sampler import Sampler, sample_naive
from ada.models import PriorSpec, model_spec
from ada.nn.wavenet import WaveNet, WaveNetSpec
from ada.training.config import base_config, level2, pbt, tiny, wavenet
from ada.training.state import compute_dtype, init_state, optimiser
from ada.training.trainer import make_train_step

PAPER_LOCAL = WaveNetSpec(filter=2, stages=8, repeats=4, residual=384, inner=64, skip=384)  # RF 1024
SMALL_LOCAL = WaveNetSpec(filter=2, stages=8, repeats=2, residual=64, inner=32, skip=64)  # 16 blocks, 64/32
TINY_LOCAL = WaveNetSpec(filter=2, stages=6, repeats=2, residual=48, inner=24, skip=48)  # tiny configs' local

# dense bf16 peak per chip, for model-FLOPs utilisation on accelerators
PEAK_BF16_FLOPS = {"NVIDIA H100 80GB HBM3": 989e12, "NVIDIA H200": 989e12, "NVIDIA A100-SXM4-80GB": 312e12,
                   "NVIDIA A100-SXM4-40GB": 312e12, "TPU v4": 275e12, "TPU v5 lite": 197e12, "TPU v5p": 459e12}


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        memory = f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB"
    except (ValueError, OSError):
        memory = "?"
    device = jax.devices()[0]
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory, "platform": platform.platform(),
            "jax": jax.__version__, "devices": jax.device_count(),
            "device": "CPU" if device.platform == "cpu" else f"{device.platform} ({device.device_kind})"}


def _timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_sampler(local: WaveNetSpec, batch: int, steps: int, naive_steps: int = 0) -> dict:
    """Incremental samples/s (per stream and in all), naive samples/s, cache bytes per stream."""
    spec = PriorSpec(vocab=256, local=local)
    model = spec.build()
    variables = model.init(jax.random.key(0), jnp.zeros((1, 64), jnp.int32))
    sampler = Sampler(model, variables, spec, chunk=steps)
    key = jax.random.key(1)
    sampler.sample(batch, steps, key)  # compile
    seconds = _timed(lambda: sampler.sample(batch, steps, key), repeat=3)  # best of 3: a shared VM is noisy
    cache = model.apply(variables, 1, method=type(model).init_cache)
    result = {"batch": batch, "steps": steps, "samples_per_s_per_stream": steps / seconds,
              "samples_per_s": batch * steps / seconds,
              "cache_bytes_per_stream": int(sum(x.nbytes for x in jax.tree.leaves(cache)))}
    if naive_steps:  # each call compiles once: time two lengths and take the difference
        one = _timed(lambda: sample_naive(model, variables, spec, batch, 1, key))
        many = _timed(lambda: sample_naive(model, variables, spec, batch, 1 + naive_steps, key))
        naive = naive_steps / max(many - one, 1e-9)
        result.update(naive_samples_per_s_per_stream=naive,
                      speedup_over_naive=result["samples_per_s_per_stream"] / naive)
    return result


def bench_trainer(config, steps: int = 3) -> dict:
    """Training samples/s (audio samples, i.e. timesteps) of one step on this process's devices."""
    spec = model_spec(config.model)
    model = spec.build(compute_dtype(config.train))
    tx = optimiser(config.train)
    state = jax.jit(lambda: init_state(model, config, tx))()
    step = jax.jit(make_train_step(model, tx, config), donate_argnums=0)
    tokens = jax.random.randint(jax.random.key(0), (config.data.batch_size, config.data.crop), 0, spec.vocab)
    batch = {"tokens": tokens}
    lowered = step.lower(state, batch)
    # model FLOPs: the program as written (XLA's analysis before optimisation); a GPU's compiled
    # program hides its convolutions and GEMMs in library calls that the analysis does not count
    flops = float((lowered.cost_analysis() or {}).get("flops", 0.0))
    state, metrics = step(state, batch)  # compile
    jax.block_until_ready(metrics)
    start = time.perf_counter()
    for _ in range(steps):
        state, metrics = step(state, batch)
    jax.block_until_ready(metrics)
    seconds = (time.perf_counter() - start) / steps
    params = sum(x.size for x in jax.tree.leaves(state.params))
    result = {"batch": config.data.batch_size, "crop": config.data.crop, "step_s": seconds, "params": int(params),
              "samples_per_s": config.data.batch_size * config.data.crop / seconds, "dtype": config.train.dtype,
              "flops_per_step": flops, "flops_per_s": flops / seconds}
    peak = PEAK_BF16_FLOPS.get(jax.devices()[0].device_kind)
    if peak and flops:
        result["mfu"] = result["flops_per_s"] / peak
    return result



# -- ADA beside the plain reference (ada/bench/reference.py), in this process, alternating repeats --------

def _alternate(fns: dict, repeat: int) -> dict:
    """Best-of-`repeat` seconds of each callable, run in turn (a, b, a, b, …) after one warm-up each."""
    for fn in fns.values():
        fn()
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _ada_train_runner(config):

    spec = model_spec(config.model)
    model = spec.build(compute_dtype(config.train))
    tx = optimiser(config.train)
    box = [jax.jit(lambda: init_state(model, config, tx))()]
    step = jax.jit(make_train_step(model, tx, config), donate_argnums=0)
    tokens = jax.random.randint(jax.random.key(0), (config.data.batch_size, config.data.crop), 0, spec.vocab)

    def run():
        box[0], metrics = step(box[0], {"tokens": tokens})
        jax.block_until_ready(metrics)

    return run, spec, tokens


def _reference_train_runner(spec, tokens, config):

    model = reference.plain_level(spec) if spec.is_level else reference.PlainPrior(spec.local)
    init, step = reference.make_train_step(model, config.train.learning_rate, config.train.grad_clip)
    box = [jax.jit(init)(tokens)]
    step = jax.jit(step, donate_argnums=0)

    def run():
        box[0], loss = step(box[0], tokens)
        jax.block_until_ready(loss)

    return run


def compare_trainer(config, repeat: int = 3) -> dict:
    """One training step of ADA's trainer and of the plain reference (same model, crop, batch)."""
    ada, spec, tokens = _ada_train_runner(config)
    ref = _reference_train_runner(spec, tokens, config)
    t = _alternate({"ada": ada, "reference": ref}, repeat)
    n = config.data.batch_size * config.data.crop
    return {"batch": config.data.batch_size, "crop": config.data.crop, "ada_step_s": t["ada"],
            "reference_step_s": t["reference"], "ada_samples_per_s": n / t["ada"],
            "reference_samples_per_s": n / t["reference"], "ratio": t["reference"] / t["ada"]}


def compare_sampler(local: WaveNetSpec, batch: int, steps: int, repeat: int = 3) -> dict:
    """ADA's incremental sampler beside the plain cached lax.scan sampler; both draw the same tokens."""
    spec = PriorSpec(vocab=256, local=local)
    model = spec.build()
    variables = model.init(jax.random.key(0), jnp.zeros((1, 64), jnp.int32))
    sampler = Sampler(model, variables, spec, chunk=steps)
    plain = reference.make_sampler(local)
    params = {"params": jax.tree.map(jnp.asarray, reference.to_reference_params(local, variables["params"]["local"]))}
    key = jax.random.key(1)
    out = {}
    t = _alternate({"ada": lambda: out.__setitem__("ada", sampler.sample(batch, steps, key)),
                    "reference": lambda: out.__setitem__("ref", np.asarray(plain(params, batch, steps, key)))}, repeat)
    return {"batch": batch, "steps": steps, "ada_samples_per_s": batch * steps / t["ada"],
            "reference_samples_per_s": batch * steps / t["reference"], "ratio": t["reference"] / t["ada"],
            "same_tokens": float(np.mean(out["ada"] == out["ref"]))}


def level_shares(config, repeat: int = 2) -> dict:
    """Share of a level's forward + backward time in its encoder, modulator and local model, each
    timed alone (value_and_grad of its summed output) on the shapes it sees in a training step."""
    spec = model_spec(config.model)
    B, T, hop = config.data.batch_size, config.data.crop, spec.hop
    key = jax.random.key(0)
    tokens = jax.random.randint(key, (B, T), 0, spec.vocab)
    inputs = {"encoder": jax.random.normal(key, (B, T, 1)),
              "modulator": jax.random.normal(key, (B, T // hop, spec.modulator.features)),
              "local": tokens}
    cond = jax.random.normal(key, (B, T // hop, spec.local.layers, spec.local.cond_width))
    fns = {}
    for name in ("encoder", "modulator", "local"):
        net = WaveNet(getattr(spec, name))
        x, c = inputs[name], (cond if name == "local" else None)
        params = net.init(key, x[:, : 8 * hop], None if c is None else c[:, :8])
        grad = jax.jit(jax.value_and_grad(lambda p, x, c, net=net: net.apply(p, x, c).sum()))
        fns[name] = lambda grad=grad, p=params, x=x, c=c: jax.block_until_ready(grad(p, x, c))
    t = _alternate(fns, repeat)
    total = sum(t.values())
    return {name: t[name] / total for name in t}


def bench_encode(config, seconds: float, repeat: int = 2) -> dict:
    """`ada encode`'s work: a level's encoder + quantiser over `seconds` of audio, × real time."""
    spec = model_spec(config.model)
    model = spec.build()
    frames = int(16000 * seconds) // spec.hop * spec.hop
    tokens = jax.random.randint(jax.random.key(0), (1, frames), 0, spec.vocab)
    variables = model.init(jax.random.key(1), tokens[:, : 64 * spec.hop])
    encode = jax.jit(lambda v, x: model.apply(v, x, method=type(model).encode))
    took = _alternate({"encode": lambda: jax.block_until_ready(encode(variables, tokens))}, repeat)["encode"]
    return {"audio_s": frames / 16000, "wall_s": took, "x_real_time": frames / 16000 / took}


def bench_loader(data, crop: int, batch: int, batches: int = 200) -> dict:
    it = iter(train_loader(data, crop=crop, batch_size=batch, seed=0))
    next(it)
    seconds = _timed(lambda: [next(it) for _ in range(batches)])
    return {"crop": crop, "batch": batch, "crops_per_s": batch * batches / seconds,
            "batch_s": seconds / batches}


def bench_prepare(files: int = 8, seconds: float = 30.0) -> dict:
    """`ada prepare` on generated 44.1 kHz stereo WAVs: audio seconds per wall second."""

    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        for i in range(files):
            t = np.arange(int(44100 * seconds)) / 44100
            x = 0.3 * np.sin(2 * np.pi * (220 + 20 * i) * t) * np.exp(-(t % 2)) + 0.01 * rng.standard_normal(t.size)
            sf.write(Path(tmp) / f"{i}.wav", np.stack([x, 0.9 * x], 1), 44100, subtype="PCM_16")
        took = _timed(lambda: prepare([Path(tmp)], Path(tmp) / "out", progress=False))
    return {"files": files, "audio_s": files * seconds, "wall_s": took, "x_real_time": files * seconds / took}


def _configs(quick: bool) -> dict:
    """The trainer rows: (config, what it is) at the issue's sizes (smaller crops when quick)."""
    small = base_config("prior")
    small.model.local = wavenet(filter=2, stages=8, repeats=2, residual=64, inner=32, skip=64)
    small.data.update(batch_size=8, crop=1024 if quick else 4096)
    local = base_config("prior")
    local.data.update(batch_size=1 if quick else 2, crop=1024 if quick else 4096)
    level = base_config("ada")
    level.data.update(batch_size=1, crop=1024 if quick else 4096)
    return {"tiny_level1": tiny(base_config("ada")), "small16_prior": small, "paper_local": local,
            "paper_1_2": level}


COMPARE_SAMPLER = {"paper_local_b1": (PAPER_LOCAL, 1, 1000), "paper_local_b16": (PAPER_LOCAL, 16, 400),
                   "small16_b1": (SMALL_LOCAL, 1, 4000), "small16_b16": (SMALL_LOCAL, 16, 1000)}


GPU_JSON = "benchmarks-gpu.json"


def run_accelerator(out_json, only: set | None = None) -> dict:
    """What only an accelerator shows, each figure saved as soon as it is measured (a lease may end):
    the #1.2 level at its config's batch in float32 and bf16 (samples/s, MFU), batched sampling of the
    paper's local model, and the reference comparisons of `run` at the same sizes."""
    results = {"machine": machine()}

    def measure(name, fn):
        if only and name not in only:
            return
        started = time.perf_counter()
        results[name] = fn()
        print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)
        write_json(out_json, results)

    for dtype in ("float32", "bfloat16"):
        config = base_config("ada")
        config.train.dtype = dtype
        measure(f"paper_1_2_full_{dtype}", lambda config=config: bench_trainer(config, steps=5))
    for batch in (256, 1024):
        measure(f"sample_paper_local_b{batch}", lambda batch=batch: bench_sampler(PAPER_LOCAL, batch, 1000))
    # one PBT member of the #2.2 level (its config's batch): how many intervals a GPU trains per hour
    measure("member_t2_2", lambda: bench_trainer(pbt(level2(base_config("ada"))), steps=5))
    configs = _configs(False)
    for name in ("small16_prior", "paper_local", "tiny_level1", "paper_1_2"):
        measure("train_" + name, lambda name=name: compare_trainer(configs[name], repeat=3))
    for name, (local, batch, steps) in COMPARE_SAMPLER.items():
        measure("sample_" + name, lambda local=local, batch=batch, steps=steps: compare_sampler(local, batch, steps, 3))
    measure("level_paper_1_2", lambda: level_shares(configs["paper_1_2"], repeat=2))
    return results


def gpu_lines(g: dict) -> list[str]:
    """The accelerator's section of BENCHMARKS.md, from benchmarks-gpu.json (`ada bench --accelerator`)."""
    m = g["machine"]
    lines = ["## GPU", "", f"Device: **{m['device']}**, host {m['cpu']} ({m['cores']} cores); JAX {m['jax']}. "
             "Written by `ada bench --accelerator` (raw figures in benchmarks-gpu.json).",
             *(["", g["note"]] if "note" in g else []), "",
             *compare_lines({k: v for k, v in g.items() if k.startswith(("train_", "sample_")) and "ratio" in v}),
             "", "| #1.2 level, its config's batch | step | samples/s | model FLOP/s | MFU (bf16 dense peak) |",
             "|---|---|---|---|---|"]
    peak = PEAK_BF16_FLOPS.get(m["device"].split("(", 1)[-1].rstrip(")"))
    for dtype in ("float32", "bfloat16"):
        x = g.get(f"paper_1_2_full_{dtype}")
        if x:
            flops = x["flops_per_step"] / x["step_s"]
            mfu = f"{100 * flops / peak:.1f} %" if peak else "–"
            lines.append(f"| {x['batch']} × {x['crop']}, {dtype} | {1000 * x['step_s']:,.0f} ms "
                         f"| {x['samples_per_s']:,.0f} | {flops / 1e12:,.1f} T | {mfu} |")
    f32, bf16 = g.get("paper_1_2_full_float32"), g.get("paper_1_2_full_bfloat16")
    if f32 and bf16:
        lines += ["", f"bf16 over float32 on the #1.2 level: {bf16['samples_per_s'] / f32['samples_per_s']:.2f}×."]
    same = {k[len("sample_"):]: v["same_tokens"] for k, v in g.items() if "same_tokens" in v}
    if same:
        lines += ["", "Share of tokens both samplers drew alike on this device: "
                  + ", ".join(f"{k} {100 * v:.0f} %" for k, v in same.items())
                  + " (on the CPU all are equal; on a GPU, float32 matmuls in another order tip a few draws, "
                  "and a stream differs from there on)."]
    lines += ["", "| paper local model, sampling | all streams | per stream | × real time (16 kHz) |",
              "|---|---|---|---|"]
    for batch in (256, 1024):
        x = g.get(f"sample_paper_local_b{batch}")
        if x:
            lines.append(f"| batch {batch} | {x['samples_per_s']:,.0f} samples/s | "
                         f"{x['samples_per_s_per_stream']:,.0f} | {x['samples_per_s'] / 16000:,.0f}× "
                         f"({'✓' if x['samples_per_s'] >= 16000 else '✗'} target ≥ 16,000 samples/s) |")
    member = g.get("member_t2_2")
    if member and "step_s" in member:
        interval = pbt(base_config("ada")).pbt.interval  # the paper's schedule
        hours = member["step_s"] * interval / 3600
        lines += ["", f"One PBT member of the #2.2 level ({member['batch']} × {member['crop']}, {member['dtype']}): "
                      f"{1000 * member['step_s']:,.0f} ms a step, {member['samples_per_s']:,.0f} samples/s; an "
                      f"interval of {interval:,} steps takes {60 * hours:.0f} min, so one GPU trains "
                      f"{1 / hours:.2f} member-intervals an hour."]
    if "level_paper_1_2" in g:
        sh = g["level_paper_1_2"]
        lines += ["", f"#1.2 level's step by part: encoder {100 * sh['encoder']:.0f} %, modulator "
                      f"{100 * sh['modulator']:.0f} %, local model {100 * sh['local']:.0f} %."]
    return lines + [""]


def run(out_md: str | os.PathLike = "BENCHMARKS.md", data: str | None = "data/prepared/piano-small",
        quick: bool = False) -> dict:
    """Every benchmark, then BENCHMARKS.md and benchmarks.json beside it."""
    repeat = 1 if quick else 3
    results = {"machine": machine(), "quick": quick}
    configs = _configs(quick)
    # more repeats where a step is short: best-of-N on a shared machine needs N quiet moments
    train_repeats = {"tiny_level1": 7, "small16_prior": 5, "paper_local": 3, "paper_1_2": 4}
    sample_repeats = {"paper_local_b1": 5, "paper_local_b16": 5, "small16_b1": 9, "small16_b16": 9}
    results["compare"] = {"train_" + name: compare_trainer(c, repeat=repeat if quick else train_repeats[name])
                          for name, c in configs.items()}
    for name, (local, batch, steps) in COMPARE_SAMPLER.items():
        results["compare"]["sample_" + name] = compare_sampler(local, batch, steps // 5 if quick else steps,
                                                               repeat if quick else sample_repeats[name])
    results["level"] = {name: {"shares": level_shares(configs[name], repeat=max(1, repeat - 1)),
                               "encode": bench_encode(configs[name], 1 if quick or name == "paper_1_2" else 8)}
                        for name in ("tiny_level1", "paper_1_2")}
    steps = 1000 if quick else 4000
    results["sampler"] = {
        "paper_local_b1": bench_sampler(PAPER_LOCAL, 1, steps // 8, naive_steps=8),
        "paper_local_b16": bench_sampler(PAPER_LOCAL, 16, steps // 16),
        "small16_b1": bench_sampler(SMALL_LOCAL, 1, steps, naive_steps=16 if quick else 32),
        "tiny_b1": bench_sampler(TINY_LOCAL, 1, steps),
        "tiny_b16": bench_sampler(TINY_LOCAL, 16, steps // 2),
    }
    # FLOP/s of the tiny level here; the #1.2 level's CPU speed is its row above
    results["trainer"] = {"tiny_level1": bench_trainer(tiny(base_config("ada")), steps=5 if quick else 20)}
    results["data"] = {"prepare": bench_prepare(files=4 if quick else 8, seconds=10 if quick else 30)}
    if data and Path(data, "index.json").is_file():
        t = tiny(base_config("ada")).data
        loader = bench_loader(data, t.crop, t.batch_size, batches=50 if quick else 300)
        trainer = results["trainer"]["tiny_level1"]
        loader["trainer_crops_per_s"] = trainer["samples_per_s"] / trainer["crop"]
        loader["loader_over_trainer"] = loader["crops_per_s"] / loader["trainer_crops_per_s"]
        # the trainer waits for data only while the loader makes a batch: its share of a step
        loader["data_wait_share"] = loader["batch_s"] / (loader["batch_s"] + trainer["step_s"])
        results["data"]["loader"] = loader
    out_md = Path(out_md)
    if out_md.with_name(GPU_JSON).is_file():  # measured on an accelerator by `ada bench --accelerator`
        results["gpu"] = json.loads(out_md.with_name(GPU_JSON).read_text())
    write_json(out_md.with_name("benchmarks.json"), results)
    write_text(out_md, report(results))
    return results


COMPARE_LABELS = {
    "train_tiny_level1": "training step, tiny level 1 (whole level; plain level as reference)",
    "train_small16_prior": "training step, 16 blocks 64/32",
    "train_paper_local": "training step, paper local model (32 blocks 384/64)",
    "train_paper_1_2": "training step, paper #1.2 level (whole level; plain level as reference)",
    "sample_paper_local_b1": "sampling, paper local model, batch 1",
    "sample_paper_local_b16": "sampling, paper local model, batch 16",
    "sample_small16_b1": "sampling, 16 blocks 64/32, batch 1",
    "sample_small16_b16": "sampling, 16 blocks 64/32, batch 16",
}


# What the profiles and ablations showed (issue 9), one line each; figures from the 2-core CPU,
# shared with other work, so each is an A/B measured in one process.
FINDINGS = [
    "Residual and skip projections were one matmul on weights concatenated inside every layer, its "
    "output sliced in two: the concat and the slices copy [B, T, R + S] forward and again backward. "
    "Two matmuls: value_and_grad of the 16-block model (8 × 4096) 0.81× → 1.00× the reference.",
    "The token input layer gathered from each tap's table separately (and scatter-added into each "
    "backward). One gather from the taps' tables side by side, [V + 1, taps · R] with a zero row for "
    "\"no token\": 1.00× → 1.05×.",
    "The continuous encoder input (1 feature at the audio rate) went through one K = 1 matmul per tap "
    "plus a shift each; one convolution instead: tiny level training step 0.91× → 1.00×.",
    "Each layer added its skip projection g @ skip_i into a running [B, T, S] sum: a matmul only `inner` "
    "wide and a memory-bound add of the whole sum per layer, forward and backward. One contraction of all "
    "layers' gates side by side against the stacked skip weights instead (the same sum; parameters "
    "unchanged): value_and_grad 1.04× (paper local model, 2 × 4096), 1.03× (16 blocks), 1.06× (tiny "
    "local model) in an A/B in one process; training rows paper local 0.98× → 1.10×, #1.2 level "
    "0.96× → 1.03× (3 alternations each, before the full run).",
    "Tried and rejected: the dilated convolution as one matmul per tap over shifted inputs "
    "(value_and_grad 2.40 s vs conv_general_dilated's 1.51 s); the compiled HLO of ADA's forward now "
    "matches the reference's op for op (16 convolutions, 33 dots, 1 gather).",
    "Polyak averaging, the grad-norm metric and the quantiser statistics: removing each changed the "
    "tiny level's step by less than the run-to-run noise (400 ms with all, 412 / 419 / 395 ms without "
    "each), so train.py is unchanged.",
    "Sampler: slicing one tap's table (or one kernel row) inside the scan body copies it at every "
    "step; one 2-D gather for all input taps and the tap-concatenated input against the reshaped "
    "kernel (a bitcast). Per-row kernel slices measured 2.4× slower on the paper model.",
    "Sampler: each layer read its oldest input from the very slot the step then overwrote, so XLA "
    "copied every circular buffer twice per step (64 copies, 1.6 MB a step for the paper model, in "
    "the compiled loop body; the reference does the same). One slot more per buffer, written before "
    "it is read: no copy left in the body; paper model batch 1 0.89× → 1.45× in an A/B on the loaded "
    "machine; in the idle `make bench` runs 0.75× (the run before) → 1.01×.",
    "Sampler: each step drew its token with jax.random.categorical on fold_in(key, t), and on a CPU the "
    "threefry generator runs as small rolled loops: the draw cost 19 µs of the 16-block model's 46 µs "
    "step at batch 1 (argmax alone: 27 µs). The same Gumbel noise drawn for a block of steps at once "
    "before the loop (vmapped over t; ≤ 16 MiB a block), the same tokens: 46 → 31 µs a step, and "
    "the 16-block batch-1 row 0.98× → 1.5–2.0× in isolated runs.",
    "Tried and rejected for sampling on this CPU: bfloat16 parameters and arithmetic (no bf16 units here, "
    "so XLA converts): 0.84× float32's speed on the paper local model at batch 1, 0.45× on the 16-block "
    "model, and 23–26 % of tokens drawn differently.",
]


def compare_lines(c: dict) -> list[str]:
    lines = ["| row | shape | ADA samples/s | reference samples/s | ratio | ≥ 1.0 |", "|---|---|---|---|---|---|"]
    for name, label in COMPARE_LABELS.items():
        if name not in c:
            continue
        x = c[name]
        shape = f"{x['batch']} × {x['crop']}" if "crop" in x else f"batch {x['batch']}, {x['steps']} steps"
        lines.append(f"| {label} | {shape} | {x['ada_samples_per_s']:,.0f} | {x['reference_samples_per_s']:,.0f} "
                     f"| {x['ratio']:.2f} | {'✓' if x['ratio'] >= 1.0 else '✗'} |")
    return lines


def _row(what, value, target=None, unit=""):
    if target is None:
        return f"| {what} | {value:,.0f} {unit} | | |"
    mark = "✓" if value >= target else "✗"
    return f"| {what} | {value:,.0f} {unit} | ≥ {target:,} | {value / target:.2f}× target {mark} |"


def report(r: dict) -> str:
    m, s, t, d = r["machine"], r["sampler"], r["trainer"], r["data"]
    lines = ["# Benchmarks", "",
             f"Machine: **{m['cpu']}**, {m['cores']} cores, {m['memory']}; {m['device']} × {m['devices']}"
             f"{' (no accelerator)' if m['device'] == 'CPU' else ''}; "
             f"JAX {m['jax']}; {m['platform']}." + (" Quick run (fewer steps)." if r.get("quick") else ""),
             "", "Written by `make bench` (`ada bench`); raw figures in benchmarks.json. Samples are audio "
             "samples (timesteps); all models are float32 with random parameters (speed does not depend on them).",
             ""]
    if "compare" in r:
        lines += ["## ADA beside the plain reference", "",
                  "Each row runs ADA and a plain implementation of the same model (ada/bench/reference.py: stock Flax "
                  "layers + optax Adam with global-norm clipping; a cached lax.scan sampler with circular "
                  "buffers) in this process, alternating repeats, best of each; ratio = ADA's speed over the "
                  "reference's. Both samplers draw the same tokens from the same parameters and keys.", "",
                  *compare_lines(r["compare"]), "", "Where the time went, and what changed:", "",
                  *(f"- {line}" for line in FINDINGS), ""]
    if "level" in r:
        lines += ["## Whole levels", "", "| level | encoder | modulator | local model | `ada encode` |",
                  "|---|---|---|---|---|"]
        for name, label in (("tiny_level1", "tiny level 1"), ("paper_1_2", "paper #1.2 level")):
            if name in r["level"]:
                sh, enc = r["level"][name]["shares"], r["level"][name]["encode"]
                lines.append(f"| {label} | {100 * sh['encoder']:.0f} % | {100 * sh['modulator']:.0f} % | "
                             f"{100 * sh['local']:.0f} % | {enc['x_real_time']:,.1f}× real time |")
        lines += ["", "Shares: forward + backward time of each part alone on the shapes it sees in the training "
                      "step above; `ada encode`: encoder + quantiser over one excerpt, batch 1.", ""]
    lines += ["## Sampler", "", "| what | measured | target (2-core CPU) | |", "|---|---|---|---|"]
    pb1, p16, sm, tb1, t16 = s["paper_local_b1"], s["paper_local_b16"], s["small16_b1"], s["tiny_b1"], s["tiny_b16"]
    lines += [
        _row("paper local model (32 blocks, 384/64, RF 1024), batch 1", pb1["samples_per_s"], 600, "samples/s"),
        _row("… speed-up of the incremental over the naive sampler", pb1["speedup_over_naive"], 50, "×"),
        _row("… batch 16, all streams", p16["samples_per_s"], None, "samples/s"),
        _row("16 blocks, 64/32, batch 1", sm["samples_per_s"], 13000, "samples/s"),
        _row("… speed-up over naive", sm["speedup_over_naive"], None, "×"),
        _row("tiny local model (12 blocks, 48/24), batch 1", tb1["samples_per_s"], None, "samples/s"),
        _row("… batch 16, all streams", t16["samples_per_s"], None, "samples/s"),
        *([_row("paper local model, batch 256, all streams (GPU)", s["paper_local_b256"]["samples_per_s"], 16000,
                "samples/s")] if "paper_local_b256" in s else []),
        "", f"Cache per stream: paper local model {pb1['cache_bytes_per_stream'] / 2**20:.2f} MiB, "
            f"16-block {sm['cache_bytes_per_stream'] / 2**10:.0f} KiB, "
            f"tiny {tb1['cache_bytes_per_stream'] / 2**10:.0f} KiB "
            "(the per-layer queues; memory does not grow with the length sampled).",
        "", "## Trainer (one process, all local devices)", "",
        "| model | batch × crop | dtype | parameters | step | samples/s | achieved FLOP/s | MFU |",
        "|---|---|---|---|---|---|---|---|"]
    for name, label in (("tiny_level1", "tiny level 1 (experiments/tiny_level1.py)"),
                        ("paper_1_2", "paper #1.2 level (experiments/t1_2_vqvae_continuous.py)"),
                        ("paper_1_2_full", "paper #1.2 level, its config's batch"),
                        ("paper_1_2_bf16", "paper #1.2 level, its config's batch, bf16")):
        if name not in t:
            continue
        x = t[name]
        mfu = f"{100 * x['mfu']:.1f} %" if "mfu" in x else "–"
        lines.append(f"| {label} | {x['batch']} × {x['crop']} | {x.get('dtype', 'float32')} "
                     f"| {x['params'] / 1e6:.2f} M | {x['step_s'] * 1000:,.0f} ms | {x['samples_per_s']:,.0f} "
                     f"| {x.get('flops_per_s', 0) / 1e9:,.1f} G | {mfu} |")
    if r.get("gpu"):
        lines += ["", *gpu_lines(r["gpu"])]
    else:
        lines += ["", "Not measured here: the GPU figures (batched sampling ≥ 16,000 samples/s for the paper's "
                      "local model, the #1.2 level's samples/s at its config's batch, bf16, MFU). "
                      "`ada bench --accelerator` on a GPU machine writes them to benchmarks-gpu.json."]
    lines += ["", "## Data", "", "| what | measured | target | |", "|---|---|---|---|",
              f"| `ada prepare` (44.1 kHz stereo WAV -> 16 kHz μ-law) | {d['prepare']['x_real_time']:,.0f}× "
              "real time | | |"]
    if "loader" in d:
        lo = d["loader"]
        lines += [f"| loader, crops of {lo['crop']} in batches of {lo['batch']} | {lo['crops_per_s']:,.0f} "
                  "crops/s | | |",
                  f"| … over what the tiny trainer consumes ({lo['trainer_crops_per_s']:,.1f} crops/s) | "
                  f"{lo['loader_over_trainer']:,.0f}× | ≥ 10× | {'✓' if lo['loader_over_trainer'] >= 10 else '✗'} |",
                  f"| share of a tiny training step spent waiting for data (no prefetch) | "
                  f"{100 * lo['data_wait_share']:.1f} % | | |"]
    return "\n".join(lines) + "\n"
