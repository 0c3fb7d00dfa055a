"""The sweeps that chose the shipped stack (`ada sweep level1 | level2 | prior | temperature`).

A sweep is a list of named config overrides (or of configs); each variant trains in its own workdir under
`runs`, so a rerun resumes it, and its pages or table land beside it. `temperature` is the release's own
sweep (ada.workflows.release.sweep_temperature), on the exported stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ada.workflows.fidelity import CANDIDATES
from ada.workflows.release import Release
from ada.workflows.steps import Pages, Runner

# The short sweep that chose the shipped level 1's size: sizes of the local model.
LEVEL1_SIZES: dict[str, list[str]] = {
    "tiny": [],
    "wide": ["--config.model.local.residual=96", "--config.model.local.inner=48", "--config.model.local.skip=96"],
    "deep": ["--config.model.local.stages=8", "--config.model.local.residual=64", "--config.model.local.inner=32",
             "--config.model.local.skip=64"],
}

# Where the samples lose the key: levels 2 trained on the shipped level 1's codes.
LEVEL2_VARIANTS: dict[str, list[str]] = {
    "long": ["--config.train.steps=16000"],
    "codes256": ["--config.model.quantiser.codes=256"],
    "rf32": ["--config.model.local.stages=5", "--config.model.local.repeats=1"],
    "hop4": ["--config.model.hop=4"],
    "hop4long": ["--config.model.hop=4", "--config.train.steps=12000"],
    "wide": [f"--config.model.{net}.{field}=96" for net in ("encoder", "modulator")
             for field in ("residual", "inner", "skip")],
    "amae": ["--config.model.quantiser.kind=argmax", "--config.model.quantiser.diversity=5.0"],
    "deep": ["--config.model.encoder.stages=7", "--config.model.modulator.stages=5"],
    "rf255": ["--config.model.local.stages=7", "--config.data.crop=1024"],
}

# The short sweep that chose the shipped prior: prior configs over the shipped levels' top codes.
PRIORS: tuple[str, ...] = ("tiny_prior", "tiny_prior_4s")
LEVEL1_SWEEP_CONFIG = Path("experiments/tiny_level1.py")  # the sizes are overrides of it


@dataclass
class Sweep:
    """The settings of a sweep; each is a flag of `ada sweep`."""

    runs: Path = Path("workdirs/sweep")
    minutes: float = 10.0  # level1: wall time per size
    level2_steps: int = 4000
    level2_temperature: tuple[float, float] = (0.2, 0.3)
    excerpts: int = 32  # level2: training excerpts reconstructed
    round_minutes: float = 60.0  # fidelity: wall time of each candidate's training per round
    heldout: Path = Path("data/prepared/piano-heldout")  # fidelity: the works every candidate is measured on
    candidates: tuple[str, ...] = CANDIDATES  # fidelity


def level1(s: Sweep, r: Release, run: Runner, sizes: dict[str, list[str]] = LEVEL1_SIZES) -> Path:
    """Each size trained for `minutes` of wall time on the medium corpus (SIGTERM checkpoints and stops it; a
    finished size is not run again), then measured side by side by `ada eval` on the small corpus's held-out
    piece (NLL, and reconstructions at temperature 1). The table: runs/sweep.md."""
    run.require(r.data / "index.json", "medium corpus", "make data-medium builds it")
    run.require(r.small / "index.json", "small corpus", "make data builds it")
    for name, overrides in sizes.items():
        workdir = s.runs / name
        if (workdir / "swept").exists():
            continue
        code = run.ada("train", "--config", LEVEL1_SWEEP_CONFIG, "--workdir", workdir, f"--config.data.path={r.data}",
                       "--config.train.steps=1000000", *overrides, timeout_minutes=s.minutes)
        if code in (0, 124) and not run.dry_run:
            (workdir / "swept").touch()
    run.ada("eval", *[a for name in sizes for a in ("--workdir", s.runs / name)], "--data", r.small, "--excerpts", 3,
            "--seconds", 4, "--out", s.runs / "sweep")
    return s.runs / "sweep.md"


def level2(s: Sweep, r: Release, run: Runner, variants: dict[str, list[str]] = LEVEL2_VARIANTS) -> Path:
    """`excerpts` training excerpts of the medium corpus encoded and rendered back through the shipped level 1
    alone, through both shipped levels, and through the shipped level 1 under each variant's level 2 (trained
    `level2_steps` steps on the shipped level 1's codes), at the shipped temperatures (theirs:
    `level2_temperature`). A prior's samples cannot show more of the key than the levels under it keep."""
    codes1 = Path(f"{r.data}-codes1")
    run.require(codes1 / "index.json", "codes of the medium corpus", "ada release train encodes them")
    out = s.runs / "level2"

    def reconstruct(stack: Path, levels: int, pages: Path) -> None:
        run.ada("reconstruct", "--data", r.data, "--split", "train", "--excerpts", s.excerpts, "--seconds", 4,
                "--stack", stack, "--levels", levels, "--out", pages)

    reconstruct(r.shipped / "stack.json", 1, out / "through-level1")
    reconstruct(r.shipped / "stack.json", 2, out / "shipped")
    for name, overrides in variants.items():
        run.ada("train", "--config", r.level2_config, "--workdir", out / name, f"--config.data.path={codes1}",
                f"--config.train.steps={s.level2_steps}", *overrides)
        stack = run.write_stack(out / f"{name}.json", [r.shipped / "level1", out / name],
                                level_temperatures=list(s.level2_temperature))
        reconstruct(stack, 2, out / f"{name}-pages")
    return out


def prior(s: Sweep, r: Release, run: Runner, priors: tuple[str, ...] = PRIORS) -> Path:
    """Each prior trained `prior_steps` steps on the shipped levels' top codes of the medium corpus, then `num`
    samples of each over the exported levels at the shipped temperatures, their measures on each page."""
    codes2 = Path(f"{r.data}-codes2")
    run.require(codes2 / "index.json", "top codes of the medium corpus", "ada release train encodes them")
    for name in priors:
        workdir = s.runs / name
        run.ada("train", "--config", Path("experiments") / f"{name}.py", "--workdir", workdir,
                f"--config.data.path={codes2}", f"--config.train.steps={r.prior_steps}")
        stack = run.write_stack(s.runs / f"{name}.json", [r.shipped / "level1", r.shipped / "level2"], workdir)
        Pages(seconds=r.seconds).sample(run, stack, s.runs / f"{name}-pages", r.num, r.temperature)
    return s.runs

