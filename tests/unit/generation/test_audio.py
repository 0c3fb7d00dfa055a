import numpy as np
import soundfile as sf

from ada.audio.emphasis import audio_of, tokens_of
from ada.generation.audio import _write_wavs


def test_a_pre_emphasised_stack_is_heard_de_emphasised_however_its_blocks_fall(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(6000) / 16000
    x = 0.5 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size)
    tokens = np.stack([tokens_of(x, 0.85), tokens_of(x[::-1], 0.85)])
    blocks = (tokens[:, i : i + 700] for i in range(0, 6000, 700))  # as the sampler streams them
    paths = [tmp_path / "a.wav", tmp_path / "b.wav"]
    clips = _write_wavs(paths, 5000, blocks, preemphasis=0.85)
    for path, clip, row in zip(paths, clips, tokens, strict=True):
        expected = audio_of(row, 0.85)[:5000]
        np.testing.assert_allclose(clip, expected, atol=1e-6)
        np.testing.assert_allclose(sf.read(path)[0], np.clip(expected, -1, 1), atol=1 / 2**15)
        assert np.sqrt(np.mean((expected - (x if path.stem == "a" else x[::-1])[:5000]) ** 2)) < 0.02


def test_a_rendering_stopped_midway_leaves_no_wav_behind(tmp_path):
    import pytest

    tokens = np.full((2, 6000), 128, np.uint8)
    blocks = (tokens[:, i : i + 1000] for i in range(0, 6000, 1000))

    def stop(k, audio):
        raise KeyboardInterrupt  # as a cancelled page or Ctrl-C stops it

    with pytest.raises(KeyboardInterrupt):
        _write_wavs([tmp_path / "a.wav", tmp_path / "b.wav"], 6000, blocks, on_audio=stop)
    assert list(tmp_path.iterdir()) == []
