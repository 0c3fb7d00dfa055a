"""`ada notes sample | interpolate | attribute`: new music from a trained MusicVAE, heard and seen.

Each command writes, per result, a MIDI file, its rendering on the sampled grand piano (WAV) and a piano
roll (PNG), then a listening page (index.html) and a JSON record. Sampling draws z ~ N(0, I) and decodes
it at a temperature; interpolation slerps between the posterior means of two MIDI files' first windows;
attribute arithmetic adds multiples of an attribute vector (the mean z of the train windows in the top
quartile of an attribute minus that of the bottom quartile) to an input's posterior mean.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ada.data.atomic import save_npy, write_json
from ada.models.musicvae import MusicVAE, slerp
from ada.notes.kinds import kind_of
from ada.notes.representation import FIRST_PITCH_CLASS, MIN_PITCH
from ada.training import checkpoint
from ada.training.config import ConfigError

C_MAJOR = {0, 2, 4, 5, 7, 9, 11}


@dataclass
class NotesModel:
    """A trained MusicVAE workdir with its encoder and decoder compiled."""

    workdir: Path
    trained: checkpoint.Trained

    @classmethod
    def load(cls, workdir, step: int | None = None) -> NotesModel:
        """A workdir's newest checkpoint, or the one at `step`; or an exported model."""
        trained = checkpoint.load(workdir, step)
        if not isinstance(trained.model, MusicVAE):
            raise ConfigError(f"{workdir} holds {trained.spec.title}, not a MusicVAE (train one with "
                              "`ada train --config experiments/musicvae_....py`)")
        return cls(Path(workdir), trained)

    @property
    def spec(self):
        return self.trained.spec

    @property
    def kind(self) -> str:
        return kind_of(self.spec.streams)

    def __post_init__(self):
        model, variables = self.trained.model, self.trained.variables
        self._encode = jax.jit(lambda t: model.apply(variables, t, method=MusicVAE.encode))
        self._decode = jax.jit(lambda z, k, temp: model.apply(variables, z, k, temp, method=MusicVAE.decode))

    def encode(self, tokens) -> tuple[np.ndarray, np.ndarray]:
        mu, sigma = self._encode(jnp.asarray(tokens, jnp.int32))
        return np.asarray(mu), np.asarray(sigma)

    def decode(self, z, seed: int, temperature: float) -> np.ndarray:
        return np.asarray(self._decode(jnp.asarray(z, jnp.float32), jax.random.key(seed), jnp.float32(temperature)))

    def window_of(self, midi) -> np.ndarray:
        """The first window [S, T] of the model's kind and length in a MIDI file (one error line if none)."""
        from ada.notes.midi import windows_from_midi

        windows = windows_from_midi(midi, self.kind, self.spec.bars)
        if windows.shape[1] != len(self.spec.streams):
            raise ConfigError(f"{midi}: {windows.shape[1]} streams, the model reads {len(self.spec.streams)}")
        return np.asarray(windows[0], np.int32)


# ---------------------------------------------------------------- attributes of melodies (the paper's section 5.3)

