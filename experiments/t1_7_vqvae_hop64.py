"""Table 1 #1.7: ADA with VQ-VAE quantiser at hop 64 (one level straight to the top rate).

    ada train --config experiments/t1_7_vqvae_hop64.py --workdir workdirs/t1_7_vqvae_hop64

Cost: the paper's sizes, meant for accelerators (docs/training.md: several devices, hosts, a TPU pod); on 2
CPU cores a step takes seconds, so `make bench` times them and nothing trains them there.
Expected: the paper's Table 1, row #1.7; not yet measured with ADA at this size.
"""

from ada.training.config import base_config


def get_config():
    c = base_config("ada")
    c.model.hop = 64
    return c
