"""The app's streamed player: a clip that renders slower than real time starts late enough never to wait."""

import numpy as np
import pytest

from ada import SAMPLE_RATE
from ada.app.jobs import LEAD_MARGIN, Gate, Job, lead_needed


def played_without_waiting(speed: float, seconds: float = 4.0, chunk: float = 0.25, compile_s: float = 3.0):
    """Chunks rendered at `speed` × real time after `compile_s` of compiling, released by the gate: the time
    playback starts, and whether it ever reaches audio not yet rendered."""
    gate, rendered, start = Gate(seconds), 0.0, None
    times = [compile_s + (k + 1) * chunk / speed for k in range(round(seconds / chunk))]
    for k, t in enumerate(times):
        rendered = (k + 1) * chunk
        if gate.ready(rendered, t):
            start = t
            break
    # playback reaches second p at start + p; chunk k (ending at (k + 1) * chunk) is there at times[k]
    waits = [times[k] > start + k * chunk + 1e-9 for k in range(len(times))]
    return start, not any(waits)


def test_the_lead_is_what_the_speed_asks_for_and_none_at_real_time():
    assert lead_needed(4.0, 1.0, 0.25) == lead_needed(4.0, 3.0, 0.25) == 0.0
    assert lead_needed(4.0, 0.5, 0.25) == pytest.approx(LEAD_MARGIN * 3.75 * 0.5 + 0.25)


@pytest.mark.parametrize("speed", [0.4, 0.7, 0.9, 1.0, 1.5, 3.0])
def test_playback_never_waits_at_any_speed_and_starts_at_once_when_fast(speed):
    start, smooth = played_without_waiting(speed)
    assert smooth
    if speed >= 1.0:  # the second chunk: the first gives no speed to judge by
        assert start == pytest.approx(3.0 + 0.5 / speed)


def test_without_the_gate_a_slow_render_would_wait():
    times = [3.0 + (k + 1) * 0.25 / 0.7 for k in range(16)]  # 0.7 × real time, played from the first chunk
    assert any(t > times[0] + k * 0.25 for k, t in enumerate(times))


def test_the_job_hands_over_every_sample_once_in_order():
    chunks = [np.full(SAMPLE_RATE // 4, k / 10, np.float32) for k in range(8)]

    def run(hear):
        for c in chunks:
            hear(0, c)
            hear(1, -c)  # the other clips are not streamed
        return "done"

    job = Job(run, seconds=2.0)
    heard = [audio for audio, _ in job if audio is not None]
    assert job.result == "done" and np.array_equal(np.concatenate(heard), np.concatenate(chunks))
