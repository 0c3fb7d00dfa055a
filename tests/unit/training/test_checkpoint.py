"""A failed restore's abandoned reads print nothing; every other error still reaches the hooks that print it."""

import sys

from ada.training import checkpoint


def test_only_the_closed_event_loop_of_abandoned_reads_is_silenced(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, value, tb: seen.append(("except", str(value))))
    monkeypatch.setattr(sys, "unraisablehook", lambda info: seen.append(("unraisable", str(info.exc_value))))
    checkpoint.quiet_abandoned_reads()
    checkpoint.quiet_abandoned_reads()  # a second failed step wraps nothing twice
    closed, other = RuntimeError("Event loop is closed"), RuntimeError("disk full")
    sys.excepthook(RuntimeError, closed, None)
    sys.excepthook(RuntimeError, other, None)
    sys.excepthook(ValueError, ValueError("Event loop is closed"), None)
    sys.unraisablehook(type("Info", (), {"exc_value": closed})())
    sys.unraisablehook(type("Info", (), {"exc_value": other})())
    assert seen == [("except", "disk full"), ("except", "Event loop is closed"), ("unraisable", "disk full")]
