"""`ada release train | ship | card`, `ada device pack | train | receive` and `ada sweep level1 | level2 | prior |
temperature | fidelity | key-hold`: how the shipped stack is made (here or on a lent accelerator) and the sweeps and
studies that chose it (ada.workflows), each a resumable recipe of `ada` commands."""

from __future__ import annotations

from dataclasses import MISSING, fields
from pathlib import Path

from ada.cli.arguments import UsageError, count, natural, positive, temperatures
from ada.workflows import device, fidelity, figures, key_hold, release, sweeps
from ada.workflows.steps import Runner, WorkflowError

# each setting of a recipe: its flag, what it is, and its type where its default's does not say it
RELEASE_FLAGS = {
    "shipped": ("--shipped", "the exported stack's folder"),
    "runs": ("--runs", "the workdirs of the shipped stack"),
    "data": ("--data", "the corpus it trains on"),
    "small": ("--small", "the small corpus: the shipped excerpt, the level-1 sweep's eval"),
    "heldout": ("--heldout", "the held-out works the card's reconstructions come from (make data-heldout)"),
    "excerpts": ("--excerpts", "held-out excerpts the card reconstructs"),
    "previous": ("--previous", "an earlier export, measured beside this one in the card", Path),
    "level1_config": ("--level1-config", "level 1's experiment file"),
    "level2_config": ("--level2-config", "level 2's experiment file"),
    "prior_config": ("--prior-config", "the prior's experiment file"),
    "level1_steps": ("--level1-steps", "training steps of level 1"),
    "steps": ("--steps", "training steps of level 2"),
    "prior_steps": ("--prior-steps", "training steps of the prior"),
    "temperature": ("--temperature", "the shipped sampling temperatures, one per model"),
    "num": ("--num", "samples per page the card measures"),
    "seconds": ("--seconds", "length of each sample"),
    "long_num": ("--long-num", "long samples the card measures key hold on (0: none)", natural),
    "long_seconds": ("--long-seconds", "length of each long sample"),
    "dtype": ("--dtype", "storage of the exported parameters"),
    "hardware": ("--hardware", "where it was trained, for the card (default: what the export's stack.json records, "
                 "as `ada device` records its device, else this machine)"),
    "tiny_runs": ("--tiny-runs", "where make demo trained the tiny stack, measured beside it in the card"),
    "excerpt_source": ("--excerpt-source", "the render the shipped excerpt is cut from"),
    "sweep_level1": ("--sweep-level1", "temperature sweep: level 1's temperatures for reconstructions"),
    "sweep_stack": ("--sweep-stack", "temperature sweep: the stack's settings for samples, each T or T,T,T"),
}
SWEEP_FLAGS = {
    "runs": ("--sweep-runs", "workdirs and pages of the sweeps"),
    "minutes": ("--minutes", "level1: wall time per size"),
    "level2_steps": ("--level2-steps", "level2: training steps per variant"),
    "excerpts": ("--excerpts", "level2: held-out excerpts reconstructed"),
    "level2_variants": ("--level2-variants", "level2: the variants trained (LEVEL2_VARIANTS, ada/workflows/sweeps.py)"),
    "round_minutes": ("--round-minutes", "fidelity: wall time of each candidate's training per round"),
    "heldout": ("--heldout", "fidelity, key-hold, level2: the held-out works (make data-heldout)"),
    "candidates": ("--candidates", "fidelity: candidates of experiments/level1_study.py"),
    "init_from": ("--init-from", "fidelity: an exported level 1 (e.g. pretrained/level1, the study's rf1024) that a "
                  "candidate's workdir without checkpoints begins from, at its step"),
}


def _temperature_text(text: str) -> str:
    temperatures(text)  # refused in one line unless a number ≥ 0 or a comma list of them
    return text


def _add_settings(p, cls, flags: dict, besides: dict | None = None) -> None:
    """`cls`'s settings as flags, less those `besides` (another recipe's flags on the same command) names."""
    for f in fields(cls):
        if f.name not in flags or flags[f.name][0] in {flag for flag, *_ in (besides or {}).values()}:
            continue
        flag, what, *kind = flags[f.name]
        default = "this machine's" if f.default is MISSING else f.default
        if isinstance(default, bool):  # a switch: --overwrite turns a False on, --no-wheels a True off
            p.add_argument(flag, dest=f"{cls.__name__}.{f.name}", action="store_false" if default else "store_true",
                           default=None, help=what)
            continue
        kind = kind[0] if kind else _temperature_text if "temperature" in what else \
            {int: count, float: positive}.get(type(default), str)
        many = isinstance(default, tuple)
        p.add_argument(flag, dest=f"{cls.__name__}.{f.name}", type=kind, default=None, nargs="+" if many else None,
                       help=what if default == "" else f"{what} (default: {' '.join(default) if many else default})")


def _settings(cls, args, flags: dict):
    given = {}
    for f in fields(cls):
        value = getattr(args, f"{cls.__name__}.{f.name}", None)
        if f.name in flags and value is not None:
            given[f.name] = Path(value) if isinstance(f.default, Path) else tuple(value) if isinstance(value, list) \
                else value
    if "dtype" in given and given["dtype"] not in ("bfloat16", "float32"):
        raise UsageError(f"--dtype {given['dtype']}: choose bfloat16 or float32")
    return cls(**given)


