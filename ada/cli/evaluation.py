"""`ada eval | profile`: how well trained models do, and how predictable a dataset is."""

from __future__ import annotations

from pathlib import Path

from ada.cli.arguments import count, int_list, natural, positive, writable_dir


def cmd_eval(args) -> int:
    if args.out:
        writable_dir(Path(args.out).parent, "--out's folder")
    from ada.evaluation.levels import evaluate_all

    table = evaluate_all(args.workdir, args.data, out=args.out, crops=args.crops, excerpts=args.excerpts,
                         samples=args.samples, seconds=args.seconds)
    print(table, end="")
    return 0


def add_eval(sub) -> None:
    p = sub.add_parser("eval", help="NLL, code usage and reconstruction distances of trained models")
    p.add_argument("--workdir", required=True, action="append", help="a trained workdir (repeat for a table)")
    p.add_argument("--data", required=True, help="the dataset the models read")
    p.add_argument("--crops", type=count, default=256, help="crops per split for the NLL")
    p.add_argument("--excerpts", type=natural, default=3, help="eval excerpts to reconstruct (levels over audio)")
    p.add_argument("--samples", type=count, default=2, help="reconstructions per excerpt")
    p.add_argument("--seconds", type=positive, default=2.0, help="length of each excerpt")
    p.add_argument("--out", help="write OUT.json and OUT.md (the table)")
    p.set_defaults(func=cmd_eval)


def cmd_profile(args) -> int:
    writable_dir(args.workdir, "--workdir")
    from ada.evaluation.predictability import profile

    result = profile(args.data, args.rf, args.workdir, steps=args.steps, progress=not args.quiet)
    for r, v in result["nll"].items():
        print(f"rf {int(r):6d}  eval NLL {v:.3f}")
    print(f"plot: {args.workdir}/profile.png")
    return 0


def add_profile(sub) -> None:
    p = sub.add_parser("profile", help="predictability profile: NLL of a 3-layer predictor against its receptive field")
    p.add_argument("--data", required=True)
    p.add_argument("--rf", type=int_list, default="0,1,2,4,8,16,32,64,128,256,512,1024")
    p.add_argument("--workdir", required=True, help="one training workdir per receptive field, and the plot")
    p.add_argument("--steps", type=count, default=500, help="training steps per receptive field")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_profile)


def register(sub) -> None:
    """This group's subcommands, each with its arguments, on the `ada` parser."""
    add_eval(sub)
    add_profile(sub)
