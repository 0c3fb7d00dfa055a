"""A rendering run in a worker thread whose audio is heard while it renders, and which stops when asked.

The app's handlers are generators (Gradio streams what they yield); the rendering functions are plain calls
that report each clip's audio through a callback. `Job` joins the two: it runs the call in a thread, hands the
first clip's audio over a queue as it is written, and a cancelled page (the generator closed) makes the next
callback raise, which stops the rendering where it is. A stack that renders slower than real time would leave
the player waiting mid-clip, so the first audio is held back until what is rendered, at the speed so far,
stays ahead of playback to the clip's end (`lead_needed`).
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from ada import SAMPLE_RATE


class Cancelled(Exception):
    """Raised inside the rendering when the page that asked for it has gone or pressed Cancel."""


@dataclass
class Progress:
    """Seconds of audio rendered so far, of how many, and the time it took: what the page shows."""

    rendered: float
    total: float
    elapsed: float

    @property
    def left(self) -> float | None:
        """Seconds still to wait at the speed so far (None before the first audio)."""
        if self.rendered <= 0:
            return None
        return self.elapsed * (self.total - self.rendered) / self.rendered

    def describe(self) -> str:
        left = self.left
        return (f"{self.rendered:.1f} of {self.total:.1f} s rendered"
                + (f", about {left:.0f} s left" if left is not None else ", starting"))


LEAD_MARGIN = 1.25  # over the lead the speed so far asks for: the browser's own work slows the rendering


def lead_needed(seconds: float, speed: float, chunk: float) -> float:
    """Seconds of a `seconds`-long clip to hold before playing it, when it renders at `speed` × real time in
    chunks of `chunk` s: the chunk that ends at second p + chunk is there (p + chunk - held) / speed after
    playback starts, and is played from p on, so playback never waits when the player holds
    (seconds - chunk) × (1 - speed) + chunk; nothing more at real time or faster."""
    if speed >= 1.0:
        return 0.0
    return LEAD_MARGIN * (seconds - chunk) * (1.0 - speed) + chunk


@dataclass
class Gate:
    """When to start playing a clip of `seconds` that is still rendering: once the audio rendered so far covers
    the lead that the speed measured since its first audio (which excludes compiling) asks for."""

    seconds: float
    first: tuple[float, float] | None = None  # (when, seconds rendered) at the first audio

    def ready(self, rendered: float, now: float) -> bool:
        if rendered >= self.seconds:
            return True
        if self.first is None:
            self.first = (now, rendered)
            return False
        speed = (rendered - self.first[1]) / max(now - self.first[0], 1e-9)
        return rendered >= lead_needed(self.seconds, speed, chunk=self.first[1])


@dataclass
class Job:
    """`run(on_audio)` in a thread; iterate to get (audio chunk or None, Progress) until it ends."""

    run: Callable[[Callable[[int, np.ndarray], None]], Any]
    seconds: float  # of the first clip, the one heard
    result: Any = None
    error: BaseException | None = None
    _queue: queue.Queue = field(default_factory=queue.Queue)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _hear(self, k: int, audio: np.ndarray) -> None:
        if self._stop.is_set():
            raise Cancelled("cancelled")
        if k == 0:
            self._queue.put(audio)

    def _work(self) -> None:
        try:
            self.result = self.run(self._hear)
        except BaseException as e:  # handed to the page's thread, which raises it there
            self.error = e
        finally:
            self._queue.put(None)

    def __iter__(self) -> Iterator[tuple[np.ndarray | None, Progress]]:
        started = time.perf_counter()
        threading.Thread(target=self._work, daemon=True).start()
        rendered, held, gate = 0.0, [], Gate(self.seconds)  # held: audio not yet handed to the player
        try:
            while True:
                try:
                    audio = self._queue.get(timeout=1.0)
                except queue.Empty:  # nothing new: the page still hears how long it has waited
                    yield None, Progress(rendered, self.seconds, time.perf_counter() - started)
                    continue
                if audio is None:
                    break
                rendered += len(audio) / SAMPLE_RATE
                now = time.perf_counter()
                if held is not None:  # not playing yet: play once the rest will render ahead of playback
                    held.append(audio)
                    if not gate.ready(rendered, now):
                        yield None, Progress(rendered, self.seconds, now - started)
                        continue
                    audio, held = np.concatenate(held), None
                yield audio, Progress(rendered, self.seconds, now - started)
            if held:  # the rendering ended (or failed) before the lead was reached: play what there is
                yield np.concatenate(held), Progress(rendered, self.seconds, time.perf_counter() - started)
        finally:
            self._stop.set()  # the page closed the generator (cancel, or a new request): stop rendering
        if self.error is not None:
            raise self.error


def pcm16(audio: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] as 16-bit PCM, as a streaming player takes it."""
    return (np.clip(audio, -1, 1) * 32767).astype(np.int16)
