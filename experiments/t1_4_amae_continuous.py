"""Table 1 #1.4: AMAE (argmax quantiser, diversity loss 0.1), continuous encoder input, hop 8.

    ada train --config experiments/t1_4_amae_continuous.py --workdir workdirs/t1_4_amae_continuous

Cost: the paper's sizes, meant for accelerators (docs/training.md: several devices, hosts, a TPU pod); on 2
CPU cores a step takes seconds, so `make bench` times them and nothing trains them there.
Expected: the paper's Table 1, row #1.4; not yet measured with ADA at this size.
"""

from ada.training.config import base_config


def get_config():
    c = base_config("ada")
    c.model.quantiser.kind = "argmax"
    return c
