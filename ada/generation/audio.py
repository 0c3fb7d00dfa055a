"""Rendering down a stack: prior -> top codes -> each level's decoder -> μ-law audio -> WAV files.

`ada sample` draws new music; `ada reconstruct` encodes real audio through the bottom levels and
samples it back, as in the paper's reconstructions; `ada continue` encodes the opening of a piece up
the whole stack and samples what follows, every model primed with the prompt at its own level.
Level-1 audio is streamed to disk chunk by chunk, so a minute costs the memory of a chunk.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import jax
import numpy as np

from ada import SAMPLE_RATE
from ada.audio import audiofile, mulaw
from ada.audio.emphasis import Deemphasis, audio_of, tokens_of
from ada.data.atomic import write_json
from ada.data.dataset import Dataset, DatasetError, open_dataset
from ada.data.loader import check_emphasis
from ada.generation.encode import LevelEncoder
from ada.generation.stack import Stack, Temperatures, load_stack
from ada.listening.measures import (
    chroma_similarity,
    contrast_gap,
    contrast_names,
    key_clarity,
    listen,
    log_mel_distance,
    log_stft_distance,
    noisiness,
    spectral_flatness,
)
from ada.listening.page import write_page


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


def render_down(stack: Stack, top_codes: np.ndarray, key, temperatures: Temperatures, chunk: int,
                prompts: list[np.ndarray] | None = None) -> Iterator[np.ndarray]:
    """Top codes [N, T] -> blocks of audio tokens [N, ≤chunk], sampled level by level, top first, each
    level at its own temperature.

    `prompts[i]` [N, P_i] primes level i + 1's local model with the start of the sequence it models
    (audio tokens for level 1, the codes of level i for level i + 1)."""
    codes = np.asarray(top_codes)
    prompts = prompts or [None] * len(stack.levels)
    for i in reversed(range(1, len(stack.levels))):
        m = stack.levels[i]
        codes = stack.sampler(m, chunk).sample(
            codes.shape[0], codes.shape[1] * m.spec.hop, jax.random.fold_in(key, i + 1), temperatures.levels[i],
            codes, prompts[i])
    m = stack.levels[0]
    yield from stack.sampler(m, chunk).stream(
        codes.shape[0], codes.shape[1] * m.spec.hop, jax.random.fold_in(key, 1), temperatures.levels[0], codes,
        prompts[0])


def _write_wavs(paths: list[Path], frames: int, blocks: Iterator[np.ndarray], preemphasis: float = 0.0,
                on_audio: Callable[[int, np.ndarray], None] | None = None) -> list[np.ndarray]:
    """Stream token blocks into WAVs (de-emphasised where the stack's audio is pre-emphasised); returns the
    decoded audio too (for spectrograms). `on_audio(k, audio)` hears each clip's audio as it is written (the app
    plays it while the rest renders; an exception it raises stops the rendering)."""
    writers = [audiofile.WavWriter(p, frames) for p in paths]
    shapers = [Deemphasis(preemphasis) for _ in paths]
    kept = [[] for _ in paths]
    try:
        for block in blocks:
            for k, w in enumerate(writers):
                decoded = shapers[k](mulaw.decode(block[k]))[: w.remaining]
                w.write(decoded)
                kept[k].append(decoded)
                if on_audio is not None and len(decoded):
                    on_audio(k, decoded)
    except BaseException:  # stopped (cancelled, interrupted, failed): no partial WAV is left behind
        for w in writers:
            w.abandon()
        raise
    for w in writers:
        w.close()
    return [np.concatenate(k) for k in kept]


def _describe(stack: Stack) -> dict:
    parts = {f"level {i}": f"{m.workdir.name} (step {m.step}, hop {m.spec.hop}, K {m.spec.code_vocab})"
             for i, m in enumerate(stack.levels, 1)}
    if stack.preemphasis:
        parts["pre-emphasis"] = stack.preemphasis
    if stack.prior:
        parts["prior"] = f"{stack.prior.workdir.name} (step {stack.prior.step})"
    return parts


def sample_stack(stack_path, seconds: float, num: int, out, temperature: float | list[float] | None = None,
                 seed: int = 0, chunk: int = 16000, on_audio: Callable[[int, np.ndarray], None] | None = None
                 ) -> Rendered:
    """Draw `num` pieces of `seconds` each from the stack's prior, render them to WAV and a page; at the
    stack file's temperatures unless `temperature` is given for every model. A loaded `Stack` may be passed for the
    path: its samplers, compiled once, are reused (the app keeps one)."""
    stack = stack_path if isinstance(stack_path, Stack) else load_stack(stack_path)
    temperatures = stack.temperature(temperature)
    out = Path(out)
    frames = round(seconds * SAMPLE_RATE)
    top_len = math.ceil(frames / stack.hop)
    key = jax.random.key(seed)
    started = time.perf_counter()
    top = stack.sampler(stack.prior, chunk).sample(num, top_len, jax.random.fold_in(key, 0), temperatures.prior)
    paths = [out / f"sample-{k:02d}.wav" for k in range(num)]
    clips = _write_wavs(paths, frames, render_down(stack, top, key, temperatures, chunk), stack.preemphasis,
                        on_audio)
    took = time.perf_counter() - started
    meta = {**_describe(stack), "seconds": seconds, "samples": num, "temperature": temperatures.describe(),
            "seed": seed, "render time": f"{took:.1f} s ({num * seconds / took:.2f}x real time)"}
    measures, corpus = listen(clips), _corpus_measures(stack, frames, max(num, 3))
    meta.update(_measure_lines(measures, corpus))
    rows = [[(p.stem, c, p)] for p, c in zip(paths, clips, strict=True)]
    page = write_page(out, f"ADA samples: {stack.path.name}", meta, rows)
    write_json(out / "samples.json", {**meta, "files": [str(p.name) for p in paths], "measures": measures,
                                      "corpus_measures": corpus})
    _remove_stale(out, "sample-*", paths)
    return Rendered(page, paths, took)


CORPUS_MEASURES = "corpus-measures.json"  # beside a shipped stack.json: its corpus measured, for where it is not


def _corpus_measures(stack: Stack, frames: int, count: int) -> dict:
    """The same measures on real excerpts of the audio the bottom level was trained on, when it is there; else
    those recorded beside the stack file for clips of this length (`record_corpus_measures`), if any."""
    try:
        ds = open_dataset(stack.levels[0].config.data.path)
        chosen = excerpts_from(ds, "train", count, frames)
    except DatasetError:
        recorded = Path(stack.path).parent / CORPUS_MEASURES
        if not recorded.is_file():
            return {}
        return json.loads(recorded.read_text())["by_seconds"].get(f"{frames / SAMPLE_RATE:g}", {})
    return listen([audio_of(tokens, ds.preemphasis) for _, tokens in chosen])


def record_corpus_measures(stack_file: Path, data, seconds=(4.0, 30.0), count: int = 16) -> Path:
    """Measure `count` train excerpts of each length of `data` (the stack's corpus; a length no file reaches is
    left out) and keep them beside the stack file, so that its pages (4 s by default; 30 s for key hold) set
    their measures beside the corpus's on a machine without the corpus."""
    ds = open_dataset(data)
    by_seconds = {}
    for s in seconds:
        try:
            chosen = excerpts_from(ds, "train", count, round(s * SAMPLE_RATE))
        except DatasetError:
            continue
        by_seconds[f"{s:g}"] = listen([audio_of(tokens, ds.preemphasis) for _, tokens in chosen])
    path = Path(stack_file).parent / CORPUS_MEASURES
    write_json(path, {"data": Path(str(data)).name, "count": count, "split": "train", "by_seconds": by_seconds})
    return path


