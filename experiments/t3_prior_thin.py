"""Table 3: thin prior over level-2 codes: filter 3, 3 × 13 stages = 39 blocks, 192 wide, RF 49152.

    ada train --config experiments/t3_prior_thin.py --workdir workdirs/t3_prior_thin
"""

from ada.training.config import prior


def get_config():
    return prior("thin")
