import numpy as np
import pytest

from ada.data.dataset import open_dataset


def test_unigram_point_is_the_eval_entropy_under_train_frequencies(token_dataset):
    from ada.evaluation.predictability import unigram_nll

    root = token_dataset([1000, 3000, 500, 2000])
    ds = open_dataset(root)
    counts = np.ones(256)
    for f in ds.split("train"):
        counts[10 * int(f["path"][4:]) + 1] += f["length"]
    [held] = ds.split("eval")
    assert unigram_nll(root) == pytest.approx(-np.log(counts[10 * int(held["path"][4:]) + 1] / counts.sum()))


def test_predictor_sees_exactly_its_receptive_field():
    import jax

    from ada.models import Predictor, PredictorSpec

    model = Predictor(PredictorSpec(vocab=8, rf=5, hidden=16))
    x = jax.random.randint(jax.random.key(0), (1, 30), 0, 8)
    variables = model.init(jax.random.key(1), x)
    logits = lambda x: np.asarray(model.apply(variables, x, method=Predictor.logits))[0]
    moved = np.flatnonzero(~np.all(np.isclose(logits(x), logits(x.at[0, 12].set((x[0, 12] + 1) % 8))), axis=-1))
    assert list(moved) == [13, 14, 15, 16, 17]  # the steps whose last 5 inputs include step 12