def cmd_release(args) -> int:
    r = _settings(release.Release, args, RELEASE_FLAGS)
    step = {"train": release.train, "ship": release.ship, "card": release.card}[args.step]
    try:
        result = step(r, Runner(args.dry_run))
    except WorkflowError as e:
        raise UsageError(str(e)) from None
    print(f"release {args.step}: {result}")
    return 0


DEVICE_FLAGS = {
    "kit": ("--kit", "the kit's folder: pack writes it, train reads it (carry it to the device)"),
    "data": ("--data", "pack: the audio corpus the kit carries"),
    "max_mib": ("--max-mib", "pack: the corpus's share of the kit at most, in MiB (less where the working tree and "
                "wheels leave less of the 64 MiB a call carries)"),
    "wheels": ("--no-wheels", "pack: carry no wheels (the device's image then needs grain, array_record, "
               "ml_collections, tensorboardX and portpicker)"),
    "python": ("--python", "pack: the device's Python version, for the wheels"),
    "runs": ("--runs", "train: the workdirs and the unpacked corpus (a rerun on the same machine continues)"),
    "out": ("--out", "train: where the export's parts and device.json go (the call's $OUT)"),
    "minutes": ("--minutes", "train: wall minutes of level 1, level 2 and the prior"),
    "steps": ("--steps", "train: at most these training steps of level 1, level 2 and the prior"),
    "level1_config": ("--level1-config", "train: level 1's experiment file"),
    "level2_config": ("--level2-config", "train: level 2's experiment file"),
    "prior_config": ("--prior-config", "train: the prior's experiment file"),
    "init_from": ("--init-from", "train: an export (its level1/, level2/, prior/) each model begins from, at its "
                  "step; '' for none"),
    "returned": ("--returned", "receive: the folder the call's files came back into"),
    "shipped": ("--shipped", "receive: the export folder to write"),
    "overwrite": ("--overwrite", "receive: replace an export already in --shipped"),
}


def cmd_device(args) -> int:
    d = _settings(device.Device, args, DEVICE_FLAGS)
    run = Runner(args.dry_run)
    try:
        if args.step == "pack":
            result = device.pack(d) if not args.dry_run else d.kit
        elif args.step == "train":
            result = device.train(d, run)
        else:
            result = device.receive(d)
    except WorkflowError as e:
        raise UsageError(str(e)) from None
    print(f"device {args.step}: {result}")
    return 0


def cmd_sweep(args) -> int:
    r = _settings(release.Release, args, RELEASE_FLAGS)
    s = _settings(sweeps.Sweep, args, SWEEP_FLAGS)
    run = Runner(args.dry_run)
    try:
        if args.name == "temperature":
            release.sweep_temperature(r, run)
            result = r.pages
        elif args.name == "fidelity":
            result = fidelity.fidelity(run, s.runs / "fidelity", r.data, s.heldout, s.candidates, s.round_minutes,
                                       init_from=s.init_from or None)
        elif args.name == "key-hold":
            result = key_hold.study(run, s.runs / "key-hold", r.shipped, r.data, s.heldout, steps=r.prior_steps,
                                    num=r.num, temperature=r.temperature)
        else:
            result = {"level1": sweeps.level1, "level2": sweeps.level2, "prior": sweeps.prior}[args.name](s, r, run)
    except WorkflowError as e:
        raise UsageError(str(e)) from None
    print(f"sweep {args.name}: {result}")
    return 0


def cmd_figures(args) -> int:
    try:
        out = figures.overview(Runner(args.dry_run), Path(args.shipped), Path(args.out), Path(args.runs))
    except WorkflowError as e:
        raise UsageError(str(e)) from None
    print(f"figures: {out}")
    return 0


def register(sub) -> None:
    """This group's subcommands, each with its arguments, on the `ada` parser."""
    p = sub.add_parser("release", help="train, export and measure the shipped stack (resumable; --dry-run shows "
                       "the commands)")
    p.add_argument("step", choices=("train", "ship", "card"), help="train: the workdirs; ship: train, export, card "
                   "and excerpt; card: measure an export in place and write its MODEL_CARD.md")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    _add_settings(p, release.Release, RELEASE_FLAGS)
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("sweep", help="the sweeps and studies behind the shipped stack: temperature and prior (its "
                       "settings), fidelity (its level 1), level1, level2 and key-hold (resumable; --dry-run "
                       "shows the commands)")
    p.add_argument("name", choices=("level1", "level2", "prior", "temperature", "fidelity", "key-hold"))
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    _add_settings(p, release.Release, RELEASE_FLAGS, besides=SWEEP_FLAGS)
    _add_settings(p, sweeps.Sweep, SWEEP_FLAGS)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("device", help="train the stack on a lent accelerator in one call: pack a kit here, train "
                       "there, receive the export here (docs/training.md, Scaling: A lent GPU, one call)")
    p.add_argument("step", choices=("pack", "train", "receive"), help="pack: the corpus and wheels a call carries; "
                   "train (on the device): the three models for their minutes, exported as parts; receive: the parts "
                   "joined into an export folder")
    p.add_argument("--dry-run", action="store_true", help="train: print the commands, run nothing")
    _add_settings(p, device.Device, DEVICE_FLAGS)
    p.set_defaults(func=cmd_device)

    p = sub.add_parser("figures", help="draw the docs' pictures again from the shipped stack (docs/images/)")
    p.add_argument("--shipped", default="pretrained", help="the exported stack (default: pretrained)")
    p.add_argument("--out", default="docs/images/overview.png", help="the overview picture to write")
    p.add_argument("--runs", default="workdirs/figures", help="where its pages are rendered")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    p.set_defaults(func=cmd_figures)
