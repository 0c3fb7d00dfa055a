"""Tiny prior straight over level-1 codes (2,000 a second), for a stack of one level and a prior: it models the
codes that still carry every voice's pitch, where a level 2 keeps the lowest voice and turns the upper ones into
a held tone (docs/results.md, "Where the key is lost").
tiny_prior_4s's widths with one block of 11 layers (dilations up to 1,024): it hears 4,095 codes, about 2 s.

    ada train --config experiments/tiny_prior_level1.py --workdir workdirs/tiny_prior_level1 \
      --config.data.path=data/prepared/piano-medium-codes1
    echo '{"levels": ["pretrained/level1"], "prior": "workdirs/tiny_prior_level1",
           "temperature": {"levels": [0.2], "prior": 1.0}}' > workdirs/level1-prior.json
    ada sample --stack workdirs/level1-prior.json --seconds 4 --num 48 --out workdirs/level1-prior-samples

Cost: about two steps a second on a 2-core CPU (crops of 4,096 codes through 11 layers). Expected: samples judged
by key clarity against the shipped stack's (pretrained/MODEL_CARD.md), docs/results.md.
"""

from ada.training.config import base_config, tiny, wavenet


def get_config():
    c = tiny(base_config("prior"))
    c.model.vocab = 64  # the shipped level 1 has 64 codes
    c.model.local = wavenet(filter=3, stages=11, repeats=1, residual=48, inner=48, skip=48)
    c.data.path = "data/prepared/piano-medium-codes1"
    c.data.crop = 4096
    c.train.update(steps=3000, eval_every=1000, checkpoint_every=500)
    return c
