"""Magenta's hierdec-trio_16bar (GPU config): melody, bass and drums, one bar decoder per instrument.

Encoder [2048, 2048], conductor and bar decoders [1024, 1024], z 512, batch 256, free bits 256, max β 0.2,
β rate 0. Needs a trio note dataset (`ada notes prepare MIDI... --kind trio --bars 16`).

    ada train --config experiments/musicvae_hierdec_trio_16bar.py --workdir workdirs/musicvae_hierdec_trio_16bar

Cost: sized for a GPU, as Magenta trains it; untried here at full size.
Expected: MusicVAE's Table 1 (Roberts et al., 2018) for this model; not yet measured with ADA at this size.
"""

from ada.training.config import musicvae


def get_config():
    return musicvae("data/notes/trio-16bar", streams="melody,melody,drums", bars=16, encoder=(2048, 2048),
                    decoder=(1024, 1024), decoder_type="hierarchical", z=512, batch_size=256, free_bits=256,
                    max_beta=0.2)
