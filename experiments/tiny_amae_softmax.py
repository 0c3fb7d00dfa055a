"""Tiny level 1 with the softmax AMAE quantiser (#1.6 in small): the reproduce-small twin of tiny_amae.

The diversity loss maximises the entropy of the batch-and-time mean of the softmax queries, at the
paper's scale 0.1. Soft queries average to a near-uniform mean while their argmax codes may still
concentrate (a 150-step smoke run at scale 1.0: the loss term fell to 7e-4 nats while the code
perplexity was 14 of 64), so a larger scale changes little here.

    ada train --config experiments/tiny_amae_softmax.py --workdir workdirs/tiny_amae_softmax
"""

from ada.config import base_config, tiny


def get_config():
    c = tiny(base_config("ada"))
    c.model.quantiser.kind = "softmax"
    return c
