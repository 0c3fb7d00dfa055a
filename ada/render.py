"""Rendering down a stack: prior -> top codes -> each level's decoder -> μ-law audio -> WAV files.

`ada sample` draws new music; `ada reconstruct` encodes real audio through the bottom levels and
samples it back, as in the paper's reconstructions. Level-1 audio is streamed to disk chunk by
chunk, so a minute costs the memory of a chunk.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import jax
import numpy as np

from ada import SAMPLE_RATE, audio, mulaw
from ada.atomic import write_json
from ada.dataset import Dataset, DatasetError, open_dataset
from ada.encode import LevelEncoder
from ada.measures import chroma_similarity, listen, log_mel_distance, log_stft_distance, spectral_flatness
from ada.page import write_page
from ada.stack import Stack, load_stack


@dataclass
class Rendered:
    page: Path  # the listening page, index.html
    files: list[Path]  # the WAVs
    seconds: float  # wall time


@dataclass
class Reconstructions:
    page: Path
    results: list[dict]  # per excerpt: its label and spectral distances
    meta: dict  # the stack, settings and mean distances shown on the page


def render_down(stack: Stack, top_codes: np.ndarray, key, temperature: float, chunk: int) -> Iterator[np.ndarray]:
    """Top codes [N, T] -> blocks of audio tokens [N, ≤chunk], sampled level by level, top first."""
    codes = np.asarray(top_codes)
    for i in reversed(range(1, len(stack.levels))):
        m = stack.levels[i]
        codes = stack.sampler(m, chunk).sample(
            codes.shape[0], codes.shape[1] * m.spec.hop, jax.random.fold_in(key, i + 1), temperature, codes)
    m = stack.levels[0]
    yield from stack.sampler(m, chunk).stream(
        codes.shape[0], codes.shape[1] * m.spec.hop, jax.random.fold_in(key, 1), temperature, codes)


def _write_wavs(paths: list[Path], frames: int, blocks: Iterator[np.ndarray]) -> list[np.ndarray]:
    """Stream token blocks into WAVs; returns the decoded audio too (for spectrograms)."""
    writers = [audio.WavWriter(p, frames) for p in paths]
    kept = [[] for _ in paths]
    for block in blocks:
        for k, w in enumerate(writers):
            decoded = mulaw.decode(block[k])[: w.remaining]
            w.write(decoded)
            kept[k].append(decoded)
    for w in writers:
        w.close()
    return [np.concatenate(k) for k in kept]


def _describe(stack: Stack) -> dict:
    parts = {f"level {i}": f"{m.workdir.name} (step {m.step}, hop {m.spec.hop}, K {m.spec.code_vocab})"
             for i, m in enumerate(stack.levels, 1)}
    if stack.prior:
        parts["prior"] = f"{stack.prior.workdir.name} (step {stack.prior.step})"
    return parts


def sample_stack(stack_path, seconds: float, num: int, out, temperature: float = 1.0, seed: int = 0,
                 chunk: int = 16000) -> Rendered:
    """Draw `num` pieces of `seconds` each from the stack's prior, render them to WAV and a page."""
    stack = load_stack(stack_path)
    out = Path(out)
    frames = round(seconds * SAMPLE_RATE)
    top_len = math.ceil(frames / stack.hop)
    key = jax.random.key(seed)
    started = time.perf_counter()
    top = stack.sampler(stack.prior, chunk).sample(num, top_len, jax.random.fold_in(key, 0), temperature)
    paths = [out / f"sample-{k:02d}.wav" for k in range(num)]
    clips = _write_wavs(paths, frames, render_down(stack, top, key, temperature, chunk))
    took = time.perf_counter() - started
    meta = {**_describe(stack), "seconds": seconds, "samples": num, "temperature": temperature, "seed": seed,
            "render time": f"{took:.1f} s ({num * seconds / took:.2f}x real time)"}
    measures, corpus = listen(clips), _corpus_measures(stack, frames, max(num, 3))
    meta.update(_measure_lines(measures, corpus))
    rows = [[(p.stem, c, p)] for p, c in zip(paths, clips, strict=True)]
    page = write_page(out, f"ADA samples: {stack.path.name}", meta, rows)
    write_json(out / "samples.json", {**meta, "files": [str(p.name) for p in paths], "measures": measures,
                                      "corpus_measures": corpus})
    _remove_stale(out, "sample-*", paths)
    return Rendered(page, paths, took)


def _corpus_measures(stack: Stack, frames: int, count: int) -> dict:
    """The same measures on real excerpts of the audio the bottom level was trained on, when it is there."""
    try:
        ds = open_dataset(stack.levels[0].config.data.path)
        chosen = excerpts_from(ds, "train", count, frames)
    except DatasetError:
        return {}
    return listen([mulaw.decode(tokens) for _, tokens in chosen])


def _measure_lines(measures: dict, corpus: dict) -> dict:
    """Page lines: each measure's mean ± spread, beside the corpus's; noisiness = flatness over the corpus's."""
    lines = {}
    for name, m in measures.items():
        c = corpus.get(name)
        lines[name.replace("_", " ")] = (f"{m['mean']:.3g} ± {m['std']:.2g}"
                                         + (f" (corpus {c['mean']:.3g} ± {c['std']:.2g})" if c else ""))
    if corpus:
        lines["noisiness (flatness over the corpus's)"] = round(measures["flatness"]["mean"]
                                                                 / max(corpus["flatness"]["mean"], 1e-9), 2)
    return lines


