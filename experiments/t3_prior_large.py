"""Table 3: large prior over level-2 codes: filter 3, 3 × 10 stages = 30 blocks, 512 wide, RF 6144.

    ada train --config experiments/t3_prior_large.py --workdir workdirs/t3_prior_large
"""

from ada.training.config import prior


def get_config():
    return prior("large")
