"""Table 3: very large prior over level-2 codes: filter 3, 6 × 10 stages = 60 blocks, RF 12288.

    ada train --config experiments/t3_prior_very_large.py --workdir workdirs/t3_prior_very_large
"""

from ada.training.config import prior


def get_config():
    return prior("very_large")
