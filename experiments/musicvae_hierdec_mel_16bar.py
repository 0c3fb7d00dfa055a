"""Magenta's hierdec-mel_16bar (GPU config): 16-bar melodies, hierarchical decoder (16 bars of 16 steps).

Encoder [2048, 2048], conductor and bar decoder [1024, 1024], z 512, batch 512, free bits 256, max β 0.2,
β rate 0, no scheduled sampling.

    ada train --config experiments/musicvae_hierdec_mel_16bar.py --workdir workdirs/musicvae_hierdec_mel_16bar

Cost: sized for a GPU, as Magenta trains it; untried here at full size.
Expected: MusicVAE's Table 1 (Roberts et al., 2018) for this model; not yet measured with ADA at this size.
"""

from ada.training.config import musicvae


def get_config():
    return musicvae("data/notes/folk-16bar", bars=16, encoder=(2048, 2048), decoder=(1024, 1024),
                    decoder_type="hierarchical", z=512, batch_size=512, free_bits=256, max_beta=0.2)
