"""Table 2 #2.6: level-2 AMAE whose local model (decoder) sees 256 codes: 4 repeats of 6 stages.

    ada train --config experiments/t2_6_amae_rf256.py --workdir workdirs/t2_6_amae_rf256
"""

from ada.training.config import level2_amae


def get_config():
    return level2_amae(256)
