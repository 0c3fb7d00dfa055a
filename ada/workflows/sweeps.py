"""The sweeps that chose the shipped stack (`ada sweep level1 | level2 | prior | temperature`).

A sweep is a list of named config overrides (or of configs); each variant trains in its own workdir under
`runs`, so a rerun resumes it, and its pages or table land beside it. `temperature` is the release's own
sweep (ada.workflows.release.sweep_temperature), on the exported stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ada.data.atomic import write_text
from ada.workflows.fidelity import CANDIDATES
from ada.workflows.release import Release
from ada.workflows.steps import Pages, Runner, WorkflowError

# The short sweep that chose the shipped level 1's size: sizes of the local model.
LEVEL1_SIZES: dict[str, list[str]] = {
    "tiny": [],
    "wide": ["--config.model.local.residual=96", "--config.model.local.inner=48", "--config.model.local.skip=96"],
    "deep": ["--config.model.local.stages=8", "--config.model.local.residual=64", "--config.model.local.inner=32",
             "--config.model.local.skip=64"],
}

# Where the samples lose the key: levels 2 trained on the shipped level 1's codes.
WIDE_LOCAL = [f"--config.model.local.{f}={n}" for f, n in (("residual", 128), ("inner", 64), ("skip", 128))]
WIDE_CODEC = [f"--config.model.{net}.{f}=128" for net in ("encoder", "modulator")
              for f in ("residual", "inner", "skip")]
RF32 = ["--config.model.local.stages=5", "--config.model.local.repeats=1"]
LEVEL2_VARIANTS: dict[str, list[str]] = {
    "long": ["--config.train.steps=16000"],
    "codes256": ["--config.model.quantiser.codes=256"],
    # codes256 trained longer: the same run (one seed, deterministic), stopped at 20,000 and 40,000 steps (1 CPU-hour)
    "codes256-20k": ["--config.model.quantiser.codes=256", "--config.train.steps=20000"],
    "codes256-40k": ["--config.model.quantiser.codes=256", "--config.train.steps=40000"],
    # a local model as wide as the paper's ratios allow on 2 cores (residual and skip 128, inner 64; tiny: 48, 24)
    "codes256-wide": ["--config.model.quantiser.codes=256", *WIDE_LOCAL],
    # a local model that hears 32 codes (16 ms) rather than 127, so the codes must carry more (Table 2's 2.3)
    "codes256-rf32": ["--config.model.quantiser.codes=256", *RF32],
    "codes256-wide-rf32": ["--config.model.quantiser.codes=256", *WIDE_LOCAL, *RF32],
    # word dropout of the local model's past (ada/models/level.py drop_tokens), so it must lean on the codes
    "codes256-drop50": ["--config.model.quantiser.codes=256", "--config.model.input_dropout=0.5"],
    "codes256-drop75": ["--config.model.quantiser.codes=256", "--config.model.input_dropout=0.75"],
    # the encoder and modulator 128 wide (tiny: 48): an encoder with room to read the upper voices' pitch
    "codes256-enc-wide": ["--config.model.quantiser.codes=256", *WIDE_CODEC],
    # the encoder hearing 127 level-1 codes on each side (7 stages; tiny: 5 stages, 31)
    "codes256-enc-rf127": ["--config.model.quantiser.codes=256", "--config.model.encoder.stages=7"],
    "rf32": RF32,
    "hop4": ["--config.model.hop=4"],
    "hop4long": ["--config.model.hop=4", "--config.train.steps=12000"],
    "wide": [f"--config.model.{net}.{field}=96" for net in ("encoder", "modulator")
             for field in ("residual", "inner", "skip")],
    "amae": ["--config.model.quantiser.kind=argmax", "--config.model.quantiser.diversity=5.0"],
    "deep": ["--config.model.encoder.stages=7", "--config.model.modulator.stages=5"],
    "rf255": ["--config.model.local.stages=7", "--config.data.crop=1024"],
}

LEVEL2_TABLE = Path("docs/results/level2.md")
LEVEL2_MEASURES = (("chroma_to_original", "chroma to original"), ("key_clarity", "key clarity"),
                   ("harmonic_contrast_gap_db", "harmonic contrast lost (dB)"), ("noisiness", "noisiness"))

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
    excerpts: int = 10  # level2: held-out excerpts reconstructed (one per work)
    level2_variants: tuple[str, ...] = tuple(LEVEL2_VARIANTS)  # level2: which of LEVEL2_VARIANTS train
    round_minutes: float = 60.0  # fidelity: wall time of each candidate's training per round
    heldout: Path = Path("data/prepared/piano-heldout")  # fidelity, level2: the works every measure is taken on
    candidates: tuple[str, ...] = CANDIDATES  # fidelity
    init_from: str = ""  # fidelity: an exported level 1 a candidate's new workdir begins from


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


def level2(s: Sweep, r: Release, run: Runner, variants: dict[str, list[str]] = LEVEL2_VARIANTS,
           table: Path = LEVEL2_TABLE) -> Path:
    """`excerpts` excerpts of the held-out works encoded and rendered back through the shipped level 1 alone,
    through both shipped levels, and through the shipped level 1 under each of `level2_variants` (a level 2
    trained `level2_steps` steps on the shipped level 1's codes of the medium corpus), at the shipped
    temperatures (the variants': `level2_temperature`); then the table, `table`. A prior's samples cannot show
    more of the key than the levels under it keep."""
    codes1 = Path(f"{r.data}-codes1")
    unknown = [name for name in s.level2_variants if name not in variants]
    if unknown:
        raise WorkflowError(f"--level2-variants {' '.join(unknown)}: not a variant; choose from {' '.join(variants)}")
    run.require(codes1 / "index.json", "codes of the medium corpus", "ada release train encodes them")
    run.require(s.heldout / "index.json", "held-out works", "make data-heldout builds them")
    out = s.runs / "level2"
    rows = [("shipped level 1 alone", out / "through-level1"), ("shipped levels 1 and 2", out / "shipped")]
    for (_, pages), levels in zip(rows, (1, 2), strict=True):
        Pages(data=s.heldout, excerpts=s.excerpts, levels=levels).draw(run, "reconstruct", r.shipped / "stack.json",
                                                                       r.shipped_params, pages, 0, None)
    for name in s.level2_variants:  # each trained (or resumed), then drawn, so a stopped sweep keeps its pages
        workdir = out / name
        own_steps = any(v.startswith("--config.train.steps=") for v in variants[name])  # else the sweep's
        steps = [] if own_steps else [f"--config.train.steps={s.level2_steps}"]
        run.ada("train", "--config", r.level2_config, "--workdir", workdir, f"--config.data.path={codes1}",
                *steps, *variants[name])
        stack = run.write_stack(out / f"{name}.json", [r.shipped / "level1", workdir],
                                level_temperatures=list(s.level2_temperature))
        rows.append((f"shipped level 1, level 2 `{name}`", out / f"{name}-pages"))
        Pages(data=s.heldout, excerpts=s.excerpts, levels=2).draw(run, "reconstruct", stack,
                                                                  [workdir / "checkpoints"], rows[-1][1], 0, None)
    run.log.append(f"table {table}")
    if not run.dry_run:
        write_text(table, level2_table([(label, json.loads((pages / "reconstructions" / "reconstructions.json")
                                                              .read_text())) for label, pages in rows]))
    return table


def level2_table(rows: list[tuple[str, dict]]) -> str:
    """One row per reconstructions page: each measure's mean ± its standard error over the excerpts."""
    first = rows[0][1]
    head = ["through", "level 2", "temperature", "excerpts", *(label for _, label in LEVEL2_MEASURES)]
    originals = [e["key_clarity_of_original"] for e in first["excerpts"]]
    lines = ["# What level 2 keeps of the notes", "",
             "Written by `ada sweep level2` (ada/workflows/sweeps.py): excerpts of the held-out works, "
             f"{first['source']}, encoded and rendered back through the levels named, each measure a mean ± its "
             "standard error over the excerpts, each against its original. The originals' key clarity: "
             f"{_mean_se(originals)}.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, page in rows:
        cells = [_mean_se([e[k] for e in page["excerpts"]]) for k, _ in LEVEL2_MEASURES]
        level2 = page.get("level 2", "–").split(" (", 1)[-1].rstrip(")")  # "step 4000, hop 8, K 64"
        lines.append(f"| {label} | {level2} | {page['temperature']} | {len(page['excerpts'])} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _mean_se(values: list[float]) -> str:
    v = np.asarray(values, np.float64)
    se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
    return f"{v.mean():.3f} ± {se:.3f}"


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

