"""Tiny level 2 (VQ-VAE over tiny level-1 codes, hop 8) that trains on 2 CPU cores in minutes.

    ada train --config experiments/tiny_level2.py --workdir workdirs/tiny_level2

Cost: minutes on 2 CPU cores; `make demo` trains it. Expected: the shipped level 2 is this config trained
longer on the medium corpus's codes: pretrained/MODEL_CARD.md.
"""

from ada.training.config import base_config, level2, tiny


def get_config():
    c = tiny(level2(base_config("ada")))
    c.model.vocab = 64  # the tiny level 1 has 64 codes
    c.data.crop = 512
    return c
