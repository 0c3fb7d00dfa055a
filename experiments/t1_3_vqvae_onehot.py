"""Table 1 #1.3: ADA with VQ-VAE quantiser, one-hot encoder input, hop 8.

    ada train --config experiments/t1_3_vqvae_onehot.py --workdir workdirs/t1_3_vqvae_onehot

Cost: the paper's sizes, meant for accelerators (docs/training.md: several devices, hosts, a TPU pod); on 2
CPU cores a step takes seconds, so `make bench` times them and nothing trains them there.
Expected: the paper's Table 1, row #1.3; not yet measured with ADA at this size.
"""

from ada.training.config import base_config


def get_config():
    c = base_config("ada")
    c.model.encoder_input = "one_hot"
    return c
