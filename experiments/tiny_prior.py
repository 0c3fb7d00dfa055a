"""Tiny prior over tiny level-2 codes that trains on 2 CPU cores in minutes.

    ada train --config experiments/tiny_prior.py --workdir workdirs/tiny_prior

Cost: minutes on 2 CPU cores; `make demo` trains it. Expected: `ada sweep prior` sets it beside tiny_prior_4s.
"""

from ada.training.config import base_config, tiny, wavenet


def get_config():
    c = tiny(base_config("prior"))
    c.model.vocab = 64
    c.model.local = wavenet(filter=3, stages=6, repeats=2, residual=48, inner=48, skip=48)
    c.data.path = "data/prepared/piano-small-codes2"
    c.data.crop = 256
    return c
