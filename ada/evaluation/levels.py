"""`ada eval`: NLL on both splits, code usage and reconstruction distances, as Table-shaped rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from ada import SAMPLE_RATE
from ada.data.atomic import write_json, write_text
from ada.data.dataset import DatasetError, open_dataset
from ada.data.loader import AudioCrops, check_emphasis
from ada.generation.audio import CONTRAST_GAPS, excerpts_from, reconstruct
from ada.generation.stack import level_stack
from ada.nn.quantise import usage_stats
from ada.training import checkpoint
from ada.training.config import ConfigError
from ada.training.evaluator import Evaluator


@dataclass
class Evaluation:
    model: str
    kind: str
    step: int
    data: str
    train_nll: float | None  # None on a held-out set (every file in its eval split)
    eval_nll: float
    codebook: int | None = None
    perplexity: float | None = None
    codes_used: int | None = None
    eval_nll_other_codes: float | None = None  # each eval crop under another crop's codes: near eval_nll, unused codes
    log_stft_distance: float | None = None
    log_mel_distance: float | None = None
    noisiness: float | None = None  # reconstructions' spectral flatness over their originals'
    chroma_similarity: float | None = None  # reconstructions' chroma against their originals'
    contrast_gap_db: float | None = None  # dB of harmonic contrast the reconstructions lost (100 Hz-3.2 kHz)
    contrast_gap_worst_db: float | None = None  # ... in their worst octave band
    reconstructions: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def evaluate(workdir, data, crops: int = 256, excerpts: int = 3, samples: int = 2, seconds: float = 2.0,
             batch_size: int = 16, out=None) -> Evaluation:
    """NLL on train and eval (Polyak parameters; train only where the data has a train split, which a
    held-out set has not); for a level, code usage and reconstruction distances."""
    trained = checkpoint.load(workdir)
    spec = trained.spec
    ds = open_dataset(data)
    if ds.vocab != spec.vocab:
        raise DatasetError(f"{data} has vocabulary {ds.vocab} but {workdir} models {spec.vocab}")
    check_emphasis(trained.config.data.get("preemphasis", 0.0), ds)

    sweep = Evaluator(trained.model, AudioCrops(ds, trained.config.data.crop), batch_size=batch_size, examples=crops)
    on_eval = sweep(trained.variables, "eval", codes=spec.is_level)
    result = Evaluation(model=Path(workdir).name, kind=spec.kind, step=trained.step, data=str(data),
                        train_nll=sweep(trained.variables, "train").nll if ds.split("train") else None,
                        eval_nll=on_eval.nll)
    if spec.is_level:
        usage = usage_stats(jnp.asarray(on_eval.codes), spec.code_vocab)
        result.codebook, result.perplexity = spec.code_vocab, float(usage["perplexity"])
        result.codes_used = int(usage["codes_used"])
        result.eval_nll_other_codes = on_eval.nll_other_codes
        if ds.index.get("kind") == "audio" and excerpts:
            _reconstruction_distances(result, workdir, ds, excerpts, samples, seconds,
                                      Path(out or Path(workdir) / "eval") / "reconstructions")
    return result


def _reconstruction_distances(result: Evaluation, workdir, ds, excerpts: int, samples: int, seconds: float,
                              out) -> None:
    stack = level_stack(workdir)
    frames = int(seconds * SAMPLE_RATE) // stack.hop * stack.hop
    chosen = excerpts_from(ds, "eval", excerpts, frames)
    found = []
    for k in range(samples):  # the same stack each time: its samplers compile once
        found += reconstruct(stack, chosen, out / f"sample-{k}", levels=1, seed=1000 * k).results
    result.log_stft_distance = float(np.mean([x["log_stft_to_original"] for x in found]))
    result.log_mel_distance = float(np.mean([x["log_mel_to_original"] for x in found]))
    noisy = [x["noisiness"] for x in found if x["noisiness"] is not None]  # a silent clip has none
    result.noisiness = float(np.mean(noisy)) if noisy else None
    result.chroma_similarity = float(np.mean([x["chroma_to_original"] for x in found]))
    gaps = [x for x in found if x["harmonic_contrast_gap_db"] is not None]  # a silent clip has none
    if gaps:
        result.contrast_gap_db = float(np.mean([x["harmonic_contrast_gap_db"] for x in gaps]))
        result.contrast_gap_worst_db = float(max(np.mean([x[band] for x in gaps]) for band in CONTRAST_GAPS[1:]))
    result.reconstructions = f"{excerpts} excerpts × {samples} samples of {seconds:g} s"


TABLE_HEADER = ("| model | step | train NLL | eval NLL | eval NLL, another crop's codes | perplexity | codes used "
                "| log-STFT | log-mel | noisiness | chroma | contrast gap (dB) | worst band |\n"
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def markdown_row(r: Evaluation) -> str:
    """One row shaped like the paper's Tables 1 and 2 (NLL in nats per timestep)."""
    def f(value, fmt):
        return "–" if value is None else format(value, fmt)

    codes = f"{r.codes_used} / {r.codebook}" if r.codes_used is not None else "–"
    return (f"| {r.model} | {r.step} | {f(r.train_nll, '.3f')} | {f(r.eval_nll, '.3f')} "
            f"| {f(r.eval_nll_other_codes, '.3f')} | {f(r.perplexity, '.1f')} "
            f"| {codes} | {f(r.log_stft_distance, '.3f')} | {f(r.log_mel_distance, '.3f')} "
            f"| {f(r.noisiness, '.1f')} | {f(r.chroma_similarity, '.3f')} | {f(r.contrast_gap_db, '.1f')} "
            f"| {f(r.contrast_gap_worst_db, '.1f')} |")


def evaluate_all(workdirs, data, out=None, **options) -> str:
    """Evaluate each workdir (its eval.json beside it), write OUT.json and OUT.md; returns the table.

    An exported model folder (what ships) is left as it is: its reconstructions go to OUT-NAME/ and its
    figures only to OUT.json, so it needs an OUT."""
    from ada.training.member import is_exported

    rows = []
    for workdir in workdirs:
        exported = is_exported(workdir)
        if exported and not out:
            raise ConfigError(f"{workdir}: an exported model, which ada eval leaves as it is; name --out for what "
                              "it writes")
        result = evaluate(workdir, data, out=Path(f"{out}-{Path(workdir).name}") if exported else None, **options)
        if not exported:
            write_json(Path(workdir) / "eval.json", result.to_dict())
        rows.append(result)
    table = TABLE_HEADER + "\n" + "\n".join(markdown_row(r) for r in rows) + "\n"
    if out:
        write_json(Path(out).with_suffix(".json"), [r.to_dict() for r in rows])
        write_text(Path(out).with_suffix(".md"), table)
    return table
