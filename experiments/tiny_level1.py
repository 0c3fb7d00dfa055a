"""Tiny level 1 (VQ-VAE, continuous input, hop 8) that trains on 2 CPU cores in minutes.

    ada train --config experiments/tiny_level1.py --workdir workdirs/tiny_level1

Cost: minutes on 2 CPU cores; `make demo` trains it. Expected: the shipped level 1 is this config trained
longer on the medium corpus: pretrained/MODEL_CARD.md gives its measures.
"""

from ada.training.config import base_config, tiny


def get_config():
    return tiny(base_config("ada"))
