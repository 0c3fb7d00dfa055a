"""Latent against data-space interpolation (the paper's section 5.2): how far each point of a path is from
its endpoints, and how natural it is under a 3-gram model of the training melodies.

A latent path decodes slerp(μ_A, μ_B, α); a data-space path takes, at every step independently, B's token
with probability α and A's otherwise. A good latent space moves from A to B through sequences that stay as
natural as the data, where the data-space mixture is an unnatural collage halfway.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ada.models.musicvae import slerp


@dataclass
class Trigram:
    """Add-k smoothed 3-gram model over one stream's tokens, counted on whole windows (start padded)."""

    counts: np.ndarray  # [V + 1, V + 1, V] (index V: before the window's start)
    k: float = 0.1

    @classmethod
    def fit(cls, windows, vocab: int, k: float = 0.1) -> Trigram:
        counts = np.zeros((vocab + 1, vocab + 1, vocab), np.float64)
        for w in windows:
            seq = np.asarray(w)[0]
            padded = np.concatenate([[vocab, vocab], seq])
            np.add.at(counts, (padded[:-2], padded[1:-1], padded[2:]), 1.0)
        return cls(counts, k)

    @classmethod
    def of_split(cls, windows, vocab: int, limit: int = 20000) -> Trigram:
        """Fitted on (up to `limit` windows spread over) a split."""
        chosen = np.linspace(0, len(windows) - 1, min(limit, len(windows))).astype(int)
        return cls.fit((windows[i] for i in chosen), vocab)

    def log_prob(self, window) -> float:
        """Mean log-probability per step (nats) of a window's first stream: higher is more natural."""
        vocab = self.counts.shape[-1]
        seq = np.asarray(window)[0]
        padded = np.concatenate([[vocab, vocab], seq])
        context = self.counts[padded[:-2], padded[1:-1]]  # [T, V]
        p = (context[np.arange(len(seq)), seq] + self.k) / (context.sum(-1) + self.k * vocab)
        return float(np.log(p).mean())


def data_space_mix(a, b, alpha: float, rng: np.random.Generator) -> np.ndarray:
    """Each step is B's token with probability α, else A's."""
    return np.where(rng.random(np.shape(a)) < alpha, b, a)


def interpolation_study(model, windows, trigram: Trigram, pairs: int = 32, steps: int = 7, temperature: float = 0.5,
                        seed: int = 0) -> list[dict]:
    """Per α in linspace(0, 1, steps): mean Hamming distance to A and to B and mean 3-gram log-probability of
    the latent and the data-space paths between `pairs` pairs of windows (windows 2i and 2i + 1, so that
    both ends come from all over a split that is ordered by tune)."""
    from ada.generation.notes import hamming

    windows = np.asarray(windows, np.int32)
    if len(windows) < 2 * pairs:
        pairs = len(windows) // 2
    a, b = windows[0 : 2 * pairs : 2], windows[1 : 2 * pairs : 2]
    mu_a, _ = model.encode(a)
    mu_b, _ = model.encode(b)
    rng = np.random.default_rng(seed)
    rows = []
    for alpha in np.linspace(0.0, 1.0, steps):
        z = np.stack([np.asarray(slerp(x, y, float(alpha))) for x, y in zip(mu_a, mu_b, strict=True)])
        latent = model.decode(z, seed, temperature)
        data = data_space_mix(a, b, float(alpha), rng)
        row = {"alpha": float(alpha)}
        for name, path in (("latent", latent), ("data", data)):
            row[f"{name}_hamming_A"] = float(np.mean([hamming(x, y) for x, y in zip(path, a, strict=True)]))
            row[f"{name}_hamming_B"] = float(np.mean([hamming(x, y) for x, y in zip(path, b, strict=True)]))
            row[f"{name}_trigram"] = float(np.mean([trigram.log_prob(x) for x in path]))
        rows.append(row)
    return rows


