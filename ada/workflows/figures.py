"""The pictures in the docs, drawn from what ships (`make figures`): never copied, always rendered again.

docs/images/overview.png: the shipped excerpt (a corpus render), the same seconds encoded by the shipped level 1
and decoded back, and a sample of the shipped stack drawn from its prior, as spectrograms on one time axis, each
beside its notes view.
"""

from __future__ import annotations

from pathlib import Path

from ada.workflows.steps import Runner


def overview(run: Runner, shipped: Path = Path("pretrained"), out: Path = Path("docs/images/overview.png"),
             runs: Path = Path("workdirs/figures"), seconds: float = 4.0, seed: int = 0) -> Path:
    run.require(shipped / "stack.json", "shipped stack", "it ships in pretrained/")
    stack, excerpt = shipped / "stack.json", shipped / "excerpt.flac"
    run.ada("reconstruct", "--stack", stack, "--levels", 1, "--input", excerpt, "--seconds", f"{seconds:g}",
            "--seed", seed, "--out", runs / "reconstructions")
    run.ada("sample", "--stack", stack, "--seconds", f"{seconds:g}", "--num", 1, "--seed", seed,
            "--out", runs / "samples")
    run.log.append(f"draw {out}")
    print(f"figure: {out}", flush=True)
    if run.dry_run:
        return out
    import soundfile as sf

    from ada.data.atomic import atomic_path
    from ada.listening.page import spectrograms_png

    clips = [(sf.read(runs / "reconstructions" / "original-00.wav")[0], "a corpus excerpt (μ-law round trip)"),
             (sf.read(runs / "reconstructions" / "reconstruction-00.wav")[0],
              "the same excerpt through the shipped level 1 (encoded, then sampled back)"),
             (sf.read(runs / "samples" / "sample-00.wav")[0],
              "a sample of the shipped stack (prior, level 2, level 1)")]
    with atomic_path(out) as tmp:
        spectrograms_png(clips, tmp)
    return out
