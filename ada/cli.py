"""The `ada` command: one subcommand per step of the pipeline.

Errors that a user can fix (a bad file, a bad config, a missing dataset or checkpoint) are caught
here and printed as one line with exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
import re
import sys
import tempfile
from pathlib import Path


class UsageError(Exception):
    """A command line that cannot run as given (a bad path or value); the message says what to change."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one `error: ...` line (exit 2), like every other user error."""

    def error(self, message):
        print(f"error: {self.prog}: {' '.join(message.split())}", file=sys.stderr)
        sys.exit(2)


def _ranged(kind, what: str, ok):
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


count = _ranged(int, "a whole number ≥ 1", lambda v: v >= 1)
natural = _ranged(int, "a whole number ≥ 0", lambda v: v >= 0)
positive = _ranged(float, "a finite number > 0", lambda v: v > 0)
nonnegative = _ranged(float, "a finite number ≥ 0", lambda v: v >= 0)
fraction = _ranged(float, "a fraction strictly between 0 and 1", lambda v: 0 < v < 1)


def _int_list(text: str) -> list[int]:
    try:
        values = [natural(t) for t in text.split(",")]
    except argparse.ArgumentTypeError as e:
        raise argparse.ArgumentTypeError(f"{text!r}: a comma list of whole numbers ≥ 0 ({e})") from None
    return values


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


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


def cmd_prepare(args) -> int:
    if not args.sources and not args.remove:
        raise UsageError("ada prepare: name audio files or folders to add, or --remove PATH")
    writable_dir(args.out, "--out")
    from ada.prepare import Recipe, prepare

    recipe = Recipe(normalise=not args.no_normalise, top_db=args.top_db, min_seconds=args.min_seconds)
    result = prepare(args.sources, args.out, recipe, workers=args.workers, eval_fraction=args.eval_fraction,
                     progress=not args.quiet, remove=args.remove or (), overwrite=args.overwrite)
    for path in result.removed:
        print(f"removed {path}")
    return _summarise(args.out, result)


def _summarise(out, result) -> int:
    files = result.index.get("files", [])
    for r in result.rejects:
        print(f"rejected {r['path']}: {r['reason']}", file=sys.stderr)
    if not files:
        print(f"error: nothing usable in the inputs; {len(result.rejects)} rejected (see {out}/rejects.json)",
              file=sys.stderr)
        return 1
    rate = result.index["rate"]
    for split in ("train", "eval"):
        part = [f for f in files if f["split"] == split]
        print(f"{split:5s} {len(part):6d} files {_hours(sum(f['length'] for f in part) / rate):>9s}")
    kept = f", {result.kept} kept from before" if getattr(result, "kept", 0) else ""
    gone = f", {len(result.removed)} removed" if getattr(result, "removed", None) else ""
    print(f"prepared {len(files)} files into {out} ({result.reused} reused{kept}{gone}), "
          f"rejected {len(result.rejects)}"
          + (f" (see {out}/rejects.json)" if result.rejects else ""))
    return 0


def cmd_info(args) -> int:
    from pathlib import Path

    from ada.dataset import REJECTS, open_dataset

    ds = open_dataset(args.dir)
    print(f"dataset  {ds.root}")
    print(f"kind     {ds.index.get('kind', 'tokens')}, vocabulary {ds.vocab} ({ds.index['dtype']}), "
          f"{ds.rate:g} tokens/s")
    for split in ("train", "eval"):
        part = ds.split(split)
        print(f"{split:8s} {len(part):6d} files {_hours(ds.seconds(split)):>9s} "
              f"{sum(f['length'] for f in part):>14,d} tokens")
    rejects_path = Path(args.dir) / REJECTS
    rejects = json.loads(rejects_path.read_text()) if rejects_path.is_file() else []
    print(f"rejects  {len(rejects)}")
    for r in rejects:
        print(f"  {r['path']}: {r['reason']}")
    return 0


def cmd_corpus(args) -> int:
    writable_dir(args.out, "--out")
    from ada.corpus import Variation, build

    for name, (low, high) in (("--tempo", args.tempo), ("--velocity", args.velocity)):
        if low > high:
            raise UsageError(f"{name} {low:g} {high:g}: MIN is above MAX")
    variation = Variation(soundfonts=tuple(args.soundfonts.split(",")), presets=tuple(args.presets.split(",")),
                          tempo=tuple(args.tempo), transpose=args.transpose, velocity=tuple(args.velocity),
                          seed=args.seed)
    result, prepared = build(args.out, args.size, variation, workers=args.workers, timeout=args.timeout,
                             only=args.pieces, progress=not args.quiet, overwrite=args.overwrite)
    for piece, why in result.failed.items():
        print(f"skipped {piece}: {why}", file=sys.stderr)
    code = _summarise(args.out, prepared)
    print(f"corpus: {result.rendered} pieces, {_hours(result.seconds)} of audio, built in "
          f"{result.build_seconds:.0f} s ({result.seconds / max(result.build_seconds, 1e-9):.0f}x real time)")
    return code


