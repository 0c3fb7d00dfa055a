"""Continuation (primed sampling): the prompt is fed through the one sampler, then sampling goes on.

The sampler tests use micro models at their initial parameters (what is checked is the sampler's
arithmetic, not what a model learnt); the end-to-end tests use the micro stack trained on piano.
"""

import json

import jax
import numpy as np
import pytest
import soundfile as sf

from ada import SAMPLE_RATE
from ada.audio import mulaw

from helpers import ada_in_process, run_ada, write_audio


@pytest.mark.slow
def test_continuation_keeps_the_prompt_at_every_level(micro_stack, tmp_path):
    from ada.generation.audio import continue_piece, prompt_sequences, read_input
    from ada.generation.stack import load_stack

    wav = write_audio(tmp_path / "in.wav", rate=44100, seconds=1.5, channels=2)
    result = continue_piece(micro_stack, wav, tmp_path / "c", prompt_seconds=0.3, offset=0.2, seconds=0.25, num=2,
                            seed=4, chunk=2000)
    stack = load_stack(micro_stack)
    given = int(0.3 * SAMPLE_RATE) // stack.hop * stack.hop
    start = int(0.2 * SAMPLE_RATE)
    prompt = mulaw.encode(read_input(wav)[start : start + given])
    for clip, path in zip(result.clips, result.files, strict=True):
        assert len(clip) == given + 4000 and sf.info(path).frames == given + 4000
        np.testing.assert_array_equal(clip[:given], mulaw.decode(prompt))  # the input's tokens, exactly
        assert np.abs(clip[given:]).max() > 0.01
    assert not np.array_equal(result.clips[0][given:], result.clips[1][given:])  # two draws
    written, _ = sf.read(result.files[0])
    original, _ = sf.read(tmp_path / "c" / "original.wav")
    np.testing.assert_array_equal(written[:given], original[:given])  # the WAV's prompt is the input's
    # every model primes on the prompt at its own level: the prior's top codes start with the prompt's
    sequences = prompt_sequences(stack, prompt)
    assert [len(s) for s in sequences] == [given, given // 8, given // 64]
    top = stack.sampler(stack.prior, 2000).sample(1, len(sequences[-1]) + 5, jax.random.key(0), 1.0,
                                                  prompt=sequences[-1][None])
    np.testing.assert_array_equal(top[0, : len(sequences[-1])], sequences[-1])


@pytest.mark.slow
def test_a_zero_length_prompt_draws_what_ada_sample_draws(micro_stack, tmp_path):
    from ada.generation.audio import continue_piece, sample_stack

    wav = write_audio(tmp_path / "in.wav", seconds=0.5)
    primed = continue_piece(micro_stack, wav, tmp_path / "c", prompt_seconds=0, seconds=0.25, num=2, seed=3,
                            chunk=2000)
    unprimed = sample_stack(micro_stack, 0.25, 2, tmp_path / "s", seed=3, chunk=2000)
    for a, b in zip(primed.files, unprimed.files, strict=True):
        assert a.read_bytes() == b.read_bytes()


@pytest.mark.slow
def test_ada_continue_on_a_wav_end_to_end(micro_stack, tmp_path):
    wav = write_audio(tmp_path / "piece.wav", rate=22050, seconds=1.2)
    out = tmp_path / "out"
    proc = run_ada("continue", "--stack", micro_stack, "--input", wav, "--offset", 0.1, "--prompt-seconds", 0.4,
                   "--seconds", 0.3, "--num", 2, "--out", out)
    assert "listen:" in proc.stdout and "noisiness" in proc.stdout
    meta = json.loads((out / "continuations.json").read_text())
    assert meta["files"] == ["continuation-00.wav", "continuation-01.wav"]
    for name in ("flatness", "key_clarity", "key_changes", "onset_rate", "loudness_range_db"):
        assert set(meta["measures"][name]) == {"mean", "std", "n"} and name in meta["prompt_measures"]
    assert meta["corpus_measures"] and meta["noisiness (flatness over the prompt's)"] > 0
    assert meta["prompt_seconds"] == pytest.approx(0.4, abs=64 / SAMPLE_RATE)
    for f in meta["files"]:
        assert sf.info(out / f).frames == round(meta["prompt_seconds"] * SAMPLE_RATE) + 4800
    page = (out / "index.html").read_text()
    assert page.count("prompt ends at 0.40 s") == 3  # the original and both continuations
    assert all((out / f).with_suffix(".png").is_file() for f in [*meta["files"], "original.wav"])


def test_bad_input_is_one_error_line_before_the_stack_is_read(tmp_path, capsys):
    wav = write_audio(tmp_path / "short.wav", seconds=1.0)  # about 1 s of sound after trimming
    stack = tmp_path / "stack.json"  # never opened: the input is checked first
    cases = [
        (["--input", tmp_path / "missing.wav", "--prompt-seconds", 0.5], "--input", "missing.wav: no such file"),
        (["--input", tmp_path, "--prompt-seconds", 0.5], "--input", "not a file"),
        (["--input", wav, "--prompt-seconds", 3], "short.wav is", "--prompt-seconds 3 s runs"),
        (["--input", wav, "--offset", 0.8, "--prompt-seconds", 0.5], "--offset 0.8 s + --prompt-seconds 0.5 s",
         "past its end"),
        (["--input", wav, "--offset", 9, "--prompt-seconds", 0.5], "--offset 9 s is beyond the end of", "short.wav"),
        (["--input", wav, "--prompt-seconds", -1], "--prompt-seconds", "must be"),
        (["--input", wav, "--prompt-seconds", 0.5], str(stack), "no such stack file"),  # a good input: on to the stack
    ]
    for args, where, what in cases:
        proc = ada_in_process(capsys, "continue", "--stack", stack, "--out", tmp_path / "o", *args)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
        assert where in lines[0] and what in lines[0], lines[0]
    assert not (tmp_path / "o").exists()
