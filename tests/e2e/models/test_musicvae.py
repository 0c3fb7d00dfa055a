"""MusicVAE: shapes, the hierarchical decoder's bar independence, the loss against hand-computed values,
schedules, sampling by seed, slerp, and training through the one trainer (learning, resuming)."""

import json
import re

import jax
import numpy as np
import pytest

from helpers import ada_in_process, run_ada
from support.browser import dom_after_loading, needs_chromium
from support.musicvae import ARGS, MICRO, metrics, synthetic_melodies, train


@pytest.fixture(scope="module")
def trained(micro_musicvae):
    """(notes dataset, workdir of a micro MusicVAE trained 60 steps on it)."""
    return micro_musicvae


@pytest.mark.slow
def test_a_tiny_musicvae_learns_and_resumes_to_the_uninterrupted_result(trained, tmp_path):
    from ada.training.checkpoint import load

    data, full = trained
    logged = [m for m in metrics(full) if "r_loss" in m]
    assert logged[-1]["r_loss"] < logged[0]["r_loss"] - 15, logged  # 32 steps of ln 90 = 144 nats at the start
    assert all("beta" in m and "sampling_probability" in m for m in logged)
    # a run stopped at step 30 and rerun to 60 ends with the uninterrupted run's parameters
    part = tmp_path / "part"
    train(data, part, "--config.train.steps=30", *ARGS)
    train(data, part, "--config.train.steps=60", *ARGS)
    a, b = jax.device_get(load(full).state), jax.device_get(load(part).state)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-6, atol=1e-7)
    assert [m["step"] for m in metrics(full) if "r_loss" in m] == [m["step"] for m in metrics(part) if "r_loss" in m]


@pytest.mark.slow
def test_sample_interpolate_attribute_and_eval_write_what_they_say(trained, tmp_path):
    from ada.notes.dataset import open_notes
    from ada.notes.midi import tokens_to_midi

    data, workdir = trained
    windows = open_notes(data).split("train")
    a, b = tokens_to_midi(windows[0], "melody", tmp_path / "a.mid"), tokens_to_midi(windows[40], "melody",
                                                                                      tmp_path / "b.mid")
    run_ada("notes", "sample", "--workdir", workdir, "--num", 2, "--out", tmp_path / "s", "--seed", 3)
    assert np.load(tmp_path / "s" / "samples.npy").shape == (2, 1, 32)  # determinism by seed: in-process test above
    for k in range(2):
        for ext in (".mid", ".wav", "-roll.png"):
            assert (tmp_path / "s" / f"00{k}-sample_{k}{ext}").stat().st_size > 0
    assert "<audio" in (tmp_path / "s" / "index.html").read_text()
    proc = run_ada("notes", "interpolate", "--workdir", workdir, "--from", a, "--to", b, "--steps", 3,
                   "--temperature", 0, "--out", tmp_path / "i")
    path = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [r["t"] for r in path] == [0.0, 0.5, 1.0]
    proc = run_ada("notes", "attribute", "--workdir", workdir, "--input", a, "--attribute", "note_density",
                   "--amounts", "-1,0,1", "--out", tmp_path / "at")
    assert [json.loads(line)["amount"] for line in proc.stdout.splitlines() if line.startswith("{")] == [-1, 0, 1]
    assert list(workdir.glob("attribute-vectors-*.npz"))
    proc = run_ada("notes", "eval", "--workdir", workdir, "--windows", 8, "--out", tmp_path / "table",
                   "--attributes", "--interpolations", 3, "--samples", 4)
    [row] = json.loads((tmp_path / "table.json").read_text())
    assert row["windows"] == 8 and 0 <= row["sampled_accuracy"] <= 1 and row["kl_bits"] > 0
    assert "teacher-forced acc." in proc.stdout and "vector added" in proc.stdout and "change in sd" in proc.stdout
    assert "posterior mean by argmax gives it back" in proc.stdout and "the midpoint is" in proc.stdout
    study = json.loads((tmp_path / f"table-interpolation-{workdir.name}.json").read_text())
    ends = study["rows"][0], study["rows"][-1]
    assert [r["alpha"] for r in ends] == [0.0, 1.0] and len(study["rows"]) == 7
    assert ends[0]["data_hamming_A"] == 0 and ends[1]["data_hamming_B"] == 0  # the data-space path's endpoints
    assert all(r["latent_trigram"] < 0 and r["data_trigram"] < 0 for r in study["rows"])
    samples, held = json.loads((tmp_path / f"table-samples-{workdir.name}.json").read_text())
    assert samples["windows"] == 4 and held["windows"] == len(open_notes(data).split("eval"))
    assert set(samples["means"]) == {"trigram", "leaps_over_fifth", "leaps_over_octave", "note_density"}
    assert "prior samples of" in proc.stdout and "leaps > a fifth" in proc.stdout


