"""Sampling: the incremental sampler against the naive one, rendering down a stack, the page."""

import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import jax
import numpy as np
import pytest
import soundfile as sf

from ada.data.dataset import open_dataset
from ada.generation import sampler
from ada.generation.sampler import Sampler, sample_naive
from ada.generation.stack import load_stack
from ada.listening.measures import key_clarity
from ada.training.config import ConfigError

from helpers import ada_in_process, optimised_env, run_ada, write_audio
from support.browser import dom_after_loading, needs_chromium

pytestmark = pytest.mark.slow


def _stack_file(tmp_path, micro_stack, **fields):
    raw = json.loads(micro_stack.read_text())
    raw = {"levels": [str(micro_stack.parent / l) if not l.startswith("/") else l for l in raw["levels"]],
           "prior": str(micro_stack.parent / raw["prior"])}
    raw.update(fields)
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(raw))
    return path, raw


def _wav(path):
    return sf.read(path, dtype="int16")[0]


MEMORY_PROBE = """
import resource, sys
from ada.generation.audio import sample_stack
sample_stack(sys.argv[1], float(sys.argv[2]), 1, sys.argv[3], chunk=4000)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.parametrize("which, temperature", [("level", 1.0), ("level", 0.7), ("prior", 1.0), ("prior", 0.0)])
def test_incremental_sampler_draws_the_naive_samplers_tokens(micro_stack, which, temperature):
    stack = load_stack(micro_stack)
    m = stack.levels[0] if which == "level" else stack.prior
    length, key = 200, jax.random.key(7)
    codes = None
    if which == "level":
        codes = np.random.default_rng(0).integers(0, m.spec.code_vocab, (2, length // m.spec.hop))
    fast = Sampler(m.model, m.variables, m.spec, chunk=48).sample(2, length, key, temperature, codes)
    slow = sample_naive(m.model, m.variables, m.spec, 2, length, key, temperature, codes)
    np.testing.assert_array_equal(fast, slow)
    if temperature:
        assert len(np.unique(fast)) > 5  # real draws, not a stuck argmax
    again = Sampler(m.model, m.variables, m.spec, chunk=200).sample(2, length, key, temperature, codes)
    np.testing.assert_array_equal(fast, again)  # chunking changes nothing
    other = Sampler(m.model, m.variables, m.spec, chunk=48).sample(2, length, jax.random.key(8), temperature, codes)
    assert temperature == 0 or not np.array_equal(fast, other)


def test_noise_drawn_in_blocks_draws_the_naive_samplers_tokens(micro_stack, monkeypatch):
    """Blocks of 7 steps' noise (6 whole blocks and a rest of 6 per 48-step chunk) give the naive sampler's tokens,
    which draws each step with jax.random.categorical."""
    stack = load_stack(micro_stack)
    m, length, key = stack.prior, 100, jax.random.key(3)
    monkeypatch.setattr(sampler, "NOISE_BYTES", 7 * 4 * 2 * m.spec.local.out)
    fast = Sampler(m.model, m.variables, m.spec, chunk=48).sample(2, length, key, 0.9)
    np.testing.assert_array_equal(fast, sample_naive(m.model, m.variables, m.spec, 2, length, key, 0.9))
    gumbel = sampler.noise(key, np.array([5, 2]), (2, 3))
    np.testing.assert_array_equal(gumbel[1], jax.random.gumbel(jax.random.fold_in(key, 2), (2, 3)))


@pytest.mark.parametrize("seconds, frames", [(0.5, 8000), (0.3, 4800)])
def test_seconds_of_top_codes_render_to_exactly_that_many_samples(micro_stack, tmp_path, seconds, frames):
    proc = run_ada("sample", "--stack", micro_stack, "--seconds", seconds, "--num", 2, "--out", tmp_path / "s",
                   "--chunk", 2000)
    assert "listen:" in proc.stdout
    for k in range(2):
        info = sf.info(tmp_path / "s" / f"sample-{k:02d}.wav")
        assert (info.frames, info.samplerate, info.channels, info.subtype, info.format) == \
            (frames, 16000, 1, "PCM_16", "WAV")
        audio, _ = sf.read(tmp_path / "s" / f"sample-{k:02d}.wav")
        assert np.abs(audio).max() > 0.01  # not silence
    import wave  # a second, independent reader agrees that it is a valid WAV

    with wave.open(str(tmp_path / "s" / "sample-00.wav")) as w:
        assert (w.getnframes(), w.getframerate(), w.getnchannels(), w.getsampwidth()) == (frames, 16000, 1, 2)
    meta = json.loads((tmp_path / "s" / "samples.json").read_text())
    assert meta["files"] == ["sample-00.wav", "sample-01.wav"] and not list((tmp_path / "s").glob(".*tmp"))


def test_same_seed_same_music(micro_stack, tmp_path):
    for name in ("a", "b"):
        run_ada("sample", "--stack", micro_stack, "--seconds", 0.25, "--num", 1, "--out", tmp_path / name, "--seed", 3)
    assert (tmp_path / "a/sample-00.wav").read_bytes() == (tmp_path / "b/sample-00.wav").read_bytes()


def test_stack_errors_are_caught_before_any_work(micro_stack, tmp_path, capsys):
    path, raw = _stack_file(tmp_path, micro_stack)
    l1, l2, prior = *raw["levels"], raw["prior"]
    cases = [
        ({"levels": [l2, l1]}, "level 1 (", "reads vocabulary 16 but sits on μ-law audio (256)"),
        ({"levels": [l1, l1]}, "level 2", "reads vocabulary 256 but sits on level 1's codes (16)"),
        ({"prior": l2}, "prior", "is an ADA level, not a prior"),
        ({"levels": [l1, prior]}, "level 2", "is a prior, not an ADA level"),
        ({"levels": [l1, str(tmp_path / "missing")]}, "level 2", "no config.json"),
        ({"levels": []}, "expected", '"levels"'),
    ]
    for change, where, message in cases:
        p, _ = _stack_file(tmp_path, micro_stack, **change)
        with pytest.raises(ConfigError) as err:
            load_stack(p)
        assert where in str(err.value) and message in str(err.value), str(err.value)
    (tmp_path / "broken.json").write_text("{levels:")
    proc = ada_in_process(capsys, "sample", "--stack", tmp_path / "broken.json", "--out", tmp_path / "o")
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr and not (tmp_path / "o").exists()
    proc = ada_in_process(capsys, "sample", "--stack", tmp_path / "nope.json", "--out", tmp_path / "o")
    assert proc.returncode == 2 and "no such stack file" in proc.stderr


def test_prior_vocabulary_must_match_the_top_codes(micro_stack, piano, tmp_path):
    from helpers import MICRO

    run_ada("train", "--config", MICRO, "--noprogress", "--workdir", tmp_path / "audio_prior",
            f"--config.data.path={piano}", "--config.model.kind=prior", "--config.train.steps=1")
    path, _ = _stack_file(tmp_path, micro_stack, prior=str(tmp_path / "audio_prior"))
    with pytest.raises(ConfigError, match="models vocabulary 256 but the top level emits 16 codes"):
        load_stack(path)


def test_a_stack_file_sets_each_models_temperature(micro_stack, tmp_path, capsys):
    from ada.audio import mulaw
    from ada.generation.audio import render_down, sample_stack
    from ada.generation.stack import Temperatures

    seconds, num, seed, chunk = 0.25, 2, 3, 2000
    # one number for every model is what --temperature gives every model
    path, _ = _stack_file(tmp_path, micro_stack, temperature=0.7)
    by_file = sample_stack(path, seconds, num, tmp_path / "file", seed=seed, chunk=chunk)
    by_flag = sample_stack(micro_stack, seconds, num, tmp_path / "flag", temperature=0.7, seed=seed, chunk=chunk)
    for a, b in zip(by_file.files, by_flag.files, strict=True):
        np.testing.assert_array_equal(_wav(a), _wav(b))
    assert json.loads((tmp_path / "file/samples.json").read_text())["temperature"] == 0.7

    # one per model: each model is sampled at its own, drawn here by hand with the render's keys
    (tmp_path / "each").mkdir()
    path = tmp_path / "each" / "stack.json"
    path.write_text(json.dumps({**json.loads(_stack_file(tmp_path, micro_stack)[0].read_text()),
                                "temperature": {"levels": [0.0, 1.0], "prior": 0.5}}))
    each = sample_stack(path, seconds, num, tmp_path / "each/out", seed=seed, chunk=chunk)
    stack = load_stack(path)
    assert stack.temperatures == Temperatures((0.0, 1.0), 0.5)
    key = jax.random.key(seed)
    top = Sampler(stack.prior.model, stack.prior.variables, stack.prior.spec, chunk).sample(
        num, -(-4000 // stack.hop), jax.random.fold_in(key, 0), 0.5)
    tokens = np.concatenate(list(render_down(stack, top, key, Temperatures((0.0, 1.0), 0.5), chunk)), axis=1)
    for k, f in enumerate(each.files):
        sf.write(tmp_path / f"expected-{k}.wav", np.clip(mulaw.decode(tokens[k, :4000]), -1, 1), 16000,
                 subtype="PCM_16")
        np.testing.assert_array_equal(_wav(f), _wav(tmp_path / f"expected-{k}.wav"))
    meta = json.loads((tmp_path / "each/out/samples.json").read_text())
    assert meta["temperature"] == "level 1 0, level 2 1, prior 0.5"
    # the flag still overrides the file for every model
    flagged = sample_stack(path, seconds, num, tmp_path / "each/flagged", temperature=0.7, seed=seed, chunk=chunk)
    np.testing.assert_array_equal(_wav(flagged.files[0]), _wav(by_flag.files[0]))
    # a flag with one per model names them as the file does; a reconstruction's bottom levels take theirs
    assert stack.temperature([0.2, 0.5, 0.9]) == Temperatures((0.2, 0.5), 0.9)
    assert load_stack(path, need_prior=False, levels=1).temperature([0.2, 0.5, 0.9]) == Temperatures((0.2,), 0.9)
    proc = ada_in_process(capsys, "sample", "--stack", path, "--out", tmp_path / "o", "--temperature", "1,1")
    assert proc.returncode == 2 and "or 3 (the stack's levels bottom first, then the prior)" in proc.stderr


@pytest.mark.parametrize("value, message", [
    (-0.5, '"temperature" is -0.5; a temperature is a number ≥ 0'),
    ("hot", '"temperature" is "hot"'),
    ({"levels": [1.0]}, '"temperature" names 1 level temperature(s) for 2 level(s)'),
    ({"levels": [1.0, None]}, '"temperature" of level 2 is null'),
    ({"prior": 1.0, "level": [1, 1]}, '"temperature" must be a number or'),
])
def test_a_bad_temperature_in_a_stack_file_is_refused_by_name(micro_stack, tmp_path, value, message):
    path, _ = _stack_file(tmp_path, micro_stack, temperature=value)
    with pytest.raises(ConfigError) as refused:
        load_stack(path)
    assert message in str(refused.value) and str(path) in str(refused.value)


def test_a_bad_temperature_in_a_stack_file_is_one_error_line(micro_stack, tmp_path):
    """What `ada sample` makes of the refusals above (each raised before any model is built)."""
    path, _ = _stack_file(tmp_path, micro_stack, temperature="hot")
    proc = run_ada("sample", "--stack", path, "--out", tmp_path / "o", check=False)
    assert proc.returncode == 2 and '"temperature" is "hot"' in proc.stderr, proc.stderr
    assert proc.stderr.count("error:") == 1 and not (tmp_path / "o").exists()


def test_half_a_minute_takes_the_memory_of_two_seconds(micro_stack, tmp_path):
    peaks = {}
    for seconds in (2, 30):
        probe = [sys.executable, "-c", MEMORY_PROBE, str(micro_stack), str(seconds), str(tmp_path / str(seconds))]
        out = subprocess.run(probe, capture_output=True, text=True, check=True, env=optimised_env()).stdout
        peaks[seconds] = int(out.split()[-1]) * 1024  # ru_maxrss is in KiB on Linux
    output = 28 * 16000 * (4 + 4 + 8)  # the longer clip kept for its spectrogram, decoded, and its tokens
    assert peaks[30] - peaks[2] < output + 64 * 2**20, peaks  # a leak over 150 bytes a sample fails it


@needs_chromium
def test_listening_page_plays_in_chromium(micro_stack, tmp_path):
    run_ada("sample", "--stack", micro_stack, "--seconds", 0.5, "--num", 2, "--out", tmp_path / "s")
    dom = dom_after_loading(tmp_path / "s" / "index.html", tmp_path / "profile")
    assert 'data-loaded="2"' in dom and 'data-failed="0"' in dom, dom[-2000:]
    assert dom.count('data-duration="0.500"') == 2
    assert "2 of 2 players loaded" in dom


def test_reconstruct_takes_any_audio_file(micro_stack, tmp_path):
    wav = write_audio(tmp_path / "in.wav", rate=44100, seconds=1.0, channels=2)
    proc = run_ada("reconstruct", "--stack", micro_stack, "--input", wav, "--offset", 0.1, "--seconds", 0.25,
                   "--out", tmp_path / "r")
    assert "listen:" in proc.stdout and '"log_stft_to_original"' in proc.stdout
    assert sf.info(tmp_path / "r" / "reconstruction-00.wav").frames == 4000
    [excerpt] = json.loads((tmp_path / "r" / "reconstructions.json").read_text())["excerpts"]
    for name, wav in (("key_clarity", "reconstruction-00.wav"), ("key_clarity_of_original", "original-00.wav")):
        assert excerpt[name] == pytest.approx(key_clarity(sf.read(tmp_path / "r" / wav)[0]), abs=0.02)


def test_reconstruct_draws_excerpts_from_the_split_asked_for(micro_stack, piano, tmp_path, capsys):
    ds = open_dataset(piano)
    for split, ada in (("train", run_ada), ("eval", partial(ada_in_process, capsys))):  # a process once is enough
        assert ada("reconstruct", "--stack", micro_stack, "--data", piano, "--split", split, "--excerpts", 2,
                   "--seconds", 0.25, "--out", tmp_path / split).returncode == 0
        page = json.loads((tmp_path / split / "reconstructions.json").read_text())
        excerpts = page["excerpts"]
        assert page["source"] == f"{Path(piano).name} ({split} split)"  # the card compares pages of one source
        stems = {Path(f["path"]).stem for f in ds.split(split)}
        assert len(excerpts) == 2 and all(e["excerpt"].split(" @ ")[0] in stems for e in excerpts), excerpts
        assert all("chroma_to_unrelated" in e for e in excerpts)
    # a dataset of one split: its excerpts are measured, without the unrelated floor
    write_audio(tmp_path / "audio" / "tone.wav", seconds=1.0)
    for args in (("prepare", tmp_path / "audio", "--out", tmp_path / "one-split", "--quiet"),  # one file: all train
                 ("reconstruct", "--stack", micro_stack, "--data", tmp_path / "one-split", "--split", "train",
                  "--seconds", 0.25, "--out", tmp_path / "one")):
        assert ada_in_process(capsys, *args).returncode == 0
    excerpts = json.loads((tmp_path / "one" / "reconstructions.json").read_text())["excerpts"]
    assert len(excerpts) == 3 and all("chroma_to_original" in e and "chroma_to_unrelated" not in e for e in excerpts)
