import os

import numpy as np
import pytest

from ada.audio import mulaw
from ada.audio.prepare import prepare
from ada.data.dataset import INDEX, open_dataset, split_of

from helpers import write_audio
from support.recordings import FORMATS


def test_formats_rates_and_channels_become_16k_mulaw(recordings, tmp_path):
    result = prepare([recordings], tmp_path / "out", workers=2, progress=False)
    assert result.rejects == []
    ds = open_dataset(tmp_path / "out")
    assert ds.vocab == 256 and ds.index["dtype"] == "uint8" and ds.rate == 16000
    names = [os.path.relpath(f["path"], recordings) for f in ds.files]
    assert names == sorted(n for n, *_ in FORMATS)
    for f, (name, _rate, _channels, _kw) in zip(ds.files, sorted(FORMATS), strict=False):
        tokens = ds.tokens(f)
        assert tokens.dtype == np.uint8
        # 1.5 s of sound at 16 kHz, less what trimming took from the quiet tail
        assert 1.0 * 16000 < f["length"] <= 1.5 * 16000 + 1, name
        assert f["duration"] == pytest.approx(f["length"] / 16000, abs=1e-3)
        audio = mulaw.decode(tokens)
        assert 0.95 < np.abs(audio).max() <= 1.0, name  # peak-normalised
        # the 440 Hz partial survives decoding, resampling and μ-law
        spectrum = np.abs(np.fft.rfft(audio[:8000]))
        assert abs(np.argmax(spectrum) * 16000 / 8000 - 440) <= 4, name
    assert {f["split"] for f in ds.files} == {"train", "eval"}


def test_rerun_reuses_everything_and_changes_nothing(recordings, tmp_path):
    out = tmp_path / "out"
    first = prepare([recordings], out, progress=False)
    shards = {p.name: p.stat().st_mtime_ns for p in out.glob("shard-*")}
    again = prepare([recordings], out, progress=False)
    assert again.index == first.index and again.reused == len(FORMATS)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("shard-*")} == shards
    assert not (out / ".work").exists()


def test_a_rerun_removes_what_a_killed_writer_left_half_written(recordings, tmp_path):
    """A SIGKILL between an atomic write's temporary file and its rename leaves the file behind."""
    out = tmp_path / "out"
    first = prepare([recordings], out, progress=False)
    left = [out / f".{INDEX}.k1l2m3.tmp", out / f".{first.index['shards'][0]['name']}.x9y8z7.tmp"]
    for p in left:
        p.write_bytes(b"half")
    assert prepare([recordings], out, progress=False).index == first.index
    assert not any(p.exists() for p in left) and not list(out.glob(".*.tmp"))


def test_split_is_by_content_and_stable_when_files_are_added(tmp_path):
    src = tmp_path / "src"
    for i in range(8):
        write_audio(src / f"first{i}.wav", 16000, 0.5, seed=i)
    out = tmp_path / "out"
    before = {f["sha256"]: f["split"] for f in prepare([src], out, progress=False).index["files"]}
    assert list(before.values()).count("eval") >= 1
    for i in range(8, 40):
        write_audio(src / f"later{i}.wav", 16000, 0.5, seed=i)
    after = {f["sha256"]: f["split"] for f in prepare([src], out, progress=False).index["files"]}
    assert len(after) == 40
    assert {sha: after[sha] for sha in before} == before
    # a fresh dataset of the same files agrees for every file that is held out by its hash
    fresh = {f["sha256"]: f["split"] for f in prepare([src], tmp_path / "fresh", progress=False).index["files"]}
    for sha, split in fresh.items():
        if split_of(sha, 0.01) == "eval":
            assert split == after[sha] == "eval"


def test_split_of_holds_out_one_percent():
    rng = np.random.default_rng(0)
    shas = [rng.bytes(32).hex() for _ in range(20000)]
    share = sum(split_of(s, 0.01) == "eval" for s in shas) / len(shas)
    assert 0.008 < share < 0.012


def test_preemphasis_is_a_recorded_part_of_the_recipe(recordings, tmp_path):
    from ada.audio.emphasis import audio_of
    from ada.audio.prepare import Recipe
    from ada.data.dataset import DatasetError

    # off, the recipe is recorded as before pre-emphasis existed: those datasets still grow
    assert Recipe().record() == {"sample_rate": 16000, "normalise": True, "top_db": 60.0, "min_seconds": 0.1}
    prepare([recordings], tmp_path / "plain", progress=False)
    prepare([recordings], tmp_path / "shaped", Recipe(preemphasis=0.85), progress=False)
    plain, shaped = open_dataset(tmp_path / "plain"), open_dataset(tmp_path / "shaped")
    assert plain.preemphasis == 0.0 and shaped.preemphasis == 0.85
    assert shaped.index["recipe"]["preemphasis"] == 0.85
    assert [f["split"] for f in shaped.files] == [f["split"] for f in plain.files]  # splits by content, as ever
    for a, b in zip(plain.files, shaped.files, strict=True):
        heard = audio_of(shaped.tokens(b), 0.85)
        assert not np.array_equal(shaped.tokens(b), plain.tokens(a))
        # de-emphasised, it is the same recording, within 8-bit μ-law's error
        assert np.sqrt(np.mean((heard - mulaw.decode(plain.tokens(a))) ** 2)) < 0.02
    with pytest.raises(DatasetError, match="another recipe"):
        prepare([recordings], tmp_path / "shaped", progress=False)
