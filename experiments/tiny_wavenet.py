"""Tiny unconditional WaveNet on audio: tiny level 1's local model without codes (its baseline).

    ada train --config experiments/tiny_wavenet.py --workdir workdirs/tiny_wavenet

Cost: minutes on 2 CPU cores (the trainer logs steps/s to WORKDIR/metrics.jsonl). Expected: `make reproduce-
small` writes its table (workdirs/reproduce-small.md).
"""

from ada.training.config import base_config, tiny


def get_config():
    return tiny(base_config("prior"))
