"""`ada notes eval`: a MusicVAE's reconstruction accuracy, KL and ELBO on a split, as the paper's Table 1.

For every window of the split (or `windows` of them, spread over it): z is drawn from the posterior
q(z|x) (a fixed seed per batch); *teacher-forced* accuracy is the share of steps whose argmax, given the
true previous tokens, is the true token; *sampled* accuracy is Magenta's: the decoder runs from the same z
fed its own temperature-1 draws (its eval job's scheduled sampling with probability 1: lstm_utils'
get_sampling_probability, ScheduledOutputTrainingHelper), and each step's **argmax** is scored against the
truth (lstm_models' _flat_reconstruction_loss). *Draw* accuracy, ours, is the share of steps whose draw at
`temperature` in a free-running decode equals the truth: lower, since a draw misses where the argmax hits.
KL is in bits per sequence; the ELBO is −(reconstruction NLL + KL) in nats per sequence. Reported over the
streams' steps together.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ada.data.atomic import write_json, write_text
from ada.generation.notes import NotesModel
from ada.models.musicvae import LN2, MusicVAE, kl_divergence
from ada.notes.dataset import open_notes
from ada.notes.loader import NoteWindows


@dataclass
class NotesEvaluation:
    model: str
    decoder: str
    bars: int
    step: int
    split: str
    windows: int
    teacher_forced_accuracy: float
    sampled_accuracy: float  # Magenta's: argmax given fed-back draws
    draw_accuracy: float  # ours: free-running draws at `temperature` equal to the truth
    kl_bits: float
    reconstruction_nats: float
    elbo: float
    free_bits: float = 0.0  # the KL the objective leaves free (bits); a KL at this floor is all z was allowed
    teacher_forced_se: float = float("nan")  # standard errors of the two accuracies over the windows
    sampled_se: float = float("nan")

    def to_dict(self) -> dict:
        return asdict(self)


def argmax_accuracy(logits: list, tokens) -> jnp.ndarray:
    """Per sequence: the share of steps, over the streams together, whose argmax is the true token [B]."""
    return sum((jnp.argmax(lg, -1) == tokens[:, i]).mean(-1) for i, lg in enumerate(logits)) / len(logits)


def make_sweep_step(model):
    def step(variables, tokens, key, temperature):
        k_z, k_fed, k_dec = jax.random.split(key, 3)
        mu, sigma = model.apply(variables, tokens, method=MusicVAE.encode)
        z = mu + sigma * jax.random.normal(k_z, mu.shape)
        logits = model.apply(variables, z, tokens, method=MusicVAE.logits)
        ce = sum(optax.softmax_cross_entropy_with_integer_labels(lg, tokens[:, i]).sum(-1)
                 for i, lg in enumerate(logits))
        fed_back = model.apply(variables, z, tokens, 1.0, k_fed, method=MusicVAE.logits)  # every input a draw
        drawn = model.apply(variables, z, k_dec, temperature, method=MusicVAE.decode)
        return {"ce": ce, "tf": argmax_accuracy(logits, tokens), "sampled": argmax_accuracy(fed_back, tokens),
                "drawn": (drawn == tokens).mean(axis=(1, 2)), "kl": kl_divergence(mu, sigma)}

    return step


def evaluate_notes(workdir, data=None, split: str = "eval", windows: int | None = 2048, batch_size: int = 128,
                   temperature: float = 1.0, seed: int = 0, step: int | None = None) -> NotesEvaluation:
    model = NotesModel.load(workdir, step)
    trained = model.trained
    notes = open_notes(data or trained.config.data.path)
    source = NoteWindows(notes, per_tune_cap=int(trained.config.data.get("windows_per_tune", 0)))  # as it trained
    try:
        source.check_model(model.spec)
    except ValueError as e:
        from ada.training.config import ConfigError

        raise ConfigError(str(e)) from None
    step = jax.jit(make_sweep_step(trained.model))
    sums, count = {"ce": 0.0, "tf": 0.0, "sampled": 0.0, "drawn": 0.0, "kl": 0.0}, 0.0
    squares = {"tf": 0.0, "sampled": 0.0}
    for i, batch in enumerate(source.eval_batches(batch_size=batch_size, max_examples=windows, split=split,
                                                  shard=(0, 1))):
        out = jax.device_get(step(trained.variables, jnp.asarray(batch["tokens"]),
                                  jax.random.fold_in(jax.random.key(seed), i), jnp.float32(temperature)))
        mask = batch["mask"]
        for k in sums:
            sums[k] += float(np.sum(np.asarray(out[k]) * mask))
        for k in squares:
            squares[k] += float(np.sum(np.asarray(out[k]) ** 2 * mask))
        count += float(mask.sum())
    mean = {k: v / max(count, 1) for k, v in sums.items()}
    se = {k: float(np.sqrt(max(v / max(count, 1) - mean[k] ** 2, 0.0) / max(count - 1, 1))) for k, v in squares.items()}
    s = model.spec
    return NotesEvaluation(model=Path(workdir).name, decoder=s.decoder_type, bars=s.bars, step=trained.step,
                           split=split, windows=int(count), teacher_forced_accuracy=mean["tf"],
                           sampled_accuracy=mean["sampled"], draw_accuracy=mean["drawn"], kl_bits=mean["kl"] / LN2,
                           reconstruction_nats=mean["ce"], elbo=-(mean["ce"] + mean["kl"]),
                           free_bits=float(trained.config.model.get("free_bits", 0.0)),
                           teacher_forced_se=se["tf"], sampled_se=se["sampled"])


def table(rows: list[NotesEvaluation]) -> str:
    """Rows shaped like the paper's Table 1 (reconstruction accuracies, ± their standard errors over the windows),
    with KL and ELBO beside them."""
    lines = ["| model | decoder | bars | step | windows | teacher-forced acc. | sampled acc. (Magenta's) | "
             "draw acc. | KL (bits) | ELBO (nats) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.model} | {r.decoder} | {r.bars} | {r.step} | {r.windows} | "
                     f"{r.teacher_forced_accuracy:.3f} ± {r.teacher_forced_se:.3f} | "
                     f"{r.sampled_accuracy:.3f} ± {r.sampled_se:.3f} | {r.draw_accuracy:.3f} | "
                     f"{r.kl_bits:.1f} | {r.elbo:.1f} |")
    return "\n".join(lines) + "\n"


SEED_SUFFIX = re.compile(r"[-_]seed\d+$")


def mean_se(values) -> tuple[float, float]:
    """Mean and standard error (sample standard deviation / √n; NaN for one value)."""
    v = np.asarray(values, float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")


def seed_summary(rows: list[NotesEvaluation]) -> dict:
    """Runs that differ only in their training seed (workdirs named NAME-seedK) pooled: mean ± standard error of
    each measure over the seeds, and each hierarchical model's sampled-accuracy margin over the flat model with
    the same bars, in standard errors of the difference (√(se_h² + se_f²))."""
    groups: dict[str, list[NotesEvaluation]] = {}
    for r in rows:
        if SEED_SUFFIX.search(r.model):
            groups.setdefault(SEED_SUFFIX.sub("", r.model), []).append(r)
    pooled = {name: {"decoder": g[0].decoder, "bars": g[0].bars, "seeds": len(g), "step": g[0].step,
                     "free_bits": g[0].free_bits,
                     **{m: mean_se([getattr(r, m) for r in g]) for m in
                        ("teacher_forced_accuracy", "sampled_accuracy", "draw_accuracy", "kl_bits")}}
              for name, g in groups.items() if len(g) > 1}
    margins = []
    for h, ph in pooled.items():
        for f, pf in pooled.items():
            if ph["decoder"] == "hierarchical" and pf["decoder"] == "flat" and ph["bars"] == pf["bars"]:
                (mh, sh), (mf, sf) = ph["sampled_accuracy"], pf["sampled_accuracy"]
                se = float(np.hypot(sh, sf))
                margins.append({"hierarchical": h, "flat": f, "margin": mh - mf, "se": se,
                                "standard_errors": (mh - mf) / se if se > 0 else float("nan")})
    return {"groups": pooled, "margins": margins}


def seed_table(summary: dict) -> str:
    if not summary["groups"]:
        return ""
    lines = ["", "Over training seeds (mean ± standard error):", "",
             "| model | decoder | bars | step | seeds | teacher-forced acc. | sampled acc. (Magenta's) | draw acc. | "
             "KL (bits) | free bits |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, g in summary["groups"].items():
        cells = " | ".join(f"{m:.3f} ± {se:.3f}" for m, se in (g["teacher_forced_accuracy"], g["sampled_accuracy"],
                                                                 g["draw_accuracy"]))
        kl, kl_se = g["kl_bits"]
        lines.append(f"| {name} | {g['decoder']} | {g['bars']} | {g['step']} | {g['seeds']} | {cells} | "
                     f"{kl:.1f} ± {kl_se:.1f} | {g['free_bits']:g} |")
    for m in summary["margins"]:
        lines.append(f"\nSampled accuracy, {m['hierarchical']} − {m['flat']}: {m['margin']:+.3f} ± {m['se']:.3f} "
                     f"({m['standard_errors']:+.1f} standard errors)")
    return "\n".join(lines) + "\n"


def evaluate_all(workdirs, data=None, out=None, **kw) -> str:
    rows = [evaluate_notes(w, data, **kw) for w in workdirs]
    summary = seed_summary(rows)
    text = table(rows) + seed_table(summary)
    if out:
        write_json(Path(f"{out}.json"), [r.to_dict() for r in rows])
        if summary["groups"]:
            write_json(Path(f"{out}-seeds.json"), summary)
        write_text(Path(f"{out}.md"), text)
    return text


def percent_change(before: list[np.ndarray], after: list[np.ndarray]) -> dict[str, float]:
    """% change of each attribute's mean from windows `before` to windows `after` (the paper's Table 3 cells)."""
    from ada.generation.notes import ATTRIBUTES

    out = {}
    for name, fn in ATTRIBUTES.items():
        b, a = np.mean([fn(w) for w in before]), np.mean([fn(w) for w in after])
        out[name] = float(100.0 * (a - b) / b) if b else float("nan")
    return out


@dataclass
class AttributeMatrix:
    """Row a, column b: how adding attribute a's vector moves attribute b of the decodes. `percent`: the % change
    of b's mean (the paper's Table 3); `sd`: the change in standard deviations of b over the eval windows
    themselves, comparable across columns where percentages are not (a syncopation share near zero rises by
    hundreds of percent when a few notes move)."""

    names: list[str]
    percent: np.ndarray
    sd: np.ndarray

    def diagonal_dominant(self, units: str = "sd") -> list[bool]:
        """Per row: whether the vector moves its own attribute more (in absolute value) than any other."""
        rows = getattr(self, units)
        return [bool(np.isfinite(r).any() and np.nanargmax(np.abs(r)) == i) for i, r in enumerate(rows)]


def attribute_matrix(workdir, data=None, windows: int = 256, amount: float = 1.0, temperature: float = 0.5,
                     seed: int = 0, step: int | None = None) -> AttributeMatrix:
    """Each attribute vector added (× `amount`) to the posterior means of eval windows, against the windows
    decoded from the unchanged means with the same seed.

    At temperature 0.5 rather than argmax: a small model's argmax decodes can hold no syncopation at all, and
    a change from zero has no percentage."""
    from ada.generation.notes import ATTRIBUTES, attribute_vectors

    model = NotesModel.load(workdir, step)
    notes = open_notes(data or model.trained.config.data.path)
    split = notes.split("eval")
    chosen = np.asarray(split[np.linspace(0, len(split) - 1, min(windows, len(split))).astype(int)], np.int32)
    mu, _ = model.encode(chosen)
    vectors = attribute_vectors(model, data)
    base = list(model.decode(mu, seed, temperature))
    names = list(ATTRIBUTES)
    spread = {b: float(np.std([ATTRIBUTES[b](w) for w in chosen])) for b in names}
    percent, sd = [], []
    for a in names:
        moved = list(model.decode(mu + amount * vectors[a][None], seed, temperature))
        percent.append([percent_change(base, moved)[b] for b in names])
        sd.append([(np.mean([ATTRIBUTES[b](w) for w in moved]) - np.mean([ATTRIBUTES[b](w) for w in base]))
                   / spread[b] if spread[b] else float("nan") for b in names])
    return AttributeMatrix(names, np.array(percent), np.array(sd))


def matrix_table(m: AttributeMatrix, units: str = "percent") -> str:
    label = {"percent": "% change", "sd": "change in sd"}[units]
    fmt = "{:+.1f}" if units == "percent" else "{:+.2f}"
    lines = [f"| vector added \\ {label} in | " + " | ".join(m.names) + " |", "|---" * (len(m.names) + 1) + "|"]
    for name, row in zip(m.names, getattr(m, units), strict=True):
        lines.append(f"| {name} | " + " | ".join("n/a" if np.isnan(v) else fmt.format(v) for v in row) + " |")
    return "\n".join(lines) + "\n"
