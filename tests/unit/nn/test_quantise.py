import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ada.nn.quantise import (
    ArgmaxQuantiser,
    QuantiserSpec,
    SoftmaxL2Quantiser,
    SoftmaxQuantiser,
    VectorQuantiser,
    usage_stats,
)


def vq_state(codebook, counts, sums):
    return {"vq": {"codebook": jnp.asarray(codebook, jnp.float32), "counts": jnp.asarray(counts, jnp.float32),
                   "sums": jnp.asarray(sums, jnp.float32), "initialised": jnp.array(True)}}


def test_vq_ema_update_matches_a_hand_computed_example():
    spec = QuantiserSpec(kind="vq", codes=2, dim=1, decay=0.5, epsilon=1e-5, beta=0.25)
    q = VectorQuantiser(spec)
    z = jnp.array([[[1.0], [2.0], [9.0]]])
    out, new = q.apply(vq_state([[0.0], [10.0]], [1.0, 1.0], [[0.0], [10.0]]), z, update=True,
                       rng=jax.random.key(0), mutable=["vq"])
    np.testing.assert_array_equal(out["codes"], [[0, 0, 1]])
    np.testing.assert_allclose(out["vectors"], [[[0.0], [0.0], [10.0]]])  # the codebook before this update
    # counts: 0.5·[1, 1] + 0.5·[2, 1]; sums: 0.5·[0, 10] + 0.5·[1+2, 9]
    np.testing.assert_allclose(new["vq"]["counts"], [1.5, 1.0])
    np.testing.assert_allclose(new["vq"]["sums"], [[1.5], [9.5]])
    n, eps = np.array([1.5, 1.0]), 1e-5
    smoothed = (n + eps) / (n.sum() + 2 * eps) * n.sum()
    np.testing.assert_allclose(new["vq"]["codebook"], [[1.5 / smoothed[0]], [9.5 / smoothed[1]]], rtol=1e-6)
    # commitment: mean squared distance to the chosen codes, (1 + 4 + 1) / 3, scaled by β
    assert out["stats"]["commitment"] == pytest.approx(2.0)
    assert out["loss"] == pytest.approx(0.5)


def test_vq_gradient_goes_straight_through():
    spec = QuantiserSpec(kind="vq", codes=2, dim=1)
    q = VectorQuantiser(spec)
    state = vq_state([[0.0], [10.0]], [1.0, 1.0], [[0.0], [10.0]])
    grad = jax.grad(lambda z: jnp.sum(q.apply(state, z)["vectors"] * jnp.array([[[1.0], [2.0], [3.0]]])))(
        jnp.array([[[1.0], [2.0], [9.0]]]))
    np.testing.assert_allclose(grad, [[[1.0], [2.0], [3.0]]])


def test_vq_codebook_starts_from_encoder_outputs():
    spec = QuantiserSpec(kind="vq", codes=8, dim=3)
    q = VectorQuantiser(spec)
    z = jax.random.normal(jax.random.key(0), (2, 50, 3)) + 5.0
    variables = q.init(jax.random.key(1), z)
    assert not bool(variables["vq"]["initialised"])
    _, new = q.apply(variables, z, update=True, rng=jax.random.key(2), mutable=["vq"])
    # every code was seeded with an encoder output, then moved by one EMA step towards its members
    assert bool(new["vq"]["initialised"])
    assert np.all(np.asarray(new["vq"]["codebook"]).mean(-1) > 3.0)


def test_dead_code_is_restarted_on_an_encoder_output():
    spec = QuantiserSpec(kind="vq", codes=4, dim=2, decay=0.9, restart_below=0.5)
    q = VectorQuantiser(spec)
    z = jnp.array([[[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]]])
    state = vq_state([[0, 0], [5, 5], [100, 100], [-100, -100]], [1, 1, 0.3, 0.2],
                     [[0, 0], [5, 5], [30, 30], [-20, -20]])
    out, new = q.apply(state, z, update=True, rng=jax.random.key(0), mutable=["vq"])
    book = np.asarray(new["vq"]["codebook"])
    rows = np.asarray(z)[0]
    assert int(out["stats"]["restarted"]) == 2
    for k in (2, 3):  # the unused codes now sit on encoder outputs
        assert min(np.abs(rows - book[k]).max(-1)) < 1e-6
    np.testing.assert_allclose(new["vq"]["counts"][2:], 0.5)
    assert np.abs(book[0]).max() < 0.2 and np.abs(book[1] - 5).max() < 0.2  # live codes just follow the EMA


