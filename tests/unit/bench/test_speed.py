"""The benchmark harness measures what it says: figures from real runs, in a report naming the machine."""

import pytest

from ada.bench.speed import bench_loader, bench_sampler, machine, report
from ada.nn.wavenet import WaveNetSpec


def test_sampler_benchmark_measures_both_samplers():
    spec = WaveNetSpec(filter=2, stages=3, repeats=1, residual=8, inner=4, skip=8)
    r = bench_sampler(spec, batch=2, steps=64, naive_steps=8)
    assert r["samples_per_s"] == pytest.approx(2 * r["samples_per_s_per_stream"])
    assert r["naive_samples_per_s_per_stream"] > 0 and r["speedup_over_naive"] > 0
    # per stream: one input tap, a buffer of (k - 1)·d + 1 steps of `residual` floats per layer (the
    # step's own input is written before the oldest is read), the step counter
    assert r["cache_bytes_per_stream"] == 4 * 1 + (2 + 3 + 5) * 8 * 4 + 4


def test_report_names_the_machine_and_the_targets(token_dataset):
    fake = {"samples_per_s": 1000.0, "samples_per_s_per_stream": 1000.0, "speedup_over_naive": 60.0,
            "cache_bytes_per_stream": 2**20}
    trainer = {"batch": 1, "crop": 1024, "params": 1e6, "step_s": 0.1, "samples_per_s": 10240.0}
    loader = bench_loader(token_dataset([5000, 6000, 7000]), crop=256, batch=4, batches=5)
    loader.update(trainer_crops_per_s=10.0, loader_over_trainer=loader["crops_per_s"] / 10, data_wait_share=0.01)
    names = ("paper_local_b1", "paper_local_b16", "small16_b1", "tiny_b1", "tiny_b16")
    text = report({"machine": machine(), "sampler": {k: fake for k in names},
                   "trainer": {"tiny_level1": trainer, "paper_1_2": trainer},
                   "data": {"prepare": {"x_real_time": 100.0}, "loader": loader}})
    assert "cores" in text and "≥ 600" in text and "1.67× target ✓" in text and "≥ 13,000" in text
    assert "0.08× target ✗" in text and "≥ 10×" in text


def test_reference_comparison_rows_measure_both_and_report_the_ratio():
    from ada.bench.speed import COMPARE_LABELS, compare_lines, compare_sampler

    spec = WaveNetSpec(filter=2, stages=3, repeats=1, residual=8, inner=4, skip=8)
    r = compare_sampler(spec, batch=2, steps=32, repeat=1)
    assert r["same_tokens"] == 1.0
    assert r["ratio"] == pytest.approx(r["ada_samples_per_s"] / r["reference_samples_per_s"])
    train = {"batch": 8, "crop": 4096, "ada_samples_per_s": 80000.0, "reference_samples_per_s": 74128.0,
             "ratio": 80000 / 74128}
    lines = compare_lines({"train_small16_prior": train, "sample_small16_b1": {**r, "ratio": 0.5}})
    assert any(COMPARE_LABELS["train_small16_prior"] in line and "| 1.08 | ✓ |" in line for line in lines)
    assert any(COMPARE_LABELS["sample_small16_b1"] in line and "| 0.50 | ✗ |" in line for line in lines)
