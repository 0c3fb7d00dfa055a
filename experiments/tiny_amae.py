"""Tiny level 1 with the AMAE quantiser (argmax, diversity 0.1): the reproduce-small twin of tiny_level1.

    ada train --config experiments/tiny_amae.py --workdir workdirs/tiny_amae
"""

from ada.config import base_config, tiny


def get_config():
    c = tiny(base_config("ada"))
    c.model.quantiser.kind = "argmax"
    return c
