"""Read any audio file as mono float32 at 16 kHz, clean it for training, write WAV.

Decoding is libsndfile's (WAV, FLAC, OGG, MP3, AIFF and more); resampling is soxr's. Every way a
file can fail to become training audio raises `AudioError` whose message is the reason, so that
`prepare` can list it and go on.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from ada import SAMPLE_RATE
from ada.atomic import atomic_path

# Formats whose header states the exact frame count, so a short read means a truncated file.
_EXACT_LENGTH_FORMATS = {"WAV", "WAVEX", "RF64", "W64", "AIFF", "FLAC", "CAF"}


class AudioError(Exception):
    """A file that cannot become training audio; str(error) says why."""


def read(path: str | os.PathLike, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode `path`, downmix to mono and resample to `sample_rate`; float32 in [-1, 1]."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise AudioError(f"unreadable: {e.strerror}") from e
    if size == 0:
        raise AudioError("empty file (0 bytes)")
    overrun = _chunk_overrun(path, size)
    if overrun:
        raise AudioError(overrun)
    try:
        with sf.SoundFile(path) as f:
            declared, rate, fmt = f.frames, f.samplerate, f.format
            data = f.read(dtype="float32", always_2d=True)
    except sf.LibsndfileError as e:
        raise AudioError(f"not decodable as audio ({e.error_string})") from e
    except (OSError, RuntimeError) as e:
        raise AudioError(f"unreadable: {e}") from e
    if fmt in _EXACT_LENGTH_FORMATS and len(data) < declared:
        raise AudioError(f"truncated: header declares {declared} frames, only {len(data)} present")
    if len(data) == 0:
        raise AudioError("zero-length audio (no samples)")
    mono = data.mean(axis=1)
    if not np.all(np.isfinite(mono)):
        raise AudioError("corrupt: contains NaN or infinite samples")
    if rate != sample_rate:
        mono = soxr.resample(mono, rate, sample_rate, quality="HQ")
    return np.clip(mono, -1, 1).astype(np.float32)


def _chunk_overrun(path: Path, size: int) -> str | None:
    """For RIFF/WAVE and AIFF: the audio chunk whose declared size runs past the end of the file.

    libsndfile quietly reads what is there, so a half-copied WAV would otherwise pass as shorter audio.
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            endian = "<"
        elif head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            endian = ">"
        else:
            return None
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk, n = f.read(4), struct.unpack(endian + "I", f.read(4))[0]
            if chunk in (b"data", b"SSND") and n not in (0, 0xFFFFFFFF) and pos + 8 + n > size:
                return f"truncated: {chunk.decode()} chunk declares {n} bytes, only {size - pos - 8} present"
            pos += 8 + n + (n & 1)
    return None


def trim_silence(x: np.ndarray, top_db: float = 60.0, frame: int = 1024, hop: int = 256) -> np.ndarray:
    """Cut leading and trailing frames whose RMS is `top_db` below the loudest frame."""
    if len(x) < frame:
        return x
    starts = np.arange(0, len(x) - frame + 1, hop)
    power = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64) ** 2, frame)[::hop].mean(axis=1)
    loud = np.flatnonzero(power > power.max() * 10 ** (-top_db / 10))
    return x[starts[loud[0]] : min(len(x), starts[loud[-1]] + frame)]


def clean(x: np.ndarray, normalise: bool = True, top_db: float = 60.0, min_seconds: float = 0.1,
          sample_rate: int = SAMPLE_RATE, silence_peak: float = 1e-3) -> np.ndarray:
    """Trim silence and peak-normalise; reject audio that is silent or too short to train on."""
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak < silence_peak:
        raise AudioError(f"all-silent (peak {20 * np.log10(max(peak, 1e-12)):.0f} dBFS)")
    x = trim_silence(x, top_db)
    if len(x) < min_seconds * sample_rate:
        raise AudioError(f"too short: {len(x) / sample_rate:.3f} s of sound, need {min_seconds} s")
    if normalise:
        x = x * (0.99 / float(np.max(np.abs(x))))
    return x.astype(np.float32)


def write_wav(path: str | os.PathLike, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write 16-bit PCM WAV atomically."""
    with atomic_path(path) as tmp:
        sf.write(tmp, np.clip(audio, -1, 1), sample_rate, subtype="PCM_16", format="WAV")


class WavWriter:
    """Stream mono 16-bit PCM to a WAV that appears under its name only once complete."""

    def __init__(self, path: str | os.PathLike, frames: int, sample_rate: int = SAMPLE_RATE):
        self.path, self.remaining = Path(path), frames
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.tmp")
        self.file = sf.SoundFile(self.tmp, "w", sample_rate, 1, subtype="PCM_16", format="WAV")

    def write(self, audio: np.ndarray) -> None:
        part = np.clip(audio[: self.remaining], -1, 1)
        self.file.write(part)
        self.remaining -= len(part)

    def close(self) -> None:
        self.file.close()
        if self.remaining:
            self.tmp.unlink()
            raise AudioError(f"{self.path}: {self.remaining} frames short; not written")
        os.replace(self.tmp, self.path)
