"""A wider stack for `ada device train` on a lent GPU: ARGUMENT is level1, level2 or prior.

The shipped (tiny) stack's structure and vocabularies (64 codes at each level, hop 8), several times its width,
and the paper's receptive fields where the CPU-trained stack could not afford them:

    level1   local model 4 × 8 stages (RF 1,024 samples, the paper's), 256 wide (paper 384, shipped 64);
             encoder and modulator 2 × 8 stages, 128 wide (paper 256, shipped 48); crops of 8,192
    level2   local model 4 × 6 stages (RF 256 codes, Table 2's #2.3–#2.6 span), 192 wide; encoder and
             modulator 1 × 8 stages, 128 wide; crops of 4,096 codes
    prior    2 × 10 stages of filter 3 (RF 4,093 codes: 16 s at 250 codes a second), 160 wide; crops of
             8,192 codes

About 17 M parameters together (34 MB in bfloat16), so that the stack, with the shipped MusicVAEs, fits the
50 MB `pretrained/` may hold. float32 (on the H100, bfloat16 ran the paper's #1.2 level at 0.56× its speed:
BENCHMARKS.md); batch 32.

    ada train --config experiments/device_stack.py:level1 --workdir workdirs/device/level1 \
      --config.data.path=data/prepared/piano-medium

Cost: for accelerators only; untimed on one so far. The H100 trained the paper's #1.2 level (23 M parameters, its
local model 70 % of the step) at 198,000 samples a second; at about half its cost a sample (an estimate), the
four minutes of one call would show this level 1 about 100 M samples, where the shipped level 1 saw 274 M in
173 CPU-minutes: these pay off over longer leases (`ada device train
--level1-config experiments/device_stack.py:level1 ... --init-from ''`; a rerun on a warm machine continues).
Expected: judged as the CPU stack is, by `ada release card`.
"""

from ada.training.config import base_config, level2, wavenet

ARGUMENTS = ("level1", "level2", "prior")


def get_config(name: str = "level1"):
    if name not in ARGUMENTS:
        raise ValueError(f"experiments/device_stack.py:{name}: choose one of {', '.join(ARGUMENTS)}")
    if name == "prior":
        c = base_config("prior")
        c.model.vocab = 64
        c.model.local = wavenet(filter=3, stages=10, repeats=2, residual=160, inner=160, skip=160)
        c.data.update(path="data/prepared/piano-medium-codes2", crop=8192)
    elif name == "level2":
        c = level2(base_config("ada"))
        c.model.vocab = 64  # level 1's codes
        c.model.local = wavenet(filter=2, stages=6, repeats=4, residual=192, inner=64, skip=192)
        c.model.encoder = wavenet(filter=3, stages=8, repeats=1, residual=128, inner=128, skip=128)
        c.model.modulator = wavenet(filter=3, stages=8, repeats=1, residual=128, inner=128, skip=128)
        c.data.update(path="data/prepared/piano-medium-codes1", crop=4096)
    else:
        c = base_config("ada")
        c.model.local = wavenet(filter=2, stages=8, repeats=4, residual=256, inner=64, skip=256)
        c.model.encoder = wavenet(filter=3, stages=8, repeats=2, residual=128, inner=128, skip=128)
        c.model.modulator = wavenet(filter=3, stages=8, repeats=2, residual=128, inner=128, skip=128)
        c.data.update(path="data/prepared/piano-medium", crop=8192)
    if name != "prior":
        c.model.quantiser.update(codes=64, dim=16, restart_below=1.0)  # restarts: see docs/results.md, hop 64
    c.data.update(batch_size=32, eval_crops=256, eval_batch_size=32)
    c.train.update(steps=1_000_000, dtype="float32", eval_every=2000, checkpoint_every=1000, log_every=100)
    return c