def onsets(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(steps, MIDI pitches) of the note onsets of a window's first stream."""
    row = np.asarray(window)[0]
    steps = np.nonzero(row >= FIRST_PITCH_CLASS)[0]
    return steps, row[steps] - FIRST_PITCH_CLASS + MIN_PITCH


def note_density(window) -> float:
    """Onsets per step."""
    return len(onsets(window)[0]) / np.asarray(window).shape[-1]


def c_diatonic(window) -> float:
    """Share of onsets whose pitch is in C major."""
    _, pitches = onsets(window)
    return float(np.mean([p % 12 in C_MAJOR for p in pitches])) if len(pitches) else 0.0


def average_interval(window) -> float:
    """Mean absolute interval in semitones between consecutive onsets."""
    _, pitches = onsets(window)
    return float(np.abs(np.diff(pitches)).mean()) if len(pitches) > 1 else 0.0


def syncopation_16th(window) -> float:
    """Share of onsets on an odd sixteenth (off the eighth-note grid)."""
    steps, _ = onsets(window)
    return float(np.mean(steps % 2 == 1)) if len(steps) else 0.0


def syncopation_8th(window) -> float:
    """Share of onsets on an off-beat eighth (the 'and' of a beat)."""
    steps, _ = onsets(window)
    return float(np.mean(steps % 4 == 2)) if len(steps) else 0.0


ATTRIBUTES = {"note_density": note_density, "c_diatonic": c_diatonic, "average_interval": average_interval,
              "syncopation_16th": syncopation_16th, "syncopation_8th": syncopation_8th}


def attribute_vectors(model: NotesModel, data=None, limit: int = 8192, batch: int = 256) -> dict[str, np.ndarray]:
    """Mean posterior mean of the top quartile minus the bottom quartile, per attribute, over (up to `limit`
    windows spread over) the train split; cached in the workdir per checkpoint step."""
    from ada.notes.dataset import open_notes

    cache = model.workdir / f"attribute-vectors-{model.trained.step}.npz"
    if cache.is_file():
        with np.load(cache) as f:
            return {k: f[k] for k in f.files}
    notes = open_notes(data or model.trained.config.data.path)
    windows = notes.split("train")
    chosen = np.linspace(0, len(windows) - 1, min(limit, len(windows))).astype(int)
    mus = []
    for i in range(0, len(chosen), batch):
        part = np.asarray(windows[chosen[i : i + batch]], np.int32)
        pad = batch - len(part)
        mu, _ = model.encode(np.concatenate([part, np.zeros((pad, *part.shape[1:]), np.int32)]) if pad else part)
        mus.append(mu[: len(part)])
    mus = np.concatenate(mus)
    vectors = {}
    for name, fn in ATTRIBUTES.items():
        values = np.array([fn(windows[k]) for k in chosen])
        low, high = np.quantile(values, [0.25, 0.75])
        top, bottom = values >= high, values <= low
        if top.all() or bottom.all() or not top.any() or not bottom.any():
            vectors[name] = np.zeros(mus.shape[1], np.float32)
        else:
            vectors[name] = (mus[top].mean(0) - mus[bottom].mean(0)).astype(np.float32)
    from ada.data.atomic import atomic_path

    with atomic_path(cache) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **vectors)
    return vectors


# ---------------------------------------------------------------- writing results

@dataclass
class Result:
    page: Path
    records: list[dict]
    seconds: float


def write_results(out: Path, title: str, meta: dict, rows: list[list[tuple[str, np.ndarray]]], kind: str,
                  records: list[dict], layout: str = "rows") -> Result:
    """Each (label, tokens [S, T]) as MIDI, WAV (sampled grand piano) and piano roll; the page; the JSON.

    Laid out as `layout` (ada.listening.page.LAYOUTS); a "strip" (a path: A, the points, B) also gets its
    piano rolls side by side in one picture, path.png, on one pitch axis."""
    from ada.listening.page import write_page
    from ada.notes.playback import piano_roll_png, piano_rolls_row_png, tokens_to_wav

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    page_rows, n = [], 0
    for row in rows:
        cells = []
        for label, tokens in row:
            stem = f"{n:03d}-{''.join(c if c.isalnum() or c in '-_.' else '_' for c in label)}"
            wav = out / f"{stem}.wav"
            audio = tokens_to_wav(tokens, kind, wav, midi=out / f"{stem}.mid")
            roll = piano_roll_png(tokens, kind, out / f"{stem}-roll.png", title=label)
            cells.append((label, audio, wav, roll))
            n += 1
        page_rows.append(cells)
    picture = None
    if layout == "strip":
        picture = piano_rolls_row_png([cell for row in rows for cell in row], kind, out / "path.png")
    page = write_page(out, title, meta, page_rows, layout=layout, picture=picture)
    write_json(out / "results.json", {"title": title, **{k: str(v) for k, v in meta.items()}, "results": records})
    return Result(page, records, 0.0)


def hamming(a, b) -> float:
    """Share of steps (over all streams) where two token windows differ."""
    return float(np.mean(np.asarray(a) != np.asarray(b)))


def mean_decode_distance(model: NotesModel, windows) -> np.ndarray:
    """Per window: the Hamming distance of its posterior mean's argmax decode to itself (what "decoding A's
    mean gives A" means)."""
    windows = np.asarray(windows, np.int32)
    mu, _ = model.encode(windows)
    return np.array([hamming(x, y) for x, y in zip(model.decode(mu, 0, 0.0), windows, strict=True)])


