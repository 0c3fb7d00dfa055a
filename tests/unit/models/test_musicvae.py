"""MusicVAE: shapes, the hierarchical decoder's bar independence, the loss against hand-computed values,
schedules, sampling by seed, slerp, and training through the one trainer (learning, resuming)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ada.models import MusicVAE
from ada.models.musicvae import beta, kl_cost, kl_divergence, sampling_probability, slerp

from support.musicvae import micro


def method(model, variables, name, **static):
    """model.<name>(...) with these variables, compiled (eager scans would compile op by op)."""
    return jax.jit(lambda *a: model.apply(variables, *a, method=getattr(MusicVAE, name), **static))


def random_tokens(spec, batch=3, seed=1):
    keys = jax.random.split(jax.random.key(seed), len(spec.streams))
    return jnp.stack([jax.random.randint(k, (batch, spec.steps), 0, v) for k, v in zip(keys, spec.vocabs, strict=True)],
                     1)


@pytest.mark.parametrize("decoder_type,streams", [("flat", "melody,drums"), ("hierarchical", "melody,melody,drums")])
def test_shapes(decoder_type, streams):
    spec, model, variables = micro(decoder_type, streams)
    tokens = random_tokens(spec)
    mu, sigma = method(model, variables, "encode")(tokens)
    assert mu.shape == sigma.shape == (3, 6) and bool((sigma > 0).all())
    logits = method(model, variables, "logits")(mu, tokens)
    assert [lg.shape for lg in logits] == [(3, spec.steps, v) for v in spec.vocabs]
    sampled = method(model, variables, "decode")(mu, jax.random.key(2), 1.0)
    assert sampled.shape == tokens.shape and sampled.dtype == jnp.int32
    for s, v in enumerate(spec.vocabs):
        assert 0 <= int(sampled[:, s].min()) and int(sampled[:, s].max()) < v
    out = jax.jit(lambda t: model.apply(variables, t, rng=jax.random.key(3), step=10))(tokens)
    assert set(out) == {"loss", "nll", "stats"} and out["nll"].shape == ()
    # at initialisation every class is about equally likely: ln V nats per step and stream
    assert abs(float(out["nll"]) - np.mean(np.log(spec.vocabs))) < 0.3


def test_encoder_sizes_and_forget_bias_follow_magenta():
    spec, model, variables = micro("hierarchical")
    p = variables["params"]
    assert p["encoder"]["fw_0"]["kernel_0"].shape == (90 + 12, 4 * 12)
    assert p["encoder"]["fw_1"]["kernel_0"].shape == (2 * 12 + 10, 4 * 10)  # both directions of the layer below
    assert p["mu"]["kernel"].shape == (2 * 10, 6)  # both directions' final top-layer states
    assert p["conductor"]["stack"]["kernel_0"].shape == (1 + 12, 4 * 12)  # zero input of width 1
    assert p["bar_decoder_0"]["stack"]["kernel_0"].shape == (90 + 12 + 12, 4 * 12)  # [previous token, c_u], h
    # the forget gate's bias of 1.0 is added in the cell (the variable starts at 0, as TF's LSTMBlockCell)
    from ada.models.musicvae import lstm_update

    H = 3
    gates = jnp.zeros((1, 4 * H))
    c, _ = lstm_update(gates, jnp.ones((1, H)))
    expected = 1 / (1 + math.exp(-1.0)) * 1.0 + 0.5 * 0.0
    np.testing.assert_allclose(c, expected, rtol=1e-6)


def test_drum_inputs_are_magentas_one_hot_to_decoders_and_the_roll_only_to_a_roll_input_encoder():
    _, _, cat = micro("flat", "drums", roll_input=True)  # cat-drums: DrumsConverter(roll_input=True)
    p = cat["params"]
    assert p["encoder"]["fw_0"]["kernel_0"].shape == (9 + 1 + 12, 4 * 12)  # 9 drum bits and the NOR bit
    assert p["flat_decoder"]["stack"]["kernel_0"].shape == (512 + 6 + 12, 4 * 12)  # [previous one-hot, z], h
    _, _, trio = micro("hierarchical", "melody,drums")  # the trio's drums are one-hot throughout
    p = trio["params"]
    assert p["encoder"]["fw_0"]["kernel_0"].shape == (90 + 512 + 12, 4 * 12)
    assert p["bar_decoder_1"]["stack"]["kernel_0"].shape == (512 + 12 + 12, 4 * 12)
    # the roll reads the class's bits: class 0b101000001 strikes drums 0, 6 and 8; class 0 is the NOR bit alone
    from ada.models.musicvae import drum_roll_gates

    rows = jnp.eye(10)
    np.testing.assert_array_equal(drum_roll_gates(rows, jnp.array([0b101000001, 0])),
                                  [[1, 0, 0, 0, 0, 0, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]])


def test_hierarchical_bars_depend_only_on_their_conductor_embedding():
    spec, model, variables = micro("hierarchical", bars=4)
    tokens = random_tokens(spec, batch=2)
    z = jax.random.normal(jax.random.key(5), (2, spec.z))
    c = method(model, variables, "conductor_embeddings")(z)
    assert c.shape == (2, 4, 12)
    bar_logits = method(model, variables, "bar_logits")
    base = bar_logits(c, tokens)[0]
    L = spec.steps_per_bar
    for u in range(4):
        changed = bar_logits(c.at[:, u].add(0.5), tokens)[0]
        diff = np.abs(np.asarray(changed - base)).max(axis=(0, 2))  # per step
        assert diff[u * L : (u + 1) * L].min() > 0, u
        assert np.all(np.delete(diff, np.arange(u * L, (u + 1) * L)) == 0), u


def test_kl_and_free_bits_by_hand():
    mu, sigma = jnp.array([[1.0, 0.0]]), jnp.array([[1.0, 0.5]])
    # 0.5 * sum(mu^2 + sigma^2 - 1 - 2 log sigma) = 0.5 * (1 + 0.25 - 1 + 2 ln 2)
    kl = 0.5 * (1.0 + 0.25 - 1.0 + 2 * math.log(2.0))
    np.testing.assert_allclose(kl_divergence(mu, sigma), [kl], rtol=1e-6)
    np.testing.assert_allclose(kl_cost(jnp.array([kl]), 1.0), [kl - math.log(2.0)], rtol=1e-6)
    np.testing.assert_allclose(kl_cost(jnp.array([kl]), 2.0), [0.0])
    np.testing.assert_allclose(kl_divergence(jnp.zeros((1, 5)), jnp.ones((1, 5))), [0.0], atol=1e-7)


def test_the_loss_is_reconstruction_plus_beta_times_the_free_bits_kl():
    spec, model, variables = micro("flat", free_bits=0.5, max_beta=0.3, beta_rate=0.5)
    tokens = random_tokens(spec, batch=4)
    out = jax.jit(lambda t: model.apply(variables, t, step=1))(tokens)  # no rng: z = mu, teacher forced
    mu, sigma = method(model, variables, "encode")(tokens)
    logits = np.asarray(method(model, variables, "logits")(mu, tokens)[0], np.float64)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    ce = -np.take_along_axis(logp, np.asarray(tokens[:, 0])[..., None], -1)[..., 0].sum(-1)  # summed per sequence
    s = np.asarray(sigma, np.float64)
    kl = 0.5 * (np.asarray(mu, np.float64) ** 2 + s**2 - 1 - 2 * np.log(s)).sum(-1)
    expected = ce.mean() + 0.3 * (1 - 0.5) * np.maximum(kl - 0.5 * math.log(2), 0).mean()
    np.testing.assert_allclose(float(out["loss"]), expected, rtol=1e-5)
    np.testing.assert_allclose(float(out["nll"]), ce.mean() / spec.steps, rtol=1e-5)
    np.testing.assert_allclose(float(out["stats"]["kl_bits"]), kl.mean() / math.log(2), rtol=1e-5)


@pytest.mark.parametrize("decoder_type,schedule", [("flat", "inverse_sigmoid"), ("hierarchical", "constant")])
def test_remat_changes_memory_not_the_loss_or_its_gradients(decoder_type, schedule):
    results = []
    for remat in (False, True):
        spec, model, variables = micro(decoder_type, remat=remat, sampling_schedule=schedule, sampling_rate=5.0)
        tokens = random_tokens(spec, batch=4)

        def loss(params, tokens=tokens, model=model):
            return model.apply({"params": params}, tokens, rng=jax.random.key(3), step=7)["loss"]

        results.append(jax.jit(jax.value_and_grad(loss))(variables["params"]))
    (plain, grads), (remat_loss, remat_grads) = results
    assert float(plain) > 0
    np.testing.assert_allclose(float(remat_loss), float(plain), rtol=1e-6)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6), remat_grads, grads)


def test_beta_and_scheduled_sampling_schedules():
    assert float(beta(0, 0.2, 0.99999)) == 0.0
    rate = np.float32(0.99999)  # in float32, as Magenta computes it: 1 - rate is 1.0133e-5, not 1e-5
    np.testing.assert_allclose(float(beta(1, 0.2, 0.99999)), 0.2 * (1 - rate), rtol=1e-4)
    np.testing.assert_allclose(float(beta(100_000, 0.2, 0.99999)), 0.2 * (1 - rate**100_000), rtol=1e-4)
    np.testing.assert_allclose(float(beta(1, 0.2, 0.0)), 0.2)  # Magenta's default rate 0: β = max from step 1
    k = 1000.0
    np.testing.assert_allclose(float(sampling_probability(0, "inverse_sigmoid", k)), 1 - k / (k + 1), rtol=1e-3)
    np.testing.assert_allclose(float(sampling_probability(k * math.log(k), "inverse_sigmoid", k)), 0.5, rtol=1e-4)
    assert float(sampling_probability(50_000, "inverse_sigmoid", k)) > 0.999
    np.testing.assert_allclose(float(sampling_probability(3, "exponential", 0.5)), 1 - 0.125)
    assert float(sampling_probability(7, "constant", 0.25)) == 0.25


def test_sampling_is_deterministic_by_seed():
    for decoder_type in ("flat", "hierarchical"):
        spec, model, variables = micro(decoder_type)
        z = jax.random.normal(jax.random.key(0), (4, spec.z))
        decode = method(model, variables, "decode")
        a, b = decode(z, jax.random.key(1), 1.0), decode(z, jax.random.key(1), 1.0)
        c = decode(z, jax.random.key(2), 1.0)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
        np.testing.assert_array_equal(decode(z, jax.random.key(1), 0.0), decode(z, jax.random.key(2), 0.0))  # argmax


def test_hierarchical_sampling_starts_each_bar_from_the_previous_bars_last_token():
    """decode() and teacher forcing on its own output agree: the argmax of the teacher-forced logits (whose bar u
    starts from bar u-1's last token) reproduces the greedy sample."""
    spec, model, variables = micro("hierarchical")
    z = jax.random.normal(jax.random.key(0), (3, spec.z))
    greedy = method(model, variables, "decode")(z, jax.random.key(1), 0.0)
    logits = method(model, variables, "logits")(z, greedy)[0]
    np.testing.assert_array_equal(np.argmax(logits, -1), greedy[:, 0])


def test_slerp_endpoints_and_norm():
    a, b = jnp.array([3.0, 0.0, 0.0]), jnp.array([0.0, 3.0, 0.0])
    np.testing.assert_allclose(slerp(a, b, 0.0), a, atol=1e-6)
    np.testing.assert_allclose(slerp(a, b, 1.0), b, atol=1e-6)
    np.testing.assert_allclose(jnp.linalg.norm(slerp(a, b, 0.3)), 3.0, rtol=1e-6)
    np.testing.assert_allclose(slerp(a, 2 * a, 0.5), 1.5 * a, rtol=1e-6)  # parallel: linear


def test_attributes_and_their_percent_change_by_hand():
    from ada.evaluation.notes import percent_change
    from ada.generation.notes import average_interval, c_diatonic, note_density, syncopation_8th, syncopation_16th

    def window(onsets):  # {step: MIDI pitch}
        row = np.zeros(32, np.int32)
        for t, p in onsets.items():
            row[t] = p - 21 + 2
        return row[None]

    a = window({0: 60, 3: 64, 6: 61})  # C, E, C#: steps 0 (on the beat), 3 (odd 16th), 6 (the 'and' of beat 2)
    assert note_density(a) == 3 / 32 and c_diatonic(a) == 2 / 3 and average_interval(a) == (4 + 3) / 2
    assert syncopation_16th(a) == 1 / 3 and syncopation_8th(a) == 1 / 3
    b = window({0: 60, 4: 62, 8: 64, 12: 65, 16: 67, 20: 69})
    change = percent_change([a], [b])
    np.testing.assert_allclose(change["note_density"], 100.0)  # 3 -> 6 onsets
    np.testing.assert_allclose(change["c_diatonic"], 50.0)  # 2/3 -> 1
    np.testing.assert_allclose(change["syncopation_16th"], -100.0)


def test_trigram_naturalness_and_data_space_interpolation_by_hand():
    from ada.evaluation.interpolation import Trigram, data_space_mix

    a = np.array([[2, 0, 3, 0]])
    b = np.array([[4, 0, 5, 1]])
    lm = Trigram.fit([a, a, b], vocab=6, k=0.5)
    # after (start, start) the counts are {2: 2, 4: 1} over 6 classes: p(2) = (2 + 0.5) / (3 + 3)
    p = [(2 + 0.5) / 6, (2 + 0.5) / (2 + 3), (2 + 0.5) / (2 + 3), (2 + 0.5) / (2 + 3)]
    np.testing.assert_allclose(lm.log_prob(a), np.log(p).mean(), rtol=1e-12)
    assert lm.log_prob(a) > lm.log_prob(np.array([[3, 3, 3, 3]]))  # seen beats unseen
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(data_space_mix(a, b, 0.0, rng), a)
    np.testing.assert_array_equal(data_space_mix(a, b, 1.0, rng), b)
    half = data_space_mix(np.zeros((1, 4000)), np.ones((1, 4000)), 0.5, rng)
    assert 0.45 < half.mean() < 0.55


@pytest.mark.parametrize("decoder_type", ["flat", "hierarchical"])
def test_an_argmax_decode_is_what_teacher_forcing_on_it_predicts(decoder_type):
    spec, model, variables = micro(decoder_type, "melody,drums")
    z = jax.random.normal(jax.random.key(4), (5, 6)) * 3
    decoded = method(model, variables, "decode")(z, jax.random.key(5), 0.0)  # temperature 0: each step's argmax
    logits = method(model, variables, "logits")(z, decoded)  # fed the decode's own tokens as the truth
    for s, lg in enumerate(logits):
        np.testing.assert_array_equal(jnp.argmax(lg, -1), decoded[:, s])
