"""One writer per dataset folder and per training workdir: an advisory lock file, ``DIR/.ada-lock``.

The lock is the kernel's (``flock``) on that file, so it is released whatever way its holder ends,
kill -9 included; the file says who holds it (command, pid, host, since) for the message a second
writer gets. A lock file left by a process that died is taken over with a one-line note. Within
one process the lock is re-entrant (``ada corpus`` holds its folder, then prepares it).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path

LOCK_FILE = ".ada-lock"
_held: dict[Path, int] = {}  # directories this process holds -> depth


class LockError(Exception):
    """Another process is writing the same dataset or workdir; the message names it and the lock file."""


def _holder(path: Path) -> dict:
    try:
        return json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}


def _who(h: dict) -> str:
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(h["since"])) if "since" in h else "?"
    return f"`{h.get('command', '?')}` (pid {h.get('pid', '?')} on {h.get('host', '?')}, since {since})"


@contextlib.contextmanager
def hold(directory: str | os.PathLike, what: str):
    """Hold `directory`'s lock for the block (creating the directory; removed again if it stays empty)."""
    directory = Path(directory).resolve()
    if directory in _held:
        _held[directory] += 1
        try:
            yield
        finally:
            _held[directory] -= 1
        return
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockError(f"{directory} is in use by {_who(_holder(path))}, which holds {path}; wait for it "
                            f"to finish (or stop it), then rerun this {what}") from None
        try:  # the file we locked may have been unlinked by a holder releasing it in between: lock again
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    left = _holder(path)
    if left.get("pid"):
        print(f"warning: taking over {path}, left by {_who(left)}, which is no longer running", file=sys.stderr)
    os.ftruncate(fd, 0)
    os.write(fd, json.dumps({"command": " ".join(["ada", *sys.argv[1:]]) if sys.argv[0].endswith(("ada", "cli.py"))
                             else what, "what": what, "pid": os.getpid(), "host": socket.gethostname(),
                             "since": time.time()}).encode())
    os.fsync(fd)
    _held[directory] = 1
    try:
        yield
    finally:
        del _held[directory]
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)
        if created:
            with contextlib.suppress(OSError):
                directory.rmdir()
