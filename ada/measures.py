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