def _remove_stale(out: Path, pattern: str, written: list[Path]) -> None:
    """WAVs (and their spectrograms) of an earlier, larger run in the same folder: not this page's."""
    keep = {p.stem for p in written}
    for old in out.glob(pattern):
        if old.stem not in keep and old.suffix in (".wav", ".png"):
            old.unlink()


def excerpts_from(data, split: str, count: int, frames: int) -> list[tuple[str, np.ndarray]]:
    """`count` excerpts of `frames` tokens, spread over the files of a split (deterministic)."""
    ds = data if isinstance(data, Dataset) else open_dataset(data)
    files = [f for f in ds.split(split) if f["length"] >= frames]
    if not files:
        raise DatasetError(f"{ds.root}: no {split} file is {frames / ds.rate:.1f} s long")
    picks = []
    for i in range(count):
        f = files[i % len(files)]
        slot = i // len(files)
        start = (slot + 1) * (f["length"] - frames) // (count // len(files) + 2)
        picks.append((f"{Path(f['path']).stem} @ {start / ds.rate:.1f} s",
                      np.asarray(ds.tokens(f)[start : start + frames])))
    return picks


def excerpt_from_file(path, offset: float, frames: int) -> tuple[str, np.ndarray]:
    """`frames` μ-law tokens of any audio file from `offset` seconds on, cleaned as `ada prepare` does."""
    x = audio.clean(audio.read(path))
    start = int(offset * SAMPLE_RATE)
    if len(x) < start + frames:
        raise audio.AudioError(f"{path}: shorter than {(start + frames) / SAMPLE_RATE:g} s after trimming")
    return f"{path} @ {offset:g} s", mulaw.encode(x[start : start + frames])


def reconstruct(stack: Stack | str | Path, excerpts: list[tuple[str, np.ndarray]], out, levels: int = 1,
                temperature: float = 1.0, seed: int = 0, chunk: int = 16000,
                unrelated: np.ndarray | None = None) -> Reconstructions:
    """Encode each excerpt (μ-law tokens) through `levels` levels, sample it back, compare spectra."""
    if not isinstance(stack, Stack):
        stack = load_stack(stack, need_prior=False, levels=levels)
    out = Path(out)
    hop = stack.hop
    encoders = [LevelEncoder(m.model, m.variables, m.spec) for m in stack.levels]  # compiled once
    rows, results = [], []
    for n, (label, tokens) in enumerate(excerpts):
        tokens = np.asarray(tokens)[: len(tokens) // hop * hop]
        codes = tokens
        for encode in encoders:
            codes = encode(codes)
        original = out / f"original-{n:02d}.wav"
        audio.write_wav(original, mulaw.decode(tokens))
        path = out / f"reconstruction-{n:02d}.wav"
        [clip] = _write_wavs([path], len(tokens), render_down(stack, codes[None], jax.random.key(seed + n),
                                                               temperature, chunk))
        source = mulaw.decode(tokens)
        result = {"excerpt": label, "log_stft_to_original": log_stft_distance(clip, source),
                  "log_mel_to_original": log_mel_distance(clip, source),
                  "noisiness": spectral_flatness(clip) / max(spectral_flatness(source), 1e-9),
                  "chroma_to_original": chroma_similarity(clip, source)}
        if unrelated is not None:
            other = mulaw.decode(unrelated)
            result["log_stft_to_unrelated"] = log_stft_distance(clip, other)
            result["log_mel_to_unrelated"] = log_mel_distance(clip, other)
            result["chroma_to_unrelated"] = chroma_similarity(clip, other)
        results.append(result)
        rows.append([(f"original: {label}", source, original),
                     (f"reconstruction through {levels} level(s)", clip, path)])
    meta = {**_describe(stack), "levels": levels, "temperature": temperature, "seed": seed}
    for key in ("log_stft_to_original", "log_stft_to_unrelated", "log_mel_to_original", "log_mel_to_unrelated",
                "noisiness", "chroma_to_original", "chroma_to_unrelated"):
        if all(key in r for r in results):
            meta[f"mean {key.replace('_', ' ')}"] = round(float(np.mean([r[key] for r in results])), 4)
    page = write_page(out, f"ADA reconstructions: {stack.path.name}", meta, rows)
    write_json(out / "reconstructions.json", {**meta, "excerpts": results})
    _remove_stale(out, "original-*", [out / f"original-{n:02d}.wav" for n in range(len(excerpts))])
    _remove_stale(out, "reconstruction-*", [out / f"reconstruction-{n:02d}.wav" for n in range(len(excerpts))])
    return Reconstructions(page, results, meta)


def reconstruct_excerpts(stack_path, out, *, levels: int, seconds: float, input=None, offset: float = 0.0,
                         data=None, excerpts: int = 3, **options) -> Reconstructions:
    """`ada reconstruct`: an excerpt of `input` (any audio file), or `excerpts` eval excerpts of the
    dataset `data` compared with an unrelated train excerpt too, through the bottom `levels` levels."""
    stack = load_stack(stack_path, need_prior=False, levels=levels)
    frames = int(seconds * SAMPLE_RATE) // stack.hop * stack.hop
    if input is not None:
        return reconstruct(stack, [excerpt_from_file(input, offset, frames)], out, levels, **options)
    chosen = excerpts_from(data, "eval", excerpts, frames)
    unrelated = excerpts_from(data, "train", 1, frames)[0][1]
    return reconstruct(stack, chosen, out, levels, unrelated=unrelated, **options)
