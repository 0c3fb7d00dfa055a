"""A MusicVAE small enough that tests compile and train it in seconds (set data.path when launching)."""

from ada.training.config import musicvae


def get_config():
    c = musicvae("unset", bars=2, encoder=(16,), decoder=(16, 16), z=8, batch_size=8, free_bits=0, max_beta=0.2,
                 beta_rate=0.9, sampling_schedule="inverse_sigmoid", sampling_rate=4, transpose=5)
    c.data.update(eval_crops=16, eval_batch_size=8)
    c.train.update(steps=12, log_every=4, eval_every=6, checkpoint_every=4)
    return c
