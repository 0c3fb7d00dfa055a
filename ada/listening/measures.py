"""Measures of audio a listener would agree with: spectral distances between clips."""

from __future__ import annotations

import librosa
import numpy as np

from ada import SAMPLE_RATE

STFT_SIZES = (2048, 1024, 512, 256, 128)


def _log_magnitude(x: np.ndarray, n_fft: int) -> np.ndarray:
    return np.log(np.abs(librosa.stft(np.asarray(x, np.float32), n_fft=n_fft, hop_length=n_fft // 4)) + 1e-5)


def log_stft_distance(a: np.ndarray, b: np.ndarray, sizes=STFT_SIZES) -> float:
    """Multi-scale log-STFT distance: mean |log|A| − log|B|| over five FFT sizes (phase-blind)."""
    n = min(len(a), len(b))
    return float(np.mean([np.mean(np.abs(_log_magnitude(a[:n], s) - _log_magnitude(b[:n], s))) for s in sizes]))


def log_mel_distance(a: np.ndarray, b: np.ndarray, n_mels: int = 80) -> float:
    """Mean absolute difference of log-mel spectrograms (1024-point FFT, hop 256, 80 bands)."""
    n = min(len(a), len(b))

    def mel(x):
        m = librosa.feature.melspectrogram(y=np.asarray(x[:n], np.float32), sr=SAMPLE_RATE, n_fft=1024,
                                           hop_length=256, n_mels=n_mels)
        return np.log(m + 1e-5)

    return float(np.mean(np.abs(mel(a) - mel(b))))


# -- what a listener hears -----------------------------------------------------------------------
# Krumhansl–Kessler key profiles (C major and C minor); the other 22 keys are their rotations.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
HOP = 512  # 32 ms frames at 16 kHz
QUIET_DB = 50.0  # frames this far below the clip's loudest are left out of the flatness and the loudness range
SILENCE_DB = -70.0  # frames quieter (RMS, dB full scale) are silence: one step of 8-bit μ-law is -75, two -69


def _voiced(x: np.ndarray, hop: int = HOP) -> np.ndarray:
    """Which frames sound (within QUIET_DB of the loudest, above SILENCE_DB): silence says nothing about tone or
    noise."""
    rms = librosa.feature.rms(y=np.asarray(x, np.float32), frame_length=2048, hop_length=hop)[0]
    db = 20 * np.log10(np.maximum(rms, 1e-10))
    return db > max(db.max() - QUIET_DB, SILENCE_DB)


def spectral_flatness(x: np.ndarray) -> float:
    """Mean spectral flatness of the sounding frames: near 0 for piano tones, near 1 for white noise. A silent
    clip has none (NaN): a listener hears no noise in it."""
    flat = librosa.feature.spectral_flatness(y=np.asarray(x, np.float32), n_fft=2048, hop_length=HOP)[0]
    voiced = _voiced(x)[: len(flat)]
    return float(flat[voiced].mean()) if voiced.any() else float("nan")


def silent(x: np.ndarray) -> float:
    """1 for a clip with no sounding frame, else 0: over several clips, the share a listener hears nothing in."""
    return float(not _voiced(x).any())


def noisiness(flatness: float, reference: float) -> float | None:
    """Flatness over the reference's (1.0 = as tonal as the data); None when either has none (silence)."""
    if not (np.isfinite(flatness) and np.isfinite(reference)):
        return None
    return float(flatness / max(reference, 1e-9))


def chroma(x: np.ndarray) -> np.ndarray:
    """CQT chroma [12, frames] (C first)."""
    return librosa.feature.chroma_cqt(y=np.asarray(x, np.float32), sr=SAMPLE_RATE, hop_length=HOP)


def chroma_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Mean frame-wise cosine between the chroma of two clips of the same music (1 = same notes)."""
    n = min(len(a), len(b))
    ca, cb = chroma(a[:n]), chroma(b[:n])
    cos = (ca * cb).sum(0) / np.maximum(np.linalg.norm(ca, axis=0) * np.linalg.norm(cb, axis=0), 1e-9)
    return float(cos.mean())


def _key_profiles() -> np.ndarray:
    """[24, 12]: the 12 major keys, then the 12 minor keys."""
    return np.stack([np.roll(p, k) for p in (KK_MAJOR, KK_MINOR) for k in range(12)])


def window_keys(x: np.ndarray, window_seconds: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """(best key index, its correlation) for each window: the Krumhansl–Schmuckler key finder."""
    c = chroma(x)
    frames = max(1, int(window_seconds * SAMPLE_RATE / HOP))
    profiles = _key_profiles()
    profiles = (profiles - profiles.mean(1, keepdims=True)) / profiles.std(1, keepdims=True)
    keys, scores = [], []
    for start in range(0, max(c.shape[1] - frames + 1, 1), frames):
        m = c[:, start : start + frames].mean(1)
        if m.std() < 1e-9:  # no pitch content at all
            keys.append(-1)
            scores.append(0.0)
            continue
        r = profiles @ ((m - m.mean()) / m.std()) / 12
        keys.append(int(r.argmax()))
        scores.append(float(r.max()))
    return np.array(keys), np.array(scores)


def key_clarity(x: np.ndarray, window_seconds: float = 2.0) -> float:
    """Mean over windows of the best correlation with the 24 key profiles (tonal music: 0.6–0.9)."""
    return float(window_keys(x, window_seconds)[1].mean())


def key_changes(x: np.ndarray, window_seconds: float = 2.0) -> float:
    """Share of consecutive windows whose best key differs (0 = one key throughout)."""
    keys = window_keys(x, window_seconds)[0]
    return float(np.mean(keys[1:] != keys[:-1])) if len(keys) > 1 else 0.0


def onset_rate(x: np.ndarray) -> float:
    """Note onsets per second (onsets closer than 96 ms count once, as a chord's spread attack)."""
    onsets = librosa.onset.onset_detect(y=np.asarray(x, np.float32), sr=SAMPLE_RATE, hop_length=HOP, wait=3)
    return float(len(onsets) / (len(x) / SAMPLE_RATE))


def loudness_range(x: np.ndarray) -> float:
    """dB between the 95th and the 10th percentile of the sounding frames' RMS level (NaN for a silent clip)."""
    rms = librosa.feature.rms(y=np.asarray(x, np.float32), frame_length=2048, hop_length=HOP)[0]
    db = 20 * np.log10(np.maximum(rms, 1e-10))[_voiced(x)[: len(rms)]]
    return float(np.percentile(db, 95) - np.percentile(db, 10)) if db.size else float("nan")


# Harmonic contrast: librosa's spectral contrast (peak over valley, dB) in octave bands from 100 Hz. A piano
# note's partials stand 25-30 dB above the valleys between them; noise has none. Flatness is dominated by the
# few strong low partials, so a decoder that keeps the fundamentals and smears the upper partials into noise
# scores a low flatness and a low contrast: compare band by band.
CONTRAST_BANDS = ((100, 200), (200, 400), (400, 800), (800, 1600), (1600, 3200))
CONTRAST_WITHIN_DB = 40.0  # frames this far below the clip's loudest are left out


def harmonic_contrast(x: np.ndarray) -> np.ndarray:
    """Mean spectral contrast (dB) of each band of CONTRAST_BANDS over the frames within CONTRAST_WITHIN_DB of
    the clip's loudest; NaN for a silent clip."""
    x = np.asarray(x, np.float32)
    spectrum = np.abs(librosa.stft(x, n_fft=2048, hop_length=HOP))
    low = CONTRAST_BANDS[0][0]  # octave edges low·2^k: band k of librosa's is (low·2^(k−1), low·2^k)
    contrast = librosa.feature.spectral_contrast(S=spectrum, sr=SAMPLE_RATE, n_fft=2048, hop_length=HOP, fmin=low,
                                                 n_bands=len(CONTRAST_BANDS) + 1)[1: len(CONTRAST_BANDS) + 1]
    rms = librosa.feature.rms(S=spectrum, frame_length=2048, hop_length=HOP)[0]
    db = 20 * np.log10(np.maximum(rms, 1e-10))
    loud = (db > db.max() - CONTRAST_WITHIN_DB) & (db > SILENCE_DB)
    return contrast[:, loud].mean(1) if loud.any() else np.full(len(CONTRAST_BANDS), np.nan)


def contrast_names() -> list[str]:
    return [f"contrast_{lo}_{hi}_db" for lo, hi in CONTRAST_BANDS]


def contrast_measures(x: np.ndarray) -> dict:
    """Harmonic contrast by band and its mean over the bands (100 Hz to 3.2 kHz), in dB."""
    bands = harmonic_contrast(x)
    return {"harmonic_contrast_db": float(bands.mean()), **dict(zip(contrast_names(), map(float, bands), strict=True))}


def contrast_gap(clip: np.ndarray, original: np.ndarray) -> dict:
    """How many dB of harmonic contrast a reconstruction lost against its original, by band and on the mean
    (positive: the original's partials stand further above their valleys)."""
    got, want = contrast_measures(clip), contrast_measures(original)
    gaps = {name.replace("contrast", "contrast_gap", 1): want[name] - got[name] for name in got}
    return {name: float(gap) if np.isfinite(gap) else None for name, gap in gaps.items()}  # None: a silent clip


KEY_HOLD_SECONDS = 20.0  # key hold is measured on clips at least this long


def key_hold(x: np.ndarray, window_seconds: float = 2.0) -> float:
    """Share of the clip's windows in its most frequent key (1 = one key throughout; 1/24 = a new key in every
    window). NaN for a clip shorter than KEY_HOLD_SECONDS: a few windows say nothing of stylistic consistency."""
    if len(x) < KEY_HOLD_SECONDS * SAMPLE_RATE:
        return float("nan")
    keys = window_keys(x, window_seconds)[0]
    tonal = keys[keys >= 0]
    return float(np.bincount(tonal).max() / len(keys)) if tonal.size else 0.0


UNCONDITIONAL = {"flatness": spectral_flatness, "key_clarity": key_clarity, "key_changes": key_changes,
                 "onset_rate": onset_rate, "loudness_range_db": loudness_range, "key_hold": key_hold,
                 "silent": silent}


def listen(clips: list[np.ndarray]) -> dict:
    """Each measure of UNCONDITIONAL over several clips: {name: {"mean", "std"}} (no reference needed). A silent
    clip counts in `silent` alone: it has no flatness, key or pace to average."""
    names = [*UNCONDITIONAL, "harmonic_contrast_db", *contrast_names()]
    return summarise([{**{name: fn(c) for name, fn in UNCONDITIONAL.items()}, **contrast_measures(c)}
                      if not silent(c) else {name: 1.0 if name == "silent" else None for name in names}
                      for c in clips])


def summarise(rows: list[dict]) -> dict:
    """Mean, spread and count of each measure over the clips that have it (a silent clip has no flatness); a
    measure no clip has is left out. The spread is over the clips themselves (ddof 0); with the count it gives
    a mean's standard error, std / sqrt(n - 1)."""
    summary = {}
    for k in rows[0] if rows else ():
        values = np.array([np.nan if r[k] is None else r[k] for r in rows], np.float64)
        values = values[np.isfinite(values)]
        if values.size:
            summary[k] = {"mean": float(values.mean()), "std": float(values.std()), "n": int(values.size)}
    return summary


if __name__ == "__main__":
    # `python -m ada.listening.measures` (the install step) compiles numba's on-disk cache for every measure in one
    # process: two processes compiling the same function into it at once corrupt it, and every later
    # process that loads it segfaults.
    import warnings

    warnings.simplefilter("ignore")  # librosa's note that the top CQT octave's FFT exceeds 2 s of input
    clip = np.random.default_rng(0).uniform(-0.5, 0.5, 2 * SAMPLE_RATE).astype(np.float32)
    listen([clip])
    contrast_gap(clip, clip)
    chroma_similarity(clip, clip), log_stft_distance(clip, clip), log_mel_distance(clip, clip)
