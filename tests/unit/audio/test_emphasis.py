import numpy as np
import pytest

from ada.audio import mulaw
from ada.audio.emphasis import Deemphasis, audio_of, deemphasise, emphasise, tokens_of
from ada.listening.measures import CONTRAST_BANDS, harmonic_contrast


def piano_like(seconds: float = 3.0, sr: int = 16000) -> np.ndarray:
    """Three struck notes whose partials fall as 1/k², as a piano's spectrum falls with frequency."""
    t = np.arange(int(seconds * sr)) / sr
    x = np.zeros_like(t)
    for f0, start in ((110, 0.0), (165, 1.0), (220, 2.0)):
        for k in range(1, 64):
            if f0 * k > 7000:
                break
            x += (t >= start) * np.exp(-(t - start).clip(0) * 1.5) * np.sin(2 * np.pi * f0 * k * t) / k**2
    return 0.9 * x / np.abs(x).max()


def test_deemphasis_inverts_emphasis_whole_or_streamed_in_any_blocks():
    x = np.random.default_rng(0).standard_normal(1000)
    y = emphasise(x, 0.85)
    assert y[0] == x[0] and y[5] == pytest.approx(x[5] - 0.85 * x[4])
    np.testing.assert_allclose(deemphasise(y, 0.85), x, atol=1e-12)
    shaper = Deemphasis(0.85)
    streamed = np.concatenate([shaper(block) for block in np.split(y, [10, 300, 301, 301])])
    np.testing.assert_allclose(streamed, x, atol=1e-12)
    assert emphasise(x, 0.0) is x and deemphasise(x, 0.0) is x  # off: the paper's signal, untouched


def test_noise_shaping_keeps_the_upper_partials_through_the_mulaw_round_trip():
    x = piano_like()
    plain = harmonic_contrast(audio_of(tokens_of(x, 0.0), 0.0))
    shaped = harmonic_contrast(audio_of(tokens_of(x, 0.85), 0.85))
    np.testing.assert_array_equal(audio_of(tokens_of(x, 0.0), 0.0), mulaw.decode(mulaw.encode(x)))
    bands = [f"{lo}-{hi}" for lo, hi in CONTRAST_BANDS]
    # white μ-law noise buries the weak upper partials; under the signal's envelope it does not
    assert shaped[-1] > plain[-1] + 4, dict(zip(bands, shaped - plain, strict=True))
    assert shaped[-2] > plain[-2] + 2
    assert np.all(shaped[:2] > plain[:2] - 1)  # at no real cost to the strong low partials