def _measure_lines(measures: dict, corpus: dict) -> dict:
    """Page lines: each measure's mean ± spread, beside the corpus's; noisiness = flatness over the corpus's."""
    lines = {}
    for name, m in measures.items():
        c = corpus.get(name)
        lines[name.replace("_", " ")] = (f"{m['mean']:.3g} ± {m['std']:.2g}"
                                         + (f" (corpus {c['mean']:.3g} ± {c['std']:.2g})" if c else ""))
    ratio = _noisiness(measures, corpus)
    if ratio is not None:
        lines["noisiness (flatness over the corpus's)"] = round(ratio, 2)
    return lines


def _noisiness(measures: dict, reference: dict) -> float | None:
    """Mean flatness over the reference's, from two summaries; None when either has none (no clips, or silence)."""
    if "flatness" not in measures or "flatness" not in reference:
        return None
    return noisiness(measures["flatness"]["mean"], reference["flatness"]["mean"])


def _remove_stale(out: Path, pattern: str, written: list[Path]) -> None:
    """WAVs (and their spectrograms) of an earlier, larger run in the same folder: not this page's."""
    keep = {p.stem for p in written}
    for old in out.glob(pattern):
        if old.stem not in keep and old.suffix in (".wav", ".png"):
            old.unlink()


def excerpts_from(data, split: str, count: int, frames: int) -> list[tuple[str, np.ndarray]]:
    """`count` excerpts of `frames` tokens, spread over the files of a split (deterministic): fewer excerpts than
    files take files evenly across the index, not its first ones (a corpus lists its works by composer, so the
    first 32 of the medium corpus are all Bach chorales); more take each file in turn, at evenly spaced starts."""
    ds = data if isinstance(data, Dataset) else open_dataset(data)
    files = [f for f in ds.split(split) if f["length"] >= frames]
    if not files:
        raise DatasetError(f"{ds.root}: no {split} file is {frames / ds.rate:.1f} s long")
    picks = []
    for i in range(count):
        f = files[i * len(files) // count] if count < len(files) else files[i % len(files)]
        slot = 0 if count < len(files) else i // len(files)
        start = (slot + 1) * (f["length"] - frames) // (count // len(files) + 2)
        picks.append((f"{Path(f['path']).stem} @ {start / ds.rate:.1f} s",
                      np.asarray(ds.tokens(f)[start : start + frames])))
    return picks


def read_input(path) -> np.ndarray:
    """Any audio file as 16 kHz float32, cleaned as `ada prepare` does; errors name the file."""
    path = Path(path)
    if not path.exists():
        raise audiofile.AudioError(f"--input {path}: no such file")
    if not path.is_file():
        raise audiofile.AudioError(f"--input {path}: not a file; name an audio file")
    try:
        return audiofile.clean(audiofile.read(path))
    except audiofile.AudioError as e:
        raise audiofile.AudioError(f"--input {path}: {e}") from None


def input_start(path, x: np.ndarray, offset: float, frames: int, what: str = "--seconds") -> int:
    """The sample `offset` seconds into `x`, refused in one line when it or the `frames` after it run past the end."""
    start, have = int(round(offset * SAMPLE_RATE)), len(x) / SAMPLE_RATE
    if start >= len(x):
        raise audiofile.AudioError(f"--offset {offset:g} s is beyond the end of {path} ({have:.2f} s after "
                                   "trimming silence)")
    if start + frames > len(x):
        raise audiofile.AudioError(f"{path} is {have:.2f} s long after trimming silence: --offset {offset:g} s "
                                   f"+ {what} {frames / SAMPLE_RATE:g} s runs "
                                   f"{(start + frames - len(x)) / SAMPLE_RATE:.2f} s past its end")
    return start


def excerpt_from_file(path, offset: float, frames: int, preemphasis: float = 0.0) -> tuple[str, np.ndarray]:
    """`frames` μ-law tokens of any audio file from `offset` seconds on, cleaned and pre-emphasised as
    `ada prepare` does."""
    x = read_input(path)
    start = input_start(path, x, offset, frames)
    return f"{path} @ {offset:g} s", tokens_of(x[start : start + frames], preemphasis)


CONTRAST_GAPS = ["harmonic_contrast_gap_db", *(n.replace("contrast", "contrast_gap", 1) for n in contrast_names())]


def reconstruct(stack: Stack | str | Path, excerpts: list[tuple[str, np.ndarray]], out, levels: int = 1,
                temperature: float | list[float] | None = None, seed: int = 0, chunk: int = 16000,
                unrelated: np.ndarray | None = None, origin: str | None = None) -> Reconstructions:
    """Encode each excerpt (μ-law tokens) through `levels` levels, sample it back, compare spectra (at the
    stack's temperatures unless `temperature` is given). `origin` names where the excerpts came from (a
    dataset and its split), recorded on the page so that pages of other excerpts are not compared as equals."""
    if not isinstance(stack, Stack):
        stack = load_stack(stack, need_prior=False, levels=levels)
    temperatures = stack.temperature(temperature)
    out = Path(out)
    hop = stack.hop
    encoders = [LevelEncoder(m.model, m.variables, m.spec) for m in stack.levels]  # compiled once
    rows, results = [], []
    alpha = stack.preemphasis  # the excerpts' tokens are as the bottom level hears audio
    other = None if unrelated is None else audio_of(unrelated, alpha)
    for n, (label, tokens) in enumerate(excerpts):
        tokens = np.asarray(tokens)[: len(tokens) // hop * hop]
        codes = tokens
        for encode in encoders:
            codes = encode(codes)
        original = out / f"original-{n:02d}.wav"
        source = audio_of(tokens, alpha)
        audiofile.write_wav(original, source)
        path = out / f"reconstruction-{n:02d}.wav"
        [clip] = _write_wavs([path], len(tokens), render_down(stack, codes[None], jax.random.key(seed + n),
                                                               temperatures, chunk), alpha)
        result = {"excerpt": label, "log_stft_to_original": log_stft_distance(clip, source),
                  "log_mel_to_original": log_mel_distance(clip, source),
                  "noisiness": noisiness(spectral_flatness(clip), spectral_flatness(source)),
                  "chroma_to_original": chroma_similarity(clip, source),
                  # what the levels keep of the key bounds what samples drawn through them can show
                  "key_clarity": key_clarity(clip), "key_clarity_of_original": key_clarity(source),
                  # the upper partials flatness does not show: dB of harmonic contrast lost, by octave band
                  **contrast_gap(clip, source)}
        if other is not None:
            result["log_stft_to_unrelated"] = log_stft_distance(clip, other)
            result["log_mel_to_unrelated"] = log_mel_distance(clip, other)
            result["chroma_to_unrelated"] = chroma_similarity(clip, other)
        results.append(result)
        rows.append([(f"original: {label}", source, original),
                     (f"reconstruction through {levels} level(s)", clip, path)])
    meta = {**_describe(stack), "levels": levels, "temperature": temperatures.describe(prior=False), "seed": seed,
            **({"source": origin} if origin else {})}
    for key in ("log_stft_to_original", "log_stft_to_unrelated", "log_mel_to_original", "log_mel_to_unrelated",
                "noisiness", "chroma_to_original", "chroma_to_unrelated", "key_clarity", "key_clarity_of_original",
                *CONTRAST_GAPS):
        values = [r[key] for r in results if r.get(key) is not None]  # a silent clip has no noisiness
        if values and all(key in r for r in results):
            meta[f"mean {key.replace('_', ' ')}"] = round(float(np.mean(values)), 4)
    page = write_page(out, f"ADA reconstructions: {stack.path.name}", meta, rows)
    write_json(out / "reconstructions.json", {**meta, "excerpts": results})
    _remove_stale(out, "original-*", [out / f"original-{n:02d}.wav" for n in range(len(excerpts))])
    _remove_stale(out, "reconstruction-*", [out / f"reconstruction-{n:02d}.wav" for n in range(len(excerpts))])
    return Reconstructions(page, results, meta)


def reconstruct_excerpts(stack_path, out, *, levels: int, seconds: float, input=None, offset: float = 0.0,
                         data=None, split: str = "eval", excerpts: int = 3, **options) -> Reconstructions:
    """`ada reconstruct`: an excerpt of `input` (any audio file), or `excerpts` excerpts of a split of the
    dataset `data` compared with an unrelated excerpt of its other split too (when it has one), through the bottom
    `levels` levels."""
    stack = load_stack(stack_path, need_prior=False, levels=levels)
    frames = int(seconds * SAMPLE_RATE) // stack.hop * stack.hop
    if input is not None:
        return reconstruct(stack, [excerpt_from_file(input, offset, frames, stack.preemphasis)], out, levels,
                           **options)
    data = data if isinstance(data, Dataset) else open_dataset(data)
    check_emphasis(stack.preemphasis, data)
    chosen = excerpts_from(data, split, excerpts, frames)
    try:
        unrelated = excerpts_from(data, "eval" if split == "train" else "train", 1, frames)[0][1]
    except DatasetError:  # a dataset of one split: no unrelated floor, the rest still measured
        unrelated = None
    return reconstruct(stack, chosen, out, levels, unrelated=unrelated,
                       origin=f"{data.root.name} ({split} split)", **options)


@dataclass
class Continuation:
    page: Path
    files: list[Path]  # the WAVs: prompt + continuation each
    clips: list[np.ndarray]  # their audio (prompt part: the input's μ-law tokens, decoded)
    meta: dict  # the stack, settings and measures shown on the page (continuations.json holds the rest)


def prompt_sequences(stack: Stack, tokens: np.ndarray) -> list[np.ndarray]:
    """A prompt's μ-law tokens (a multiple of the stack's hop) up the stack: the sequence each model
    primes on, bottom first: [audio tokens, level-1 codes, …, top codes (the prior's)]."""
    sequences = [np.asarray(tokens, np.int64)]
    for m in stack.levels:
        below = sequences[-1]
        sequences.append(LevelEncoder(m.model, m.variables, m.spec)(below) if len(below)
                         else np.zeros(0, np.int64))
    return sequences


def continue_piece(stack_path, input, out, *, prompt_seconds: float, seconds: float, offset: float = 0.0,
                   num: int = 1, temperature: float | list[float] | None = None, seed: int = 0,
                   chunk: int = 16000) -> Continuation:
    """`ada continue`: `prompt_seconds` of `input` from `offset`, encoded up the stack, then `seconds`
    more sampled by the prior and every level, each primed with the prompt at its level; `num` pieces.

    With the same seed, a zero-length prompt draws exactly what `ada sample` draws. A loaded `Stack` may be passed
    for the path, as to `sample_stack`."""
    x = read_input(input)
    start = input_start(input, x, offset, int(prompt_seconds * SAMPLE_RATE), "--prompt-seconds")
    stack = stack_path if isinstance(stack_path, Stack) else load_stack(stack_path)
    temperatures = stack.temperature(temperature)
    out = Path(out)
    given = int(prompt_seconds * SAMPLE_RATE) // stack.hop * stack.hop  # whole top codes
    frames = given + round(seconds * SAMPLE_RATE)
    key = jax.random.key(seed)
    started = time.perf_counter()
    alpha = stack.preemphasis
    prompt = tokens_of(x[start : start + given], alpha)
    rows = [np.repeat(p[None], num, axis=0) for p in prompt_sequences(stack, prompt)]
    top = stack.sampler(stack.prior, chunk).sample(num, math.ceil(frames / stack.hop), jax.random.fold_in(key, 0),
                                                   temperatures.prior, prompt=rows[-1])
    paths = [out / f"continuation-{k:02d}.wav" for k in range(num)]
    clips = _write_wavs(paths, frames, render_down(stack, top, key, temperatures, chunk, rows[:-1]), alpha)
    took = time.perf_counter() - started
    original = audio_of(tokens_of(x[start : start + frames], alpha), alpha)  # as the models hear it
    original_path = out / "original.wav"
    audiofile.write_wav(original_path, original)

    mark = given / SAMPLE_RATE
    measures = listen([c[given:] for c in clips])
    corpus = _corpus_measures(stack, frames - given, max(num, 3))
    prompt_measures = listen([audio_of(prompt, alpha)]) if given else {}
    following = original[given:] if len(original) - given >= SAMPLE_RATE // 2 else None  # what the piece does
    original_measures = listen([following]) if following is not None else {}
    meta = {**_describe(stack), "input": f"{input} from {offset:g} s", "prompt": f"{mark:.3f} s",
            "continuation": f"{seconds:g} s", "samples": num, "temperature": temperatures.describe(), "seed": seed,
            "render time": f"{took:.1f} s ({num * frames / SAMPLE_RATE / took:.2f}x real time)"}
    meta.update(_measure_lines(measures, corpus))
    for name, ref in (("prompt", prompt_measures), ("the original's continuation", original_measures)):
        for m in ("flatness", "key_clarity"):
            if m in ref:
                meta[f"{m.replace('_', ' ')} of {name}"] = f"{ref[m]['mean']:.3g}"
    ratio = _noisiness(measures, prompt_measures)
    if ratio is not None:
        meta["noisiness (flatness over the prompt's)"] = round(ratio, 2)
    label = Path(input).name
    page_rows = [[(f"original: {label} from {offset:g} s", original, original_path)]]
    page_rows += [[(f"{p.stem}: prompt + {seconds:g} s sampled", c, p)] for p, c in zip(paths, clips, strict=True)]
    page = write_page(out, f"ADA continuations: {label} on {stack.path.name}", meta, page_rows,
                      mark=mark if given else None)
    write_json(out / "continuations.json", {
        **meta, "input": str(input), "offset": offset, "prompt_seconds": mark, "seconds": seconds,
        "files": [p.name for p in paths], "original": original_path.name, "measures": measures,
        "prompt_measures": prompt_measures, "original_measures": original_measures, "corpus_measures": corpus})
    _remove_stale(out, "continuation-*", paths)
    return Continuation(page, paths, clips, meta)
