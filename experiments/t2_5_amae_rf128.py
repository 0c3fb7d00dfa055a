"""Table 2 #2.5: level-2 AMAE whose local model (decoder) sees 128 codes: 4 repeats of 5 stages.

    ada train --config experiments/t2_5_amae_rf128.py --workdir workdirs/t2_5_amae_rf128
"""

from ada.config import base_config, level2


def get_config():
    c = level2(base_config("ada"))
    c.model.quantiser.kind = "argmax"
    c.model.local.stages = 5
    return c
