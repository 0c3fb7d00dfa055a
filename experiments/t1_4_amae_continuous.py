"""Table 1 #1.4: AMAE (argmax quantiser, diversity loss 0.1), continuous encoder input, hop 8.

    ada train --config experiments/t1_4_amae_continuous.py --workdir workdirs/t1_4_amae_continuous

For accelerators. Table 1 #1.4 in the paper; `make reproduce-small` trains its tiny twin (tiny_amae).
"""

from ada.training.config import base_config


def get_config():
    c = base_config("ada")
    c.model.quantiser.kind = "argmax"
    return c
