"""Table 1 #1.3: ADA with VQ-VAE quantiser, one-hot encoder input, hop 8.

    ada train --config experiments/t1_3_vqvae_onehot.py --workdir workdirs/t1_3_vqvae_onehot

For accelerators. Set beside #1.2 it shows what one-hot encoder input changes (Table 1 #1.3); not trained here
at full size.
"""

from ada.training.config import base_config


def get_config():
    c = base_config("ada")
    c.model.encoder_input = "one_hot"
    return c
