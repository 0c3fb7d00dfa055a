"""Table 2 #2.2: level-2 ADA with VQ-VAE quantiser over level-1 codes, hop 8 (64 overall).

The paper trains it by population based training over β and γ (appendix A): `ada pbt` with the
schedule attached here (population 20, interval 5000, burn-in 10000, ×0.8/×1.2; initial ranges in
ada.training.config.pbt). `ada train` trains one member with the default β and γ.

    ada pbt --config experiments/t2_2_vqvae.py --workdir workdirs/t2_2_vqvae
    ada train --config experiments/t2_2_vqvae.py --workdir workdirs/t2_2_vqvae

Cost: the paper's sizes, meant for accelerators (docs/training.md: several devices, hosts, a TPU pod); on 2
CPU cores a step takes seconds, so `make bench` times them and nothing trains them there.
Expected: the paper's Table 2, row #2.2; not yet measured with ADA at this size.
"""

from ada.training.config import base_config, level2, pbt


def get_config():
    return pbt(level2(base_config("ada")))
