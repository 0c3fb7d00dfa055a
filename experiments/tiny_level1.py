"""Tiny level 1 (VQ-VAE, continuous input, hop 8) that trains on 2 CPU cores in minutes.

    ada train --config experiments/tiny_level1.py --workdir workdirs/tiny_level1
"""

from ada.training.config import base_config, tiny


def get_config():
    return tiny(base_config("ada"))
