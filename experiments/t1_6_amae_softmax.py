"""Table 1 #1.6: AMAE ablation with softmax queries, continuous input, hop 8.

The diversity loss (scale 0.1) maximises the entropy of the batch-and-time mean of the queries, as
the paper writes it (ada/nn/quantise.py SoftmaxQuantiser).

    ada train --config experiments/t1_6_amae_softmax.py --workdir workdirs/t1_6_amae_softmax

For accelerators. The ablation row (Table 1 #1.6); its tiny twin tiny_amae_softmax runs in `make reproduce-
small`.
"""

from ada.training.config import base_config


def get_config():
    c = base_config("ada")
    c.model.quantiser.kind = "softmax"
    return c