def _config_command_flags(config_help: str, workdir_help: str):
    """The flags `ada train` and `ada pbt` share: --config (an experiment file, overridable field by field
    with --config.a.b=v) and --workdir."""
    from absl import flags
    from ml_collections import config_flags

    FLAGS = flags.FlagValues()
    config_flags.DEFINE_config_file("config", None, config_help, flag_values=FLAGS, lock_config=True)
    flags.DEFINE_string("workdir", None, workdir_help, flag_values=FLAGS)
    return FLAGS


def cmd_train(argv: list[str]) -> int:
    """`ada train --config FILE --workdir DIR [--config.a.b=v ...]`, parsed the Flax-examples way."""
    from absl import flags

    FLAGS = _config_command_flags("experiment config file (experiments/*.py)",
                                  "checkpoints, metrics and config land here; rerun to resume")
    flags.DEFINE_string("coordinator", None, "host:port of process 0, for a multi-process job", flag_values=FLAGS)
    flags.DEFINE_integer("num_processes", None, "processes in the job", flag_values=FLAGS)
    flags.DEFINE_integer("process_id", None, "this process's index", flag_values=FLAGS)
    flags.DEFINE_boolean("progress", True, "show a progress bar", flag_values=FLAGS)
    config = _parse_config_command(FLAGS, argv, "ada train",
                                   "ada train --config experiments/X.py --workdir DIR [--config.a.b=VALUE ...]")
    if config is None:
        return 0
    from ada.parallel import maybe_initialize_distributed
    from ada.train import train

    maybe_initialize_distributed(FLAGS.coordinator, FLAGS.num_processes, FLAGS.process_id)
    _, result = train(config, FLAGS.workdir, progress=FLAGS.progress)
    import jax

    if jax.process_index() == 0:
        shown = {k: round(v, 4) for k, v in result.items() if k in ("step", "loss", "nll", "eval_nll", "perplexity",
                                                                  "codes_used")}
        print("finished" if not result.get("stopped") else "stopped", json.dumps(shown))
    return 0


def cmd_pbt(argv: list[str]) -> int:
    """`ada pbt --config FILE --workdir DIR [--population N] [--config.a.b=v ...]`: parsed as `ada train` is."""
    from absl import flags

    FLAGS = _config_command_flags("experiment config file with a pbt section (experiments/*.py)",
                                  "the experiment: members/<id>/ workdirs, lineage, best; rerun to resume")
    flags.DEFINE_integer("population", None, "members (default: the config's pbt.population)", lower_bound=2,
                         flag_values=FLAGS)
    flags.DEFINE_boolean("exploit", True, "--noexploit: the same population and rounds without exploit/explore "
                         "(the control experiment)", flag_values=FLAGS)
    flags.DEFINE_string("address", None, "a running Ray cluster (`auto`, or host:port); default: start one here",
                        flag_values=FLAGS)
    flags.DEFINE_integer("cpus", None, "CPUs of the Ray started here (default: all)", lower_bound=1,
                         flag_values=FLAGS)
    config = _parse_config_command(FLAGS, argv, "ada pbt",
                                   "ada pbt --config experiments/X.py --workdir DIR [--population N] [--noexploit] "
                                   "[--address RAY] [--config.a.b=VALUE ...]")
    if config is None:
        return 0
    from ada.dataset import open_dataset
    from ada.pbt import Schedule, run

    Schedule.from_config(config, FLAGS.population)
    open_dataset(config.data.path)  # a missing dataset: one line here, not in every member
    best = run(config, FLAGS.workdir, population=FLAGS.population, exploit=FLAGS.exploit, address=FLAGS.address,
               cpus=FLAGS.cpus)
    print(f"best member {best['member']}: eval NLL {best['eval_nll']:.4f} at step {best['step']} "
          f"(β {best['beta']:.4g}, γ {best['decay']:.5g}); population median {best['median_eval_nll']:.4f}")
    print(f"best workdir: {Path(FLAGS.workdir) / 'best'} -> {best['workdir']}")
    print(f"lineage: {Path(FLAGS.workdir) / 'lineage.md'}")
    return 0


