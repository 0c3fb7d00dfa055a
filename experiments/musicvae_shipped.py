"""The shipped MusicVAEs (pretrained/musicvae/NAME), sized and trained for 2 CPU cores: ARGUMENT is the name.

    folk_2bar          2-bar folk melodies, flat decoder (cat-mel_2bar_small's structure)
    folk_16bar         16-bar folk melodies, hierarchical decoder (hierdec-mel_16bar's structure)
    chorale_16bar      16 bars of Bach chorales' four voices, a hierarchical decoder per voice
                       (hierdec-trio_16bar's structure with soprano, alto, tenor and bass as its streams)

    ada train --config experiments/musicvae_shipped.py:folk_2bar --workdir workdirs/shipped/folk_2bar
    ada notes export --workdir workdirs/shipped/folk_2bar --out pretrained/musicvae/folk_2bar

Magenta's structure and objective (ada.training.config.musicvae); ours for 2 CPU cores, chosen by the
measures in docs/results.md (MusicVAE shipped): smaller widths and z, batch 32, β reaching its maximum within
a few thousand steps (rate 0.999), scheduled sampling with k = 1,000 on the 2-bar model (Magenta's rate), and
free bits of half a bit per latent dimension on every model (hierdec-mel_16bar's 256 over z 512; 64 over z 128
here). Magenta's 2-bar configs have none; with none, a short run's z carries almost nothing (docs/results.md).
Every model is transposed by up to ±5 semitones per training window, as Magenta's 2-bar configs are; its 16-bar
configs are not, but on 4,048 folk windows the 16-bar model overfits without it and goes on improving with it
(docs/results/musicvae-16bar-on.md).
Each trains until its `ada train` is stopped: a rerun continues.
"""

from ada.training.config import musicvae

ARGUMENTS = ("folk_2bar", "folk_16bar", "chorale_16bar")


def get_config(name: str = "folk_2bar"):
    if name == "folk_2bar":
        c = musicvae("data/notes/folk-2bar", bars=2, encoder=(256,), decoder=(256, 256), z=128, free_bits=64,
                     max_beta=0.2, beta_rate=0.999, sampling_schedule="inverse_sigmoid", sampling_rate=1000,
                     transpose=5, remat=False)
    elif name == "folk_16bar":
        c = musicvae("data/notes/folk-16bar", bars=16, encoder=(256,), decoder=(128, 128), decoder_type="hierarchical",
                     z=128, free_bits=64, max_beta=0.2, beta_rate=0.999, transpose=5, remat=False)
    elif name == "chorale_16bar":
        c = musicvae("data/notes/chorales-16bar", streams="melody,melody,melody,melody", bars=16, encoder=(256,),
                     decoder=(128, 128), decoder_type="hierarchical", z=128, free_bits=64, max_beta=0.2,
                     beta_rate=0.999, transpose=5, remat=False)
    else:
        raise ValueError(f"experiments/musicvae_shipped.py:{name}: choose one of {', '.join(ARGUMENTS)}")
    c.data.update(batch_size=32, eval_crops=512, eval_batch_size=128)
    c.train.update(steps=1_000_000, log_every=100, eval_every=1000, checkpoint_every=1000)
    return c
