"""Hearing and seeing token windows: MIDI -> 16 kHz WAV on the sampled grand piano (FluidSynth, the
corpus's soundfonts), and piano-roll PNGs for the listening pages of `ada notes sample/interpolate/attribute`.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from ada import SAMPLE_RATE
from ada.audio.corpus import SOUNDFONTS, check_tools
from ada.data.atomic import atomic_path
from ada.notes.midi import stream_kinds, stream_names, tokens_to_midi
from ada.notes.representation import DRUM_CLASS_NAMES, NUM_DRUM_CLASSES, STEPS_PER_BAR, melody_notes

GAIN = 0.5
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def midi_to_wav(midi: str | os.PathLike, wav: str | os.PathLike, soundfont: str = "fluidr3") -> np.ndarray:
    """Render a MIDI file with FluidSynth at 16 kHz, mixed to mono, written atomically as 16-bit WAV; returns
    the audio. Melody streams play on General MIDI program 0, the soundfont's sampled acoustic grand."""
    check_tools([soundfont])
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "out.wav"
        subprocess.run(["fluidsynth", "-ni", "-q", "-g", str(GAIN), "-r", str(SAMPLE_RATE), "-F", str(raw),
                        SOUNDFONTS[soundfont][0], str(midi)], check=True, capture_output=True, timeout=600)
        audio, rate = sf.read(raw, dtype="float32", always_2d=True)
    assert rate == SAMPLE_RATE, rate
    mono = audio.mean(axis=1)
    with atomic_path(wav) as tmp_wav:
        sf.write(tmp_wav, mono, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return mono


def tokens_to_wav(tokens, kind: str, wav: str | os.PathLike, qpm: float = 120.0, soundfont: str = "fluidr3",
                  midi: str | os.PathLike | None = None) -> np.ndarray:
    """Token windows [S, T] -> MIDI (beside the WAV unless `midi` names it) -> WAV; returns the audio."""
    midi = Path(midi) if midi else Path(wav).with_suffix(".mid")
    tokens_to_midi(tokens, kind, midi, qpm)
    return midi_to_wav(midi, wav, soundfont)


def _pyplot():
    import matplotlib  # here: a second to import, and only the pages need it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _panels(tokens, kind: str) -> tuple[np.ndarray, list[str], list[int], list[int]]:
    """A window as [S, T] with each stream's kind, and which streams are melodic and which drums."""
    tokens = np.asarray(tokens)
    tokens = tokens[None] if tokens.ndim == 1 else tokens
    kinds = stream_kinds(kind, len(tokens))
    drums = [s for s, k in enumerate(kinds) if k == "drums"]
    melodic = [s for s, k in enumerate(kinds) if k != "drums"]
    return tokens, [r for r in (melodic and "melody", drums and "drums") if r], melodic, drums


def _pitch_range(windows, kind: str) -> tuple[int, int]:
    """The pitch axis that holds every melodic note of the windows."""
    pitches = []
    for window in windows:
        tokens, _, melodic, _ = _panels(window, kind)
        pitches += [pitch for s in melodic for _, _, pitch in melody_notes(tokens[s])]
    return (min(pitches) - 2, max(pitches) + 2) if pitches else (58, 72)


def _draw_panel(ax, tokens, row: str, melodic, drums, names, pitch_range, legend: bool, ticks: bool = True) -> None:
    """One panel of a roll: the melodic streams as bars coloured by stream (voice), or the drums as dots."""
    steps = tokens.shape[-1]
    if row == "melody":
        for s in melodic:
            label = names[s] if names else (f"stream {s}" if len(melodic) > 1 else None)
            for i, (start, end, pitch) in enumerate(melody_notes(tokens[s])):
                ax.barh(pitch, end - start, left=start, height=0.8, color=COLOURS[s % len(COLOURS)],
                        edgecolor="white", linewidth=0.6, label=label if i == 0 else None)  # repeats show
        ax.set_ylim(*pitch_range)
        if ticks:
            ax.set_ylabel("MIDI pitch")
        if legend and len(melodic) > 1 and ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    else:
        for s in drums:
            t, c = np.nonzero((tokens[s][:, None] >> np.arange(NUM_DRUM_CLASSES)) & 1)
            ax.scatter(t + 0.5, c, s=12, color=COLOURS[s % len(COLOURS)], marker="s")
        ax.set_yticks(range(NUM_DRUM_CLASSES), DRUM_CLASS_NAMES if ticks else [""] * NUM_DRUM_CLASSES, fontsize=6)
        ax.set_ylim(-0.5, NUM_DRUM_CLASSES - 0.5)
    for b in range(0, steps + 1, STEPS_PER_BAR):
        ax.axvline(b, color="0.75", lw=0.6, zorder=0)
    ax.set_xlim(0, steps)
    ax.set_xticks(range(0, steps + 1, STEPS_PER_BAR), [str(b // STEPS_PER_BAR + 1) for b in
                                                        range(0, steps + 1, STEPS_PER_BAR)], fontsize=7)


def _save(fig, path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    _pyplot().close(fig)
    return path


def piano_roll_png(tokens, kind: str, path: str | os.PathLike, title: str = "", names: list[str] | None = None) -> Path:
    """A piano roll of token windows [S, T]: melody streams as note bars on a pitch axis, coloured by stream (a
    chorale's four voices each its own colour, named in a legend), drum streams as dots on the 9 drum classes;
    bar lines every 16 steps. Written atomically."""
    plt = _pyplot()
    tokens, rows, melodic, drums = _panels(tokens, kind)
    names = names or stream_names(kind) or None
    steps = tokens.shape[-1]
    fig, axes = plt.subplots(len(rows), 1, figsize=(min(16, 3 + steps / 24), 2.6 * len(rows)), dpi=90,
                             squeeze=False, height_ratios=[3 if r == "melody" else 1.5 for r in rows])
    for ax, row in zip(axes[:, 0], rows, strict=True):
        _draw_panel(ax, tokens, row, melodic, drums, names, _pitch_range([tokens], kind), legend=True)
    axes[-1, 0].set_xlabel("bar")
    if title:
        axes[0, 0].set_title(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def piano_rolls_row_png(windows: list[tuple[str, np.ndarray]], kind: str, path: str | os.PathLike) -> Path:
    """Several windows' piano rolls side by side on one pitch axis, each titled: a latent path from A to B
    read at a glance, as the paper draws it."""
    plt = _pyplot()
    _, rows, melodic, drums = _panels(windows[0][1], kind)
    names = stream_names(kind) or None
    pitch_range = _pitch_range([w for _, w in windows], kind)
    steps = np.asarray(windows[0][1]).shape[-1]
    width = max(1.6, min(3.2, steps / 20))
    fig, axes = plt.subplots(len(rows), len(windows), figsize=(1 + width * len(windows), 2.2 * len(rows)), dpi=90,
                             squeeze=False, sharey="row", height_ratios=[3 if r == "melody" else 1.5 for r in rows])
    for n, (label, tokens) in enumerate(windows):
        tokens = _panels(tokens, kind)[0]
        for r, row in enumerate(rows):
            _draw_panel(axes[r, n], tokens, row, melodic, drums, names, pitch_range,
                        legend=n == len(windows) - 1, ticks=n == 0)
        axes[0, n].set_title(label, fontsize=8)
        axes[-1, n].set_xlabel("bar", fontsize=7)
    fig.tight_layout()
    return _save(fig, path)
