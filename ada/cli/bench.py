"""`ada bench`: speed of the sampler, the trainer and the data path beside plain references."""

from __future__ import annotations

from pathlib import Path

from ada.cli.arguments import writable_dir


def cmd_bench(args) -> int:
    writable_dir(Path(args.out).parent, "--out's folder")
    from ada.bench.speed import GPU_JSON, run, run_accelerator

    if args.accelerator:
        run_accelerator(Path(args.out).with_name(GPU_JSON))
        print(f"wrote {Path(args.out).with_name(GPU_JSON)}; `make bench` on this or another machine reports it")
        return 0
    results = run(args.out, args.data, quick=args.quick)
    print(open(args.out).read())
    return 0 if results else 1


def register(sub) -> None:
    """This group's subcommands, each with its arguments, on the `ada` parser."""
    p = sub.add_parser("bench", help="measure sampler, trainer and data speed; write BENCHMARKS.md")
    p.add_argument("--out", default="BENCHMARKS.md")
    p.add_argument("--data", default="data/prepared/piano-small", help="dataset for the loader benchmark")
    p.add_argument("--quick", action="store_true", help="fewer steps (for a smoke test)")
    p.add_argument("--accelerator", action="store_true",
                   help="on a GPU or TPU: the paper-size figures only an accelerator shows (benchmarks-gpu.json)")
    p.set_defaults(func=cmd_bench)
