"""Table 2 #2.6: level-2 AMAE whose local model (decoder) sees 256 codes: 4 repeats of 6 stages.

    ada train --config experiments/t2_6_amae_rf256.py --workdir workdirs/t2_6_amae_rf256
"""

from ada.config import base_config, level2


def get_config():
    c = level2(base_config("ada"))
    c.model.quantiser.kind = "argmax"
    c.model.local.stages = 6
    return c
