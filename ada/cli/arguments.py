"""Argument types and checks shared by the commands: each refuses a bad value with one line before any work."""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path


class UsageError(Exception):
    """A command line that cannot run as given (a bad path or value); the message says what to change."""


def ranged(kind, what: str, ok):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole number' if kind is int else 'a number'}") \
                from None
        if (kind is float and not math.isfinite(value)) or not ok(value):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


count = ranged(int, "a whole number ≥ 1", lambda v: v >= 1)
natural = ranged(int, "a whole number ≥ 0", lambda v: v >= 0)
positive = ranged(float, "a finite number > 0", lambda v: v > 0)
nonnegative = ranged(float, "a finite number ≥ 0", lambda v: v >= 0)
fraction = ranged(float, "a fraction strictly between 0 and 1", lambda v: 0 < v < 1)
share = ranged(float, "a fraction above 0, at most 1", lambda v: 0 < v <= 1)
emphasis = ranged(float, "a pre-emphasis coefficient in [0, 1) (0: off; LPCNet's 0.85)", lambda v: 0 <= v < 1)


def int_list(text: str) -> list[int]:
    try:
        values = [natural(t) for t in text.split(",")]
    except argparse.ArgumentTypeError as e:
        raise argparse.ArgumentTypeError(f"{text!r}: a comma list of whole numbers ≥ 0 ({e})") from None
    return values


def float_list(text: str) -> list[float]:
    try:
        values = [float(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a comma list of numbers, e.g. -1.5,-0.5,0,0.5,1.5") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: a comma list of finite numbers")
    return values


def temperatures(text: str) -> list[float]:
    """`--temperature`: one number ≥ 0, or a comma list of them (one per model)."""
    try:
        return [nonnegative(t) for t in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError("must be a finite number ≥ 0, or a comma list of them (one per model, "
                                         "levels bottom first, then the prior)") from None


def temperature_argument(p) -> None:
    """`--temperature` of the commands that render a stack."""
    p.add_argument("--temperature", type=temperatures, default=None, metavar="T[,T...]",
                   help="one for every model, or one per model, levels bottom first, then the prior (default: the "
                   'stack file\'s "temperature", else 1; 0: argmax)')


def rendering_arguments(p) -> None:
    """What every command that renders a stack to WAV takes: its folder, temperatures, seed and loop size."""
    p.add_argument("--out", required=True, help="folder for the WAVs and index.html")
    temperature_argument(p)
    p.add_argument("--seed", type=natural, default=0)
    p.add_argument("--chunk", type=count, default=16000, help="steps per compiled sampling loop (memory)")
    p.add_argument("--max-audio-seconds", type=positive, default=None, metavar="S",
                   help="raise the bound on a request (default: 600 s a piece, 3600 s in all; "
                   "ada/generation/limits.py)")


def existing_file(text: str) -> Path:
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    return Path(text)


def writable_dir(path, what: str) -> Path:
    """Refuse, before any work, an output folder that is a file or cannot be written."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{what} {path} is a file, not a folder; name a folder")
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{what} {path}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path}: {probe} is not writable; choose another place or fix its permissions")
    try:  # os.access says yes to root, even on a read-only file system
        fd, tmp = tempfile.mkstemp(prefix=".ada-probe-", dir=probe)
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        raise UsageError(f"{what} {path}: cannot write in {probe} ({e.strerror or e})") from None
    return path


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"
