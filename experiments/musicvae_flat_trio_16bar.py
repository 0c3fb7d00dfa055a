"""Magenta's flat-trio_16bar (GPU config): melody, bass and drums through one flat decoder with three softmaxes.

Encoder [2048, 2048], decoder [2048] × 3, z 512, batch 256; Magenta's defaults for the rest: free bits 0,
max β 1.0, β rate 0.

    ada train --config experiments/musicvae_flat_trio_16bar.py --workdir workdirs/musicvae_flat_trio_16bar

Cost: sized for a GPU, as Magenta trains it; untried here at full size.
Expected: MusicVAE's Table 1 (Roberts et al., 2018) for this model; not yet measured with ADA at this size.
"""

from ada.training.config import musicvae


def get_config():
    return musicvae("data/notes/trio-16bar", streams="melody,melody,drums", bars=16, encoder=(2048, 2048),
                    decoder=(2048, 2048, 2048), z=512, batch_size=256, free_bits=0, max_beta=1.0)
