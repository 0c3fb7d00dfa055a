"""Table 1 #1.2: ADA with VQ-VAE quantiser, continuous encoder input, hop 8 (appendix A sizes).

    ada train --config experiments/t1_2_vqvae_continuous.py --workdir workdirs/t1_2_vqvae_continuous

Cost: the paper's sizes, meant for accelerators (docs/training.md: several devices, hosts, a TPU pod); on 2
CPU cores a step takes seconds, so `make bench` times them and nothing trains them there.
Expected: the paper's Table 1, row #1.2; not yet measured with ADA at this size.
"""

from ada.training.config import base_config


def get_config():
    return base_config("ada")
