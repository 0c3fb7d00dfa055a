"""Table 2 #2.3–#2.6: a level-2 AMAE whose local model (decoder) sees RF codes: 4 repeats of 3, 4, 5 or 6 stages.

The argument is the receptive field: 32 (#2.3), 64 (#2.4), 128 (#2.5) or 256 (#2.6).

    ada train --config experiments/t2_amae.py:64 --workdir workdirs/t2_amae_rf64

Cost: the paper's sizes (appendix A: encoder and modulator 256 wide, local model 384), for an accelerator;
on 2 CPU cores a step of these sizes takes seconds, so only `make bench` runs them there. Expected: the
paper's Table 2 compares these receptive fields: the shorter the decoder's, the more it must rely on the
codes; `ada eval` measures how much a trained level's NLL rises when each crop hears another crop's codes.
"""

from ada.training.config import level2_amae

ARGUMENTS = ("32", "64", "128", "256")  # the receptive fields; tests build each


def get_config(rf: str = "64"):
    if rf not in ARGUMENTS:
        raise ValueError(f"experiments/t2_amae.py:{rf}: the receptive field is one of {', '.join(ARGUMENTS)}")
    return level2_amae(int(rf))
