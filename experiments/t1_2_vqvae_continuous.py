"""Table 1 #1.2: ADA with VQ-VAE quantiser, continuous encoder input, hop 8 (appendix A sizes).

    ada train --config experiments/t1_2_vqvae_continuous.py --workdir workdirs/t1_2_vqvae_continuous

For accelerators; `ada bench --accelerator` measures its step. The paper reports it as Table 1 #1.2; ADA has
not trained it to the end.
"""

from ada.training.config import base_config


def get_config():
    return base_config("ada")
