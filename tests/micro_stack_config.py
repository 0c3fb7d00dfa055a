"""The micro level (micro_config.py) as the three members of a stack, by name: level1, level2 (over its 16 codes)
and prior, for recipes that take one config per member (`ada device train`)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("micro_config", Path(__file__).with_name("micro_config.py"))
_micro = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_micro)
micro = _micro.get_config

ARGUMENTS = ("level1", "level2", "prior")


def get_config(name: str = "level1"):
    c = micro()
    if name != "level1":
        c.model.update(vocab=16, encoder_input="one_hot")
    if name == "prior":
        c.model.kind = "prior"
        c.data.crop = 64
    return c
