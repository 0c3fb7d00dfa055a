"""Table 1 #1.1: unconditional WaveNet on 16 kHz μ-law audio (the local model's size, no codes).

    ada train --config experiments/t1_1_wavenet.py --workdir workdirs/t1_1_wavenet

Cost: the paper's sizes, meant for accelerators (docs/training.md: several devices, hosts, a TPU pod); on 2
CPU cores a step takes seconds, so `make bench` times them and nothing trains them there.
Expected: the paper's Table 1, row #1.1; not yet measured with ADA at this size.
"""

from ada.training.config import base_config


def get_config():
    return base_config("prior")
