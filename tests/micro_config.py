"""A level small enough that tests compile and train it in seconds (set data.path when launching)."""

from ada.training.config import base_config, tiny, wavenet


def get_config():
    c = tiny(base_config("ada"))
    c.model.local = wavenet(filter=2, stages=4, repeats=1, residual=16, inner=8, skip=16)
    c.model.encoder = wavenet(filter=3, stages=3, repeats=1, residual=16, inner=16, skip=16)
    c.model.modulator = wavenet(filter=3, stages=2, repeats=1, residual=16, inner=16, skip=16)
    c.model.quantiser.update(codes=16, dim=4)
    c.data.update(crop=256, batch_size=8, eval_crops=16, eval_batch_size=8)
    c.train.update(steps=12, learning_rate=1e-2, warmup_steps=2, log_every=4, eval_every=6, checkpoint_every=4)
    return c
