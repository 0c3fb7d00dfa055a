"""The `ada` command: one subcommand per step of the pipeline.

Errors that a user can fix (a bad file, a bad config, a missing dataset or checkpoint) are caught
here and printed as one line with exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


def cmd_prepare(args) -> int:
    from ada.prepare import Recipe, prepare

    recipe = Recipe(normalise=not args.no_normalise, top_db=args.top_db, min_seconds=args.min_seconds)
    result = prepare(args.sources, args.out, recipe, workers=args.workers, eval_fraction=args.eval_fraction,
                     progress=not args.quiet)
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
    print(f"prepared {len(files)} files into {out} ({result.reused} reused), rejected {len(result.rejects)}"
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
    from ada.corpus import Variation, build

    variation = Variation(soundfonts=tuple(args.soundfonts.split(",")), presets=tuple(args.presets.split(",")),
                          tempo=tuple(args.tempo), transpose=args.transpose, velocity=tuple(args.velocity),
                          seed=args.seed)
    result, prepared = build(args.out, args.size, variation, workers=args.workers, timeout=args.timeout,
                             only=args.pieces, progress=not args.quiet)
    for piece, why in result.failed.items():
        print(f"skipped {piece}: {why}", file=sys.stderr)
    code = _summarise(args.out, prepared)
    print(f"corpus: {result.rendered} pieces, {_hours(result.seconds)} of audio, built in "
          f"{result.build_seconds:.0f} s ({result.seconds / max(result.build_seconds, 1e-9):.0f}x real time)")
    return code


def cmd_train(argv: list[str]) -> int:
    """`ada train --config FILE --workdir DIR [--config.a.b=v ...]`, parsed the Flax-examples way."""
    from absl import flags
    from ml_collections import config_flags

    FLAGS = flags.FlagValues()
    config_flags.DEFINE_config_file("config", None, "experiment config file (experiments/*.py)",
                                    flag_values=FLAGS, lock_config=True)
    flags.DEFINE_string("workdir", None, "checkpoints, metrics and config land here; rerun to resume",
                        flag_values=FLAGS)
    flags.DEFINE_string("coordinator", None, "host:port of process 0, for a multi-process job", flag_values=FLAGS)
    flags.DEFINE_integer("num_processes", None, "processes in the job", flag_values=FLAGS)
    flags.DEFINE_integer("process_id", None, "this process's index", flag_values=FLAGS)
    flags.DEFINE_boolean("progress", True, "show a progress bar", flag_values=FLAGS)
    if {"-h", "--help"} & set(argv):
        print("usage: ada train --config experiments/X.py --workdir DIR [--config.a.b=VALUE ...]\n")
        print(FLAGS.get_help())
        return 0
    try:
        FLAGS(["ada train", *argv])
    except flags.Error as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if FLAGS.config is None or FLAGS.workdir is None:
        print("error: ada train needs --config experiments/X.py and --workdir DIR", file=sys.stderr)
        return 2
    from ada.parallel import maybe_initialize_distributed
    from ada.train import train

    maybe_initialize_distributed(FLAGS.coordinator, FLAGS.num_processes, FLAGS.process_id)
    _, result = train(FLAGS.config, FLAGS.workdir, progress=FLAGS.progress)
    import jax

    if jax.process_index() == 0:
        shown = {k: round(v, 4) for k, v in result.items() if k in ("step", "loss", "nll", "eval_nll", "perplexity",
                                                                  "codes_used")}
        print("finished" if not result.get("stopped") else "stopped", json.dumps(shown))
    return 0


def cmd_encode(args) -> int:
    from ada.encode import encode_dataset

    index = encode_dataset(args.level, args.data, args.out, window=args.window, batch_size=args.batch_size,
                           progress=not args.quiet)
    codes = sum(f["length"] for f in index["files"])
    print(f"encoded {len(index['files'])} files into {args.out}: {codes:,d} codes, vocabulary {index['vocab']}, "
          f"{index['rate']:g} codes/s")
    return 0


def cmd_sample(args) -> int:
    from ada.render import sample_stack

    result = sample_stack(args.stack, args.seconds, args.num, args.out, args.temperature, args.seed, args.chunk)
    print(f"{args.num} samples of {args.seconds:g} s in {result.seconds:.0f} s")
    print(f"listen: {result.page}")
    return 0


def cmd_reconstruct(args) -> int:
    from ada.render import reconstruct_excerpts

    result = reconstruct_excerpts(args.stack, args.out, levels=args.levels, seconds=args.seconds, input=args.input,
                                  offset=args.offset, data=args.data, excerpts=args.excerpts,
                                  temperature=args.temperature, seed=args.seed, chunk=args.chunk)
    for r in result.results:
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}))
    print(f"listen: {result.page}")
    return 0


def cmd_bench(args) -> int:
    from ada.bench import run

    results = run(args.out, args.data, quick=args.quick)
    print(open(args.out).read())
    return 0 if results else 1


def cmd_eval(args) -> int:
    from ada.evaluate import evaluate_all

    table = evaluate_all(args.workdir, args.data, out=args.out, crops=args.crops, excerpts=args.excerpts,
                         samples=args.samples, seconds=args.seconds)
    print(table, end="")
    return 0


def cmd_profile(args) -> int:
    from ada.profile import profile

    rfs = [int(r) for r in args.rf.split(",")]
    result = profile(args.data, rfs, args.workdir, steps=args.steps, progress=not args.quiet)
    for r, v in result["nll"].items():
        print(f"rf {int(r):6d}  eval NLL {v:.3f}")
    print(f"plot: {args.workdir}/profile.png")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ada", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare", help="audio files or folders -> 16 kHz 8-bit μ-law token dataset")
    p.add_argument("sources", nargs="+", help="audio files or folders (searched recursively)")
    p.add_argument("--out", required=True, help="dataset directory (created, or resumed)")
    p.add_argument("--workers", type=int, default=None, help="parallel decoders (default: all cores)")
    p.add_argument("--eval-fraction", type=float, default=0.01, help="share of files held out (default 1%%)")
    p.add_argument("--no-normalise", action="store_true", help="keep levels as recorded (default: peak-normalise)")
    p.add_argument("--top-db", type=float, default=60.0, help="silence threshold below peak for trimming")
    p.add_argument("--min-seconds", type=float, default=0.1, help="reject files shorter than this after trimming")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("info", help="files and hours per split, vocabulary and rejects of a dataset")
    p.add_argument("dir")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("corpus", help="build the built-in piano corpus (music21 scores on sampled pianos)")
    p.add_argument("--out", required=True)
    p.add_argument("--size", choices=("small", "full"), default="small")
    p.add_argument("--soundfonts", default="fluidr3,musescore", help="comma list of: fluidr3, musescore")
    p.add_argument("--presets", default="grand,bright", help="comma list of: grand, bright")
    p.add_argument("--tempo", type=float, nargs=2, default=(0.9, 1.1), metavar=("MIN", "MAX"))
    p.add_argument("--transpose", type=int, default=2, help="± semitones")
    p.add_argument("--velocity", type=float, nargs=2, default=(0.8, 1.2), metavar=("MIN", "MAX"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--timeout", type=float, default=180.0, help="seconds allowed per piece")
    p.add_argument("--pieces", nargs="+", default=None, help="music21 corpus paths instead of --size")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_corpus)

    p = sub.add_parser("encode", help="a dataset through a trained level -> the next level's dataset of codes")
    p.add_argument("--level", required=True, help="workdir of a trained ADA level")
    p.add_argument("--data", required=True, help="dataset the level reads (audio, or the codes below it)")
    p.add_argument("--out", required=True, help="dataset of codes to write (resumable)")
    p.add_argument("--window", type=int, default=16384, help="steps encoded per window (memory, not results)")
    p.add_argument("--batch-size", type=int, default=8, help="windows per device batch")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_encode)

    p = sub.add_parser("sample", help="draw music from a stack's prior and render it down to WAV")
    p.add_argument("--stack", required=True, help='JSON: {"levels": [workdir, ...], "prior": workdir}')
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--num", type=int, default=4, help="pieces, sampled as one batch")
    p.add_argument("--out", required=True, help="folder for the WAVs and index.html")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--chunk", type=int, default=16000, help="steps per compiled sampling loop (memory)")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("reconstruct", help="encode real audio through N levels and sample it back")
    p.add_argument("--stack", required=True)
    p.add_argument("--levels", type=int, default=1)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="an audio file")
    source.add_argument("--data", help="a prepared audio dataset: reconstruct excerpts of its eval split")
    p.add_argument("--offset", type=float, default=0.0, help="seconds into --input")
    p.add_argument("--excerpts", type=int, default=3)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--out", required=True)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--chunk", type=int, default=16000)
    p.set_defaults(func=cmd_reconstruct)

    p = sub.add_parser("eval", help="NLL, code usage and reconstruction distances of trained models")
    p.add_argument("--workdir", required=True, action="append", help="a trained workdir (repeat for a table)")
    p.add_argument("--data", required=True, help="the dataset the models read")
    p.add_argument("--crops", type=int, default=256, help="crops per split for the NLL")
    p.add_argument("--excerpts", type=int, default=3, help="eval excerpts to reconstruct (levels over audio)")
    p.add_argument("--samples", type=int, default=2, help="reconstructions per excerpt")
    p.add_argument("--seconds", type=float, default=2.0, help="length of each excerpt")
    p.add_argument("--out", help="write OUT.json and OUT.md (the table)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("profile", help="predictability profile: NLL of a 3-layer predictor against its receptive field")
    p.add_argument("--data", required=True)
    p.add_argument("--rf", default="0,1,2,4,8,16,32,64,128,256,512,1024")
    p.add_argument("--workdir", required=True, help="one training workdir per receptive field, and the plot")
    p.add_argument("--steps", type=int, default=500, help="training steps per receptive field")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("bench", help="measure sampler, trainer and data speed; write BENCHMARKS.md")
    p.add_argument("--out", default="BENCHMARKS.md")
    p.add_argument("--data", default="data/prepared/piano-small", help="dataset for the loader benchmark")
    p.add_argument("--quick", action="store_true", help="fewer steps (for a smoke test)")
    p.set_defaults(func=cmd_bench)

    sub.add_parser("train", help="train a level or a prior: --config experiments/X.py --workdir DIR",
                   add_help=False)
    return parser


def user_errors() -> tuple[type[Exception], ...]:
    """The exception types whose message is the whole story for the user."""
    from ada.audio import AudioError
    from ada.config import ConfigError
    from ada.corpus import CorpusError
    from ada.dataset import DatasetError
    from ada.train import TrainingDiverged

    return AudioError, ConfigError, CorpusError, DatasetError, TrainingDiverged


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.getLogger("absl").setLevel(logging.ERROR)  # orbax's notes on read-only checkpoint dirs
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["train"]:
            return cmd_train(argv[1:])
        args = build_parser().parse_args(argv)
        return args.func(args)
    except user_errors() as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
