"""`ada prepare | info | corpus`: token datasets of audio, made from your files or the built-in corpus."""

from __future__ import annotations

import json
import sys

from ada.cli.arguments import (
    UsageError,
    count,
    emphasis,
    hours,
    natural,
    nonnegative,
    positive,
    share,
    writable_dir,
)


def cmd_prepare(args) -> int:
    if not args.sources and not args.remove:
        raise UsageError("ada prepare: name audio files or folders to add, or --remove PATH")
    writable_dir(args.out, "--out")
    from ada.audio.prepare import Recipe, prepare

    recipe = Recipe(normalise=not args.no_normalise, top_db=args.top_db, min_seconds=args.min_seconds,
                    preemphasis=args.preemphasis)
    result = prepare(args.sources, args.out, recipe, workers=args.workers, eval_fraction=args.eval_fraction,
                     progress=not args.quiet, remove=args.remove or (), overwrite=args.overwrite)
    for path in result.removed:
        print(f"removed {path}")
    return _summarise(args.out, result)


def add_prepare(sub) -> None:
    p = sub.add_parser("prepare", help="audio files or folders -> 16 kHz 8-bit μ-law token dataset")
    p.add_argument("sources", nargs="*", help="audio files or folders (searched recursively)")
    p.add_argument("--out", required=True, help="dataset directory: created, resumed, or added to (files of an "
                   "audio dataset there that are not named again are kept)")
    p.add_argument("--remove", action="append", metavar="PATH", help="take the files at or under PATH out of the "
                   "dataset (repeat for more); nothing else is ever removed")
    p.add_argument("--overwrite", action="store_true", help="replace a dataset of another kind or recipe in --out "
                   "(refused without it)")
    p.add_argument("--workers", type=count, default=None, help="parallel decoders (default: all cores)")
    p.add_argument("--eval-fraction", type=share, default=0.01, help="share of files held out (default 1%%; 1: all, "
                   "a held-out set)")
    p.add_argument("--no-normalise", action="store_true", help="keep levels as recorded (default: peak-normalise)")
    p.add_argument("--top-db", type=positive, default=60.0, help="silence threshold below peak for trimming")
    p.add_argument("--min-seconds", type=nonnegative, default=0.1, help="reject files shorter than this after trimming")
    _add_preemphasis(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_prepare)


def _add_preemphasis(p) -> None:
    p.add_argument("--preemphasis", type=emphasis, default=0.0, metavar="ALPHA",
                   help="noise shaping: y[t] = x[t] - ALPHA x[t-1] before μ-law (LPCNet's 0.85; default 0, off, as "
                   "in the paper); recorded in the dataset, and every model trained on it must set "
                   "--config.data.preemphasis=ALPHA (docs/data.md)")


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
        print(f"{split:5s} {len(part):6d} files {hours(sum(f['length'] for f in part) / rate):>9s}")
    kept = f", {result.kept} kept from before" if getattr(result, "kept", 0) else ""
    gone = f", {len(result.removed)} removed" if getattr(result, "removed", None) else ""
    print(f"prepared {len(files)} files into {out} ({result.reused} reused{kept}{gone}), "
          f"rejected {len(result.rejects)}"
          + (f" (see {out}/rejects.json)" if result.rejects else ""))
    return 0


def cmd_info(args) -> int:
    from pathlib import Path

    from ada.data.dataset import REJECTS, open_dataset

    ds = open_dataset(args.dir)
    print(f"dataset  {ds.root}")
    print(f"kind     {ds.index.get('kind', 'tokens')}, vocabulary {ds.vocab} ({ds.index['dtype']}), "
          f"{ds.rate:g} tokens/s")
    for split in ("train", "eval"):
        part = ds.split(split)
        print(f"{split:8s} {len(part):6d} files {hours(ds.seconds(split)):>9s} "
              f"{sum(f['length'] for f in part):>14,d} tokens")
    rejects_path = Path(args.dir) / REJECTS
    rejects = json.loads(rejects_path.read_text()) if rejects_path.is_file() else []
    print(f"rejects  {len(rejects)}")
    for r in rejects:
        print(f"  {r['path']}: {r['reason']}")
    return 0


def add_info(sub) -> None:
    p = sub.add_parser("info", help="files and hours per split, vocabulary and rejects of a dataset")
    p.add_argument("dir")
    p.set_defaults(func=cmd_info)


def cmd_corpus(args) -> int:
    writable_dir(args.out, "--out")
    from ada.audio.corpus import Variation, build

    for name, (low, high) in (("--tempo", args.tempo), ("--velocity", args.velocity)):
        if low > high:
            raise UsageError(f"{name} {low:g} {high:g}: MIN is above MAX")
    variation = Variation(soundfonts=tuple(args.soundfonts.split(",")), presets=tuple(args.presets.split(",")),
                          tempo=tuple(args.tempo), transpose=args.transpose, velocity=tuple(args.velocity),
                          seed=args.seed)
    result, prepared = build(args.out, args.size, variation, workers=args.workers, timeout=args.timeout,
                             only=args.pieces, progress=not args.quiet, overwrite=args.overwrite,
                             preemphasis=args.preemphasis)
    for piece, why in result.failed.items():
        print(f"skipped {piece}: {why}", file=sys.stderr)
    code = _summarise(args.out, prepared)
    print(f"corpus: {result.rendered} pieces, {hours(result.seconds)} of audio, built in "
          f"{result.build_seconds:.0f} s ({result.seconds / max(result.build_seconds, 1e-9):.0f}x real time)")
    return code


def add_corpus(sub) -> None:
    p = sub.add_parser("corpus", help="build the built-in piano corpus (music21 scores on sampled pianos)")
    p.add_argument("--out", required=True)
    p.add_argument("--size", choices=("small", "medium", "full", "heldout"), default="small",
                   help="small: 29 works, 28 min; medium: 106 works, 4.7 h; full: 1,844 works; heldout: 10 works in "
                   "neither small nor medium, all in the eval split (data/README.md)")
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
    _add_preemphasis(p)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_corpus)


def register(sub) -> None:
    """This group's subcommands, each with its arguments, on the `ada` parser."""
    add_prepare(sub)
    add_info(sub)
    add_corpus(sub)
