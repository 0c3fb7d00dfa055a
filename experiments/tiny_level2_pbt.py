"""Tiny level 2 trained by PBT (`ada pbt`): 4 members, 6 rounds of 200 steps, perturbation from step 400.

The schedule of #2.2 in small: tiny_level2's model, a population of 4 whose worst member copies the
best one (checkpoint and data position) every 200 steps after a burn-in of 400, with β and 1 − γ
multiplied by 0.8 or 1.2; 1200 steps per member. Initial β and γ are drawn as in the paper config
(ada.training.config.pbt). On 2 idle CPU cores, two members at a time: 10 min 25 s (docs/pbt.md).

    ada pbt --config experiments/tiny_level2_pbt.py --workdir workdirs/tiny_level2_pbt
    ada train --config experiments/tiny_level2_pbt.py --workdir workdirs/tiny_level2_pbt  (one member, default β, γ)

Cost: population x steps of tiny_level2 (`make train-level2-pbt`). Expected: docs/pbt/lineage.md is the
lineage of a run.
"""

from ada.training.config import base_config, level2, pbt, tiny


def get_config():
    c = tiny(level2(base_config("ada")))
    c.model.vocab = 64  # the tiny level 1 has 64 codes
    c.data.crop = 512
    c.train.update(eval_every=200, checkpoint_every=200)
    return pbt(c, population=4, interval=200, burn_in=400, steps=1200)
