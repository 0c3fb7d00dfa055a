"""Tiny level 1 with the softmax AMAE quantiser (#1.6 in small): the reproduce-small twin of tiny_amae.

The diversity loss maximises the entropy of the batch-and-time mean of the softmax queries, at the
paper's scale 0.1 (unlike tiny_amae's L2 loss, it needs no larger scale here: after 1500 steps the
eval codes have perplexity 46.7 and use all 64 codes; `make reproduce-small` measures it).

    ada train --config experiments/tiny_amae_softmax.py --workdir workdirs/tiny_amae_softmax

Cost: minutes on 2 CPU cores (the trainer logs steps/s to WORKDIR/metrics.jsonl). Expected: `make reproduce-
small` writes its table (workdirs/reproduce-small.md).
"""

from ada.training.config import base_config, tiny


def get_config():
    c = tiny(base_config("ada"))
    c.model.quantiser.kind = "softmax"
    return c
