"""Table 3: a prior over level-2 codes, filter 3: large (3 × 10 stages = 30 blocks, 512 wide, RF 6144),
very_large (6 × 10 = 60 blocks, 512 wide, RF 12288) or thin (3 × 13 = 39 blocks, 192 wide, RF 49152).

    ada train --config experiments/t3_prior.py:large --workdir workdirs/t3_prior_large

Cost: paper sizes, for an accelerator (RF 6144 codes at 250 codes/s of the shipped levels is 25 s of music).
Expected: the paper's Table 3 row for this size; not yet measured with ADA at this size (`ada sample` pages
give key clarity and key changes, docs/listening.md).
"""

from ada.training.config import PRIORS, prior

ARGUMENTS = tuple(PRIORS)  # the sizes; tests build each


def get_config(size: str = "large"):
    if size not in PRIORS:
        raise ValueError(f"experiments/t3_prior.py:{size}: the size is one of {', '.join(PRIORS)}")
    return prior(size)
