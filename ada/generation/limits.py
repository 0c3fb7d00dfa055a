"""How much one rendering request may ask for: the same bounds for `ada sample | continue | reconstruct` and the
app, checked before anything loads, each refused in one line that says what and why.

A stack renders about real time at batch 1 on 2 CPU cores, and keeps 16 bytes per sample of every clip it draws
(the tokens, the decoded audio and the clip kept for its spectrogram), so an hour of audio is about an hour and
1 GB; `ada sample --seconds 1e9` would otherwise run silently for years before failing. A user who means it raises
the bound with --max-audio-seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from ada import SAMPLE_RATE
from ada.training.config import ConfigError

BYTES_PER_SAMPLE = 16


@dataclass(frozen=True)
class Limits:
    seconds: float = 600.0  # one piece
    audio_seconds: float = 3600.0  # all pieces of one request together
    num: int = 256  # pieces in one batch

    def check(self, seconds: float, num: int = 1, what: str = "--seconds") -> None:
        """Refuse a request over the bounds, naming it, its cost and the flag that raises the bound."""
        total = seconds * num
        cost = (f"{total / 3600:.3g} h of audio, about {total * SAMPLE_RATE * BYTES_PER_SAMPLE / 2**30:.3g} GiB and "
                "as long to render at real time")
        if num > self.num:
            raise ConfigError(f"--num {num}: more pieces than one batch of this command draws (at most {self.num})")
        if seconds > self.seconds:
            raise ConfigError(f"{what} {seconds:g}: longer than one piece may be (at most {self.seconds:g} s; "
                              f"{cost}); raise it with --max-audio-seconds")
        if total > self.audio_seconds:
            raise ConfigError(f"{what} {seconds:g} × --num {num}: {cost}, more than one request renders (at most "
                              f"{self.audio_seconds:g} s of audio); raise it with --max-audio-seconds")


def limits(max_audio_seconds: float | None = None) -> Limits:
    """The command line's bounds, or bounds raised to `max_audio_seconds` for a piece and in all."""
    if max_audio_seconds is None:
        return Limits()
    return Limits(seconds=max_audio_seconds, audio_seconds=max_audio_seconds)
