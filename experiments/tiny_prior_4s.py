"""Tiny prior whose receptive field spans 4 s of level-2 codes (1,024 codes at 250 a second): the shipped prior.

tiny_prior with two blocks of 8 layers instead of 6 (its 256 codes, one second of context, become four) and crops
of 1,024 codes. In `ada sweep prior` its samples were less noisy than tiny_prior's in every draw. At equal steps
they were also more clearly in a key; at equal CPU time the two priors' key clarity was the same within noise.

    ada train --config experiments/tiny_prior_4s.py --workdir workdirs/tiny_prior_4s

Cost: the shipped prior's training time is in pretrained/MODEL_CARD.md. Expected: its measures are there too.
"""

from ada.training.config import base_config, tiny, wavenet


def get_config():
    c = tiny(base_config("prior"))
    c.model.vocab = 64
    c.model.local = wavenet(filter=3, stages=8, repeats=2, residual=48, inner=48, skip=48)
    c.data.path = "data/prepared/piano-small-codes2"
    c.data.crop = 1024
    return c
