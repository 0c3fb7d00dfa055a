"""How the shipped stack is made (`ada release train | ship | card`).

`train`: the level 1 `ada sweep fidelity` chose (rf1024, its local model hearing 1,024 samples) trained
`level1_steps`, the tiny level 2 `steps` and the prior `ada sweep prior` chose `prior_steps` on the medium
corpus, each encoded into the next level's data (hours on 2 CPU cores; every step resumes). `ship`:
`train`, then `ada export` of the workdirs into `shipped`, then `card`, then the excerpt the shipped
pages reconstruct and continue. `card`: the export
measured in place, at the shipped temperatures and at each of the temperature sweep's (bfloat16
parameters draw other samples than the workdirs'), with `long_num` samples of `long_seconds` at the shipped
temperatures for key hold, beside the previous export when one is named and the tiny demo stack when
`make demo` has made one, then written again with those measures and the sweep in its MODEL_CARD.md. An
export of an export keeps its steps and training times, so `card` alone measures a shipped stack again
without its workdirs. Reconstructions are of the held-out works (`make data-heldout`), one excerpt of each.
Pages lie in folders named by their count, length and temperature; a page drawn since the parameters it
comes from were written (and, for reconstructions, of the same excerpts) is not drawn again, so a rerun continues.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ada.workflows.steps import Pages, Runner

MEDIUM = Path("data/prepared/piano-medium")
SMALL = Path("data/prepared/piano-small")
HELDOUT = Path("data/prepared/piano-heldout")


@dataclass
class Release:
    """The settings of a release; each is a flag of `ada release`."""

    shipped: Path = Path("pretrained")
    runs: Path = Path("workdirs/shipped")
    data: Path = MEDIUM
    small: Path = SMALL
    heldout: Path = HELDOUT  # whole works no level trained on: the card's reconstructions
    excerpts: int = 10  # reconstructed, spread over the held-out works (one each in the 10 of `make data-heldout`)
    previous: Path | None = None  # an earlier export, measured beside this one at its own temperatures
    level1_config: Path = Path("experiments/level1_study.py:rf1024")  # the fidelity study's pick
    level2_config: Path = Path("experiments/tiny_level2.py")
    prior_config: Path = Path("experiments/tiny_prior_4s.py")
    level1_steps: int = 34_648  # where the fidelity study's rounds left it (its seventh round)
    steps: int = 4000  # level 2's
    prior_steps: int = 6000
    temperature: str = "0.2,0.3,1"
    num: int = 96
    seconds: float = 4.0
    long_num: int = 48  # 30-s samples, for key hold (measured on clips of 20 s or more); 0: none
    long_seconds: float = 30.0
    dtype: str = "bfloat16"
    hardware: str = ""  # for the card: else what the export records (`ada device` records its device), else here
    tiny_runs: Path = Path("workdirs")  # where `make demo` trains the tiny stack (its RUNS)
    excerpt_source: Path = SMALL / "renders" / "bach__bwv10.7.flac"
    sweep_level1: tuple[str, ...] = ("1", "0.8", "0.6", "0.4", "0.3", "0.2", "0.1")
    sweep_stack: tuple[str, ...] = ("1", "0.3,0.6,1", "0.2,0.6,1", "0.2,0.3,1", "0.1,0.1,0.9", "0.2,0.3,0.8",
                                    "0.2,0.3,0.9", "0.2,0.3,1.1")

    @property
    def pages(self) -> Path:
        return self.runs / f"pages-{self.num}x{self.seconds:g}s"

    @property
    def long_pages(self) -> Path:
        return self.runs / f"pages-{self.long_num}x{self.long_seconds:g}s"

    def previous_pages(self, seconds: float) -> Path:
        num = self.num if seconds == self.seconds else self.long_num
        return self.runs / f"previous-pages-{num}x{seconds:g}s"

    @property
    def tiny_pages(self) -> Path:
        return self.tiny_runs / f"demo-pages-{self.num}x{self.seconds:g}s"

    @property
    def shipped_params(self) -> list[Path]:
        return sorted(self.shipped.glob("*/params.npz"))

    @property
    def tiny_stack(self) -> Path:
        return self.tiny_runs / "stack.json"

    @property
    def tiny_inputs(self) -> list[Path]:
        return [self.tiny_stack] + [self.tiny_runs / n for n in ("tiny_level1", "tiny_level2", "tiny_prior")]

    def drawer(self) -> Pages:
        return Pages(data=self.heldout, seconds=self.seconds, excerpts=self.excerpts)


def train_pipeline(run: Runner, data: Path, runs: Path, level1_config: Path, level2_config: Path,
                   prior_config: Path, prior: Path, train_args: list[str], prior_args: list[str],
                   level1_args: tuple[str, ...] = ()) -> Path:
    """`make train-prior stack` over `data`: level 1, its codes, level 2, its codes, the prior, the stack file.
    `prior_args` and `level1_args` follow `train_args` for their model (the later flag wins)."""
    codes1, codes2 = Path(f"{data}-codes1"), Path(f"{data}-codes2")
    level1, level2 = runs / "level1", runs / "level2"
    run.ada("train", "--config", level1_config, "--workdir", level1, f"--config.data.path={data}", *train_args,
            *level1_args)
    run.ada("encode", "--level", level1, "--data", data, "--out", codes1)
    run.ada("train", "--config", level2_config, "--workdir", level2, f"--config.data.path={codes1}", *train_args)
    run.ada("encode", "--level", level2, "--data", codes1, "--out", codes2)
    run.ada("train", "--config", prior_config, "--workdir", prior, f"--config.data.path={codes2}", *train_args,
            *prior_args)
    return run.write_stack(runs / "stack.json", [level1, level2], prior)


def train(r: Release, run: Runner) -> Path:
    """The shipped stack's workdirs trained on the medium corpus: its stack file."""
    run.require(r.data / "index.json", "medium corpus", "make data-medium builds it")
    return train_pipeline(run, r.data, r.runs, r.level1_config, r.level2_config, r.prior_config,
                          r.runs / r.prior_config.stem, [f"--config.train.steps={r.steps}"],
                          [f"--config.train.steps={r.prior_steps}"], [f"--config.train.steps={r.level1_steps}"])


