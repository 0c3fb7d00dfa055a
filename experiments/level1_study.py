"""The level-1 fidelity study: tiny level 1 against larger local models and codebooks, on the medium corpus.

The tiny level 1 (the previous stack's) hears 128 samples (8 ms, under one period of every note below
125 Hz) through 48 channels; each candidate widens what it hears or how wide it is, or its codebook:

    tiny       the tiny level 1's size (local: 2 × 6 stages, RF 128, 48 wide; 64 codes)
    rf512      local 2 × 8 stages, RF 512, 64 wide (inner 32); crops of 2,048
    rf1024     local 2 × 9 stages, RF 1,024, 64 wide (inner 32); crops of 2,048 (the shipped level 1)
    rf1024w96  as rf1024, 96 wide (inner 48)
    codes256   as rf1024, with 256 codes of 32 dimensions
    tiny_pe    as tiny, on audio pre-emphasised with α = 0.85 before μ-law and de-emphasised after decoding
    rf1024_pe  as rf1024, likewise (noise shaping as LPCNet does it: ada/audio/emphasis.py)

    ada train --config experiments/level1_study.py:rf1024 --workdir workdirs/study/rf1024 \
      --config.data.path=data/prepared/piano-medium

A _pe candidate trains on the same works prepared with pre-emphasis (`ada sweep fidelity` prepares them from the
corpus's renders: `ada prepare data/prepared/piano-medium/renders --out data/prepared/piano-medium-pe85
--preemphasis 0.85`).

Cost: each candidate is trained at least one CPU-hour on 2 cores (a rerun resumes; the trainer logs steps/s to
WORKDIR/metrics.jsonl). Expected: judged by the harmonic-contrast gap of reconstructions on held-out works,
never by NLL alone; the study's table is in docs/results.md.
"""

from ada.training.config import base_config, tiny, wavenet

ARGUMENTS = ("tiny", "rf512", "rf1024", "rf1024w96", "codes256", "tiny_pe", "rf1024_pe")
PREEMPHASIS = 0.85  # LPCNet's


def get_config(name: str = "rf1024"):
    if name not in ARGUMENTS:
        raise ValueError(f"experiments/level1_study.py:{name}: the candidate is one of {', '.join(ARGUMENTS)}")
    c = tiny(base_config("ada"))
    c.data.path = "data/prepared/piano-medium"
    c.train.steps = 1_000_000  # stopped by time, not steps: a rerun resumes
    c.train.update(eval_every=2000, checkpoint_every=500)
    if name.endswith("_pe"):
        name = name.removesuffix("_pe")
        c.data.update(path="data/prepared/piano-medium-pe85", preemphasis=PREEMPHASIS)
    if name == "tiny":
        return c
    stages, width = {"rf512": (8, 64), "rf1024": (9, 64), "rf1024w96": (9, 96), "codes256": (9, 64)}[name]
    c.model.local = wavenet(filter=2, stages=stages, repeats=2, residual=width, inner=width // 2, skip=width)
    c.data.crop = 2048
    if name == "codes256":
        c.model.quantiser.update(codes=256, dim=32)
    return c
