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
                            seed: int = 0, train_windows: int = 20000) -> tuple[list[dict], float]:
    """The study on a trained model's eval split, with the 3-gram model fitted on (up to `train_windows` of)
    its train split; returns the rows and the eval windows' own mean 3-gram log-probability."""
    from ada.generation.notes import NotesModel
    from ada.notes.dataset import open_notes

    model = NotesModel.load(workdir)
    notes = open_notes(data or model.trained.config.data.path)
    train, held = notes.split("train"), notes.split("eval")
    chosen = np.linspace(0, len(train) - 1, min(train_windows, len(train))).astype(int)
    trigram = Trigram.fit((train[i] for i in chosen), model.spec.vocabs[0])
    picked = np.asarray(held[np.linspace(0, len(held) - 1, min(2 * pairs, len(held))).astype(int)], np.int32)
    reference = float(np.mean([trigram.log_prob(w) for w in picked]))
    return interpolation_study(model, picked, trigram, pairs, steps, temperature, seed), reference
