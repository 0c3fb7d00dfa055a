"""Table 2 #2.2: level-2 ADA with VQ-VAE quantiser over level-1 codes, hop 8 (64 overall).

The paper trains it by population based training over β and γ (appendix A): `ada pbt` with the
schedule attached here (population 20, interval 5000, burn-in 10000, ×0.8/×1.2; initial ranges in
ada.training.config.pbt). `ada train` trains one member with the default β and γ.

    ada pbt --config experiments/t2_2_vqvae.py --workdir workdirs/t2_2_vqvae
    ada train --config experiments/t2_2_vqvae.py --workdir workdirs/t2_2_vqvae

For accelerators: 20 members by `ada pbt` in the paper. Its Table 2 #2.2 figure has not been reproduced by
ADA.
"""

from ada.training.config import base_config, level2, pbt


def get_config():
    return pbt(level2(base_config("ada")))