def _parse_config_command(FLAGS, argv: list[str], command: str, usage: str):
    """`ada train` / `ada pbt`'s command line (--config FILE --workdir DIR and overrides) parsed into
    FLAGS: -> the config, or None once --help is printed. Every mistake is one UsageError."""
    from absl import flags

    if {"-h", "--help"} & set(argv):
        print(f"usage: {usage}\n")
        print(FLAGS.get_help())
        return None
    given = _config_file(argv)
    if given is not None and not Path(given).is_file():
        raise UsageError(f"--config {given}: no such config file (see experiments/*.py)")
    try:
        FLAGS([command, *argv])
    except flags.Error as e:
        raise UsageError(" ".join(str(e).split())) from None
    except (AttributeError, KeyError) as e:  # an override naming a field the config does not have
        raise _unknown_field(e, argv, given) from None
    except Exception as e:  # noqa: BLE001 - the config file is the user's code: its error is theirs
        raise _unloadable(given, e) from None
    if FLAGS["config"].value is None or FLAGS.workdir is None:
        raise UsageError(f"{command} needs --config experiments/X.py and --workdir DIR")
    config = _load_config(FLAGS, argv)
    writable_dir(FLAGS.workdir, "--workdir")
    return config


def _config_file(argv: list[str]) -> str | None:
    for i, a in enumerate(argv):
        if a == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--config="):
            return a.split("=", 1)[1]
    return None


def _unknown_field(e: Exception, argv: list[str], path) -> UsageError:
    field = str(e).strip("\"'")
    overrides = " ".join(a for a in argv if a.startswith("--config."))
    return UsageError(f"unknown config field {field!r} in {overrides} (the fields are those of {path}, "
                      "e.g. --config.train.steps=1000)")


def _load_config(FLAGS, argv: list[str]):
    """The config file with its overrides applied (loaded lazily by ml_collections): errors in one line."""
    path = FLAGS["config"].config_filename
    try:
        return FLAGS.config
    except (AttributeError, KeyError) as e:
        raise _unknown_field(e, argv, path) from None
    except (ValueError, TypeError) as e:
        raise UsageError(f"bad config override: {' '.join(str(e).split())}") from None
    except Exception as e:  # noqa: BLE001 - the config file is the user's code: its error is theirs
        raise _unloadable(path, e) from None


def _unloadable(path, e: Exception) -> UsageError:
    cause = e.__cause__ or e
    return UsageError(f"--config {path} cannot be loaded: {type(cause).__name__}: "
                      f"{' '.join(str(cause).split())[:300]}")


def cmd_encode(args) -> int:
    writable_dir(args.out, "--out")
    from ada.encode import encode_dataset

    index = encode_dataset(args.level, args.data, args.out, window=args.window, batch_size=args.batch_size,
                           progress=not args.quiet, overwrite=args.overwrite)
    codes = sum(f["length"] for f in index["files"])
    print(f"encoded {len(index['files'])} files into {args.out}: {codes:,d} codes, vocabulary {index['vocab']}, "
          f"{index['rate']:g} codes/s")
    return 0


def cmd_sample(args) -> int:
    writable_dir(args.out, "--out")
    from ada.render import sample_stack

    result = sample_stack(args.stack, args.seconds, args.num, args.out, args.temperature, args.seed, args.chunk)
    print(f"{args.num} samples of {args.seconds:g} s in {result.seconds:.0f} s")
    print(f"listen: {result.page}")
    return 0


def cmd_reconstruct(args) -> int:
    writable_dir(args.out, "--out")
    from ada.render import reconstruct_excerpts

    result = reconstruct_excerpts(args.stack, args.out, levels=args.levels, seconds=args.seconds, input=args.input,
                                  offset=args.offset, data=args.data, split=args.split, excerpts=args.excerpts,
                                  temperature=args.temperature, seed=args.seed, chunk=args.chunk)
    for r in result.results:
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}))
    print(f"listen: {result.page}")
    return 0


def cmd_continue(args) -> int:
    writable_dir(args.out, "--out")
    from ada.render import continue_piece

    result = continue_piece(args.stack, args.input, args.out, prompt_seconds=args.prompt_seconds,
                            seconds=args.seconds, offset=args.offset, num=args.num, temperature=args.temperature,
                            seed=args.seed, chunk=args.chunk)
    print(json.dumps({k: v for k, v in result.meta.items() if k.startswith(("noisiness", "flatness", "key", "silent"))},
                     ensure_ascii=False))
    print(f"{args.num} continuations of {result.meta['prompt']} of {args.input}, {args.seconds:g} s each")
    print(f"listen: {result.page}")
    return 0


