"""No command destroys a dataset: prepare adds, removing is explicit, other kinds are refused, and each
dataset records what made it."""

import json

import pytest

from ada.audio.prepare import prepare
from ada.data.dataset import INDEX, open_dataset

from helpers import ada_in_process, run_ada, write_audio
from support.datasets import names, refused


def test_a_partial_rerun_adds_rather_than_shrinks(folder, tmp_path):
    out = tmp_path / "out"
    prepare([folder], out, progress=False)
    new = write_audio(tmp_path / "elsewhere" / "new.wav", 16000, 0.5, seed=9)
    proc = run_ada("prepare", new, "--out", out, "--quiet")
    assert names(out) == ["f0.wav", "f1.wav", "f2.wav", "f3.wav", "new.wav"]
    assert "4 kept from before" in proc.stdout
    made = open_dataset(out).index["made_by"]
    assert made["command"] == "ada prepare" and made["sources"] == sorted([str(folder.resolve()), str(new)])


def test_preparing_other_sources_keeps_the_first_ones(folder, tmp_path, capsys):
    other = tmp_path / "other"
    for i in range(2):
        write_audio(other / f"g{i}.wav", 16000, 0.5, seed=20 + i)
    out = tmp_path / "out"
    prepare = ("prepare", "--out", out, "--quiet")  # in this process (the test above runs the command)
    assert ada_in_process(capsys, *prepare, folder).returncode == 0
    splits = {f["sha256"]: f["split"] for f in open_dataset(out).files}
    assert ada_in_process(capsys, *prepare, other).returncode == 0
    assert names(out) == ["f0.wav", "f1.wav", "f2.wav", "f3.wav", "g0.wav", "g1.wav"]
    after = {f["sha256"]: f["split"] for f in open_dataset(out).files}
    assert {sha: after[sha] for sha in splits} == splits  # splits of the kept files never move


def test_removing_files_is_explicit_and_names_what_goes(folder, tmp_path, capsys):
    out = tmp_path / "out"
    prepare([folder], out, progress=False)
    proc = run_ada("prepare", "--remove", folder / "f1.wav", "--remove", folder / "f3.wav", "--out", out, "--quiet")
    assert names(out) == ["f0.wav", "f2.wav"]
    assert f"removed {folder.resolve() / 'f1.wav'}" in proc.stdout and "2 removed" in proc.stdout
    assert open_dataset(out).index["made_by"]["removed"] == [str(folder.resolve() / n) for n in ("f1.wav", "f3.wav")]
    before = (out / INDEX).read_text()
    refused(ada_in_process(capsys, "prepare", "--remove", tmp_path / "nothing-here", "--out", out),
            "--remove", "nothing removed")
    refused(ada_in_process(capsys, "prepare", "--remove", folder, "--out", out), "every file")
    refused(ada_in_process(capsys, "prepare", "--out", out), "--remove PATH")
    assert (out / INDEX).read_text() == before


def test_another_kind_or_recipe_in_out_is_refused_without_overwrite(folder, tmp_path, token_dataset, capsys):
    codes = token_dataset([3000, 2000], vocab=16, name="codes")
    before = (codes / INDEX).read_text()
    refused(ada_in_process(capsys, "prepare", folder, "--out", codes), str(codes), "tokens (vocabulary 16)",
            "--overwrite")
    assert (codes / INDEX).read_text() == before and len(open_dataset(codes).files) == 2
    run_ada("prepare", folder, "--out", codes, "--overwrite", "--quiet")
    assert names(codes) == ["f0.wav", "f1.wav", "f2.wav", "f3.wav"] and open_dataset(codes).vocab == 256

    out = tmp_path / "out"
    prepare([folder], out, progress=False)
    before = (out / INDEX).read_text()
    refused(ada_in_process(capsys, "prepare", folder, "--out", out, "--no-normalise"), "another recipe")
    assert (out / INDEX).read_text() == before


def test_out_may_not_be_a_source_folder(folder, capsys):
    refused(ada_in_process(capsys, "prepare", folder, "--out", folder), "is the source folder itself")
    assert not (folder / INDEX).exists()


def test_encode_refuses_its_input_and_other_kinds_before_loading_anything(folder, tmp_path, token_dataset, capsys):
    audio = tmp_path / "audio"
    prepare([folder], audio, progress=False)
    before = (audio / INDEX).read_text()
    missing_level = tmp_path / "no-level"  # refused before the level is even looked at
    refused(ada_in_process(capsys, "encode", "--level", missing_level, "--data", audio, "--out", audio),
            "is the --data dataset itself")
    other = tmp_path / "other-audio"
    prepare([folder], other, progress=False)
    other_before = (other / INDEX).read_text()
    refused(ada_in_process(capsys, "encode", "--level", missing_level, "--data", audio, "--out", other),
            "holds audio (vocabulary 256), made by `ada prepare`", "--overwrite")
    assert (audio / INDEX).read_text() == before and (other / INDEX).read_text() == other_before


@pytest.mark.optimised  # the whole piano corpus through level 1
@pytest.mark.slow
def test_encode_refuses_codes_of_another_checkpoint_and_records_what_made_it(micro_level, piano, tmp_path, capsys):
    out = tmp_path / "codes"
    run_ada("encode", "--level", micro_level, "--data", piano, "--out", out, "--quiet")
    index = json.loads((out / INDEX).read_text())
    assert index["made_by"]["command"] == "ada encode" and index["made_by"]["level_step"] == index["level_step"]
    assert index["made_by"]["level"] == str(micro_level.resolve())
    assert index["made_by"]["source"] == str(piano.resolve())
    index["level_fingerprint"] = "another-checkpoint"
    (out / INDEX).write_text(json.dumps(index))
    before = (out / INDEX).read_text()
    refused(ada_in_process(capsys, "encode", "--level", micro_level, "--data", piano, "--out", out),
            "holds other codes", "--overwrite")
    assert (out / INDEX).read_text() == before
    run_ada("encode", "--level", micro_level, "--data", piano, "--out", out, "--overwrite", "--quiet")
    assert json.loads((out / INDEX).read_text())["level_fingerprint"] != "another-checkpoint"
