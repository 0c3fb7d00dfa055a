"""Magenta's cat-drums_2bar_small (GPU config): 2-bar drums (9 classes, 512-way output; the encoder reads a
9-bit roll with a NOR bit, the decoder the 512-way one-hot, as Magenta's DrumsConverter(roll_input=True) feeds them).

Encoder [512], decoder [256, 256], z 256, batch 512, free bits 48, max β 0.2, β rate 0, scheduled
sampling inverse sigmoid k = 1000. Needs a drum note dataset (`ada notes prepare MIDI... --kind drums`).

    ada train --config experiments/musicvae_cat_drums_2bar_small.py --workdir workdirs/musicvae_cat_drums_2bar_small

Cost: sized for a GPU, as Magenta trains it; untried here at full size.
Expected: MusicVAE's Table 1 (Roberts et al., 2018) for this model; not yet measured with ADA at this size.
"""

from ada.training.config import musicvae


def get_config():
    return musicvae("data/notes/drums-2bar", streams="drums", bars=2, encoder=(512,), decoder=(256, 256), z=256,
                    batch_size=512, free_bits=48, max_beta=0.2, sampling_schedule="inverse_sigmoid",
                    sampling_rate=1000, roll_input=True)
