"""Parse many scores or MIDI files once, in parallel worker processes, with each result cached on disk.

A task is (key, how, what): `how` names a parser of PARSERS, `what` is its input (ABC text, a file path).
Results are note `Sequence`s stored as JSON under the cache directory, named by a hash of the parser
version, `how` and the input (the file's bytes for paths), so a rerun, or a build of another window
length, parses nothing again, and a killed build resumes where it stopped.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import signal
from pathlib import Path

from tqdm import tqdm

from ada.data.atomic import write_json
from ada.notes.dataset import NoteDatasetError
from ada.notes.extract import Sequence

PARSER_VERSION = 1
TIMEOUT_S = 120  # one tune or file; music21 can loop on a malformed score


def _parse_abc(what):
    from ada.notes.scores import parse_abc

    return parse_abc(what)


def _parse_chorale(what):
    from ada.notes.scores import parse_chorale

    return parse_chorale(what)


def _parse_midi(what):
    from ada.notes.midi import read_midi

    return read_midi(what)


PARSERS = {"abc": _parse_abc, "chorale": _parse_chorale, "midi": _parse_midi}


def cache_key(how: str, what: str) -> str:
    h = hashlib.sha256(f"{PARSER_VERSION}\0{how}\0".encode())
    h.update(Path(what).read_bytes() if how != "abc" else what.encode())
    return h.hexdigest()[:32]


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout(f"gave up after {TIMEOUT_S} s")


def _work(task):
    """In a worker: parse one input (or read its cached result); returns (key, sequence dict | None, error)."""
    key, how, what, cache = task
    try:
        name = cache_key(how, what)
    except OSError as e:
        return key, None, f"unreadable: {e.strerror or e}"
    path = Path(cache) / f"{name}.json"
    try:
        return key, json.loads(path.read_text()), None
    except (OSError, ValueError):
        pass
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT_S)
    try:
        result = {"ok": PARSERS[how](what).to_json()}
    except _Timeout as e:  # not cached: the machine may just have been busy
        return key, None, str(e)
    except Exception as e:  # noqa: BLE001 - any failure of a third-party parser is this input's, reported per input
        result = {"error": (f"{e}" if isinstance(e, NoteDatasetError) else f"{type(e).__name__}: {e}")
                  .splitlines()[0][:300]}
    finally:
        signal.alarm(0)
    write_json(path, result)
    return key, result, None


def parse_all(tasks: list[tuple[str, str, str]], cache: Path, workers: int = 2, progress: bool = True,
              desc: str = "parse") -> tuple[dict[str, Sequence], dict[str, str]]:
    """Parse (key, how, what) tasks in `workers` processes; returns ({key: Sequence}, {key: error})."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    jobs = [(k, h, w, str(cache)) for k, h, w in tasks]
    done, failed = {}, {}
    bar = tqdm(total=len(jobs), unit="file" if desc != "parse tunes" else "tune", desc=desc, disable=not progress)
    if workers <= 1 or len(jobs) < 8:
        results = map(_work, jobs)
        pool = None
    else:
        if any(h != "midi" for _, h, _ in tasks):
            import music21  # noqa: F401  (imported once here, before forking)
        # An executor, not multiprocessing.Pool: a child that dies raises BrokenProcessPool here, where
        # a Pool would wait for its results forever.
        pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                      initializer=_quiet_child)
        results = pool.map(_work, jobs, chunksize=4)
    try:
        for key, result, error in results:
            if error or "error" in result:
                failed[key] = error or result["error"]
            else:
                done[key] = Sequence.from_json(result["ok"])
            bar.update()
    except cf.process.BrokenProcessPool as e:
        raise NoteDatasetError(f"a {desc} worker died ({e}); rerun with --workers 1 to see which input kills it, "
                               f"finished inputs are cached") from e
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    return done, failed


def _quiet_child():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which ends the pool
