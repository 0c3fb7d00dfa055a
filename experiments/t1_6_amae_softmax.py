"""Table 1 #1.6: AMAE ablation with softmax queries and an entropy penalty, continuous input, hop 8.

    ada train --config experiments/t1_6_amae_softmax.py --workdir workdirs/t1_6_amae_softmax
"""

from ada.config import base_config


def get_config():
    c = base_config("ada")
    c.model.quantiser.update(kind="softmax", entropy=0.1)
    return c
