"""`make demo` end to end at its smallest size: every stage a user's demo runs, a few steps each."""

import json
import subprocess

import pytest
import soundfile as sf

from helpers import REPO

pytestmark = pytest.mark.slow


def test_demo_pipeline_end_to_end(brisk_piano, tmp_path):
    runs = tmp_path / "runs"
    steps = "--config.train.steps=3 --config.train.eval_every=3 --config.train.checkpoint_every=3 " \
            "--config.data.eval_crops=8 --noprogress"
    proc = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "demo", f"DATA={brisk_piano}", f"RUNS={runs}",
         f"CODES1={tmp_path / 'codes1'}", f"CODES2={tmp_path / 'codes2'}", f"TRAIN_ARGS={steps}",
         "SECONDS=0.5", "NUM=2", "EXCERPTS=1", "PROMPT=1"],
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for workdir in ("tiny_level1", "tiny_level2", "tiny_prior"):
        assert (runs / workdir / "checkpoints" / "3").is_dir()
    assert json.loads((tmp_path / "codes2" / "index.json").read_text())["rate"] == 16000 / 64
    samples, recon = runs / "demo" / "samples", runs / "demo" / "reconstructions"
    assert [sf.info(samples / f"sample-0{k}.wav").frames for k in range(2)] == [8000, 8000]
    assert sf.info(recon / "reconstruction-00.wav").frames == sf.info(recon / "original-00.wav").frames == 8000
    assert f"Listen (tiny stack, trained just now): {samples}/index.html" in proc.stdout
    shipped = runs / "demo" / "shipped"  # the shipped stack's pages come first, before any training
    assert proc.stdout.index(f"{shipped}/samples/index.html") < proc.stdout.index("ada train")
    assert [sf.info(shipped / "samples" / f"sample-0{k}.wav").frames for k in range(2)] == [8000, 8000]
    assert (shipped / "reconstructions" / "reconstruction-00.wav").is_file()
    assert len(list((shipped / "continuations").glob("continuation-*.wav"))) == 2
    excerpt = json.loads((recon / "reconstructions.json").read_text())["excerpts"][0]
    assert "log_stft_to_unrelated" in excerpt and excerpt["noisiness"] > 0
    assert 0 < excerpt["chroma_to_original"] <= 1 and 0 < excerpt["chroma_to_unrelated"] <= 1
    drawn = json.loads((samples / "samples.json").read_text())
    for name in ("flatness", "key_clarity", "key_changes", "onset_rate", "loudness_range_db"):
        assert set(drawn["measures"][name]) == {"mean", "std", "n"} and name in drawn["corpus_measures"]
    assert drawn["noisiness (flatness over the corpus's)"] > 0