def this_machine() -> str:
    return f"{os.cpu_count()} CPU cores, no accelerator"


def hardware(r: Release, stack: Path) -> str:
    """Where the stack in `stack` was trained: as given, else as its file records, else this machine."""
    try:
        recorded = json.loads(Path(stack).read_text()).get("hardware")
    except (OSError, ValueError, AttributeError):
        recorded = None
    return r.hardware or recorded or this_machine()


def export_args(r: Release, stack: Path) -> list:
    return ["export", "--out", r.shipped, "--overwrite", "--hardware", hardware(r, stack), "--temperature",
            r.temperature,
            "--dtype", r.dtype, "--stack", stack,
            *(["--corpus", r.data] if (Path(r.data) / "index.json").is_file() else [])]  # its measures, kept beside


def sweep_temperature(r: Release, run: Runner, level1: tuple[str, ...] | None = None,
                      stack: tuple[str, ...] | None = None) -> None:
    """The sweep that chose the shipped temperatures, on the exported stack: reconstructions (level 1 alone) at
    each of `level1`, `num` samples at each per-model setting of `stack` (levels bottom first, then the prior),
    each in a folder named by its setting."""
    run.require(r.shipped / "stack.json", "exported stack", "ada release ship makes one")
    pages, stack_file, inputs = r.drawer(), r.shipped / "stack.json", r.shipped_params
    for t in sorted(set(r.sweep_level1 if level1 is None else level1)):
        pages.draw(run, "reconstruct", stack_file, inputs, r.pages / t, r.num, t)
    for t in sorted(set(r.sweep_stack if stack is None else stack)):
        pages.draw(run, "sample", stack_file, inputs, r.pages / t, r.num, t)