def interpolation_table(rows: list[dict], reference: float) -> str:
    lines = ["| α | latent: Hamming to A | to B | 3-gram log-p | data space: Hamming to A | to B | 3-gram log-p |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['alpha']:.2f} | {r['latent_hamming_A']:.3f} | {r['latent_hamming_B']:.3f} | "
                     f"{r['latent_trigram']:.3f} | {r['data_hamming_A']:.3f} | {r['data_hamming_B']:.3f} | "
                     f"{r['data_trigram']:.3f} |")
    lines.append(f"\n3-gram log-p: mean log-probability per step (nats) under a 3-gram model of the train windows; "
                 f"the eval windows themselves score {reference:.3f}.")
    return "\n".join(lines) + "\n"


def evaluate_interpolations(workdir, data=None, pairs: int = 32, steps: int = 7, temperature: float = 0.5,
                            seed: int = 0, train_windows: int = 20000,
                            step: int | None = None) -> tuple[list[dict], float]:
    """The study on a trained model's eval split, with the 3-gram model fitted on (up to `train_windows` of)
    its train split; returns the rows and the eval windows' own mean 3-gram log-probability."""
    from ada.generation.notes import NotesModel
    from ada.notes.dataset import open_notes

    model = NotesModel.load(workdir, step)
    notes = open_notes(data or model.trained.config.data.path)
    train, held = notes.split("train"), notes.split("eval")
    trigram = Trigram.of_split(train, model.spec.vocabs[0], train_windows)
    picked = np.asarray(held[np.linspace(0, len(held) - 1, min(2 * pairs, len(held))).astype(int)], np.int32)
    reference = float(np.mean([trigram.log_prob(w) for w in picked]))
    return interpolation_study(model, picked, trigram, pairs, steps, temperature, seed), reference


def latent_checks(rows: list[dict]) -> dict:
    """The reading of an interpolation study against its targets: how close the path's ends are to A and B,
    whether the distance to A rises and to B falls, how far the midpoint is from both, and how natural it is
    beside the data-space midpoint."""
    first, last, mid = rows[0], rows[-1], rows[len(rows) // 2]
    to_a, to_b = [r["latent_hamming_A"] for r in rows], [r["latent_hamming_B"] for r in rows]
    return {"start_to_A": first["latent_hamming_A"], "end_to_B": last["latent_hamming_B"],
            "to_A_rises": bool(np.all(np.diff(to_a) >= 0)), "to_B_falls": bool(np.all(np.diff(to_b) <= 0)),
            "midpoint_to_A": mid["latent_hamming_A"], "midpoint_to_B": mid["latent_hamming_B"],
            "midpoint_trigram": mid["latent_trigram"], "data_midpoint_trigram": mid["data_trigram"]}


def mean_decode_checks(model, held, windows: int = 256) -> dict:
    """How far the argmax decode of a window's posterior mean lands from the window, over (up to `windows`
    spread over) the held-out split: mean, standard error, count, and the share within 0.1."""
    from ada.generation.notes import mean_decode_distance

    distances = mean_decode_distance(model, held[np.linspace(0, len(held) - 1, min(windows, len(held))).astype(int)])
    return {"mean_decode_hamming": float(distances.mean()),
            "mean_decode_hamming_se": float(distances.std() / np.sqrt(max(len(distances) - 1, 1))),
            "mean_decode_windows": len(distances), "mean_decode_within_0.1": float(np.mean(distances <= 0.1))}


def latent_reading(c: dict) -> str:
    """`latent_checks` and `mean_decode_checks` in a sentence, as the card and `ada notes eval` print them."""
    return (f"Decoding a window's posterior mean by argmax gives it back {c['mean_decode_hamming']:.3f} ± "
            f"{c['mean_decode_hamming_se']:.3f} from itself (Hamming, mean ± standard error over "
            f"{c['mean_decode_windows']} eval windows; {c['mean_decode_within_0.1']:.0%} of them within 0.1). On the "
            f"path at temperature 0.5: the start is {c['start_to_A']:.3f} from A and the end {c['end_to_B']:.3f} "
            f"from B; the distance to A {'rises' if c['to_A_rises'] else 'does not rise'} all along and to B "
            f"{'falls' if c['to_B_falls'] else 'does not fall'}; the midpoint is {c['midpoint_to_A']:.3f} from A and "
            f"{c['midpoint_to_B']:.3f} from B, with 3-gram log-p {c['midpoint_trigram']:.3f} against the data-space "
            f"midpoint's {c['data_midpoint_trigram']:.3f}.")
