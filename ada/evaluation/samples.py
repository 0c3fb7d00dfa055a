"""Prior samples against the data: how natural what `ada notes sample` makes is, beside the eval windows.

Table 1's accuracies score reconstructions from the posterior; they cannot see a decoder whose free-running
draws from z ~ N(0, I) wander. Per window, on its first stream: the mean 3-gram log-probability per step
under the train windows' 3-gram model (as the interpolation study scores its paths), and for melodies the
share of intervals between consecutive onsets wider than a fifth and than an octave (folk melodies move by
step; a sampler that has lost the line leaps) and the onsets per step. Each is a mean over the windows ± its
standard error, for the samples and for the eval windows themselves.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ada.evaluation.interpolation import Trigram

MEASURES = ("trigram", "leaps_over_fifth", "leaps_over_octave", "note_density")


def leap_shares(window) -> tuple[float, float]:
    """Shares of the intervals between consecutive onsets of the first stream wider than 7 and than 12
    semitones (0 with fewer than two onsets)."""
    from ada.generation.notes import onsets

    _, pitches = onsets(window)
    if len(pitches) < 2:
        return 0.0, 0.0
    steps = np.abs(np.diff(pitches.astype(np.int64)))
    return float(np.mean(steps > 7)), float(np.mean(steps > 12))


def window_measures(window, trigram: Trigram, melody: bool) -> dict[str, float]:
    from ada.generation.notes import note_density

    out = {"trigram": trigram.log_prob(window)}
    if melody:
        out["leaps_over_fifth"], out["leaps_over_octave"] = leap_shares(window)
        out["note_density"] = note_density(window)
    return out


@dataclass
class SampleMeasures:
    """One set of windows: each measure's mean and standard error over them."""

    label: str
    windows: int
    means: dict[str, float]
    ses: dict[str, float]

    def to_dict(self) -> dict:
        return asdict(self)


def summarise(label: str, windows, trigram: Trigram, melody: bool) -> SampleMeasures:
    rows = [window_measures(w, trigram, melody) for w in windows]
    names = [m for m in MEASURES if m in rows[0]]
    values = {m: np.array([r[m] for r in rows]) for m in names}
    se = (lambda v: float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan"))  # noqa: E731
    return SampleMeasures(label, len(rows), {m: float(v.mean()) for m, v in values.items()},
                          {m: se(v) for m, v in values.items()})


def sample_study(workdir, data=None, num: int = 256, temperature: float = 1.0, seed: int = 0,
                 step: int | None = None, train_windows: int = 20000) -> list[SampleMeasures]:
    """`num` prior samples of a trained model (as `ada notes sample --seed` draws them) and its eval split,
    measured alike."""
    from ada.generation.notes import NotesModel, prior_samples
    from ada.notes.dataset import open_notes

    model = NotesModel.load(workdir, step)
    notes = open_notes(data or model.trained.config.data.path)
    trigram = Trigram.of_split(notes.split("train"), model.spec.vocabs[0], train_windows)
    melody = model.spec.streams[0] == "melody"
    held = np.asarray(notes.split("eval"), np.int32)
    samples = prior_samples(model, num, temperature, seed)
    return [summarise(f"samples at temperature {temperature:g}", samples, trigram, melody),
            summarise("eval windows", held, trigram, melody)]


HEADINGS = {"trigram": "3-gram log-p", "leaps_over_fifth": "leaps > a fifth", "leaps_over_octave": "leaps > an octave",
            "note_density": "onsets a step"}


def samples_table(rows: list[SampleMeasures]) -> str:
    names = [m for m in MEASURES if m in rows[0].means]
    lines = ["| windows | count | " + " | ".join(HEADINGS[m] for m in names) + " |", "|---" * (len(names) + 2) + "|"]
    for r in rows:
        lines.append(f"| {r.label} | {r.windows} | "
                     + " | ".join(f"{r.means[m]:.3f} ± {r.ses[m]:.3f}" for m in names) + " |")
    return "\n".join(lines) + "\n"
