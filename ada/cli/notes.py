"""`ada notes corpus | prepare | info | sample | interpolate | attribute | eval`: MusicVAE's note data and models."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ada.cli.arguments import count, existing_file, float_list, fraction, natural, nonnegative, ranged, writable_dir


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


def cmd_notes_sample(args) -> int:
    writable_dir(args.out, "--out")
    from ada.generation.notes import sample

    result = sample(args.workdir, args.num, args.temperature, args.out, seed=args.seed)
    print(f"{args.num} samples in {result.seconds:.0f} s")
    print(f"listen: {result.page}")
    return 0


def cmd_notes_interpolate(args) -> int:
    writable_dir(args.out, "--out")
    from ada.generation.notes import dumps, interpolate

    result = interpolate(args.workdir, args.source, args.target, args.steps, args.out, args.temperature, args.seed)
    for r in result.records:
        print(dumps(r))
    print(f"listen: {result.page}")
    return 0


def cmd_notes_attribute(args) -> int:
    writable_dir(args.out, "--out")
    from ada.generation.notes import attribute, dumps

    result = attribute(args.workdir, args.input, args.attribute, args.amounts, args.out, args.temperature, args.seed,
                       data=args.data)
    for r in result.records:
        print(dumps(r))
    print(f"listen: {result.page}")
    return 0


def cmd_notes_eval(args) -> int:
    if args.out:
        writable_dir(Path(args.out).parent, "--out's folder")
    from ada.evaluation.notes import evaluate_all

    print(evaluate_all(args.workdir, args.data, out=args.out, split=args.split, windows=args.windows,
                       temperature=args.temperature, seed=args.seed, step=args.step), end="")
    if args.attributes:
        from ada.evaluation.notes import attribute_matrix, matrix_table

        for workdir in args.workdir:
            m = attribute_matrix(workdir, args.data, windows=min(args.windows, 256), seed=args.seed, step=args.step)
            print(f"\nattribute vectors of {workdir} (decodes of eval windows at temperature 0.5, one seed):")
            print(matrix_table(m, "percent"), end="")
            print(f"\nthe same in standard deviations of each attribute over the eval windows (diagonal dominant in "
                  f"{sum(m.diagonal_dominant('sd'))} of {len(m.names)} rows):")
            print(matrix_table(m, "sd"), end="")
    if args.interpolations:
        from ada.data.atomic import write_json
        from ada.evaluation.interpolation import (
            evaluate_interpolations,
            interpolation_table,
            latent_checks,
            latent_reading,
            mean_decode_checks,
        )
        from ada.generation.notes import NotesModel
        from ada.notes.dataset import open_notes

        for workdir in args.workdir:
            rows, reference = evaluate_interpolations(workdir, args.data, pairs=args.interpolations, seed=args.seed,
                                                      step=args.step)
            print(f"\ninterpolations of {workdir} ({args.interpolations} pairs of eval windows, latent decodes at "
                  "temperature 0.5):")
            print(interpolation_table(rows, reference))
            model = NotesModel.load(workdir, args.step)
            held = open_notes(args.data or model.trained.config.data.path).split("eval")
            print(latent_reading(latent_checks(rows) | mean_decode_checks(model, held)))
            if args.out:
                write_json(Path(f"{args.out}-interpolation-{Path(workdir).name}.json"),
                           {"reference_trigram": reference, "rows": rows})
    if args.samples:
        from ada.data.atomic import write_json
        from ada.evaluation.samples import sample_study, samples_table

        for workdir in args.workdir:
            rows = sample_study(workdir, args.data, num=args.samples, temperature=args.temperature, seed=args.seed,
                                step=args.step)
            print(f"\nprior samples of {workdir} (z ~ N(0, I)) beside the eval windows, mean ± standard error; "
                  "3-gram log-p per step under the train windows' 3-gram model:")
            print(samples_table(rows), end="")
            if args.out:
                write_json(Path(f"{args.out}-samples-{Path(workdir).name}.json"), [r.to_dict() for r in rows])
    return 0


def cmd_notes_export(args) -> int:
    writable_dir(Path(args.out).parent, "--out's folder")
    from ada.evaluation.notes_card import notes_card
    from ada.generation.export import export_notes_model

    out = export_notes_model(args.workdir, Path(args.out), args.dtype, args.overwrite, data=args.data, step=args.step)
    card = notes_card(out, args.hardware, data=args.data)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"exported {args.workdir} to {out} ({size / 2**20:.1f} MiB, {args.dtype}); model card: {card}")
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
    p.add_argument("--from", dest="source", required=True, type=existing_file, help="MIDI file A (its first window)")
    p.add_argument("--to", dest="target", required=True, type=existing_file, help="MIDI file B (its first window)")
    p.add_argument("--steps", type=ranged(int, "a whole number ≥ 2", lambda v: v >= 2), default=7,
                   help="points on the path, endpoints included")
    p.set_defaults(func=cmd_notes_interpolate)

    p = nsub.add_parser("attribute", help="add multiples of an attribute vector to a MIDI file's posterior mean")
    common(p)
    p.add_argument("--input", required=True, type=existing_file, help="MIDI file (its first window)")
    p.add_argument("--attribute", required=True, help="note_density, c_diatonic, average_interval, syncopation_16th "
                   "or syncopation_8th")
    p.add_argument("--amounts", type=float_list, default=[-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5],
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
    p.add_argument("--step", type=natural, default=None, help="the checkpoint to measure, one each workdir keeps "
                   "(default: each one's newest)")
    p.add_argument("--attributes", action="store_true", help="also the matrix of %% change in each attribute when "
                   "each attribute vector is added to eval windows' posterior means")
    p.add_argument("--interpolations", type=natural, default=0, metavar="PAIRS",
                   help="also latent against data-space interpolation between PAIRS pairs of eval windows: Hamming "
                   "distance to the endpoints and naturalness under a 3-gram model of the train windows")
    p.add_argument("--samples", type=natural, default=0, metavar="NUM",
                   help="also NUM prior samples (at --temperature) beside the eval windows: 3-gram naturalness, "
                   "leaps wider than a fifth and an octave, onsets a step")
    p.set_defaults(func=cmd_notes_eval)

    p = nsub.add_parser("export", help="a trained MusicVAE -> a folder that ships: parameters, config, attribute "
                        "vectors, two example MIDI files and MODEL_CARD.md measured on the exported parameters")
    p.add_argument("--workdir", required=True, help="a trained MusicVAE workdir")
    p.add_argument("--out", required=True, help="the folder to write (e.g. pretrained/musicvae/NAME)")
    p.add_argument("--dtype", choices=("bfloat16", "float32"), default="bfloat16", help="storage of float parameters")
    p.add_argument("--data", default=None, help="note dataset measured on (default: the training data)")
    p.add_argument("--hardware", default="2 CPU cores, no accelerator", help="where it was trained, for the card")
    p.add_argument("--step", type=natural, default=None, help="the checkpoint to ship, one the workdir keeps "
                   "(default: its newest)")
    p.add_argument("--overwrite", action="store_true", help="replace a model already exported to --out")
    p.set_defaults(func=cmd_notes_export)


def register(sub) -> None:
    """`ada notes ...`: MusicVAE's note data and models."""
    notes = sub.add_parser("notes", help="MusicVAE's note data and models: corpus, prepare, info, ...")
    nsub = notes.add_subparsers(dest="notes_command", required=True, metavar="COMMAND")
    _add_notes_data_commands(nsub)
    _add_notes_model_commands(nsub)
