"""Table 2 #2.3: level-2 AMAE whose local model (decoder) sees 32 codes: 4 repeats of 3 stages.

    ada train --config experiments/t2_3_amae_rf32.py --workdir workdirs/t2_3_amae_rf32
"""

from ada.training.config import level2_amae


def get_config():
    return level2_amae(32)
