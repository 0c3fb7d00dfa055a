"""Table 1 #1.7: ADA with VQ-VAE quantiser at hop 64 (one level straight to the top rate).

    ada train --config experiments/t1_7_vqvae_hop64.py --workdir workdirs/t1_7_vqvae_hop64

For accelerators. Table 1 #1.7: one level at the top rate, against two stacked levels; not measured by ADA
yet.
"""

from ada.training.config import base_config


def get_config():
    c = base_config("ada")
    c.model.hop = 64
    return c
