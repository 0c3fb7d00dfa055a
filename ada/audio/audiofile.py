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
from ada.data.atomic import atomic_path

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
    overrun = _chunk_overrun(path, size) or _ogg_cut(path, size) or _mp3_cut(path, size)
    if overrun:
        raise AudioError(overrun)
    try:  # through a Python file object: libsndfile's own open fails on names that are not UTF-8
        with open(path, "rb") as fh, sf.SoundFile(fh) as f:
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


def _ogg_cut(path: Path, size: int) -> str | None:
    """For Ogg (Vorbis, Opus, FLAC in Ogg): a last page that runs past the end, or no end-of-stream page."""
    with open(path, "rb") as f:
        if f.read(4) != b"OggS":
            return None
        f.seek(max(0, size - (1 << 17)))
        tail = f.read()
    start = tail.rfind(b"OggS")
    if start < 0 or len(tail) < start + 27:
        return "truncated: the last Ogg page is cut off"
    segments = tail[start + 26]
    table = tail[start + 27 : start + 27 + segments]
    if len(table) < segments or start + 27 + segments + sum(table) > len(tail):
        return "truncated: the last Ogg page is cut off"
    if not tail[start + 5] & 0x04:
        return "truncated: the Ogg stream has no end-of-stream page"
    return None


def _mp3_cut(path: Path, size: int) -> str | None:
    """For MP3 with a Xing/Info header (what encoders write): fewer bytes than the header declares."""
    with open(path, "rb") as f:
        head = f.read(1 << 12)
    if head[:3] == b"ID3" and len(head) >= 10:  # skip an ID3v2 tag: its size is 4 × 7 bits
        tag = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
        with open(path, "rb") as f:
            f.seek(tag)
            head, offset = f.read(1 << 12), tag
    else:
        offset = 0
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    for mark in (b"Xing", b"Info"):
        at = head.find(mark, 4, 64)
        if at >= 0 and len(head) >= at + 16:
            flags = struct.unpack(">I", head[at + 4 : at + 8])[0]
            if flags & 0x2:  # the byte count is present (after the frame count when that is)
                field = at + 8 + (4 if flags & 0x1 else 0)
                declared = struct.unpack(">I", head[field : field + 4])[0]
                if offset + declared > size + 128:  # allow a trailing ID3v1 tag's worth of slack
                    return f"truncated: the MP3 header declares {declared} bytes, only {size - offset} present"
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
    if float(np.max(x) - np.min(x)) < 2 * silence_peak:  # a constant (DC) level is no sound either
        raise AudioError(f"all-silent: a constant level of {float(np.mean(x)):+.3f} (DC), no variation")
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

    def abandon(self) -> None:
        """Stop without writing: the partial file is removed (a cancelled or failed rendering leaves nothing)."""
        self.file.close()
        self.tmp.unlink(missing_ok=True)

    def close(self) -> None:
        self.file.close()
        if self.remaining:
            self.tmp.unlink()
            raise AudioError(f"{self.path}: {self.remaining} frames short; not written")
        os.replace(self.tmp, self.path)