def test_a_note_dataset_that_does_not_fit_the_model_is_one_error_line(tmp_path):
    data = synthetic_melodies(tmp_path / "notes", bars=2, tunes=6)
    proc = run_ada("train", "--config", MICRO, "--workdir", tmp_path / "w", f"--config.data.path={data}",
                   "--config.model.bars=16", "--noprogress", check=False)
    lines = [line for line in proc.stderr.strip().splitlines() if not line.startswith("WARNING")]
    assert proc.returncode == 2 and len(lines) == 1 and "model.bars=16" in lines[0], proc.stderr[-2000:]


@pytest.mark.parametrize("args,message", [
    (["sample", "--workdir", "{tmp}/none", "--out", "{tmp}/o"], "no config.json"),
    (["sample", "--workdir", "{tmp}", "--out", "{tmp}/o", "--temperature", "-1"], "--temperature"),
    (["attribute", "--workdir", "{tmp}", "--input", "{tmp}/a.mid", "--attribute", "loudness", "--out", "{tmp}/o"],
     "--attribute 'loudness'"),
    (["attribute", "--workdir", "{tmp}", "--input", "{tmp}/a.mid", "--attribute", "note_density", "--amounts",
      "-1,x", "--out", "{tmp}/o"], "--amounts"),
    (["interpolate", "--workdir", "{tmp}", "--from", "{tmp}/missing.mid", "--to", "{tmp}/a.mid", "--out", "{tmp}/o"],
     "--from"),
    (["interpolate", "--workdir", "{tmp}", "--from", "{tmp}/a.mid", "--to", "{tmp}/a.mid", "--steps", "1",
      "--out", "{tmp}/o"], "--steps"),
])
def test_bad_notes_commands_are_one_error_line(tmp_path, capsys, args, message):
    (tmp_path / "a.mid").write_bytes(b"not a midi file")
    proc = ada_in_process(capsys, "notes", *[a.format(tmp=tmp_path) for a in args])
    lines = [line for line in proc.stderr.strip().splitlines() if not line.startswith("WARNING")]
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], \
        proc.stderr[-2000:]


@pytest.mark.slow
@needs_chromium
def test_an_interpolation_is_one_row_of_rolls_and_every_point_plays_in_chromium(trained, tmp_path):
    from ada.notes.dataset import open_notes
    from ada.notes.midi import tokens_to_midi

    data, workdir = trained
    windows = open_notes(data).split("train")
    a, b = (tokens_to_midi(windows[k], "melody", tmp_path / f"{k}.mid") for k in (0, 40))
    run_ada("notes", "interpolate", "--workdir", workdir, "--from", a, "--to", b, "--steps", 3, "--out", tmp_path / "i")
    page = (tmp_path / "i" / "index.html").read_text()
    assert page.count('<div class="row">') == 1 and page.count("<figure>") == 5  # A, three points, B: one row
    assert 'class="picture" src="path.png"' in page and "nowrap" in page
    dom = dom_after_loading(tmp_path / "i" / "index.html", tmp_path / "profile")
    assert 'data-loaded="5"' in dom and 'data-failed="0"' in dom, dom[-2000:]
    for midi in re.findall(r'href="([^"]+\.mid)"', page):
        assert (tmp_path / "i" / midi).stat().st_size > 0
    run_ada("notes", "sample", "--workdir", workdir, "--num", 4, "--out", tmp_path / "s")
    assert "flex-wrap:wrap" in (tmp_path / "s" / "index.html").read_text()  # samples: a grid