def cmd_export(args) -> int:
    writable_dir(args.out, "--out")
    from ada import pretrained
    from ada.stack import load_stack

    measured = {}
    for item in args.measured:
        label, sep, folder = item.partition("=")
        if not sep or not label or not Path(folder).is_dir():
            raise UsageError(f"--measured {item}: expected LABEL=FOLDER, a folder of listening pages")
        measured[label] = Path(folder)
    if args.sweep and not Path(args.sweep).is_dir():
        raise UsageError(f"--sweep {args.sweep}: not a folder of listening pages")
    stack = load_stack(args.stack)
    stack.temperatures = stack.temperature(args.temperature)
    path = pretrained.export_stack(stack, Path(args.out), args.dtype, args.overwrite)
    card = pretrained.write_card(Path(args.out), pretrained.model_card(
        stack, measured, args.hardware, args.sweep, since=pretrained.parameters_written(Path(args.out))))
    size = sum(f.stat().st_size for f in Path(args.out).rglob("*") if f.is_file())
    print(f"exported {len(stack.levels)} levels and a prior to {path} ({size / 2**20:.1f} MiB, {args.dtype}); "
          f"model card: {card}")
    return 0


def cmd_bench(args) -> int:
    writable_dir(Path(args.out).parent, "--out's folder")
    from ada.bench import GPU_JSON, run, run_accelerator

    if args.accelerator:
        run_accelerator(Path(args.out).with_name(GPU_JSON))
        print(f"wrote {Path(args.out).with_name(GPU_JSON)}; `make bench` on this or another machine reports it")
        return 0
    results = run(args.out, args.data, quick=args.quick)
    print(open(args.out).read())
    return 0 if results else 1


def cmd_eval(args) -> int:
    if args.out:
        writable_dir(Path(args.out).parent, "--out's folder")
    from ada.evaluate import evaluate_all

    table = evaluate_all(args.workdir, args.data, out=args.out, crops=args.crops, excerpts=args.excerpts,
                         samples=args.samples, seconds=args.seconds)
    print(table, end="")
    return 0


def cmd_profile(args) -> int:
    writable_dir(args.workdir, "--workdir")
    from ada.profile import profile

    result = profile(args.data, args.rf, args.workdir, steps=args.steps, progress=not args.quiet)
    for r, v in result["nll"].items():
        print(f"rf {int(r):6d}  eval NLL {v:.3f}")
    print(f"plot: {args.workdir}/profile.png")
    return 0


def cmd_notes_corpus(args) -> int:
    writable_dir(args.out, "--out")
    from ada.notes.corpus import build

    index = build(args.out, bars=args.bars, kind=args.kind, cache=args.cache, workers=args.workers,
                  eval_fraction=args.eval_fraction, progress=not args.quiet,
                  overwrite=args.overwrite)
    src = index["sources"]
    for name, c in src["collections"].items():
        print(f"{name:14s} " + ", ".join(f"{v} {k}" for k, v in c.items()))
    for reason, n in src["rejects"].items():
        print(f"  {n} tunes gave no window: {reason}")
    if src["failed"]:
        print(f"  {len(src['failed'])} tunes failed to parse (listed in {args.out}/index.json)")
    return _notes_summary(args.out, index, f"in {src['build_seconds']:.0f} s ({src['parse_seconds']:.0f} s parsing)")


def cmd_notes_prepare(args) -> int:
    writable_dir(args.out, "--out")
    from ada.notes.prepare import prepare_midi

    index, summary = prepare_midi(args.sources, args.out, kind=args.kind, bars=args.bars,
                                  eval_fraction=args.eval_fraction, workers=args.workers, cache=args.cache,
                                  progress=not args.quiet, overwrite=args.overwrite)
    for line in summary.lines():
        print(line, file=sys.stderr if line.startswith("skipped ") else sys.stdout)
    return _notes_summary(args.out, index, f"in {index['sources']['build_seconds']:.0f} s")


def _notes_summary(out, index, how: str) -> int:
    for split, entry in index["splits"].items():
        print(f"{split:5s} {entry['examples']:7d} windows from {entry['distinct_tunes']:5d} tunes")
    print(f"wrote {index['kind']} {index['bars']}-bar windows to {out} {how}")
    return 0


def cmd_notes_info(args) -> int:
    from ada.notes.dataset import open_notes

    ds = open_notes(args.dir)
    src = ds.index.get("sources", {})
    print(f"dataset  {ds.root}")
    print(f"kind     {ds.kind}, {ds.bars} bars of {ds.steps_per_bar} steps, streams "
          + ", ".join(f"{s['name']} ({s['kind']}, {s['vocab']} classes)" for s in ds.streams))
    for split in ds.splits:
        print(f"{split:8s} {ds.examples(split):7d} windows from {len(set(ds.tunes(split).tolist())):5d} tunes")
    made = ds.index.get("made_by", {}).get("command")
    if made:
        print(f"made by  `{made}`" + (f" in {src['build_seconds']:.0f} s" if "build_seconds" in src else ""))
    return 0