def card(r: Release, run: Runner) -> Path:
    """The export measured in place (the sweep and the shipped setting, the previous export and the tiny demo
    stack beside it), then exported onto itself with those measures in its card."""
    run.require(r.shipped / "stack.json", "exported stack", "ada release ship makes one")
    run.require(r.heldout / "index.json", "held-out works", "make data-heldout builds them")
    sweep_temperature(r, run, (r.temperature, *r.sweep_level1), (r.temperature, *r.sweep_stack))
    measured = [f"shipped={r.pages / r.temperature}", f"shipped at temperature 1={r.pages / '1'}"]
    if r.long_num:  # key hold needs clips of 20 s or more: the shipped setting's samples again, that long
        Pages(seconds=r.long_seconds).draw(run, "sample", r.shipped / "stack.json", r.shipped_params,
                                           r.long_pages / r.temperature, r.long_num, r.temperature)
        measured.append(f"shipped ({r.long_seconds:g}-s samples)={r.long_pages / r.temperature}")
    if r.previous:
        measured += previous_pages(r, run)
    tiny = (r.tiny_runs / "demo" / "samples").exists()  # the tiny stack `make demo` trained, where there is one
    if tiny:
        pages = r.drawer()
        for t in (r.temperature, "1"):
            pages.draw(run, "sample", r.tiny_stack, r.tiny_inputs, r.tiny_pages / t, r.num, t)
            pages.draw(run, "reconstruct", r.tiny_stack, r.tiny_inputs, r.tiny_pages / t, r.num, t)
        measured += [f"tiny demo at the shipped temperatures={r.tiny_pages / r.temperature}",
                     f"tiny demo at temperature 1={r.tiny_pages / '1'}"]
    run.ada(*export_args(r, r.shipped / "stack.json"), *[a for m in measured for a in ("--measured", m)],
            "--sweep", r.pages)
    return r.shipped / "MODEL_CARD.md"


def previous_pages(r: Release, run: Runner) -> list[str]:
    """The previous export's pages at its own temperatures (its stack file's), drawn like the shipped one's:
    `--measured` columns that set the two stacks side by side."""
    run.require(r.previous / "stack.json", "previous export", "name a folder `ada export` wrote")
    stack, inputs = r.previous / "stack.json", sorted(r.previous.glob("*/params.npz"))
    short = r.previous_pages(r.seconds) / "shipped temperatures"
    r.drawer().draw(run, "sample", stack, inputs, short, r.num, None)
    r.drawer().draw(run, "reconstruct", stack, inputs, short, r.num, None)
    measured = [f"previous stack={short}"]
    if r.long_num:
        long = r.previous_pages(r.long_seconds) / "shipped temperatures"
        Pages(seconds=r.long_seconds).draw(run, "sample", stack, inputs, long, r.long_num, None)
        measured.append(f"previous stack ({r.long_seconds:g}-s samples)={long}")
    return measured


def ship(r: Release, run: Runner) -> Path:
    """Train (or resume), export, measure and write the card, and cut the excerpt the shipped pages use."""
    stack = train(r, run)
    run.require(r.small / "index.json", "small corpus", "make data builds it")
    run.ada(*export_args(r, stack))
    card(r, run)
    write_excerpt(r.excerpt_source, r.shipped / "excerpt.flac", run)
    return r.shipped


def write_excerpt(source: Path, out: Path, run: Runner, start: float = 8.0, end: float = 20.0) -> None:
    """Seconds `start` to `end` of a corpus render: what `make listen` reconstructs and continues."""
    run.log.append(f"excerpt {source} [{start:g}, {end:g}) s -> {out}")
    print(f"excerpt: {out}", flush=True)
    if run.dry_run:
        return
    import soundfile as sf

    from ada.data.atomic import atomic_path

    x, rate = sf.read(source)
    with atomic_path(out) as tmp:
        sf.write(tmp, x[int(start * rate):int(end * rate)], rate, format="FLAC")
