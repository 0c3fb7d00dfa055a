"""Measures of what a listener hears, on signals whose answer is known."""

import numpy as np
import pytest

from ada.audio import mulaw
from ada.listening import measures
from ada.listening.measures import (
    chroma_similarity,
    key_changes,
    key_clarity,
    listen,
    log_mel_distance,
    log_stft_distance,
    loudness_range,
    noisiness,
    onset_rate,
    silent,
    spectral_flatness,
    summarise,
    window_keys,
)

from helpers import tone

SR = 16000


C_MAJOR = (261.63, 329.63, 392.00)  # C4 E4 G4


F_SHARP_MAJOR = (369.99, 466.16, 554.37)  # F#4 A#4 C#5


def chord(freqs, seconds, decay=1.0):
    t = np.arange(int(SR * seconds)) / SR
    return sum(0.2 * np.sin(2 * np.pi * f * t) for f in freqs) * np.exp(-decay * (t % 0.5))


def test_spectral_distances_rank_near_above_far():
    x = tone(SR, 1.0, freq=440.0, seed=0)
    near = x + 0.01 * np.random.default_rng(1).standard_normal(x.size)
    far = tone(SR, 1.0, freq=1500.0, seed=2)
    assert log_stft_distance(x, x) == 0 and log_mel_distance(x, x) == 0
    assert log_stft_distance(x, near) < log_stft_distance(x, far)
    assert log_mel_distance(x, near) < log_mel_distance(x, far)


def test_flatness_tells_tone_from_noise_and_ignores_silence():
    noise = 0.3 * np.random.default_rng(0).standard_normal(SR * 2)
    x = chord(C_MAJOR, 2.0)
    assert spectral_flatness(x) < 0.01 < 0.3 < spectral_flatness(noise)
    assert spectral_flatness(np.concatenate([x, np.zeros(SR * 4)])) < 0.01  # silent frames (flatness 1) left out
    assert spectral_flatness(x + 0.05 * noise) > 5 * spectral_flatness(x)


def test_chroma_similarity_hears_the_notes():
    c, fs = chord(C_MAJOR, 2.0), chord(F_SHARP_MAJOR, 2.0)
    assert chroma_similarity(c, c) == pytest.approx(1.0)
    assert chroma_similarity(c, c + 0.02 * np.random.default_rng(0).standard_normal(c.size)) > 0.95
    assert chroma_similarity(c, fs) < 0.5


def test_key_finder_names_the_key_and_counts_changes():
    keys, scores = window_keys(chord(C_MAJOR, 4.0))
    assert set(keys) == {0} and scores.min() > 0.7  # 0 = C major (KK profiles, major first)
    assert key_clarity(chord(C_MAJOR, 4.0)) > key_clarity(0.3 * np.random.default_rng(0).standard_normal(SR * 4))
    assert key_changes(chord(C_MAJOR, 8.0)) == 0.0
    alternating = np.concatenate([chord(C_MAJOR, 2.0), chord(F_SHARP_MAJOR, 2.0)] * 2)
    assert key_changes(alternating) == 1.0


def test_onset_rate_and_loudness_range():
    x = chord(C_MAJOR, 4.0, decay=8.0)  # a new attack every half second
    assert onset_rate(x) == pytest.approx(2.0, abs=0.5)
    steady = chord(C_MAJOR, 2.0, decay=0.0)
    assert loudness_range(steady) < 1.0
    assert loudness_range(np.concatenate([steady, 0.1 * steady])) == pytest.approx(20.0, abs=1.5)


def test_listen_gives_mean_and_spread_of_every_measure():
    summary = listen([chord(C_MAJOR, 2.0), chord(F_SHARP_MAJOR, 2.0)])
    assert set(summary) == {"flatness", "key_clarity", "key_changes", "onset_rate", "loudness_range_db", "silent",
                            "harmonic_contrast_db", *measures.contrast_names()}  # key hold: clips of 20 s or more
    assert all(set(v) == {"mean", "std", "n"} and v["n"] == 2 for v in summary.values())


