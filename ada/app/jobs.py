"""A rendering run in a worker thread whose audio is heard while it renders, and which stops when asked.

The app's handlers are generators (Gradio streams what they yield); the rendering functions are plain calls
that report each clip's audio through a callback. `Job` joins the two: it runs the call in a thread, hands the
first clip's audio over a queue as it is written, and a cancelled page (the generator closed) makes the next
callback raise, which stops the rendering where it is.
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
        rendered = 0.0
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
                yield audio, Progress(rendered, self.seconds, time.perf_counter() - started)
        finally:
            self._stop.set()  # the page closed the generator (cancel, or a new request): stop rendering
        if self.error is not None:
            raise self.error


def pcm16(audio: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] as 16-bit PCM, as a streaming player takes it."""
    return (np.clip(audio, -1, 1) * 32767).astype(np.int16)