def _add_notes_data_commands(nsub) -> None:
    """`ada notes corpus | prepare | info`: note datasets for MusicVAE."""
    p = nsub.add_parser("corpus", help="the built-in note corpus: music21's folk tunes (melody) or Bach chorales "
                        "(voices), offline")
    p.add_argument("--out", required=True, help="note dataset directory to write")
    p.add_argument("--bars", type=int, choices=(2, 16), default=2)
    p.add_argument("--kind", choices=("melody", "voices"), default="melody",
                   help="melody: ABC folk collections; voices: Bach chorales as 4 melody streams (S, A, T, B)")
    p.add_argument("--eval-fraction", type=fraction, default=0.1, help="share of tunes held out (default 10%%)")
    p.add_argument("--workers", type=count, default=2, help="parallel parsers (default 2)")
    p.add_argument("--cache", default=None, help="parsed-tune cache (default: .notes-cache beside --out)")
    p.add_argument("--overwrite", action="store_true", help="replace a note dataset in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_notes_corpus)

    p = nsub.add_parser("prepare", help="your MIDI files or folders -> a note dataset, saying what each file gave")
    p.add_argument("sources", nargs="+", help="MIDI files or folders (searched recursively for .mid/.midi)")
    p.add_argument("--out", required=True, help="note dataset directory to write")
    p.add_argument("--kind", choices=("melody", "drums", "trio"), default="melody")
    p.add_argument("--bars", type=int, choices=(2, 16), default=2)
    p.add_argument("--eval-fraction", type=fraction, default=0.1, help="share of files held out (default 10%%)")
    p.add_argument("--workers", type=count, default=2, help="parallel readers (default 2)")
    p.add_argument("--cache", default=None, help="parsed-file cache (default: .notes-cache beside --out)")
    p.add_argument("--overwrite", action="store_true", help="replace a note dataset in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_notes_prepare)

    p = nsub.add_parser("info", help="windows per split, streams and sources of a note dataset")
    p.add_argument("dir")
    p.set_defaults(func=cmd_notes_info)


def _float_list(text: str) -> list[float]:
    try:
        values = [float(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a comma list of numbers, e.g. -1.5,-0.5,0,0.5,1.5") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: a comma list of finite numbers")
    return values


def _temperatures(text: str) -> list[float]:
    """`--temperature`: one number ≥ 0, or a comma list of them (one per model)."""
    try:
        return [nonnegative(t) for t in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError("must be a finite number ≥ 0, or a comma list of them (one per model, "
                                         "levels bottom first, then the prior)") from None


def _temperature_argument(p) -> None:
    """`--temperature` of the commands that render a stack."""
    p.add_argument("--temperature", type=_temperatures, default=None, metavar="T[,T...]",
                   help="one for every model, or one per model, levels bottom first, then the prior (default: the "
                   'stack file\'s "temperature", else 1; 0: argmax)')


def _existing_file(text: str) -> Path:
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    return Path(text)


def cmd_notes_sample(args) -> int:
    writable_dir(args.out, "--out")
    from ada.notes.generate import sample

    result = sample(args.workdir, args.num, args.temperature, args.out, seed=args.seed)
    print(f"{args.num} samples in {result.seconds:.0f} s")
    print(f"listen: {result.page}")
    return 0


def cmd_notes_interpolate(args) -> int:
    writable_dir(args.out, "--out")
    from ada.notes.generate import dumps, interpolate

    result = interpolate(args.workdir, args.source, args.target, args.steps, args.out, args.temperature, args.seed)
    for r in result.records:
        print(dumps(r))
    print(f"listen: {result.page}")
    return 0


def cmd_notes_attribute(args) -> int:
    writable_dir(args.out, "--out")
    from ada.notes.generate import attribute, dumps

    result = attribute(args.workdir, args.input, args.attribute, args.amounts, args.out, args.temperature, args.seed,
                       data=args.data)
    for r in result.records:
        print(dumps(r))
    print(f"listen: {result.page}")
    return 0


def cmd_notes_eval(args) -> int:
    if args.out:
        writable_dir(Path(args.out).parent, "--out's folder")
    from ada.notes.evaluate import evaluate_all

    print(evaluate_all(args.workdir, args.data, out=args.out, split=args.split, windows=args.windows,
                       temperature=args.temperature, seed=args.seed), end="")
    if args.attributes:
        from ada.notes.evaluate import attribute_matrix, matrix_table

        for workdir in args.workdir:
            names, rows = attribute_matrix(workdir, args.data, windows=min(args.windows, 256), seed=args.seed)
            print(f"\nattribute vectors of {workdir} (decodes of eval windows at temperature 0.5, one seed):")
            print(matrix_table(names, rows), end="")
    if args.interpolations:
        from ada.atomic import write_json
        from ada.notes.interpolation import evaluate_interpolations, interpolation_table

        for workdir in args.workdir:
            rows, reference = evaluate_interpolations(workdir, args.data, pairs=args.interpolations, seed=args.seed)
            print(f"\ninterpolations of {workdir} ({args.interpolations} pairs of eval windows, latent decodes at "
                  "temperature 0.5):")
            print(interpolation_table(rows, reference), end="")
            if args.out:
                write_json(Path(f"{args.out}-interpolation-{Path(workdir).name}.json"),
                           {"reference_trigram": reference, "rows": rows})
    return 0


def _add_notes_model_commands(nsub) -> None:
    """`ada notes sample | interpolate | attribute | eval`: what a trained MusicVAE makes and how well it does."""

    def common(p, out=True, temperature=0.5):
        p.add_argument("--workdir", required=True, help="a trained MusicVAE workdir")
        if out:
            p.add_argument("--out", required=True, help="folder for MIDI, WAV, piano rolls and index.html")
        p.add_argument("--temperature", type=nonnegative, default=temperature, help="softmax temperature (0: argmax)")
        p.add_argument("--seed", type=natural, default=0)

    p = nsub.add_parser("sample", help="decode z ~ N(0, I): MIDI, piano audio, piano rolls, a listening page")
    common(p, temperature=1.0)
    p.add_argument("--num", type=count, default=8)
    p.set_defaults(func=cmd_notes_sample)

    p = nsub.add_parser("interpolate", help="slerp between two MIDI files' posterior means and decode the path")
    common(p)
    p.add_argument("--from", dest="source", required=True, type=_existing_file, help="MIDI file A (its first window)")
    p.add_argument("--to", dest="target", required=True, type=_existing_file, help="MIDI file B (its first window)")
    p.add_argument("--steps", type=_ranged(int, "a whole number ≥ 2", lambda v: v >= 2), default=7,
                   help="points on the path, endpoints included")
    p.set_defaults(func=cmd_notes_interpolate)

    p = nsub.add_parser("attribute", help="add multiples of an attribute vector to a MIDI file's posterior mean")
    common(p)
    p.add_argument("--input", required=True, type=_existing_file, help="MIDI file (its first window)")
    p.add_argument("--attribute", required=True, help="note_density, c_diatonic, average_interval, syncopation_16th "
                   "or syncopation_8th")
    p.add_argument("--amounts", type=_float_list, default=[-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5],
                   help="comma list of multiples of the attribute vector (default -1.5,...,1.5)")
    p.add_argument("--data", default=None, help="note dataset for the attribute vectors (default: the training data)")
    p._negative_number_matcher = re.compile(r"^-\d|^-\.\d")  # so `--amounts -1.5,...` reads as a value
    p.set_defaults(func=cmd_notes_attribute)

    p = nsub.add_parser("eval", help="teacher-forced and sampled accuracy, KL and ELBO of MusicVAEs (Table 1)")
    p.add_argument("--workdir", required=True, action="append", help="a trained MusicVAE workdir (repeat for a table)")
    p.add_argument("--data", default=None, help="note dataset (default: each model's training data)")
    p.add_argument("--split", default="eval")
    p.add_argument("--windows", type=count, default=2048, help="windows evaluated, spread over the split")
    p.add_argument("--temperature", type=nonnegative, default=1.0, help="of the free-running (sampled) decode")
    p.add_argument("--seed", type=natural, default=0)
    p.add_argument("--out", help="write OUT.json and OUT.md (the table)")
    p.add_argument("--attributes", action="store_true", help="also the matrix of %% change in each attribute when "
                   "each attribute vector is added to eval windows' posterior means")
    p.add_argument("--interpolations", type=natural, default=0, metavar="PAIRS",
                   help="also latent against data-space interpolation between PAIRS pairs of eval windows: Hamming "
                   "distance to the endpoints and naturalness under a 3-gram model of the train windows")
    p.set_defaults(func=cmd_notes_eval)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ada", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare", help="audio files or folders -> 16 kHz 8-bit μ-law token dataset")
    p.add_argument("sources", nargs="*", help="audio files or folders (searched recursively)")
    p.add_argument("--out", required=True, help="dataset directory: created, resumed, or added to (files of an "
                   "audio dataset there that are not named again are kept)")
    p.add_argument("--remove", action="append", metavar="PATH", help="take the files at or under PATH out of the "
                   "dataset (repeat for more); nothing else is ever removed")
    p.add_argument("--overwrite", action="store_true", help="replace a dataset of another kind or recipe in --out "
                   "(refused without it)")
    p.add_argument("--workers", type=count, default=None, help="parallel decoders (default: all cores)")
    p.add_argument("--eval-fraction", type=fraction, default=0.01, help="share of files held out (default 1%%)")
    p.add_argument("--no-normalise", action="store_true", help="keep levels as recorded (default: peak-normalise)")
    p.add_argument("--top-db", type=positive, default=60.0, help="silence threshold below peak for trimming")
    p.add_argument("--min-seconds", type=nonnegative, default=0.1, help="reject files shorter than this after trimming")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("info", help="files and hours per split, vocabulary and rejects of a dataset")
    p.add_argument("dir")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("corpus", help="build the built-in piano corpus (music21 scores on sampled pianos)")
    p.add_argument("--out", required=True)
    p.add_argument("--size", choices=("small", "medium", "full"), default="small",
                   help="small: 29 works, 28 min; medium: 106 works, 4.7 h; full: 1,844 works (data/README.md)")
    p.add_argument("--soundfonts", default="fluidr3,musescore", help="comma list of: fluidr3, musescore")
    p.add_argument("--presets", default="grand,bright", help="comma list of: grand, bright")
    p.add_argument("--tempo", type=positive, nargs=2, default=(0.9, 1.1), metavar=("MIN", "MAX"))
    p.add_argument("--transpose", type=natural, default=2, help="± semitones")
    p.add_argument("--velocity", type=positive, nargs=2, default=(0.8, 1.2), metavar=("MIN", "MAX"))
    p.add_argument("--seed", type=natural, default=0)
    p.add_argument("--workers", type=count, default=None)
    p.add_argument("--timeout", type=positive, default=180.0,
                   help="seconds allowed per piece (and per variant, where a size plays several)")
    p.add_argument("--pieces", nargs="+", default=None, help="music21 corpus paths instead of --size")
    p.add_argument("--overwrite", action="store_true", help="replace a dataset not made by `ada corpus` in --out")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_corpus)

    p = sub.add_parser("encode", help="a dataset through a trained level -> the next level's dataset of codes")
    p.add_argument("--level", required=True, help="workdir of a trained ADA level")
    p.add_argument("--data", required=True, help="dataset the level reads (audio, or the codes below it)")
    p.add_argument("--out", required=True, help="dataset of codes to write (resumable)")
    p.add_argument("--overwrite", action="store_true", help="replace a dataset of another kind, model, checkpoint "
                   "or input in --out (refused without it)")
    p.add_argument("--window", type=count, default=16384, help="steps encoded per window (memory, not results)")
    p.add_argument("--batch-size", type=count, default=8, help="windows per device batch")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_encode)

    p = sub.add_parser("sample", help="draw music from a stack's prior and render it down to WAV")
    p.add_argument("--stack", required=True, help='JSON: {"levels": [workdir, ...], "prior": workdir}')
    p.add_argument("--seconds", type=positive, default=4.0)
    p.add_argument("--num", type=count, default=4, help="pieces, sampled as one batch")
    p.add_argument("--out", required=True, help="folder for the WAVs and index.html")
    _temperature_argument(p)
    p.add_argument("--seed", type=natural, default=0)
    p.add_argument("--chunk", type=count, default=16000, help="steps per compiled sampling loop (memory)")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("reconstruct", help="encode real audio through N levels and sample it back")
    p.add_argument("--stack", required=True)
    p.add_argument("--levels", type=count, default=1)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="an audio file")
    source.add_argument("--data", help="a prepared audio dataset: reconstruct excerpts of one of its splits")
    p.add_argument("--split", choices=("eval", "train"), default="eval",
                   help="of --data (train: many pieces, to measure what the levels keep of the training music)")
    p.add_argument("--offset", type=nonnegative, default=0.0, help="seconds into --input")
    p.add_argument("--excerpts", type=count, default=3)
    p.add_argument("--seconds", type=positive, default=4.0)
    p.add_argument("--out", required=True)
    _temperature_argument(p)
    p.add_argument("--seed", type=natural, default=0)
    p.add_argument("--chunk", type=count, default=16000)
    p.set_defaults(func=cmd_reconstruct)

    p = sub.add_parser("continue", help="continue a piece: its opening encoded up the stack, what follows sampled")
    p.add_argument("--stack", required=True, help='JSON: {"levels": [workdir, ...], "prior": workdir}')
    p.add_argument("--input", required=True, help="any audio file (WAV, FLAC, OGG, MP3, AIFF)")
    p.add_argument("--offset", type=nonnegative, default=0.0, help="seconds into --input where the prompt starts "
                   "(after its leading silence is trimmed)")
    p.add_argument("--prompt-seconds", type=nonnegative, required=True, help="length of the prompt (0: unprimed)")
    p.add_argument("--seconds", type=positive, default=4.0, help="length of what is sampled after the prompt")
    p.add_argument("--num", type=count, default=2, help="continuations of the same prompt, sampled as one batch")
    p.add_argument("--out", required=True, help="folder for the WAVs and index.html")
    _temperature_argument(p)
    p.add_argument("--seed", type=natural, default=0)
    p.add_argument("--chunk", type=count, default=16000, help="steps per compiled sampling loop (memory)")
    p.set_defaults(func=cmd_continue)

    p = sub.add_parser("export", help="a trained stack -> a compact folder that ships (Polyak parameters, "
                       "configs, stack.json, MODEL_CARD.md)")
    p.add_argument("--stack", required=True, help="the stack file of the trained workdirs")
    p.add_argument("--out", required=True, help="folder for level1/, ..., prior/, stack.json and MODEL_CARD.md")
    p.add_argument("--dtype", choices=("bfloat16", "float32"), default="bfloat16", help="storage of float parameters")
    p.add_argument("--measured", action="append", default=[], metavar="LABEL=FOLDER",
                   help="listening pages (samples/, reconstructions/) whose measures go into the model card; repeat "
                   "for the stacks and data to compare")
    p.add_argument("--hardware", default="not stated", help="where the models were trained, for the model card")
    p.add_argument("--sweep", default=None, metavar="FOLDER", help="a folder of pages rendered at other temperatures "
                   "(one subfolder each): their measures go into the model card, a row per temperature (pages drawn "
                   "before the exported parameters were written are left out)")
    p.add_argument("--temperature", type=_temperatures, default=None, metavar="T[,T...]",
                   help="the sampling temperatures the exported stack.json holds: one for every model, or one per "
                   "model, levels bottom first, then the prior (default: the stack file's)")
    p.add_argument("--overwrite", action="store_true", help="replace a stack already exported to --out")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("eval", help="NLL, code usage and reconstruction distances of trained models")
    p.add_argument("--workdir", required=True, action="append", help="a trained workdir (repeat for a table)")
    p.add_argument("--data", required=True, help="the dataset the models read")
    p.add_argument("--crops", type=count, default=256, help="crops per split for the NLL")
    p.add_argument("--excerpts", type=natural, default=3, help="eval excerpts to reconstruct (levels over audio)")
    p.add_argument("--samples", type=count, default=2, help="reconstructions per excerpt")
    p.add_argument("--seconds", type=positive, default=2.0, help="length of each excerpt")
    p.add_argument("--out", help="write OUT.json and OUT.md (the table)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("profile", help="predictability profile: NLL of a 3-layer predictor against its receptive field")
    p.add_argument("--data", required=True)
    p.add_argument("--rf", type=_int_list, default="0,1,2,4,8,16,32,64,128,256,512,1024")
    p.add_argument("--workdir", required=True, help="one training workdir per receptive field, and the plot")
    p.add_argument("--steps", type=count, default=500, help="training steps per receptive field")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("bench", help="measure sampler, trainer and data speed; write BENCHMARKS.md")
    p.add_argument("--out", default="BENCHMARKS.md")
    p.add_argument("--data", default="data/prepared/piano-small", help="dataset for the loader benchmark")
    p.add_argument("--quick", action="store_true", help="fewer steps (for a smoke test)")
    p.add_argument("--accelerator", action="store_true",
                   help="on a GPU or TPU: the paper-size figures only an accelerator shows (benchmarks-gpu.json)")
    p.set_defaults(func=cmd_bench)

    sub.add_parser("train", help="train a level or a prior: --config experiments/X.py --workdir DIR",
                   add_help=False)
    sub.add_parser("pbt", help="population based training of a level on Ray Tune: --config X --workdir DIR",
                   add_help=False)

    notes = sub.add_parser("notes", help="MusicVAE's note data and models: corpus, prepare, info, ...")
    nsub = notes.add_subparsers(dest="notes_command", required=True, metavar="COMMAND")
    _add_notes_data_commands(nsub)
    _add_notes_model_commands(nsub)
    return parser


def user_errors() -> tuple[type[Exception], ...]:
    """The exception types whose message is the whole story for the user."""
    from ada.audio import AudioError
    from ada.config import ConfigError
    from ada.corpus import CorpusError
    from ada.dataset import DatasetError
    from ada.lock import LockError
    from ada.pbt import PBTError
    from ada.train import TrainingDiverged

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
        if argv[:1] == ["train"]:
            return cmd_train(argv[1:])
        if argv[:1] == ["pbt"]:
            return cmd_pbt(argv[1:])
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


if __name__ == "__main__":
    sys.exit(main())
