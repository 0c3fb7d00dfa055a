"""A workflow's steps run as processes: a time limit and a SIGTERM to the workflow both reach the step."""

import signal
import subprocess
import sys
import time

import pytest

from ada.workflows.steps import Runner, WorkflowError

# A step that checkpoints on SIGTERM, as `ada train` does: it writes `stopped` and exits 0.
STEP = """import pathlib, signal, sys, time
def stop(signum, frame):
    pathlib.Path(sys.argv[1]).write_text("checkpointed")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
pathlib.Path(sys.argv[2]).write_text("started")
time.sleep(120)
"""


def wait_for(path, seconds=60):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_step_past_its_time_limit_gets_sigterm_checkpoints_and_gives_124(tmp_path):
    stopped, started = tmp_path / "stopped", tmp_path / "started"
    code = Runner.run_to_end([sys.executable, "-c", STEP, str(stopped), str(started)], "step", 0.02)
    assert code == 124 and stopped.read_text() == "checkpointed"


def test_a_failing_step_stops_the_workflow_with_its_line(tmp_path):
    with pytest.raises(WorkflowError, match="ada fail exited 3; fix what it said"):
        Runner.run_to_end([sys.executable, "-c", "raise SystemExit(3)"], "ada fail")


def test_a_sigterm_to_the_workflow_stops_its_step_too_and_says_how_to_resume(tmp_path):
    """Before, the workflow died at once and its trainer ran on with no time limit."""
    stopped, started = tmp_path / "stopped", tmp_path / "started"
    workflow = ("import sys\nfrom ada.workflows.steps import Runner\n"
                f"Runner.run_to_end([sys.executable, '-c', {STEP!r}, {str(stopped)!r}, {str(started)!r}], "
                "'ada train X', 60)\n")
    proc = subprocess.Popen([sys.executable, "-c", workflow], stderr=subprocess.PIPE, text=True)
    try:
        wait_for(started)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert stopped.read_text() == "checkpointed"  # the step was stopped, not orphaned
    assert err.strip() == "stopped by SIGTERM, and so was ada train X; rerun the same command to resume"