def test_a_silent_clip_is_silent_not_noise():
    """A sampler that draws silence (all zeros, or μ-law's smallest step) has drawn nothing to hear, not white
    noise: it has no flatness, counts in the share of silent clips, and leaves the others' noisiness alone."""
    x = chord(C_MAJOR, 4.0)
    zeros = np.zeros(SR * 4)
    lsb = mulaw.decode(np.where(np.arange(SR * 4) % 2, 127, 129))  # ±1 step of 8-bit μ-law: -75 dB
    for quiet in (zeros, lsb):
        assert np.isnan(spectral_flatness(quiet)) and silent(quiet) == 1.0
    assert silent(x) == 0.0 and silent(0.01 * x) == 0.0  # music 40 dB down (about -55 dB) still sounds
    summary = listen([x, zeros])
    assert summary["flatness"] == {"mean": pytest.approx(spectral_flatness(x)), "std": 0.0, "n": 1}
    assert summary["silent"]["mean"] == 0.5 and summary["silent"]["n"] == 2
    for name in ("key_clarity", "key_changes", "onset_rate", "loudness_range_db"):  # silence adds nothing to these
        assert summary[name] == listen([x])[name]
    assert np.isnan(loudness_range(zeros))
    assert "flatness" not in listen([zeros, lsb])  # no clip has one: left out, not 1 or NaN
    assert noisiness(0.02, 0.004) == pytest.approx(5.0)
    assert noisiness(float("nan"), 0.004) is None and noisiness(0.02, float("nan")) is None
    assert summarise([{"a": 1.0}, {"a": None}, {"a": 3.0}]) == {"a": {"mean": 2.0, "std": 1.0, "n": 2}}


def _partials(seconds: float, f0: float = 220.0) -> np.ndarray:
    """A piano-like tone: eleven partials of f0, falling as 1/k, decaying over the clip."""
    t = np.arange(int(seconds * 16000)) / 16000
    return sum(0.3 / k * np.sin(2 * np.pi * f0 * k * t) for k in range(1, 12)) * np.exp(-0.3 * t)


def test_harmonic_contrast_is_far_higher_for_a_harmonic_tone_than_for_the_same_tone_in_noise():
    tone = _partials(4.0)
    noisy = tone + 0.05 * np.random.default_rng(0).standard_normal(tone.size)
    clean, dirty = measures.contrast_measures(tone), measures.contrast_measures(noisy)
    assert clean["harmonic_contrast_db"] > dirty["harmonic_contrast_db"] + 15
    # band by band above 200 Hz, where the noise fills the valleys between partials
    for lo, hi in measures.CONTRAST_BANDS[1:]:
        assert clean[f"contrast_{lo}_{hi}_db"] > dirty[f"contrast_{lo}_{hi}_db"] + 10, (lo, hi)
    gap = measures.contrast_gap(noisy, tone)  # a "reconstruction" that smeared the partials into noise
    assert gap["harmonic_contrast_gap_db"] > 15 and measures.contrast_gap(tone, tone)["harmonic_contrast_gap_db"] == 0
    assert np.isnan(measures.harmonic_contrast(np.zeros(16000))).all()
    assert measures.contrast_gap(np.zeros(16000), tone)["harmonic_contrast_gap_db"] is None


def _in_keys(keys, seconds: float = 2.0) -> np.ndarray:
    """Each window the major scale of its key (tonic, third and fifth louder), `seconds` long."""
    t = np.arange(int(seconds * 16000)) / 16000
    scale, weights = (0, 2, 4, 5, 7, 9, 11), (3, 1, 2, 1, 2, 1, 1)
    return np.concatenate([0.05 * sum(w * np.sin(2 * np.pi * 261.63 * 2 ** ((k + s) / 12) * t)
                                      for s, w in zip(scale, weights, strict=True)) for k in keys])


def test_a_piece_that_changes_key_every_two_seconds_holds_its_key_less_than_one_that_keeps_it():
    keeps = _in_keys([0] * 12)  # 24 s in C major
    wanders = _in_keys([(6 * i + i // 2) % 12 for i in range(12)])  # a new key every window
    assert measures.key_hold(keeps) == 1.0
    assert measures.key_hold(wanders) < 0.2
    assert np.isnan(measures.key_hold(keeps[: 10 * 16000]))  # under 20 s: not measured
    summary = measures.listen([keeps[: 4 * 16000]])
    assert "key_hold" not in summary and "harmonic_contrast_db" in summary and "contrast_100_200_db" in summary
