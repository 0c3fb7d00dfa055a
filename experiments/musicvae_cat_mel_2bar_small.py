"""Magenta's cat-mel_2bar_small (GPU config): 2-bar melodies, encoder [512], decoder [256, 256], z 256.

Batch 512, free bits 0, max β 0.2, β rate 0.99999, scheduled sampling inverse sigmoid k = 1000,
transposition ±5 semitones.

    ada train --config experiments/musicvae_cat_mel_2bar_small.py --workdir workdirs/musicvae_cat_mel_2bar_small \\
      --config.data.path=data/notes/folk-2bar

Cost: sized for a GPU, as Magenta trains it; untried here at full size.
Expected: MusicVAE's Table 1 (Roberts et al., 2018) for this model; not yet measured with ADA at this size.
"""

from ada.training.config import musicvae


def get_config():
    return musicvae("data/notes/folk-2bar", bars=2, encoder=(512,), decoder=(256, 256), z=256, batch_size=512,
                    free_bits=0, max_beta=0.2, beta_rate=0.99999, sampling_schedule="inverse_sigmoid",
                    sampling_rate=1000, transpose=5)
