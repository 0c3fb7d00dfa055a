"""Pages opened in Debian's Chromium, headless: what the page's own script reports once its players load."""

import shutil
import subprocess

import pytest

needs_chromium = pytest.mark.skipif(not shutil.which("chromium"),
                                    reason="Debian's chromium is installed by `make system-deps`")


def dom_after_loading(page, profile) -> str:
    """The page's DOM after Chromium has run its scripts and loaded its media (from disk, no server)."""
    return subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--allow-file-access-from-files",
         "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120).stdout
