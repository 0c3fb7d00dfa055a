import json

import numpy as np
import pytest

from ada.data.dataset import open_dataset

from helpers import run_ada


@pytest.mark.slow
def test_eval_reports_the_trainers_nll_and_a_table_row(micro_level, piano, tmp_path):
    proc = run_ada("eval", "--workdir", micro_level, "--data", piano, "--crops", 16, "--excerpts", 1, "--samples", 1,
                   "--seconds", 0.25, "--out", tmp_path / "table")
    [row] = json.loads((tmp_path / "table.json").read_text())
    logged = [json.loads(l) for l in (micro_level / "metrics.jsonl").read_text().splitlines()]
    trainer_eval = [m["eval_nll"] for m in logged if "eval_nll" in m][-1]
    assert row["eval_nll"] == pytest.approx(trainer_eval, rel=1e-5)  # same EMA params, same 16 eval crops
    assert 0 < row["train_nll"] < 6 and 1 <= row["perplexity"] <= row["codebook"] == 16
    assert 0 < row["codes_used"] <= 16 and row["log_stft_distance"] > 0 and row["log_mel_distance"] > 0
    assert row["noisiness"] > 0 and 0 < row["chroma_similarity"] <= 1
    table = (tmp_path / "table.md").read_text()
    assert row["eval_nll_other_codes"] > 0  # its value: tests/test_models.py
    assert table.startswith("| model | step | train NLL | eval NLL | eval NLL, another crop's codes | perplexity |")
    assert "| level | 6 |" in table
    assert table in proc.stdout
    assert (micro_level / "eval" / "reconstructions" / "sample-0" / "index.html").is_file()


def test_unigram_point_is_the_eval_entropy_under_train_frequencies(token_dataset):
    from ada.evaluation.predictability import unigram_nll

    root = token_dataset([1000, 3000, 500, 2000])
    ds = open_dataset(root)
    counts = np.ones(256)
    for f in ds.split("train"):
        counts[10 * int(f["path"][4:]) + 1] += f["length"]
    [held] = ds.split("eval")
    assert unigram_nll(root) == pytest.approx(-np.log(counts[10 * int(held["path"][4:]) + 1] / counts.sum()))


@pytest.mark.slow
def test_profile_trains_each_point_and_resumes(piano, tmp_path):
    args = ("profile", "--data", piano, "--rf", "0,1,8", "--workdir", tmp_path / "p", "--steps", 150, "--quiet")
    proc = run_ada(*args)
    result = json.loads((tmp_path / "p" / "profile.json").read_text())
    nll = {int(r): v for r, v in result["nll"].items()}
    assert set(nll) == {0, 1, 8}
    # every trained predictor beats the unigram; ordering by r needs a converged run (make profile),
    # not 150 steps on a two-piece corpus
    assert nll[1] < nll[0] - 0.3 and nll[8] < nll[0] - 0.3
    assert (tmp_path / "p" / "profile.png").stat().st_size > 5000 and "rf      8" in proc.stdout
    assert (tmp_path / "p" / "rf-8" / "checkpoints" / "150").is_dir()  # trained by the one trainer
    run_ada(*args)  # a rerun resumes every finished point instead of training it again
    again = {int(r): v for r, v in json.loads((tmp_path / "p" / "profile.json").read_text())["nll"].items()}
    assert again == pytest.approx(nll, rel=1e-6)


def test_predictor_sees_exactly_its_receptive_field():
    import jax

    from ada.models import Predictor, PredictorSpec

    model = Predictor(PredictorSpec(vocab=8, rf=5, hidden=16))
    x = jax.random.randint(jax.random.key(0), (1, 30), 0, 8)
    variables = model.init(jax.random.key(1), x)
    logits = lambda x: np.asarray(model.apply(variables, x, method=Predictor.logits))[0]
    moved = np.flatnonzero(~np.all(np.isclose(logits(x), logits(x.at[0, 12].set((x[0, 12] + 1) % 8))), axis=-1))
    assert list(moved) == [13, 14, 15, 16, 17]  # the steps whose last 5 inputs include step 12
