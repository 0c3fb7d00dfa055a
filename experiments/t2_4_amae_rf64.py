"""Table 2 #2.4: level-2 AMAE whose local model (decoder) sees 64 codes: 4 repeats of 4 stages.

    ada train --config experiments/t2_4_amae_rf64.py --workdir workdirs/t2_4_amae_rf64
"""

from ada.config import base_config, level2


def get_config():
    c = level2(base_config("ada"))
    c.model.quantiser.kind = "argmax"
    c.model.local.stages = 4
    return c
