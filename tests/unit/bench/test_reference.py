"""The speed work changes no result: the WaveNet computes what the plain reference computes, the
trainer gives the losses the code before the optimisations gave, and both samplers draw the same tokens."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from ada.bench import reference
from ada.generation.sampler import Sampler
from ada.models import PriorSpec, build_model, model_spec
from ada.nn.wavenet import WaveNet, WaveNetSpec
from ada.training.config import base_config, wavenet
from ada.training.state import init_state, optimiser
from ada.training.trainer import make_train_step

import micro_config

TOKENS = WaveNetSpec(filter=2, stages=3, repeats=2, residual=16, inner=8, skip=16, out=10, vocab=10)


FEATURES = WaveNetSpec(filter=3, stages=3, repeats=2, residual=8, inner=8, skip=8, out=3, vocab=0, features=2,
                       causal=False)


CONDITIONED = WaveNetSpec(filter=3, stages=2, repeats=2, residual=16, inner=8, skip=16, out=10, vocab=10)


def _micro_level():
    return micro_config.get_config()


def _small_prior():
    c = base_config("prior")
    c.model.local = wavenet(2, 3, 2, 16, 8, 16)
    c.data.update(batch_size=4, crop=256)
    return c


# (loss, grad_norm) of three training steps on a fixed batch, computed by the code before the speed
# work (commit 04f36de: per-tap embedding gathers, one res+skip matmul on concatenated weights,
# per-tap K=1 matmuls for feature input)
BEFORE = {
    "level": [(5.584074020385742, 0.12688048183918), (5.5840067863464355, 0.12665101885795593),
              (5.55865478515625, 0.10070149600505829)],
    "prior": [(5.627104759216309, 0.21552368998527527), (5.627104759216309, 0.21552368998527527),
              (5.627102375030518, 0.21551208198070526)],
}


@pytest.mark.parametrize("spec, conditioned", [(TOKENS, False), (FEATURES, False), (CONDITIONED, True)],
                         ids=["tokens", "features", "conditioned"])
def test_wavenet_equals_the_plain_reference_forward_and_backward(spec, conditioned):
    key = jax.random.key(0)
    x = jax.random.randint(key, (2, 64), 0, 10) if spec.vocab else jax.random.normal(key, (2, 64, 2))
    cond = jax.random.normal(key, (2, 16, spec.layers, spec.cond_width)) if conditioned else None
    model, plain = WaveNet(spec), reference.PlainWaveNet(spec)
    params = model.init(jax.random.key(1), x, cond)["params"]
    mapped = jax.tree.map(jnp.asarray, reference.to_reference_params(spec, params))

    def ours(p):
        return model.apply({"params": p}, x, cond)

    def theirs(p):
        return plain.apply({"params": p}, x, cond)

    np.testing.assert_allclose(ours(params), theirs(mapped), rtol=1e-5, atol=1e-5)
    w = jax.random.normal(jax.random.key(2), ours(params).shape)
    g_ours = jax.grad(lambda p: jnp.sum(ours(p) * w))(params)
    g_theirs = jax.grad(lambda p: jnp.sum(theirs(p) * w))(mapped)
    g_mapped = reference.to_reference_params(spec, g_ours)
    for a, b in zip(jax.tree.leaves(g_mapped), jax.tree.leaves(g_theirs), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("which, make", [("level", _micro_level), ("prior", _small_prior)])
def test_training_steps_give_the_losses_of_the_code_before(which, make):
    cfg = make()
    spec = model_spec(cfg.model)
    model, tx = build_model(spec), optimiser(cfg.train)
    state = init_state(model, cfg, tx)
    tokens = jax.random.randint(jax.random.key(42), (cfg.data.batch_size, cfg.data.crop), 0, 256)
    step = jax.jit(make_train_step(model, tx, cfg))
    for loss, grad_norm in BEFORE[which]:
        state, m = step(state, {"tokens": tokens})
        assert float(m["loss"]) == pytest.approx(loss, rel=1e-5)
        assert float(m["grad_norm"]) == pytest.approx(grad_norm, rel=1e-4)


def test_reference_trainer_matches_the_trainers_first_loss():
    cfg = _small_prior()
    spec = model_spec(cfg.model)
    tokens = jax.random.randint(jax.random.key(42), (cfg.data.batch_size, cfg.data.crop), 0, 256)
    init, step = reference.make_train_step(reference.PlainPrior(spec.local))
    state = init(tokens)
    ours = init_state(build_model(spec), cfg, optimiser(cfg.train)).params["local"]
    state["variables"]["params"]["local"] = jax.tree.map(jnp.asarray, reference.to_reference_params(spec.local, ours))
    _, loss = step(state, tokens)
    assert float(loss) == pytest.approx(BEFORE["prior"][0][0], rel=1e-5)
    logits = reference.PlainWaveNet(spec.local).apply({"params": state["variables"]["params"]["local"]}, tokens)
    assert float(optax.softmax_cross_entropy_with_integer_labels(logits, tokens).mean()) == pytest.approx(float(loss))


@pytest.mark.parametrize("batch", [1, 3])
def test_reference_sampler_draws_the_samplers_tokens(batch):
    local = WaveNetSpec(filter=2, stages=3, repeats=2, residual=16, inner=8, skip=16, out=256, vocab=256)
    spec = PriorSpec(vocab=256, local=local)
    model = build_model(spec)
    variables = model.init(jax.random.key(0), jnp.zeros((1, 32), jnp.int32))
    key = jax.random.key(3)
    ours = Sampler(model, variables, spec, chunk=40).sample(batch, 100, key)  # three chunks: the cache carries over
    params = {"params": jax.tree.map(jnp.asarray, reference.to_reference_params(local, variables["params"]["local"]))}
    theirs = np.asarray(reference.make_sampler(local)(params, batch, 100, key))
    np.testing.assert_array_equal(ours, theirs)
