"""Dispatch and the error contract of the `ada` command.

Errors that a user can fix (a bad file, a bad config, a missing dataset or checkpoint) are caught
here and printed as one `error: ...` line with exit code 2; anything else is a bug and keeps its
traceback. Each command group registers its own subcommands beside its handlers.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys

from ada.cli import app, bench, data, evaluation, generation, notes, training, workflows
from ada.cli.arguments import UsageError

GROUPS = (data, generation, evaluation, bench, training, notes, workflows, app)  # the order of `ada --help`


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one `error: ...` line (exit 2), like every other user error."""

    def error(self, message):
        print(f"error: {self.prog}: {' '.join(message.split())}", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ada", description="The `ada` command: one subcommand per step of the pipeline.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


def user_errors() -> tuple[type[Exception], ...]:
    """The exception types whose message is the whole story for the user."""
    from ada.audio.audiofile import AudioError
    from ada.audio.corpus import CorpusError
    from ada.data.dataset import DatasetError
    from ada.data.lock import LockError
    from ada.training.config import ConfigError
    from ada.training.pbt import PBTError
    from ada.training.trainer import TrainingDiverged

    return AudioError, ConfigError, CorpusError, DatasetError, LockError, PBTError, TrainingDiverged, UsageError


# OS errors that are the machine's state rather than a bug: disk full, quota, read-only, permissions
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def _environment_cause(e: BaseException) -> str | None:
    """The disk-full (or read-only, or permission) error behind `e`, however wrapped: Orbax's
    asynchronous saves and tensorstore report it inside their own exceptions."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in _ENVIRONMENT_ERRNOS:
            return f"{e.strerror}: {e.filename}" if e.filename else str(e.strerror or e)
        text = str(e)
        for code in _ENVIRONMENT_ERRNOS:
            if os.strerror(code) in text:
                return f"{os.strerror(code)} ({' '.join(text.split())[:200]})"
        e = e.__cause__ or e.__context__
    return None


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.getLogger("absl").setLevel(logging.ERROR)  # orbax's notes on read-only checkpoint dirs
    argv = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):  # file names that are not UTF-8 are printed, escaped, not fatal
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        if argv[:1] and argv[0] in training.OWN_PARSERS:
            return training.OWN_PARSERS[argv[0]](argv[1:])
        args = build_parser().parse_args(argv)
        return args.func(args)
    except SystemExit:  # argparse's one line, already printed; not worth importing jax for user_errors()
        raise
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except user_errors() as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Exception as e:
        cause = _environment_cause(e)
        if cause is None:
            raise
        print(f"error: {cause}; free some space or fix the permissions, then rerun the same command to resume",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        return 130

