import numpy as np
import pytest

from ada.data.dataset import open_dataset
from ada.generation.encode import encode_dataset, load_level
from ada.models import ADALevel

from helpers import ada_in_process, run_ada

pytestmark = pytest.mark.slow


def test_encoded_dataset_carries_files_and_splits(micro_level, piano, tmp_path):
    proc = run_ada("encode", "--level", micro_level, "--data", piano, "--out", tmp_path / "codes", "--quiet")
    assert "encoded 2 files" in proc.stdout
    audio, codes = open_dataset(piano), open_dataset(tmp_path / "codes")
    spec = load_level(micro_level).spec
    assert codes.vocab == spec.quantiser.codes == 16 and codes.rate == audio.rate / spec.hop
    assert codes.index["kind"] == "codes" and codes.index["hop"] == spec.hop
    for a, c in zip(audio.files, codes.files, strict=False):
        assert (a["path"], a["sha256"], a["split"]) == (c["path"], c["sha256"], c["split"])
        assert c["length"] == a["length"] // spec.hop
        assert int(codes.tokens(c).max()) < 16


def test_windowed_encoding_equals_one_pass_over_the_file(micro_level, piano, tmp_path):
    small = encode_dataset(micro_level, piano, tmp_path / "small", window=1000, batch_size=3, progress=False)
    large = encode_dataset(micro_level, piano, tmp_path / "large", window=50_000, batch_size=2, progress=False)
    assert small == large  # same codes, so the same content-named shards and the same index
    # and one pass of the model over a whole excerpt agrees
    level = load_level(micro_level)
    spec, model, variables = level.spec, level.model, level.variables
    audio, codes = open_dataset(piano), open_dataset(tmp_path / "small")
    entry = audio.files[0]
    excerpt = np.asarray(audio.tokens(entry))[None, : 8000 // spec.hop * spec.hop]
    whole = np.asarray(model.apply(variables, excerpt, method=ADALevel.encode))[0]
    stored = np.asarray(codes.tokens(codes.files[0]))
    rf_codes = -(-spec.receptive_fields()["encoder"] // spec.hop) + 1  # codes out of reach of the excerpt's cut end
    np.testing.assert_array_equal(whole[:-rf_codes], stored[: len(whole) - rf_codes])


def test_rerun_reuses_and_changes_nothing(micro_level, piano, tmp_path):
    first = encode_dataset(micro_level, piano, tmp_path / "codes", progress=False)
    assert encode_dataset(micro_level, piano, tmp_path / "codes", progress=False) == first


def test_vocabulary_mismatch_and_priors_are_refused(micro_level, piano, tmp_path, capsys):
    encode_dataset(micro_level, piano, tmp_path / "codes", progress=False)
    proc = ada_in_process(capsys, "encode", "--level", micro_level, "--data", tmp_path / "codes", "--out",
                          tmp_path / "x")
    assert proc.returncode == 2 and "vocabulary 16 but level" in proc.stderr
    proc = ada_in_process(capsys, "encode", "--level", tmp_path / "nowhere", "--data", piano, "--out", tmp_path / "y")
    assert proc.returncode == 2 and "no config.json" in proc.stderr
