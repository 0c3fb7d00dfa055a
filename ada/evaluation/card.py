"""The model card of a shipped stack (MODEL_CARD.md): what each model is, what it was trained on and for how
long, how it sounds (its listening pages' measures beside the corpus's, each with its standard error) and the
temperature sweep that chose how it is sampled.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import jax

from ada.data.atomic import write_text
from ada.listening.measures import CONTRAST_BANDS
from ada.training.member import PARAMS, data_line, read_member, train_time

NOISINESS = "noisiness (flatness over the corpus's)"
SOUND_ROWS = (  # (row label, page file, key: a measure name in its "measures", or a top-level figure)
    ("samples: temperature", "samples/samples.json", "temperature"),
    ("samples: count", "samples/samples.json", "samples"),
    ("samples: noisiness (flatness over the corpus's)", "samples/samples.json", NOISINESS),
    ("samples: key clarity", "samples/samples.json", "key_clarity"),
    ("samples: key changes", "samples/samples.json", "key_changes"),
    ("samples: onset rate (/s)", "samples/samples.json", "onset_rate"),
    ("samples: loudness range (dB)", "samples/samples.json", "loudness_range_db"),
    ("samples: harmonic contrast (dB, 100 Hz–3.2 kHz)", "samples/samples.json", "harmonic_contrast_db"),
    *((f"samples: harmonic contrast {lo}–{hi} Hz", "samples/samples.json", f"contrast_{lo}_{hi}_db")
      for lo, hi in CONTRAST_BANDS),
    ("samples: key hold (clips of 20 s or more)", "samples/samples.json", "key_hold"),
    ("samples: silent (share)", "samples/samples.json", "silent"),
    ("reconstructions: temperature", "reconstructions/reconstructions.json", "temperature"),
    ("reconstructions: excerpts", "reconstructions/reconstructions.json", "excerpts"),
    ("reconstructions: noisiness (over the original's)", "reconstructions/reconstructions.json", "mean noisiness"),
    ("reconstructions: chroma to original", "reconstructions/reconstructions.json", "mean chroma to original"),
    ("reconstructions: log-mel distance", "reconstructions/reconstructions.json", "mean log mel to original"),
    ("reconstructions: harmonic contrast lost (dB)", "reconstructions/reconstructions.json",
     "mean harmonic contrast gap db"),
    *((f"reconstructions: harmonic contrast lost {lo}–{hi} Hz", "reconstructions/reconstructions.json",
       f"mean contrast gap {lo} {hi} db") for lo, hi in CONTRAST_BANDS),
)


def _mean_and_error(mean: float, std: float, n: int | None, scale: float = 1.0) -> str:
    """A mean ± its standard error (the pages' std is over the n clips themselves, so std / sqrt(n - 1)): the card
    sets stacks side by side, and another draw of n samples moves a mean by about that much. Pages written before
    measures counted their clips, and a single clip, give the mean alone."""
    if not n or n < 2:
        return f"{mean / scale:.3g}"
    return f"{mean / scale:.3g} ± {std / math.sqrt(n - 1) / scale:.2g}"


def _spread(m: dict) -> str:
    return _mean_and_error(m["mean"], m["std"], m.get("n"))


def _cell(page: dict, key: str) -> str:
    if key in page.get("measures", {}):
        return _spread(page["measures"][key])
    excerpts = page.get("excerpts")
    if key == "excerpts" and excerpts:
        return f"{len(excerpts)}" + (f", {page['source']}" if page.get("source") else "")
    per_excerpt = key.removeprefix("mean ").replace(" ", "_")  # a reconstruction page's mean, from its excerpts
    if excerpts and key.startswith("mean ") and all(e.get(per_excerpt) is not None for e in excerpts):
        values = [e[per_excerpt] for e in excerpts]
        mean = sum(values) / len(values)
        return _mean_and_error(mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)), len(values))
    flatness, corpus = page.get("measures", {}).get("flatness"), page.get("corpus_measures", {}).get("flatness")
    if key == NOISINESS and flatness and corpus:  # the samples' flatness, in units of the corpus's
        return _mean_and_error(flatness["mean"], flatness["std"], flatness.get("n"), corpus["mean"])
    value = page.get(key)
    if value is None:
        return "–"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _corpus_cell(page: dict, key: str, label: str) -> str:
    corpus = page.get("corpus_measures", {})
    if key == "temperature":  # a setting of the run, not a measure the corpus has
        return ""
    if key == "excerpts":  # the reconstructions' originals are the reference: no corpus column
        return "–"
    if key == "samples":  # the excerpts measured: every one has a share of silence
        return str(corpus["silent"]["n"]) if "n" in corpus.get("silent", {}) else "–"
    if "noisiness" in label:
        return "1"  # by definition: flatness over the reference's
    if key in corpus:
        return _spread(corpus[key])
    return "–"


def sound_table(runs: dict[str, Path]) -> list[str]:
    """The listening pages' measures side by side: a column per run, and one per corpus the runs' bottom
    levels were trained on (runs with the same corpus measures share one)."""
    pages = {label: {} for label in runs}
    for label, folder in runs.items():
        for _, page, _ in SOUND_ROWS:
            path = Path(folder) / page
            if page not in pages[label] and path.is_file():
                pages[label][page] = json.loads(path.read_text())
    corpus_columns = {}  # the corpus measures of each run, as cells; runs with equal cells share a column
    for run in runs:
        cells = tuple(_corpus_cell(pages[run].get(page, {}), key, label) for label, page, key in SOUND_ROWS)
        corpus_columns.setdefault(cells, []).append(run)
    titles = [f"corpus of {', '.join(names)}" if len(corpus_columns) > 1 else "corpus"
              for names in corpus_columns.values()]
    lines = [f"| measure | {' | '.join([*runs, *titles])} |", "|---" * (len(runs) + len(titles) + 1) + "|"]
    for i, (label, page, key) in enumerate(SOUND_ROWS):
        cells = [_cell(pages[run].get(page, {}), key) for run in runs]
        lines.append(f"| {label} | {' | '.join(cells + [c[i] for c in corpus_columns])} |")
    return lines


def parameters_written(out: Path) -> float | None:
    """When an export's parameters were last written (an export onto itself leaves them as they are)."""
    times = [p.stat().st_mtime for p in Path(out).glob(f"*/{PARAMS}")]
    return max(times) if times else None


def sweep_table(folder: Path, since: float | None = None) -> list[str]:
    """A sweep of settings (each subfolder of `folder` holds the pages rendered with one, named by it): one
    table per kind of page, a row per setting, the measures as columns. Pages written before `since` (drawn
    from parameters exported before the ones the card describes) are left out."""
    lines = []
    for kind in ("reconstructions", "samples"):
        rows = [(label, page, key) for label, page, key in SOUND_ROWS  # the bands: in the card's main table
                if page.startswith(kind + "/") and not label.endswith(" Hz") and key != "excerpts"]
        runs = sorted((d for d in Path(folder).iterdir() if (d / rows[0][1]).is_file()
                       and (since is None or (d / rows[0][1]).stat().st_mtime >= since)), key=lambda d: d.name)
        if not runs:
            continue
        lines += [f"| {kind} at | {' | '.join(label.split(': ', 1)[1] for label, _, _ in rows[1:])} |",
                  "|---" * len(rows) + "|"]
        seen = set()  # the same setting twice (a shipped setting's reconstructions sample level 1 alone) is one row
        for run in runs:
            page = json.loads((run / rows[0][1]).read_text())
            setting = _cell(page, "temperature")
            if setting not in seen:
                seen.add(setting)
                lines.append(f"| {setting} | {' | '.join(_cell(page, key) for _, _, key in rows[1:])} |")
        lines.append("")
    return lines


def model_card(stack, measured: dict[str, Path], hardware: str, sweep: Path | None = None,
               since: float | None = None) -> str:
    """MODEL_CARD.md of a trained stack (its workdirs: their logs give the training time): what each model
    is, what it was trained on, for how long, how it sounds, and the sweep that chose its temperatures (its
    pages written since `since`)."""
    lines = ["# Model card: the shipped ADA stack", "",
             "Autoregressive discrete autoencoders (Dieleman, van den Oord, Simonyan, 2018) stacked over 16 kHz "
             "8-bit μ-law piano audio, with a WaveNet prior over the top codes. Polyak parameters only.", "",
             f"Trained on: {hardware}.", "",
             "| model | kind | step | parameters | data | training time |", "|---|---|---|---|---|---|"]
    members = [(f"level {i}", m) for i, m in enumerate(stack.levels, 1)] + ([("prior", stack.prior)]
                                                                          if stack.prior else [])
    for role, m in members:
        params = sum(math.prod(x.shape) for x in jax.tree.leaves(m.variables))
        what = (f"ADA level, hop {m.spec.hop}, {m.spec.code_vocab} codes, {m.config.model.quantiser.kind}"
                if m.spec.is_level else "WaveNet prior")
        lines.append(f"| {role} | {what} | {m.step} | {params:,} | {data_line(m.config, read_member(m.workdir))} | "
                     f"{train_time(m.workdir)} |")
    lines += ["", "Configs: each member's `config.json` beside its `params.npz`. Sampled at temperature "
              f"{stack.temperatures.describe()} (`stack.json`; `--temperature` overrides it).", ""]
    if measured:
        lines += ["## How it sounds", "", "Each measure of the samples is a mean ± its standard error over the samples "
                  "(or corpus excerpts) its column counts, less any silent ones, which count in `silent` alone; "
                  "noisiness's error leaves out that of the corpus's flatness. Reconstructions (level 1 alone) are "
                  "means ± their standard errors over the excerpts their column names, each against its original.",
                  "",
                  *sound_table(measured), ""]
    if sweep:
        lines += ["## Sampling temperature", "", "The same pages at each temperature tried (one number: every model; "
                  "a reconstruction samples level 1 alone):", "", *sweep_table(sweep, since)]
    return "\n".join(lines)


def write_card(out: Path, text: str) -> Path:
    write_text(out / "MODEL_CARD.md", text)
    return out / "MODEL_CARD.md"
