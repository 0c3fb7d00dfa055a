"""`make app-screenshots`: the app on the shipped stack in headless Chromium, as a user meets it.

Clicks Generate (4 s, 1 sample) three times and records the time from each click to the first sound reaching
the player (the first includes compiling the samplers) and whether the streamed playback then ran dry;
continues the shipped excerpt, reconstructs it, and interpolates with the first MusicVAE (`--musicvae
WORKDIR`, else the shipped ones) between its examples; a screenshot of each tab goes to OUT/app-TAB.png and the
timings to docs/results/app-first-sound.md (a generated file).
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import tempfile
from pathlib import Path

from ada.app import browser
from ada.app.server import Models, serve
from ada.data.atomic import write_text

TIMINGS = Path("docs/results/app-first-sound.md")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stack", default="pretrained/stack.json")
    p.add_argument("--musicvae", action="append", default=[])
    p.add_argument("--midi", nargs=2, help="two MIDI files to interpolate (default: a shipped model's examples)")
    p.add_argument("--out", default="docs/images")
    p.add_argument("--clicks", type=int, default=3)
    args = p.parse_args(argv)
    stack, out = Path(args.stack), Path(args.out)
    if not args.musicvae:  # the shipped MusicVAEs, as `ada app` serves them
        args.musicvae = [str(p.parent) for p in sorted((stack.parent / "musicvae").glob("*/params.npz"))]
    results = Path(tempfile.mkdtemp(prefix="ada-app-"))
    page, address = serve(Models(stack, [Path(w) for w in args.musicvae], results, stack.parent / "excerpt.flac"),
                          port=_port())
    chromium = browser.AppBrowser(address, height=1500)
    try:
        took, heard = [], []
        for _ in range(args.clicks):
            took.append(browser.first_sound(chromium))
            heard.append(browser.playback(chromium))
            chromium.wait_text("generate-status", "written to")
        chromium.screenshot(out / "app-generate.png")
        chromium.tab("Continue")
        chromium.click("continue-button")  # nothing uploaded: the shipped excerpt
        chromium.wait_text("continue-status", "prompt ends")
        chromium.screenshot(out / "app-continue.png")
        chromium.tab("Reconstruct")
        chromium.upload("reconstruct-upload", stack.parent / "excerpt.flac")
        chromium.click("reconstruct-button")
        chromium.wait_text("reconstruct-status", "written to")
        chromium.screenshot(out / "app-reconstruct.png")
        if args.musicvae and (args.midi or (Path(args.musicvae[0]) / "examples").is_dir()):
            chromium.tab("MusicVAE")
            if args.midi:  # else the model's two examples
                chromium.upload("musicvae-a", Path(args.midi[0]))
                chromium.upload("musicvae-b", Path(args.midi[1]))
            chromium.click("musicvae-interpolate-button")
            chromium.wait_text("musicvae-interpolate-status", "written to")
            chromium.screenshot(out / "app-musicvae.png", show="musicvae-interpolate-button")
    finally:
        chromium.close()
        page.close()
    warm = took[1:] or took
    write_text(TIMINGS, "\n".join([
        "# The app's time to first sound", "",
        "Written by `make app-screenshots` (ada/app/screenshots.py); do not edit. The seconds from a click on "
        "Generate (4 s, 1 sample, the shipped stack, batch 1) to the first sample's audio reaching the page's "
        f"player, in headless Chromium on the machine that wrote this ({platform.machine()}, "
        f"{os.cpu_count()} CPU cores).", "",
        "| click | seconds |", "|---|---|",
        *[f"| {n}{' (compiles the samplers)' if n == 1 else ''} | {t:.1f} |" for n, t in enumerate(took, 1)],
        "", f"Median after the first: {statistics.median(warm):.1f} s.", "",
        "The first sample's playback in the streamed player, from its first sound to its end: the seconds "
        "played, how often it ran dry while playing (a `waiting` event) and the least audio it held ahead of "
        "what it played while the rest was still rendering.", "",
        "| click | played (s) | ran dry | least lead (s) |", "|---|---|---|---|",
        *[f"| {n} | {h['played']:.2f}{'' if h['ended'] else ' (not ended)'} | {h['waits']} | "
          f"{h['least_lead']:.2f} |" for n, h in enumerate(heard, 1)], ""]))
    print(f"screenshots in {out}; first sound after {', '.join(f'{t:.1f}' for t in took)} s ({TIMINGS})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
