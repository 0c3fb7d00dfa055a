"""Table 2 #2.1: unconditional WaveNet on level-1 codes (the baseline for level 2).

    ada train --config experiments/t2_1_wavenet_codes.py --workdir workdirs/t2_1_wavenet_codes

Cost: the paper's sizes, meant for accelerators (docs/training.md: several devices, hosts, a TPU pod); on 2
CPU cores a step takes seconds, so `make bench` times them and nothing trains them there.
Expected: the paper's Table 2, row #2.1; not yet measured with ADA at this size.
"""

from ada.training.config import base_config


def get_config():
    c = base_config("prior")
    c.model.vocab = 256
    c.data.path = "data/prepared/piano-small-codes1"
    return c
