import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ada.nn.wavenet import WaveNet, WaveNetSpec, receptive_field

SMALL = WaveNetSpec(filter=2, stages=3, repeats=2, residual=16, inner=8, skip=16, out=10, vocab=10)


def apply(spec, x, cond=None, seed=0):
    model = WaveNet(spec)
    params = model.init(jax.random.key(seed), x, cond)
    return model, params, model.apply(params, x, cond)


@pytest.mark.parametrize("spec, expected", [
    (WaveNetSpec(filter=2, stages=8, repeats=4), 1024),  # local model
    (WaveNetSpec(filter=3, stages=8, repeats=2, causal=False), 512),  # encoder / modulator, each side
    (WaveNetSpec(filter=3, stages=10, repeats=3), 6144),  # large prior, 30 blocks
    (WaveNetSpec(filter=3, stages=10, repeats=6), 12288),  # very large prior, 60 blocks
    (WaveNetSpec(filter=3, stages=13, repeats=3, residual=192, inner=192), 49152),  # thin prior, 39 blocks
])
def test_receptive_fields_are_the_papers(spec, expected):
    assert receptive_field(spec) == expected


@pytest.mark.parametrize("causal", [True, False])
def test_receptive_field_function_matches_the_gradient(causal):
    spec = WaveNetSpec(filter=3, stages=3, repeats=2, residual=8, inner=8, skip=8, out=1, vocab=0, features=1,
                       causal=causal)
    T, t = 96, 60
    x = jax.random.normal(jax.random.key(1), (1, T, 1))
    model = WaveNet(spec)
    params = model.init(jax.random.key(0), x)
    grad = jax.grad(lambda x: model.apply(params, x)[0, t, 0])(x)[0, :, 0]
    seen = np.flatnonzero(np.abs(np.asarray(grad)) > 0)
    rf = receptive_field(spec)
    if causal:  # output t sees exactly the rf inputs before it
        assert seen.min() == t - rf and seen.max() == t - 1
    else:  # rf inputs on each side, and itself
        assert seen.min() == t - rf and seen.max() == t + rf


def test_local_model_is_causal():
    x = jax.random.randint(jax.random.key(0), (2, 40), 0, 10)
    model, params, out = apply(SMALL, x)
    for t0 in (0, 17, 39):
        changed = x.at[:, t0:].set((x[:, t0:] + 3) % 10)
        out2 = model.apply(params, changed)
        np.testing.assert_array_equal(out[:, : t0 + 1], out2[:, : t0 + 1])  # outputs ≤ t0 see only inputs < t0
        if t0 < 39:
            assert not np.allclose(out[:, t0 + 1], out2[:, t0 + 1])


def test_encoder_sees_both_sides():
    spec = WaveNetSpec(filter=3, stages=3, repeats=1, residual=8, inner=8, skip=8, out=4, vocab=0, features=1,
                       causal=False)
    x = jax.random.normal(jax.random.key(0), (1, 40, 1))
    model, params, out = apply(spec, x)
    out2 = model.apply(params, x.at[:, 20].add(1.0))
    assert not np.allclose(out[:, 15], out2[:, 15]) and not np.allclose(out[:, 25], out2[:, 25])


def test_single_step_equals_full_sequence_with_conditioning():
    spec = WaveNetSpec(filter=3, stages=3, repeats=2, residual=16, inner=8, skip=16, out=10, vocab=10)
    T, hop = 48, 4
    x = jax.random.randint(jax.random.key(0), (3, T), 0, 10)
    cond = jax.random.normal(jax.random.key(1), (3, T // hop, spec.layers, spec.cond_width))
    model, params, full = apply(spec, x, cond)
    cache = model.apply(params, 3, method=WaveNet.init_cache)
    step = jax.jit(lambda tok, cache, c: model.apply(params, tok, cache, c, method=WaveNet.step))
    prev, outs = jnp.full((3,), -1), []
    for t in range(T):
        logits, cache = step(prev, cache, cond[:, t // hop])
        outs.append(logits)
        prev = x[:, t]
    np.testing.assert_allclose(np.stack(outs, 1), full, rtol=1e-5, atol=1e-5)


def test_conditioning_changes_only_its_own_hop():
    spec = WaveNetSpec(filter=2, stages=2, repeats=1, residual=8, inner=4, skip=8, out=5, vocab=5)
    x = jnp.zeros((1, 16), jnp.int32)
    cond = jnp.zeros((1, 4, spec.layers, spec.cond_width))
    model, params, out = apply(spec, x, cond)
    out2 = model.apply(params, x, cond.at[:, 2].set(1.0))
    differs = ~np.all(np.isclose(out, out2), axis=-1)[0]
    assert differs[8:12].all() and not differs[:8].any()  # a causal stack: later steps may differ too


@pytest.mark.parametrize("causal", [True, False])
def test_a_masked_window_equals_the_whole_sequence(causal):
    spec = WaveNetSpec(filter=3, stages=3, repeats=2, residual=16, inner=8, skip=16, out=6, vocab=6, causal=causal)
    x = jax.random.randint(jax.random.key(0), (1, 50), 0, 6)
    model, params, whole = apply(spec, x)
    padded = jnp.concatenate([jnp.full((1, 30), 3), x, jnp.full((1, 20), 5)], axis=1)  # junk either side
    mask = jnp.zeros((1, 100)).at[:, 30:80].set(1)
    windowed = model.apply(params, padded, mask=mask)[:, 30:80]
    np.testing.assert_allclose(windowed, whole, rtol=1e-5, atol=1e-5)
