"""Table 1 #1.1: unconditional WaveNet on 16 kHz μ-law audio (the local model's size, no codes).

    ada train --config experiments/t1_1_wavenet.py --workdir workdirs/t1_1_wavenet

For accelerators (the local model alone at the paper's size); Table 1 #1.1 is the baseline every level is
compared with.
"""

from ada.training.config import base_config


def get_config():
    return base_config("prior")
