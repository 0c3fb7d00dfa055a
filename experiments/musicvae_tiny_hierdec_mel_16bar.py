"""Tiny 16-bar melody MusicVAE with the hierarchical decoder, for 2 CPU cores (hierdec-mel_16bar's structure).

Encoder [128], conductor and bar decoder [128, 128], z 64, batch 32; free bits 32 (Magenta's 256 for z 512,
per latent dimension), max β 0.2, β rate 0 as Magenta; the same budget as the tiny flat model it is
compared with (`make reproduce-musicvae`).

    ada train --config experiments/musicvae_tiny_hierdec_mel_16bar.py --workdir workdirs/musicvae_tiny_hierdec_mel_16bar

Cost: minutes on 2 CPU cores. Expected: `make reproduce-musicvae` writes its table (workdirs/reproduce-
musicvae.md).
"""

from ada.training.config import musicvae, tiny_musicvae

STEPS = 1200


def get_config():
    return tiny_musicvae(musicvae("data/notes/folk-16bar", bars=16, encoder=(2048, 2048), decoder=(1024, 1024),
                                  decoder_type="hierarchical", z=512, free_bits=256, max_beta=0.2), STEPS)
