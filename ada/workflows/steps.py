"""The steps every workflow is made of: an `ada` command run as a user runs it, a stack file, a page drawn
unless it is current.

Each `ada` command runs in its own process (as `make` ran it), is printed before it runs, and stops the
workflow with its exit code when it fails. A `Runner` with `dry_run` prints the commands and runs nothing,
so a recipe can be read before it spends CPU-hours.
"""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


class WorkflowError(Exception):
    """A step that failed or cannot start; the message names the step and what to do."""


@contextmanager
def sigterm_passed_on(proc: subprocess.Popen):
    """While it is open, a SIGTERM to this process goes to `proc` instead (and is noted in the list it
    yields); the caller waits for `proc` to end. Only the main thread can set a handler: elsewhere nothing
    changes."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def pass_on(signum, frame):
        received.append(signum)
        proc.send_signal(signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, pass_on)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class Runner:
    dry_run: bool = False
    log: list[str] = field(default_factory=list)  # every command, as printed

    def ada(self, *args, timeout_minutes: float | None = None) -> int:
        """`ada ARGS` in a fresh process; with `timeout_minutes`, SIGTERM then (the trainer checkpoints and
        stops) exit code 124, as coreutils' `timeout -s TERM` gives it."""
        argv = [str(a) for a in args]
        line = "ada " + shlex.join(argv)
        self.log.append(line)
        print(line, flush=True)
        if self.dry_run:
            return 0
        return self.run_to_end([sys.executable, "-m", "ada.cli", *argv], line, timeout_minutes)

    @staticmethod
    def run_to_end(command: list[str], line: str, timeout_minutes: float | None = None) -> int:
        """Run `command` to its end; a SIGTERM to the workflow is passed on to it, so that a stopped
        workflow never leaves a trainer running without its time limit (it checkpoints, then both stop)."""
        proc = subprocess.Popen(command)
        with sigterm_passed_on(proc) as received:
            try:
                code = proc.wait(timeout=None if timeout_minutes is None else timeout_minutes * 60)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGTERM)
                proc.wait()
                code = None  # stopped at its time limit
            except KeyboardInterrupt:
                proc.send_signal(signal.SIGINT)
                proc.wait()
                raise
        if received:
            print(f"stopped by SIGTERM, and so was {line}; rerun the same command to resume", file=sys.stderr,
                  flush=True)
            raise SystemExit(128 + signal.SIGTERM)
        if code is None:
            return 124
        if code != 0:
            raise WorkflowError(f"{line} exited {code}; fix what it said and rerun the workflow to continue")
        return code

    def require(self, path: Path, what: str, how: str) -> None:
        """Stop before any work when an input is missing (a dry run notes it and goes on)."""
        if Path(path).exists():
            return
        if not self.dry_run:
            raise WorkflowError(f"no {what} at {path}; {how}")
        self.log.append(f"missing {path}")
        print(f"(missing: {what} at {path}; {how})", flush=True)

    def write_stack(self, path: Path, levels: list[Path], prior: Path | None = None,
                    level_temperatures: list[float] | None = None) -> Path:
        """A stack file naming workdirs (or exported members) by absolute path."""
        stack = {"levels": [str(Path(p).resolve()) for p in levels]}
        if prior is not None:
            stack["prior"] = str(Path(prior).resolve())
        if level_temperatures is not None:
            stack["temperature"] = {"levels": level_temperatures}
        self.log.append(f"stack {path}: {json.dumps(stack)}")
        print(f"stack: {path}", flush=True)
        if not self.dry_run:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(json.dumps(stack) + "\n")
        return Path(path)




def is_fresh(page: Path, inputs: list[Path]) -> bool:
    """Whether the page JSON was written after every file of `inputs` (the parameters it was drawn from;
    an export onto itself leaves them as they are, a new export writes them anew)."""
    if not Path(page).is_file():
        return False
    since = Path(page).stat().st_mtime
    for p in inputs:
        p = Path(p)
        files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()] if p.is_dir() else []
        if any(f.stat().st_mtime > since for f in files):
            return False
    return True


@dataclass
class Pages:
    """What `make sample` and `make reconstruct` drew: samples from a stack, reconstructions (level 1 alone)
    of a dataset's eval excerpts."""

    data: Path = Path("data/prepared/piano-small")
    seconds: float = 4.0
    excerpts: int = 3
    levels: int = 1  # reconstructions: the levels encoded and rendered back

    def sample(self, run: Runner, stack: Path, out: Path, num: int, temperature: str | None = None) -> None:
        run.ada("sample", "--stack", stack, "--seconds", f"{self.seconds:g}", "--num", num, "--out",
                Path(out) / "samples", *(["--temperature", temperature] if temperature else []))

    def reconstruct(self, run: Runner, stack: Path, out: Path, temperature: str | None = None) -> None:
        run.ada("reconstruct", "--stack", stack, "--levels", self.levels, "--data", self.data,
                "--excerpts", self.excerpts, "--seconds", f"{self.seconds:g}", "--out", Path(out) / "reconstructions",
                *(["--temperature", temperature] if temperature else []))

    def drew(self, page: Path) -> bool:
        """Whether a reconstructions page holds this drawer's excerpts (as many, of the same dataset) through
        its levels."""
        meta = json.loads(Path(page).read_text())
        return (meta.get("source") == f"{Path(self.data).name} (eval split)"
                and len(meta.get("excerpts", [])) == self.excerpts and meta.get("levels", 1) == self.levels)

    def draw(self, run: Runner, kind: str, stack: Path, inputs: list[Path], out: Path, num: int,
             temperature: str | None) -> None:
        """`kind` (sample or reconstruct) into `out` unless its page is fresh (and, for reconstructions, of
        this drawer's excerpts): a rerun continues."""
        page = Path(out) / ("samples/samples.json" if kind == "sample" else "reconstructions/reconstructions.json")
        if is_fresh(page, inputs) and (kind == "sample" or self.drew(page)):
            return
        if kind == "sample":
            self.sample(run, stack, out, num, temperature)
        else:
            self.reconstruct(run, stack, out, temperature)
