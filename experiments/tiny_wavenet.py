"""Tiny unconditional WaveNet on audio: tiny level 1's local model without codes (its baseline).

    ada train --config experiments/tiny_wavenet.py --workdir workdirs/tiny_wavenet
"""

from ada.training.config import base_config, tiny


def get_config():
    return tiny(base_config("prior"))
