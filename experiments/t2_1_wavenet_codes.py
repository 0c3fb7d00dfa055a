"""Table 2 #2.1: unconditional WaveNet on level-1 codes (the baseline for level 2).

    ada train --config experiments/t2_1_wavenet_codes.py --workdir workdirs/t2_1_wavenet_codes

For accelerators, over the codes of a trained #1.2 level. Table 2 #2.1 is the bar every level 2 must clear.
"""

from ada.training.config import base_config


def get_config():
    c = base_config("prior")
    c.model.vocab = 256
    c.data.path = "data/prepared/piano-small-codes1"
    return c
