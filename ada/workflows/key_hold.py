"""The key-hold study (`ada sweep key-hold`): priors that hear longer, judged over 30 s as a listener hears it.

The shipped prior hears 4 s; over a 30-s sample it can wander from key to key. Each prior of `priors` trains on
the shipped levels' top codes of the medium corpus (a rerun resumes it), then draws `num` samples of 30 s
through the exported levels at the shipped temperatures, beside the shipped stack's own. The corpus's excerpts
of the same length (its train split, and the held-out works) set the reference. One table,
docs/results/key-hold.md: key hold (the share of 2-s windows in the clip's most frequent key), key clarity and
harmonic contrast, each mean ± its standard error; a generated file, never edited by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from ada.data.atomic import write_text
from ada.workflows.steps import Pages, Runner

PRIORS = ("tiny_prior_16s",)  # experiments/NAME.py, over the shipped levels
SECONDS = 30.0
TABLE = Path("docs/results/key-hold.md")
MEASURES = (("key_hold", "key hold"), ("key_clarity", "key clarity"),
            ("harmonic_contrast_db", "harmonic contrast (dB)"))
TARGET = 0.8  # the aim: 30-s samples hold their key at least this share as often as the corpus does


def study(run: Runner, runs: Path, shipped: Path, data: Path, heldout: Path, priors=PRIORS, steps: int = 6000,
          num: int = 48, temperature: str = "0.2,0.3,1", table: Path = TABLE, corpus=None) -> Path:
    """Train and sample each prior, sample the shipped stack, measure the corpora; rewrite `table`.
    `corpus(path, split, count)` gives a corpus's measures (default: `corpus_measures`)."""
    codes2 = Path(f"{data}-codes2")
    run.require(shipped / "stack.json", "exported stack", "ada release ship makes one")
    run.require(codes2 / "index.json", "top codes of the medium corpus",
                f"ada encode through {shipped}/level1 and level2 makes them (docs/results/key-hold.md)")
    pages = Pages(seconds=SECONDS)
    drawn = [("shipped stack (its prior)", runs / "shipped-pages", shipped / "prior")]
    pages.draw(run, "sample", shipped / "stack.json", [shipped], drawn[0][1], num, temperature)
    for name in priors:
        workdir = runs / name
        run.ada("train", "--config", Path("experiments") / f"{name}.py", "--workdir", workdir,
                f"--config.data.path={codes2}", f"--config.train.steps={steps}")
        stack = run.write_stack(runs / f"{name}.json", [shipped / "level1", shipped / "level2"], workdir)
        drawn.append((f"shipped levels, {name}", runs / f"{name}-pages", workdir))
        pages.draw(run, "sample", stack, [workdir / "checkpoints"], drawn[-1][1], num, temperature)
    run.log.append(f"table {table}")
    if run.dry_run:
        return table
    corpus = corpus or corpus_measures
    references = [(f"corpus, train split ({Path(data).name})", corpus(data, "train", 64)),
                  (f"held-out works ({Path(heldout).name})", corpus(heldout, "eval", 32))]
    rows = [(label, _page(out, prior)) for label, out, prior in drawn]
    write_text(table, key_hold_table(rows, references, temperature))
    return table


def corpus_measures(data: Path, split: str, count: int) -> dict:
    """The page measures of `count` 30-s excerpts of a split, after the μ-law round trip (what a perfect model
    could give)."""
    from ada.audio.emphasis import audio_of
    from ada.data.dataset import open_dataset
    from ada.generation.audio import excerpts_from
    from ada.listening.measures import listen

    ds = open_dataset(data)
    chosen = excerpts_from(ds, split, count, round(SECONDS * 16000))
    return {"measures": listen([audio_of(tokens, ds.preemphasis) for _, tokens in chosen]), "what": f"{split} split"}


def _page(out: Path, prior: Path) -> dict:
    from ada.training.member import train_time

    page = json.loads((Path(out) / "samples" / "samples.json").read_text())
    what = f"{page['prior']}, trained {train_time(prior)}, {page['temperature']}"  # its steps' wall time
    return {"measures": page["measures"], "what": what}


def _se(m: dict) -> float:
    return m["std"] / max(m["n"] - 1, 1) ** 0.5  # ada.listening.measures.summarise: std is over the clips


def key_hold_table(rows: list[tuple[str, dict]], references: list[tuple[str, dict]], temperature: str) -> str:
    """Samples against the corpus, one row each; key hold also as a share of the first reference's."""
    reference = references[0][1]["measures"]["key_hold"]["mean"]
    head = ["clips", "what", "count", *(label for _, label in MEASURES), "key hold / corpus's"]
    lines = ["# Key hold over 30 s: priors that hear longer", "",
             f"Written by `ada sweep key-hold` (ada/workflows/key_hold.py): {SECONDS:g}-s samples at the "
             f"temperatures {temperature} (seed 0) and {SECONDS:g}-s excerpts of the corpora, after the μ-law round "
             "trip. Each measure is a mean ± its standard error over the clips. Key hold: the share of a clip's 2-s "
             "windows in its most frequent key. Target: samples' key hold at least "
             f"{TARGET:g} × the training corpus's ({TARGET * reference:.3f}).", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, page in [*references, *rows]:
        m = page["measures"]
        cells = [f"{m[k]['mean']:.3f} ± {_se(m[k]):.3f}" if k in m else "–" for k, _ in MEASURES]
        count = max((m[k]["n"] for k, _ in MEASURES if k in m), default=0)
        ratio = f"{m['key_hold']['mean'] / reference:.2f}" if "key_hold" in m else "–"
        lines.append(f"| {label} | {page['what']} | {count} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines) + "\n"
