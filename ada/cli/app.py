"""`ada app`: the local web app over a stack and MusicVAEs (ada.app.server)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ada.cli.arguments import UsageError, count, writable_dir


def cmd_app(args) -> int:
    writable_dir(args.out, "--out")
    stack = None if args.no_stack else Path(args.stack)
    if stack is not None and not stack.is_file():
        raise UsageError(f"--stack {stack}: no such stack file (make demo fetches the shipped one; --no-stack for "
                         "MusicVAEs alone)")
    if not args.musicvae:  # the shipped MusicVAEs, where there are any
        args.musicvae = [str(p.parent) for p in sorted(Path(args.shipped_musicvae).glob("*/params.npz"))]
    for workdir in args.musicvae:
        if not (Path(workdir) / "config.json").is_file():
            raise UsageError(f"--musicvae {workdir}: not a trained MusicVAE workdir (no config.json)")
    if stack is None and not args.musicvae:
        raise UsageError("nothing to serve: name a --stack or a --musicvae workdir")
    if args.host not in ("127.0.0.1", "localhost"):
        print(f"warning: serving on {args.host}: anyone who reaches this machine can use the app and write to "
              f"{args.out}")
    excerpt = stack.parent / "excerpt.flac" if stack is not None else None
    from ada.app.server import Models, serve

    page, address = serve(Models(stack, [Path(w) for w in args.musicvae], Path(args.out),
                                 excerpt if excerpt is not None and excerpt.is_file() else None),
                          host=args.host, port=args.port, open_browser=args.open)
    print(f"app: {address} (results in {args.out}; Ctrl-C stops it)", flush=True)
    try:
        page.block_thread()
    except KeyboardInterrupt:
        page.close()
    return 0


def add_app(sub) -> None:
    p = sub.add_parser("app", help="a local web app: generate, continue, reconstruct, MusicVAE sample and "
                       "interpolate, heard in the browser")
    p.add_argument("--stack", default="pretrained/stack.json", help="stack file (default: the shipped stack)")
    p.add_argument("--no-stack", action="store_true", help="serve MusicVAEs alone")
    p.add_argument("--musicvae", action="append", default=[], metavar="WORKDIR",
                   help="a trained MusicVAE workdir or exported folder (repeat for more; default: every MusicVAE "
                   "under pretrained/musicvae)")
    p.add_argument("--shipped-musicvae", default="pretrained/musicvae", help=argparse.SUPPRESS)
    p.add_argument("--out", default="listen/app", help="where every result is written, as the CLI writes it")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: this machine only)")
    p.add_argument("--port", type=count, default=7860)
    p.add_argument("--open", action="store_true", help="open it in the browser")
    p.set_defaults(func=cmd_app)


def register(sub) -> None:
    """This group's subcommands, each with its arguments, on the `ada` parser."""
    add_app(sub)
