"""The level-1 fidelity study (`ada sweep fidelity`): quality per hour of training, on held-out works.

Each round trains every candidate of experiments/level1_study.py for `minutes` more of wall time on the
training corpus (SIGTERM checkpoints and stops it; the next round resumes it), then reconstructs one excerpt of
each held-out work through it (`ada eval` on `make data-heldout`) and appends a point to the candidate's curve:
training hours so far, step, eval NLL, and the harmonic contrast the reconstructions lost (mean and worst
octave band). The curves live in the repository (docs/results/level1-fidelity/NAME.jsonl),
not in the workdirs, so that a study goes on from another machine: there a candidate's workdir can begin from
its exported parameters (`init_from`, e.g. pretrained/level1 for rf1024), which carry its step and training
time. A candidate with noise shaping (a `_pe` one) trains and is measured on the same works prepared again
with its pre-emphasis, beside the corpora. Every curve is then written as one table,
docs/results/level1-fidelity.md: a generated file, never edited by hand. Rounds are repeated (or extended for
the winners) by running the same command again.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from ada.data.atomic import write_text
from ada.workflows.steps import Runner

RENDERS = "renders"  # ada.audio.corpus.RENDERS, named here so that the `ada` command starts without JAX

CANDIDATES = ("tiny", "rf512", "rf1024", "rf1024w96", "codes256", "tiny_pe", "rf1024_pe")  # the study's ARGUMENTS
STUDY = Path(__file__).resolve().parents[2] / "experiments" / "level1_study.py"
TABLE = Path("docs/results/level1-fidelity.md")
CURVES = Path("docs/results/level1-fidelity")  # NAME.jsonl: each candidate's points, one a round


def preemphasis_of(candidate: str) -> float:
    """The pre-emphasis a candidate's audio is prepared with (its config's data.preemphasis)."""
    spec = importlib.util.spec_from_file_location("level1_study", STUDY)
    study = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(study)
    return float(study.get_config(candidate).data.get("preemphasis", 0.0))


def emphasised(run: Runner, corpus: Path, alpha: float, held_out: bool = False) -> Path:
    """The corpus's works prepared again with pre-emphasis α, beside it, from its renders (its splits kept: they
    go by content; a held-out set's every file stays in its eval split). A rerun reuses what is there."""
    if not alpha:
        return corpus
    out = corpus.with_name(f"{corpus.name}-pe{round(alpha * 100)}")
    run.ada("prepare", corpus / RENDERS, "--out", out, "--preemphasis", alpha, "--quiet",
            *(["--eval-fraction", 1] if held_out else []))
    return out


def fidelity(run: Runner, runs: Path, data: Path, heldout: Path, candidates=CANDIDATES, minutes: float = 60.0,
             excerpts: int = 10, table: Path = TABLE, curves: Path = CURVES, init_from: Path | None = None) -> Path:
    """One round of the study over `candidates`; returns the table it rewrote. `init_from`, an exported level 1,
    is where a candidate's workdir without checkpoints begins (`ada train --init_from`)."""
    run.require(data / "index.json", "training corpus", "make data-medium builds it")
    run.require(heldout / "index.json", "held-out works", "make data-heldout builds them")
    for name in candidates:
        workdir, alpha = runs / name, preemphasis_of(name)
        run.ada("train", "--config", f"experiments/level1_study.py:{name}", "--workdir", workdir,
                f"--config.data.path={emphasised(run, data, alpha)}", "--noprogress",
                *([f"--init_from={init_from}"] if init_from else []), timeout_minutes=minutes)
        run.ada("eval", "--workdir", workdir, "--data", emphasised(run, heldout, alpha, held_out=True),
                "--excerpts", excerpts, "--samples", 1,
                "--seconds", 4, "--out", workdir / "eval-heldout")
        if not run.dry_run:
            record_point(workdir, curve_of(curves, name))
    run.log.append(f"table {table}")
    if not run.dry_run:
        write_text(table, fidelity_table(runs, curves, studied(curves), heldout))
    return table


def curve_of(curves: Path, name: str) -> Path:
    return Path(curves) / f"{name}.jsonl"


def studied(curves: Path) -> list[str]:
    """Every candidate with a curve in `curves`, in the study's order: a round over some of them keeps the
    others' rows in the table."""
    return [name for name in CANDIDATES if read_curve(curve_of(curves, name))]


def record_point(workdir: Path, curve: Path) -> dict:
    """Append the workdir's newest held-out evaluation to its curve (once per step): with the standard error of
    the contrast lost over the excerpts, their count and the loss in each octave band."""
    from ada.training.member import train_seconds

    result = json.loads((workdir / "eval-heldout.json").read_text())[0]
    point = {"step": result["step"], "train_hours": round((train_seconds(workdir) or 0.0) / 3600, 3),
             "eval_nll": result["eval_nll"], "contrast_gap_db": result.get("contrast_gap_db"),
             "contrast_gap_worst_db": result.get("contrast_gap_worst_db"), **_spread(workdir)}
    points = read_curve(curve)
    Path(curve).parent.mkdir(parents=True, exist_ok=True)
    if not points or points[-1]["step"] != point["step"]:
        write_text(curve, "".join(json.dumps(p) + "\n" for p in [*points, point]))
    return point


