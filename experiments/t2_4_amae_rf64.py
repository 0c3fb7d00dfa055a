"""Table 2 #2.4: level-2 AMAE whose local model (decoder) sees 64 codes: 4 repeats of 4 stages.

    ada train --config experiments/t2_4_amae_rf64.py --workdir workdirs/t2_4_amae_rf64
"""

from ada.training.config import level2_amae


def get_config():
    return level2_amae(64)
