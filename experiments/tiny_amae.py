"""Tiny level 1 with the AMAE quantiser (argmax): the reproduce-small twin of tiny_level1.

The diversity loss is scaled 5.0, not the paper's 0.1: at 0.1 this small model on 28 minutes of
audio collapses to about 25 of its 64 codes (perplexity 14 at step 500); 1.0 gives 33, 5.0 gives
47 with the same NLL. A ReLU query channel that goes negative gets no gradient, so only a strong
enough push towards uniform usage keeps channels alive.

    ada train --config experiments/tiny_amae.py --workdir workdirs/tiny_amae

Cost: minutes on 2 CPU cores (the trainer logs steps/s to WORKDIR/metrics.jsonl). Expected: `make reproduce-
small` writes its table (workdirs/reproduce-small.md).
"""

from ada.training.config import base_config, tiny


def get_config():
    c = tiny(base_config("ada"))
    c.model.quantiser.update(kind="argmax", diversity=5.0)
    return c
