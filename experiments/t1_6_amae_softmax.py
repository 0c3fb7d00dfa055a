"""Table 1 #1.6: AMAE ablation with softmax queries, continuous input, hop 8.

The diversity loss (scale 0.1) maximises the entropy of the batch-and-time mean of the queries, as
the paper writes it (ada/nn/quantise.py SoftmaxQuantiser).

    ada train --config experiments/t1_6_amae_softmax.py --workdir workdirs/t1_6_amae_softmax

Cost: the paper's sizes, meant for accelerators (docs/training.md: several devices, hosts, a TPU pod); on 2
CPU cores a step takes seconds, so `make bench` times them and nothing trains them there.
Expected: the paper's Table 1, row #1.6; not yet measured with ADA at this size.
"""

from ada.training.config import base_config


def get_config():
    c = base_config("ada")
    c.model.quantiser.kind = "softmax"
    return c