def _spread(workdir: Path) -> dict:
    """From the reconstructions `ada eval` wrote: the gap's standard error, count and mean by band."""
    from ada.generation.audio import CONTRAST_GAPS

    path = workdir / "eval" / "reconstructions" / "sample-0" / "reconstructions.json"  # where ada eval writes them
    if not path.is_file():
        return {}
    found = [x for x in json.loads(path.read_text())["excerpts"] if x.get("harmonic_contrast_gap_db") is not None]
    if len(found) < 2:
        return {}
    gaps = np.array([x["harmonic_contrast_gap_db"] for x in found])
    point = {"contrast_gap_se": round(float(gaps.std() / np.sqrt(len(gaps) - 1)), 3), "excerpts": len(gaps),
             "contrast_gap_bands_db": [round(float(np.mean([x[band] for x in found])), 2)
                                       for band in CONTRAST_GAPS[1:]]}
    wavs = sorted(path.parent.glob("reconstruction-*.wav"))
    if wavs:  # on one scale for every candidate, whatever its μ-law: beside the renders' own (the ceiling table)
        import soundfile as sf

        from ada.listening.measures import harmonic_contrast

        point["contrast_db"] = round(float(np.nanmean([harmonic_contrast(sf.read(w)[0]).mean() for w in wavs])), 2)
    return point


def read_curve(curve: Path) -> list[dict]:
    path = Path(curve)
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


def fidelity_table(runs: Path, curves: Path, candidates, heldout: Path) -> str:
    """Every candidate's curve as rows of one markdown table, and what μ-law itself loses on the held-out works."""
    from ada.listening.measures import CONTRAST_BANDS

    def f(value, fmt):
        return "–" if value is None else format(value, fmt)

    bands = [f"{lo / 1000:g}–{hi / 1000:g}k" for lo, hi in CONTRAST_BANDS]
    lines = ["# Level-1 fidelity study", "",
             f"Written by `ada sweep fidelity` (ada/workflows/fidelity.py; its runs in {runs}, its curves in "
             f"{curves}/); do not edit. Each row "
             f"is one round: the candidate (experiments/level1_study.py) after that many hours of training (wall "
             f"time of its steps on the machine that trained it), its eval NLL on the held-out works ({heldout}) "
             "and the harmonic contrast its reconstructions (one 4-s excerpt of each work, at temperature 1) "
             "lost against their originals, in dB: the mean of the octave bands 100 Hz–3.2 kHz ± its standard "
             "error over the excerpts (their count), then each band. The target: at most 2 dB in every band. "
             "A `_pe` candidate's originals are its own μ-law round trip, pre-emphasised and de-emphasised, so "
             "the last column, the reconstructions' own contrast, compares every candidate on one scale (the "
             "renders': the table below).", "",
             f"| candidate | hours | step | eval NLL | contrast lost (dB) | {' | '.join(bands)} | contrast (dB) |",
             "|---|---|---|---|---|" + "---|" * len(bands) + "---|"]
    for name in candidates:
        for p in read_curve(curve_of(curves, name)):
            spread = f" ± {p['contrast_gap_se']:.2f} ({p['excerpts']})" if "contrast_gap_se" in p else ""
            by_band = p.get("contrast_gap_bands_db") or [None] * len(bands)
            lines.append(f"| {name} | {p['train_hours']:.2f} | {p['step']} | {f(p['eval_nll'], '.3f')} "
                         f"| {f(p['contrast_gap_db'], '.1f')}{spread} | "
                         + " | ".join(f(b, ".1f") for b in by_band) + f" | {f(p.get('contrast_db'), '.1f')} |")
    ceiling = mulaw_ceiling(heldout)
    if ceiling:
        lines += ["", "What 8-bit μ-law itself loses: the harmonic contrast (dB) of the same excerpts of the held-out "
                  "renders, as rendered and after the μ-law round trip without and with pre-emphasis (mean over "
                  f"{ceiling['count']} excerpts; the mean column ± its standard error).", "",
                  f"| audio | mean | {' | '.join(bands)} |", "|---|---|" + "---|" * len(bands)]
        for label, values in ceiling["rows"].items():
            lines.append(f"| {label} | {values.mean():.1f} ± {ceiling['se'][label]:.2f} | "
                         + " | ".join(f"{v:.1f}" for v in values.mean(0)) + " |")
    return "\n".join(lines) + "\n"


def mulaw_ceiling(heldout: Path, alphas=(0.0, 0.85), seconds: float = 4.0) -> dict:
    """Harmonic contrast of one excerpt from the middle of each held-out render: as rendered, and through
    μ-law at each pre-emphasis (what a perfect model of the tokens would give). Empty when there are no renders."""
    from ada.audio import audiofile
    from ada.audio.emphasis import audio_of, tokens_of
    from ada.listening.measures import harmonic_contrast

    renders = sorted((Path(heldout) / RENDERS).glob("*.flac"))
    if len(renders) < 2:
        return {}
    rows = {"rendered": []} | {f"μ-law, pre-emphasis {a:g}": [] for a in alphas}
    for path in renders:
        x = audiofile.clean(audiofile.read(path))
        frames = int(seconds * 16000)
        excerpt = x[max(0, len(x) // 2 - frames // 2):][:frames]
        rows["rendered"].append(harmonic_contrast(excerpt))
        for a in alphas:
            rows[f"μ-law, pre-emphasis {a:g}"].append(harmonic_contrast(audio_of(tokens_of(excerpt, a), a)))
    rows = {k: np.array(v) for k, v in rows.items()}
    return {"rows": rows, "count": len(renders),
            "se": {k: float(v.mean(1).std() / np.sqrt(len(v) - 1)) for k, v in rows.items()}}
