"""Table 1 #1.5: AMAE (argmax quantiser, diversity loss 0.1), one-hot encoder input, hop 8.

    ada train --config experiments/t1_5_amae_onehot.py --workdir workdirs/t1_5_amae_onehot

For accelerators. Compare with #1.4 for the encoder's input (Table 1 #1.5); unmeasured by ADA at this size.
"""

from ada.training.config import base_config


def get_config():
    c = base_config("ada")
    c.model.quantiser.kind = "argmax"
    c.model.encoder_input = "one_hot"
    return c
