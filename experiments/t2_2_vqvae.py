"""Table 2 #2.2: level-2 ADA with VQ-VAE quantiser over level-1 codes, hop 8 (64 overall).

    ada train --config experiments/t2_2_vqvae.py --workdir workdirs/t2_2_vqvae
"""

from ada.config import base_config, level2


def get_config():
    return level2(base_config("ada"))
