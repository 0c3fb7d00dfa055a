"""A VQ level's β and γ are inputs of the compiled train step, not constants: PBT members that differ only in
them, and a member after an exploit, share one compiled program (and the persistent cache's copy of it)."""

import jax
import numpy as np
import pytest

from ada.models import build_model, model_spec
from ada.training.state import init_state, optimiser
from ada.training.trainer import make_train_step, runtime_hyperparameters

import micro_config


def _member(beta: float, decay: float):
    cfg = micro_config.get_config()
    cfg.model.quantiser.beta, cfg.model.quantiser.decay = beta, decay
    spec = model_spec(cfg.model)
    model, tx = build_model(spec), optimiser(cfg.train)
    tokens = jax.random.randint(jax.random.key(42), (cfg.data.batch_size, cfg.data.crop), 0, 256)
    return make_train_step(model, tx, cfg), init_state(model, cfg, tx), {"tokens": tokens}, spec


def test_members_differing_in_beta_and_decay_compile_one_program():
    programs = []
    for beta, decay in ((0.1, 0.9), (0.4, 0.995)):
        step, state, batch, spec = _member(beta, decay)
        hyper = runtime_hyperparameters(spec)
        assert {k: float(v) for k, v in hyper.items()} == pytest.approx({"beta": beta, "decay": decay})
        programs.append(jax.jit(step).lower(state, batch, hyper).as_text())
    assert programs[0] == programs[1]
    # the spec's constants compiled in, as the benchmarks still do, make a program per member
    constants = [jax.jit(_member(b, d)[0]).lower(*_member(b, d)[1:3]).as_text() for b, d in ((0.1, 0.9), (0.4, 0.995))]
    assert constants[0] != constants[1]


def test_beta_and_decay_given_as_inputs_train_as_the_constants_do():
    step, state, batch, spec = _member(0.4, 0.9)
    given, given_metrics = jax.jit(step)(state, batch, runtime_hyperparameters(spec))
    compiled_in, metrics = jax.jit(step)(*_member(0.4, 0.9)[1:3])
    for m in (given_metrics, metrics):
        assert float(m["quantiser_loss"]) == pytest.approx(0.4 * float(m["commitment"]), rel=1e-6)
    for a, b in zip(jax.tree.leaves(given.vq), jax.tree.leaves(compiled_in.vq), strict=True):  # γ's EMA update
        np.testing.assert_allclose(np.asarray(a, np.float32), np.asarray(b, np.float32), rtol=1e-5, atol=1e-6)
    for a, b in zip(jax.tree.leaves(given.params), jax.tree.leaves(compiled_in.params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # and the inputs, not the spec, are what counts: β 0.1 given to a member whose spec says 0.4
    _, other = jax.jit(step)(*_member(0.4, 0.9)[1:3], {"beta": np.float32(0.1), "decay": np.float32(0.9)})
    assert float(other["quantiser_loss"]) == pytest.approx(0.1 * float(other["commitment"]), rel=1e-6)