@pytest.mark.slow
def test_an_exported_musicvae_ships_what_every_notes_command_needs_and_a_card_measured_on_itself(trained, tmp_path,
                                                                                                 capsys):
    import shutil

    from ada.evaluation.notes import evaluate_notes

    shared, trained_dir = trained
    data, workdir = tmp_path / "notes", tmp_path / "trained"  # copies: the data goes away below
    shutil.copytree(shared, data)
    shutil.copytree(trained_dir, workdir)
    config = json.loads((workdir / "config.json").read_text())
    config["data"]["path"] = str(data)
    (workdir / "config.json").write_text(json.dumps(config))
    out = tmp_path / "shipped" / "melody"
    proc = run_ada("notes", "export", "--workdir", workdir, "--out", out, "--dtype", "float32")
    assert "model card" in proc.stdout
    assert {p.name for p in out.iterdir()} == {"params.npz", "config.json", "member.json", "examples",
                                               "attribute-vectors-60.npz", "MODEL_CARD.md", "measures.json"}
    assert not list(out.parent.glob(".*"))  # no staging folder left
    # float32: the exported model scores exactly as the workdir does, and the card says what it measured
    measures = json.loads((out / "measures.json").read_text())
    assert measures["eval"]["sampled_accuracy"] == pytest.approx(evaluate_notes(workdir).sampled_accuracy, abs=1e-6)
    card = (out / "MODEL_CARD.md").read_text()
    e = measures["eval"]
    cells = f"| {e['teacher_forced_accuracy']:.3f} ± {e['teacher_forced_se']:.3f} | {e['sampled_accuracy']:.3f} ± "
    assert cells in card and 0 < e["sampled_se"] < 0.5
    assert len(measures["attributes"]["matrix"]) == 5 and len(measures["interpolation"]["rows"]) == 7
    attributes = measures["attributes"]
    assert np.shape(attributes["matrix_sd"]) == (5, 5) and len(attributes["diagonal_dominant_sd"]) == 5
    assert 0 <= measures["interpolation"]["mean_decode_hamming"] <= 1 and "gives it back" in card
    drawn, held = measures["samples"]
    assert drawn["windows"] == 256 and f"| eval windows | {held['windows']} | {held['means']['trigram']:.3f} ± " in card
    # with no data at hand (the dataset gone), the commands run from the folder alone
    shutil.rmtree(data)
    for args in (("interpolate", "--workdir", out, "--from", out / "examples" / "a.mid", "--to",
                  out / "examples" / "b.mid", "--steps", 3, "--out", tmp_path / "i"),
                 ("attribute", "--workdir", out, "--input", out / "examples" / "a.mid", "--attribute",
                  "note_density", "--amounts", "0,1", "--out", tmp_path / "at")):  # in this process: no start-up
        assert ada_in_process(capsys, "notes", *args).returncode == 0
    assert (tmp_path / "i" / "path.png").stat().st_size > 0 and (tmp_path / "at" / "index.html").is_file()
    # an export is not replaced unless asked
    proc = ada_in_process(capsys, "notes", "export", "--workdir", workdir, "--out", out)
    assert proc.returncode != 0 and proc.stderr.strip().splitlines()[-1].startswith("error:")
    assert "--overwrite" in proc.stderr and (out / "MODEL_CARD.md").read_text() == card


@pytest.mark.slow
def test_a_checkpoint_before_the_newest_is_measured_and_shipped_as_itself(trained, tmp_path, capsys):
    """`--step`: a run that went past its best step is measured and exported at that step, as a copy of the
    workdir that keeps only that checkpoint would be, its training time counted up to it."""
    import shutil

    from ada.evaluation.notes import evaluate_notes
    from ada.training.checkpoint import load
    from ada.training.member import read_member, save_member

    data, workdir = trained  # checkpoints at steps 30 and 60
    copy = tmp_path / "copy"
    shutil.copytree(workdir, copy)
    shutil.rmtree(copy / "checkpoints" / "60")
    at_30, newest = evaluate_notes(workdir, step=30, windows=16), evaluate_notes(workdir, windows=16)
    alone = evaluate_notes(copy, windows=16)
    assert (at_30.step, newest.step, alone.step) == (30, 60, 30)
    assert {**at_30.to_dict(), "model": ""} == {**alone.to_dict(), "model": ""}
    assert at_30.elbo < newest.elbo - 1  # 30 more steps fit the data better
    save_member(load(workdir, 30), tmp_path / "m30", "float32")
    save_member(load(workdir), tmp_path / "m60", "float32")
    shipped, last = read_member(tmp_path / "m30"), read_member(tmp_path / "m60")
    assert shipped["step"] == 30 and load(tmp_path / "m30").step == 30
    assert 0 < shipped["train_seconds"] < last["train_seconds"]
    # a step the workdir does not keep, or not the one an export holds: one error line naming what there is
    for where, step, says in ((workdir, 45, "no checkpoint at step 45 (it keeps 30, 60)"),
                              (tmp_path / "m30", 60, "an exported model of step 30; it holds no step 60")):
        proc = ada_in_process(capsys, "notes", "eval", "--workdir", where, "--step", step, "--windows", 4)
        assert proc.returncode != 0 and proc.stderr.strip().splitlines() == [f"error: {where.resolve()}: {says}"]
