"""`ada notes eval`'s accuracies on decoders whose every step is worked out by hand."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ada.evaluation.notes import make_sweep_step
from ada.models import model_spec
from ada.training.config import musicvae

V, T, B = 90, 32, 4096


def decoder_of_the_next_note(confidence: float):
    """A 2-bar flat melody decoder (one layer of V units) built by hand: at step 0 (the zero start input) it is
    sure of note 0; after note a its argmax is note a + 1, drawn with probability `confidence`, the rest of the
    draws falling on note 0 (an output bias of 20 on it). z and the recurrent weights are cut off."""
    c = musicvae("unset", bars=2, encoder=(8,), decoder=(V,), z=4)
    spec = model_spec(c.model)
    model = spec.build()
    variables = jax.jit(model.init)(jax.random.key(0), spec.example(c))
    p = jax.tree_util.tree_map(np.asarray, variables["params"])
    dec = p["flat_decoder"]
    kernel = np.zeros_like(dec["stack"]["kernel_0"])  # rows [one-hot V | z | h], gates i, j, f, o
    for a in range(V):
        kernel[a, V + (a + 1) % V] = 30.0  # j: note a writes cell (a + 1) mod V
    bias = np.zeros_like(dec["stack"]["bias_0"])
    bias[:V], bias[2 * V : 3 * V], bias[3 * V :] = 30.0, -40.0, 30.0  # input and output gates open, forget shut
    h = np.tanh(1.0)  # a written cell's output
    dec["stack"]["kernel_0"], dec["stack"]["bias_0"] = kernel, bias
    dec["output_kernel"] = np.eye(V, dtype=np.float32) * (20.0 + np.log(confidence / (1 - confidence))) / h
    dec["output_bias"] = np.zeros(V, np.float32)
    dec["output_bias"][0] = 20.0
    return model, {"params": jax.tree_util.tree_map(jnp.asarray, p)}


@pytest.mark.parametrize("q", [0.9, 0.6])
def test_sampled_accuracy_is_the_argmax_given_fed_back_draws_as_magenta_scores_it(q):
    model, variables = decoder_of_the_next_note(q)
    truth = jnp.tile(jnp.arange(T, dtype=jnp.int32), (B, 1, 1))  # 0, 1, 2, ... : each note the last one + 1
    out = jax.jit(make_sweep_step(model))(variables, truth, jax.random.key(7), jnp.float32(1.0))
    # given the true previous notes every argmax is right
    np.testing.assert_allclose(out["tf"], 1.0)
    # fed its own draws: step 0 is right; step k ≥ 1 is right when draws 1 … k-1 all hit their argmax (q each);
    # one draw of note 0 and the chain restarts below the truth, never to meet it again
    fed_back = (1 + sum(q ** (k - 1) for k in range(1, T))) / T
    assert float(np.mean(out["sampled"])) == pytest.approx(fed_back, abs=0.012)
    # its draws themselves: step k's draw is right when draws 1 … k all hit (q^k): lower than the argmax's
    drawn = (1 + sum(q**k for k in range(1, T))) / T
    assert float(np.mean(out["drawn"])) == pytest.approx(drawn, abs=0.012)


def test_runs_that_differ_only_in_seed_pool_into_mean_and_standard_error_and_a_margin_in_standard_errors():
    from ada.evaluation.notes import NotesEvaluation, seed_summary, seed_table

    def row(name, decoder, sampled, bars=16):
        return NotesEvaluation(model=name, decoder=decoder, bars=bars, step=1200, split="eval", windows=512,
                               teacher_forced_accuracy=0.9, sampled_accuracy=sampled, draw_accuracy=0.5,
                               kl_bits=32.0, reconstruction_nats=10.0, elbo=-20.0, free_bits=32.0)

    rows = [row("tiny_2bar", "flat", 0.8, bars=2)]
    rows += [row(f"flat-seed{i}", "flat", a) for i, a in enumerate([0.50, 0.52, 0.54])]
    rows += [row(f"hier_seed{i}", "hierarchical", a) for i, a in enumerate([0.60, 0.61, 0.62])]
    summary = seed_summary(rows)
    assert set(summary["groups"]) == {"flat", "hier"}  # the unseeded run stands alone
    mean, se = summary["groups"]["flat"]["sampled_accuracy"]
    assert mean == pytest.approx(0.52) and se == pytest.approx(0.02 / np.sqrt(3))  # sd 0.02 over 3 seeds
    (m,) = summary["margins"]
    assert m["margin"] == pytest.approx(0.09)
    assert m["se"] == pytest.approx(np.hypot(0.02, 0.01) / np.sqrt(3))
    assert m["standard_errors"] == pytest.approx(0.09 / m["se"])
    assert "hier − flat: +0.090" in seed_table(summary)


def test_a_row_is_diagonal_dominant_where_its_vector_moves_its_own_attribute_most_in_comparable_units():
    from ada.evaluation.notes import AttributeMatrix, matrix_table

    percent = np.array([[60.0, 100.0], [-5.0, 300.0]])  # a share near zero: hundreds of percent for a small move
    sd = np.array([[1.5, 0.5], [-0.9, 0.4]])
    m = AttributeMatrix(["density", "syncopation"], percent, sd)
    assert m.diagonal_dominant("percent") == [False, True]
    assert m.diagonal_dominant("sd") == [True, False]  # |−0.9| > 0.4: the second vector moves density more
    assert "| density | +1.50 | +0.50 |" in matrix_table(m, "sd")
    assert "| syncopation | -5.0 | +300.0 |" in matrix_table(m, "percent")
