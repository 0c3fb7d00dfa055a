"""Shared by tests/unit/data/test_lock.py and tests/e2e/data/test_lock.py."""

import subprocess
import sys

import pytest

HOLDER = """
import sys, time
from ada.data.lock import hold
with hold(sys.argv[1], "ada prepare"):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def held(tmp_path):
    """A folder whose lock another process holds (it sleeps); yields (folder, process)."""
    folder = tmp_path / "busy"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield folder, proc
    proc.kill()
    proc.wait()
