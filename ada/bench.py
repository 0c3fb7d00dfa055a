"""`ada bench`: speed of the sampler, the trainer and the data path, measured side by side.

Writes BENCHMARKS.md and benchmarks.json naming the machine. Ratios measured in one run hold
from machine to machine; absolute CPU figures do not, so each is printed beside its target.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ada.nn.wavenet import WaveNetSpec

PAPER_LOCAL = WaveNetSpec(filter=2, stages=8, repeats=4, residual=384, inner=64, skip=384)  # RF 1024
SMALL_LOCAL = WaveNetSpec(filter=2, stages=8, repeats=2, residual=64, inner=32, skip=64)  # 16 blocks, 64/32
TINY_LOCAL = WaveNetSpec(filter=2, stages=6, repeats=2, residual=48, inner=24, skip=48)  # tiny configs' local

# dense bf16 peak per chip, for model-FLOPs utilisation on accelerators
PEAK_BF16_FLOPS = {"NVIDIA H100 80GB HBM3": 989e12, "NVIDIA H200": 989e12, "NVIDIA A100-SXM4-80GB": 312e12,
                   "NVIDIA A100-SXM4-40GB": 312e12, "TPU v4": 275e12, "TPU v5 lite": 197e12, "TPU v5p": 459e12}


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
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
    from ada.models import PriorSpec
    from ada.sample import Sampler, sample_naive

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
    from ada.models import model_spec
    from ada.state import compute_dtype, init_state, optimiser
    from ada.train import make_train_step

    spec = model_spec(config.model)
    model = spec.build(compute_dtype(config.train))
    tx = optimiser(config.train)
    state = jax.jit(lambda: init_state(model, config, tx))()
    step = jax.jit(make_train_step(model, tx, config), donate_argnums=0)
    tokens = jax.random.randint(jax.random.key(0), (config.data.batch_size, config.data.crop), 0, spec.vocab)
    batch = {"tokens": tokens}
    compiled = step.lower(state, batch).compile()
    flops = float((compiled.cost_analysis() or {}).get("flops", 0.0)) if hasattr(compiled, "cost_analysis") else 0.0
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



def bench_loader(data, crop: int, batch: int, batches: int = 200) -> dict:
    from ada.loader import train_loader

    it = iter(train_loader(data, crop=crop, batch_size=batch, seed=0))
    next(it)
    seconds = _timed(lambda: [next(it) for _ in range(batches)])
    return {"crop": crop, "batch": batch, "crops_per_s": batch * batches / seconds,
            "batch_s": seconds / batches}


def bench_prepare(files: int = 8, seconds: float = 30.0) -> dict:
    """`ada prepare` on generated 44.1 kHz stereo WAVs: audio seconds per wall second."""
    import soundfile as sf

    from ada.prepare import prepare

    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        for i in range(files):
            t = np.arange(int(44100 * seconds)) / 44100
            x = 0.3 * np.sin(2 * np.pi * (220 + 20 * i) * t) * np.exp(-(t % 2)) + 0.01 * rng.standard_normal(t.size)
            sf.write(Path(tmp) / f"{i}.wav", np.stack([x, 0.9 * x], 1), 44100, subtype="PCM_16")
        took = _timed(lambda: prepare([Path(tmp)], Path(tmp) / "out", progress=False))
    return {"files": files, "audio_s": files * seconds, "wall_s": took, "x_real_time": files * seconds / took}


def run(out_md: str | os.PathLike = "BENCHMARKS.md", data: str | None = "data/prepared/piano-small",
        quick: bool = False) -> dict:
    """Every benchmark, then BENCHMARKS.md and benchmarks.json beside it."""
    from ada.atomic import write_json, write_text
    from ada.config import base_config, tiny

    steps = 2000 if quick else 8000
    results = {"machine": machine(), "quick": quick}
    results["sampler"] = {
        "paper_local_b1": bench_sampler(PAPER_LOCAL, 1, steps // 4, naive_steps=8 if quick else 24),
        "paper_local_b16": bench_sampler(PAPER_LOCAL, 16, steps // 8),
        "small16_b1": bench_sampler(SMALL_LOCAL, 1, steps, naive_steps=16 if quick else 64),
        "tiny_b1": bench_sampler(TINY_LOCAL, 1, steps),
        "tiny_b16": bench_sampler(TINY_LOCAL, 16, steps // 2),
    }
    paper = base_config("ada")
    paper.data.update(batch_size=1, crop=2048 if quick else 4096)
    results["trainer"] = {"tiny_level1": bench_trainer(tiny(base_config("ada")), steps=5 if quick else 20),
                          "paper_1_2": bench_trainer(paper, steps=1 if quick else 2)}
    if jax.devices()[0].platform != "cpu":  # the paper's batch, in float32 and in bf16, where it fits
        big = base_config("ada")
        results["trainer"]["paper_1_2_full"] = bench_trainer(big, steps=5)
        big.train.dtype = "bfloat16"
        results["trainer"]["paper_1_2_bf16"] = bench_trainer(big, steps=5)
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
    write_json(out_md.with_name("benchmarks.json"), results)
    write_text(out_md, report(results))
    return results


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
             "", "## Sampler", "", "| what | measured | target (2-core CPU) | |", "|---|---|---|---|"]
    pb1, p16, sm, tb1, t16 = s["paper_local_b1"], s["paper_local_b16"], s["small16_b1"], s["tiny_b1"], s["tiny_b16"]
    lines += [
        _row("paper local model (32 blocks, 384/64, RF 1024), batch 1", pb1["samples_per_s"], 600, "samples/s"),
        _row("… speed-up of the incremental over the naive sampler", pb1["speedup_over_naive"], 50, "×"),
        _row("… batch 16, all streams", p16["samples_per_s"], None, "samples/s"),
        _row("16 blocks, 64/32, batch 1", sm["samples_per_s"], 13000, "samples/s"),
        _row("… speed-up over naive", sm["speedup_over_naive"], None, "×"),
        _row("tiny local model (12 blocks, 48/24), batch 1", tb1["samples_per_s"], None, "samples/s"),
        _row("… batch 16, all streams", t16["samples_per_s"], None, "samples/s"),
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
    if "paper_1_2_bf16" in t:
        lines += ["", f"bf16 speed-up on the #1.2 level: "
                      f"{t['paper_1_2_bf16']['samples_per_s'] / t['paper_1_2_full']['samples_per_s']:.2f}×."]
    else:
        lines += ["", "Not measured here: the GPU figures (batched sampling ≥ 16,000 samples/s for the paper's "
                      "local model, the #1.2 level's samples/s at its config's batch, bf16 speed-up, MFU). "
                      "No accelerator was lent to the session that wrote this file; `make bench` on a GPU "
                      "machine adds them."]
    lines += ["", "## Data", "", "| what | measured | target | |", "|---|---|---|---|",
              f"| `ada prepare` (44.1 kHz stereo WAV -> 16 kHz μ-law) | {d['prepare']['x_real_time']:,.0f}× real time "
              "| | |"]
    if "loader" in d:
        lo = d["loader"]
        lines += [f"| loader, crops of {lo['crop']} in batches of {lo['batch']} | {lo['crops_per_s']:,.0f} crops/s "
                  "| | |",
                  f"| … over what the tiny trainer consumes ({lo['trainer_crops_per_s']:,.1f} crops/s) | "
                  f"{lo['loader_over_trainer']:,.0f}× | ≥ 10× | {'✓' if lo['loader_over_trainer'] >= 10 else '✗'} |",
                  f"| share of a tiny training step spent waiting for data (no prefetch) | "
                  f"{100 * lo['data_wait_share']:.1f} % | | |"]
    return "\n".join(lines) + "\n"
