"""Table 2 #2.5: level-2 AMAE whose local model (decoder) sees 128 codes: 4 repeats of 5 stages.

    ada train --config experiments/t2_5_amae_rf128.py --workdir workdirs/t2_5_amae_rf128
"""

from ada.training.config import level2_amae


def get_config():
    return level2_amae(128)