def _meta(model: NotesModel, **more) -> dict:
    s = model.spec
    return {"model": str(model.workdir), "checkpoint step": model.trained.step,
            "decoder": f"{s.decoder_type} {list(s.decoder)}", "encoder": list(s.encoder), "z": s.z,
            "bars": s.bars, "streams": ",".join(s.streams), **more}


# ---------------------------------------------------------------- the three commands

def prior_samples(model: NotesModel, num: int, temperature: float, seed: int = 0) -> np.ndarray:
    """`num` windows [num, S, T] decoded from z ~ N(0, I): what `ada notes sample` makes with this seed."""
    z = np.asarray(jax.random.normal(jax.random.key(seed), (num, model.spec.z)))
    return model.decode(z, seed + 1, temperature)


def sample(workdir, num: int, temperature: float, out, seed: int = 0) -> Result:
    """`num` windows decoded from z ~ N(0, I) (deterministic by `seed`)."""
    t0 = time.perf_counter()
    model = NotesModel.load(workdir)
    tokens = prior_samples(model, num, temperature, seed)
    save_npy(Path(out) / "samples.npy", tokens.astype(np.int16))
    records = [{"label": f"sample {i}", "note_density": note_density(t)} for i, t in enumerate(tokens)]
    rows = [[(f"sample {i}", tokens[i])] for i in range(num)]
    result = write_results(out, f"MusicVAE samples ({model.workdir.name})",
                           _meta(model, temperature=temperature, seed=seed, num=num), rows, model.kind, records,
                           layout="grid")
    result.seconds = time.perf_counter() - t0
    return result


def interpolate(workdir, source, target, steps: int, out, temperature: float = 0.5, seed: int = 0) -> Result:
    """Decode slerp(μ_A, μ_B, t) for `steps` values of t from 0 to 1 (endpoints included); report each
    step's Hamming distance to the two inputs."""
    t0 = time.perf_counter()
    model = NotesModel.load(workdir)
    a, b = model.window_of(source), model.window_of(target)
    mu, _ = model.encode(np.stack([a, b]))
    ts = np.linspace(0.0, 1.0, steps)
    z = np.stack([np.asarray(slerp(mu[0], mu[1], float(t))) for t in ts])
    tokens = model.decode(z, seed, temperature)
    records = [{"t": float(t), "hamming_to_A": hamming(x, a), "hamming_to_B": hamming(x, b)}
               for t, x in zip(ts, tokens, strict=True)]
    path = [(f"t = {t:.2f}", x) for t, x in zip(ts, tokens, strict=True)]
    rows = [[("A (input)", a), *path, ("B (input)", b)]]  # one row, left to right
    result = write_results(out, f"MusicVAE interpolation ({model.workdir.name})",
                           _meta(model, A=source, B=target, steps=steps, temperature=temperature, seed=seed),
                           rows, model.kind, records, layout="strip")
    result.seconds = time.perf_counter() - t0
    return result


def attribute(workdir, source, name: str, amounts: list[float], out, temperature: float = 0.5, seed: int = 0,
              data=None) -> Result:
    """Decode μ(input) + amount · (attribute vector), for each amount; report the attribute of each result."""
    if name not in ATTRIBUTES:
        raise ConfigError(f"--attribute {name!r}: choose one of {', '.join(ATTRIBUTES)}")
    t0 = time.perf_counter()
    model = NotesModel.load(workdir)
    vector = attribute_vectors(model, data)[name]
    x = model.window_of(source)
    mu, _ = model.encode(x[None])
    z = mu[0][None] + np.asarray(amounts, np.float32)[:, None] * vector[None]
    tokens = model.decode(z, seed, temperature)
    fn = ATTRIBUTES[name]
    records = [{"amount": float(a), name: fn(t)} for a, t in zip(amounts, tokens, strict=True)]
    rows = [[("input", x), *((f"{name} {a:+g}", t) for a, t in zip(amounts, tokens, strict=True))]]
    result = write_results(out, f"MusicVAE attribute {name} ({model.workdir.name})",
                           _meta(model, input=source, attribute=name, input_value=f"{fn(x):.3f}",
                                 vector_norm=f"{float(np.linalg.norm(vector)):.3f}", temperature=temperature),
                           rows, model.kind, records, layout="strip")
    result.seconds = time.perf_counter() - t0
    return result


def dumps(record: dict) -> str:
    return json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in record.items()})
