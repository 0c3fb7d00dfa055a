import json

import pytest

from helpers import run_ada


@pytest.mark.optimised  # eval crops, a reconstruction and a sample
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


@pytest.mark.slow
@pytest.mark.optimised  # 300 training steps
def test_profile_trains_each_point_and_resumes(piano, tmp_path):
    args = ("profile", "--data", piano, "--rf", "0,8", "--workdir", tmp_path / "p", "--steps", 150, "--quiet")
    proc = run_ada(*args)
    result = json.loads((tmp_path / "p" / "profile.json").read_text())
    nll = {int(r): v for r, v in result["nll"].items()}
    assert set(nll) == {0, 8}
    # every trained predictor beats the unigram; ordering by r needs a converged run (make profile),
    # not 150 steps on a two-piece corpus
    assert nll[8] < nll[0] - 0.3
    assert (tmp_path / "p" / "profile.png").stat().st_size > 5000 and "rf      8" in proc.stdout
    assert (tmp_path / "p" / "rf-8" / "checkpoints" / "150").is_dir()  # trained by the one trainer
    run_ada(*args)  # a rerun resumes every finished point instead of training it again
    again = {int(r): v for r, v in json.loads((tmp_path / "p" / "profile.json").read_text())["nll"].items()}
    assert again == pytest.approx(nll, rel=1e-6)


@pytest.mark.slow
def test_eval_measures_a_held_out_set_whose_every_file_is_in_its_eval_split(micro_level, piano, tmp_path):
    import shutil

    heldout = tmp_path / "heldout"  # as `ada corpus --size heldout` writes it: no train split
    shutil.copytree(piano, heldout)
    index = json.loads((heldout / "index.json").read_text())
    for entry in index["files"]:
        entry["split"] = "eval"
    (heldout / "index.json").write_text(json.dumps(index))
    run_ada("eval", "--workdir", micro_level, "--data", heldout, "--crops", 16, "--excerpts", 0,
            "--out", tmp_path / "table")
    [row] = json.loads((tmp_path / "table.json").read_text())
    assert "train_nll" not in row and 0 < row["eval_nll"] < 6
    assert "| level | 6 | – |" in (tmp_path / "table.md").read_text()