def test_amae_forward_is_one_hot_and_diversity_loss_is_the_l2_to_uniform():
    K = 4
    q = ArgmaxQuantiser(QuantiserSpec(kind="argmax", codes=K, diversity=0.1))
    z = jnp.array([[[3.0, 1.0, -1.0, 0.0], [0.0, 2.0, 2.0, 4.0]]])
    out = q.apply({}, z)
    np.testing.assert_array_equal(out["codes"], [[0, 3]])
    np.testing.assert_allclose(out["vectors"], [[[1, 0, 0, 0], [0, 0, 0, 1]]], atol=1e-6)
    queries = np.array([[0.75, 0.25, 0, 0], [0, 0.25, 0.25, 0.5]])  # ReLU, then divided by the sum
    expected = np.sum((queries.mean(0) - 1 / K) ** 2)
    assert out["stats"]["diversity"] == pytest.approx(expected)
    assert out["loss"] == pytest.approx(0.1 * expected)


def test_amae_gradient_is_the_gradient_of_the_normalised_queries():
    q = ArgmaxQuantiser(QuantiserSpec(kind="argmax", codes=3, diversity=0.0))
    z = jnp.array([[[2.0, 1.0, 1.0]]])
    w = jnp.array([1.0, 2.0, 3.0])
    through = jax.grad(lambda z: jnp.sum(q.apply({}, z)["vectors"] * w))(z)
    direct = jax.grad(lambda z: jnp.sum(jax.nn.relu(z) / jnp.sum(jax.nn.relu(z)) * w))(z)
    np.testing.assert_allclose(through, direct, rtol=1e-5)
    assert np.abs(np.asarray(through)).max() > 0


def test_softmax_diversity_loss_is_the_entropy_of_the_batch_and_time_mean():
    q = SoftmaxQuantiser(QuantiserSpec(kind="softmax", codes=2, diversity=0.5))
    # logits log 3 and 0 give the query (3/4, 1/4); logits 0 and log 3 give (1/4, 3/4)
    z = jnp.log(jnp.array([[[3.0, 1.0], [3.0, 1.0]], [[3.0, 1.0], [1.0, 3.0]]]))
    out = q.apply({}, z)
    np.testing.assert_array_equal(out["codes"], [[0, 0], [0, 1]])
    np.testing.assert_allclose(out["vectors"], [[[1, 0], [1, 0]], [[1, 0], [0, 1]]], atol=1e-6)
    # mean over batch and time: ((3/4)·3 + 1/4) / 4 = 10/16 and 6/16
    h = -(10 / 16 * math.log(10 / 16) + 6 / 16 * math.log(6 / 16))  # 0.6616 nats
    assert out["stats"]["diversity"] == pytest.approx(math.log(2) - h, rel=1e-5)
    assert out["loss"] == pytest.approx(0.5 * (math.log(2) - h), rel=1e-5)
    # one-hot queries spread evenly over both codes: the mean is uniform, the loss is 0
    even = q.apply({}, jnp.array([[[30.0, 0.0], [0.0, 30.0]]]))
    assert even["loss"] == pytest.approx(0.0, abs=1e-6)


def test_softmax_diversity_gradient_does_not_push_single_queries_to_uniform():
    q = SoftmaxQuantiser(QuantiserSpec(kind="softmax", codes=2, diversity=1.0))
    # two confident queries on different codes: the mean is uniform, so no gradient at all
    grad = jax.grad(lambda z: q.apply({}, z)["loss"])(jnp.array([[[3.0, 0.0], [0.0, 3.0]]]))
    np.testing.assert_allclose(grad, 0.0, atol=1e-6)


def test_softmax_l2_variant_penalises_query_entropy():
    q = SoftmaxL2Quantiser(QuantiserSpec(kind="softmax", codes=4, diversity=0.0, entropy=1.0))
    flat = q.apply({}, jnp.zeros((1, 2, 4)))
    sharp = q.apply({}, jnp.array([[[20.0, 0, 0, 0], [0, 20.0, 0, 0]]]))
    assert flat["loss"] == pytest.approx(np.log(4), rel=1e-4) and sharp["loss"] < 1e-3


def test_perplexity_counts_code_usage():
    assert float(usage_stats(jnp.arange(16), 16)["perplexity"]) == pytest.approx(16)
    stats = usage_stats(jnp.zeros(100, jnp.int32), 16)
    assert float(stats["perplexity"]) == pytest.approx(1) and int(stats["codes_used"]) == 1
