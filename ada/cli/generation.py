"""`ada encode | sample | reconstruct | continue | export`: trained levels and stacks put to use."""

from __future__ import annotations

import json
from pathlib import Path

from ada.cli.arguments import UsageError, count, nonnegative, positive, rendering_arguments, temperatures, writable_dir


def cmd_encode(args) -> int:
    writable_dir(args.out, "--out")
    from ada.generation.encode import encode_dataset

    index = encode_dataset(args.level, args.data, args.out, window=args.window, batch_size=args.batch_size,
                           progress=not args.quiet, overwrite=args.overwrite)
    codes = sum(f["length"] for f in index["files"])
    print(f"encoded {len(index['files'])} files into {args.out}: {codes:,d} codes, vocabulary {index['vocab']}, "
          f"{index['rate']:g} codes/s")
    return 0


def add_encode(sub) -> None:
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


def cmd_sample(args) -> int:
    writable_dir(args.out, "--out")
    from ada.generation.limits import limits

    limits(args.max_audio_seconds).check(args.seconds, args.num)
    from ada.generation.audio import sample_stack

    result = sample_stack(args.stack, args.seconds, args.num, args.out, args.temperature, args.seed, args.chunk)
    print(f"{args.num} samples of {args.seconds:g} s in {result.seconds:.0f} s")
    print(f"listen: {result.page}")
    return 0


def add_sample(sub) -> None:
    p = sub.add_parser("sample", help="draw music from a stack's prior and render it down to WAV")
    p.add_argument("--stack", required=True, help='JSON: {"levels": [workdir, ...], "prior": workdir}')
    p.add_argument("--seconds", type=positive, default=4.0)
    p.add_argument("--num", type=count, default=4, help="pieces, sampled as one batch")
    rendering_arguments(p)
    p.set_defaults(func=cmd_sample)


def cmd_reconstruct(args) -> int:
    writable_dir(args.out, "--out")
    from ada.generation.limits import limits

    limits(args.max_audio_seconds).check(args.seconds, 1 if args.input else args.excerpts)
    from ada.generation.audio import reconstruct_excerpts

    result = reconstruct_excerpts(args.stack, args.out, levels=args.levels, seconds=args.seconds, input=args.input,
                                  offset=args.offset, data=args.data, split=args.split, excerpts=args.excerpts,
                                  temperature=args.temperature, seed=args.seed, chunk=args.chunk)
    for r in result.results:
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}))
    print(f"listen: {result.page}")
    return 0


def add_reconstruct(sub) -> None:
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
    rendering_arguments(p)
    p.set_defaults(func=cmd_reconstruct)


def cmd_continue(args) -> int:
    writable_dir(args.out, "--out")
    from ada.generation.limits import limits

    limits(args.max_audio_seconds).check(args.prompt_seconds + args.seconds, args.num, "--prompt-seconds + --seconds")
    from ada.generation.audio import continue_piece

    result = continue_piece(args.stack, args.input, args.out, prompt_seconds=args.prompt_seconds,
                            seconds=args.seconds, offset=args.offset, num=args.num, temperature=args.temperature,
                            seed=args.seed, chunk=args.chunk)
    print(json.dumps({k: v for k, v in result.meta.items() if k.startswith(("noisiness", "flatness", "key", "silent"))},
                     ensure_ascii=False))
    print(f"{args.num} continuations of {result.meta['prompt']} of {args.input}, {args.seconds:g} s each")
    print(f"listen: {result.page}")
    return 0


def add_continue(sub) -> None:
    p = sub.add_parser("continue", help="continue a piece: its opening encoded up the stack, what follows sampled")
    p.add_argument("--stack", required=True, help='JSON: {"levels": [workdir, ...], "prior": workdir}')
    p.add_argument("--input", required=True, help="any audio file (WAV, FLAC, OGG, MP3, AIFF)")
    p.add_argument("--offset", type=nonnegative, default=0.0, help="seconds into --input where the prompt starts "
                   "(after its leading silence is trimmed)")
    p.add_argument("--prompt-seconds", type=nonnegative, required=True, help="length of the prompt (0: unprimed)")
    p.add_argument("--seconds", type=positive, default=4.0, help="length of what is sampled after the prompt")
    p.add_argument("--num", type=count, default=2, help="continuations of the same prompt, sampled as one batch")
    rendering_arguments(p)
    p.set_defaults(func=cmd_continue)


def cmd_export(args) -> int:
    writable_dir(args.out, "--out")
    from ada.evaluation import card
    from ada.generation.export import export_stack, recorded_hardware
    from ada.generation.stack import load_stack

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
    hardware = args.hardware or recorded_hardware(args.stack)  # an export of an export keeps its own
    path = export_stack(stack, Path(args.out), args.dtype, args.overwrite, hardware=hardware)
    if args.corpus:  # measured beside it, for machines without it
        from ada.generation.audio import record_corpus_measures

        record_corpus_measures(path, args.corpus, count=args.corpus_excerpts)
    written = card.write_card(Path(args.out), card.model_card(
        stack, measured, hardware or "not stated", args.sweep, since=card.parameters_written(Path(args.out))))
    size = sum(f.stat().st_size for f in Path(args.out).rglob("*") if f.is_file())
    print(f"exported {len(stack.levels)} levels and a prior to {path} ({size / 2**20:.1f} MiB, {args.dtype}); "
          f"model card: {written}")
    return 0


def add_export(sub) -> None:
    p = sub.add_parser("export", help="a trained stack -> a compact folder that ships (Polyak parameters, "
                       "configs, stack.json, MODEL_CARD.md)")
    p.add_argument("--stack", required=True, help="the stack file of the trained workdirs")
    p.add_argument("--out", required=True, help="folder for level1/, ..., prior/, stack.json and MODEL_CARD.md")
    p.add_argument("--dtype", choices=("bfloat16", "float32"), default="bfloat16", help="storage of float parameters")
    p.add_argument("--measured", action="append", default=[], metavar="LABEL=FOLDER",
                   help="listening pages (samples/, reconstructions/) whose measures go into the model card; repeat "
                   "for the stacks and data to compare")
    p.add_argument("--hardware", default=None, help="where the models were trained, for the model card and "
                   "stack.json (default: what the --stack file records, as an export's does, else not stated)")
    p.add_argument("--sweep", default=None, metavar="FOLDER", help="a folder of pages rendered at other temperatures "
                   "(one subfolder each): their measures go into the model card, a row per temperature (pages drawn "
                   "before the exported parameters were written are left out)")
    p.add_argument("--temperature", type=temperatures, default=None, metavar="T[,T...]",
                   help="the sampling temperatures the exported stack.json holds: one for every model, or one per "
                   "model, levels bottom first, then the prior (default: the stack file's)")
    p.add_argument("--overwrite", action="store_true", help="replace a stack already exported to --out")
    p.add_argument("--corpus", default=None, help="the corpus level 1 was trained on: its measures are kept beside "
                   "the stack file (corpus-measures.json), for pages drawn where the corpus is not")
    p.add_argument("--corpus-excerpts", type=count, default=16, metavar="N",
                   help="train excerpts of --corpus measured at each length (4 s and 30 s; default 16)")
    p.set_defaults(func=cmd_export)


def register(sub) -> None:
    """This group's subcommands, each with its arguments, on the `ada` parser."""
    add_encode(sub)
    add_sample(sub)
    add_reconstruct(sub)
    add_continue(sub)
    add_export(sub)
