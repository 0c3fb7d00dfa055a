"""Tiny 2-bar melody MusicVAE (flat decoder) for 2 CPU cores: cat-mel_2bar_small's structure, small widths.

Encoder [128], decoder [128, 128], z 64, batch 32; free bits 0, max β 0.2 as Magenta. Our choices for a
short run: β rate 0.999 and scheduled sampling k = 200 (see ada.training.config.tiny_musicvae).

    ada train --config experiments/musicvae_tiny_mel_2bar.py --workdir workdirs/musicvae_tiny_mel_2bar

Cost: minutes on 2 CPU cores. Expected: `make reproduce-musicvae` writes its table (workdirs/reproduce-
musicvae.md).
"""

from ada.training.config import musicvae, tiny_musicvae

STEPS = 1200


def get_config():
    return tiny_musicvae(musicvae("data/notes/folk-2bar", bars=2, encoder=(512,), decoder=(256, 256), z=256,
                                  free_bits=0, max_beta=0.2, beta_rate=0.99999, sampling_schedule="inverse_sigmoid",
                                  sampling_rate=1000, transpose=5), STEPS)
