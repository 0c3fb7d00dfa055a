"""The listening page: index.html beside the WAVs, with players, spectrograms and what made them.

It links files by relative path and needs no server: open it from disk. A small script reports,
at the top, how many players have loaded their audio (and which failed).
"""

from __future__ import annotations

import html
import warnings
from pathlib import Path

import numpy as np

from ada import SAMPLE_RATE
from ada.data.atomic import write_text

STATUS_SCRIPT = """
<script>
const players = [...document.querySelectorAll('audio')];
let ready = 0, failed = [];
const show = () => { document.getElementById('status').textContent =
  `${ready} of ${players.length} players loaded` + (failed.length ? `; failed: ${failed.join(', ')}` : '');
  document.body.dataset.loaded = ready; document.body.dataset.failed = failed.length; };
players.forEach(a => {
  a.addEventListener('loadedmetadata', () => { ready++; a.dataset.duration = a.duration.toFixed(3); show(); });
  a.addEventListener('error', () => { failed.push(a.getAttribute('src')); show(); });
  a.load();
});
show();
</script>
"""


NOTES_LOWEST, NOTES_OCTAVES = 55.0, 5  # the notes view: A1 (55 Hz) to A6 (1,760 Hz), a bin per semitone


def notes_view(audio: np.ndarray, hop: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Constant-Q magnitudes in dB under the clip's loudest [semitones, frames], and each row's centre (Hz).

    A linear spectrogram to 8 kHz shows the upper partials and the noise, but squeezes every note below
    2 kHz into its bottom quarter: whether a model kept the pitches is seen here, one row a semitone."""
    import librosa  # here: only the pictures need it at import time

    hop = max(16, hop // 16 * 16)  # a multiple of 2^(octaves - 1), as the constant-Q transform needs
    bins = 12 * NOTES_OCTAVES
    x = np.asarray(audio, np.float32)
    if len(x) < 4 * hop:
        x = np.pad(x, (0, 4 * hop - len(x)))
    with warnings.catch_warnings():  # librosa warns of its lowest octaves' short frames on clips under 3 s
        warnings.simplefilter("ignore", UserWarning)
        mag = np.abs(librosa.cqt(x + 1e-7, sr=SAMPLE_RATE, hop_length=hop, fmin=NOTES_LOWEST, n_bins=bins,
                                 bins_per_octave=12))
    quiet = 0.01  # about a sine 60 dB below full scale: a quieter clip is drawn dark, not its dither brightened
    db = 20 * np.log10(np.maximum(mag, 1e-9) / max(float(mag.max()), quiet))
    return db, librosa.cqt_frequencies(bins, fmin=NOTES_LOWEST, bins_per_octave=12)


def _draw_notes(ax, audio: np.ndarray) -> None:
    hop = max(256, len(audio) // 1500)
    db, _ = notes_view(audio, hop)
    seconds = len(audio) / SAMPLE_RATE
    ax.imshow(db, origin="lower", aspect="auto", cmap="magma", vmin=-60, vmax=0, interpolation="nearest",
              extent=(0, seconds, -0.5, db.shape[0] - 0.5))
    ax.set_yticks(range(0, db.shape[0], 12), [f"A{o + 1}" for o in range(NOTES_OCTAVES)])
    ax.set_xlabel("s")
    ax.set_ylabel("note")


def _draw_spectrogram(ax, audio: np.ndarray, title: str = "") -> None:
    hop = max(128, len(audio) // 1500)  # about as many frames as the image has pixels, for any length
    n_fft = max(512, hop)  # windows always cover the whole clip
    with np.errstate(divide="ignore"):  # the empty bins of a silent clip are -inf dB: drawn black
        power, _, _, image = ax.specgram(audio + 1e-7, NFFT=n_fft, Fs=SAMPLE_RATE, noverlap=n_fft - hop,
                                         cmap="magma")
    image.set_clim(-120, max(10 * np.log10(power.max()), -119.0))  # a silent clip's top lies below -120 dB
    ax.set_ylim(0, 8000)
    ax.set_ylabel("Hz")
    if title:
        ax.set_title(title, fontsize=9)


def _pyplot():
    import matplotlib  # here: a second to import, and only the spectrograms need it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def spectrogram_png(audio: np.ndarray, path: Path, title: str = "", mark: float | None = None,
                    mark_label: str = "") -> None:
    """A spectrogram to 8 kHz above the notes view (A1-A6, `notes_view`) on one time axis; `mark` draws a
    dashed line at that second (e.g. where a prompt ends)."""
    plt = _pyplot()
    fig, (ax, notes) = plt.subplots(2, 1, figsize=(8, 3.8), dpi=90, sharex=True, height_ratios=(1, 0.8))
    _draw_spectrogram(ax, audio, title)
    _draw_notes(notes, audio)
    if mark is not None:
        for a in (ax, notes):
            a.axvline(mark, color="cyan", linestyle="--", linewidth=1.5)
        ax.text(mark, 7600, f" {mark_label}", color="cyan", fontsize=8, va="top")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def spectrograms_png(clips: list[tuple[np.ndarray, str]], path: Path) -> None:
    """Several clips one above the other on one time axis, each its spectrogram to 8 kHz (left, with its
    title) beside its notes view (right, `notes_view`): the noise and partials, and the pitches kept."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(clips), 2, figsize=(12, 2.0 * len(clips)), dpi=90, sharex=True, squeeze=False,
                             width_ratios=(1.25, 1))
    for (ax, notes), (audio, title) in zip(axes, clips, strict=True):
        _draw_spectrogram(ax, audio, title)
        _draw_notes(notes, audio)
        notes.set_title("notes (constant-Q, A1–A6)", fontsize=9)
    for ax in axes[:-1].ravel():
        ax.set_xlabel("")
    axes[-1, 0].set_xlabel("s")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


LAYOUTS = {  # how a page's rows are laid out: CSS for its figures
    "rows": "",  # full-width figures, each row side by side (original | reconstruction)
    "grid": ".row{flex-wrap:wrap} .row img,.row audio{width:380px}",  # many results at a glance
    "strip": ".row{flex-wrap:nowrap;overflow-x:auto} .row img,.row audio{width:300px}",  # a path, left to right
}


def write_page(out: Path, title: str, meta: dict, rows: list[list[tuple]],
               mark: float | None = None, mark_label: str = "prompt ends", layout: str = "rows",
               picture: Path | None = None) -> Path:
    """rows: each a list of (label, audio, wav path) shown side by side (e.g. original | reconstruction).

    A cell (label, audio, wav, piano-roll png) of notes shows its piano roll instead of a spectrogram, and
    links the MIDI file beside the WAV. `mark` (seconds) is shown on every clip that reaches it: a line on
    its spectrogram and in its caption. `layout` is one of LAYOUTS; `picture`, an image beside the page, is
    shown above the rows (e.g. a latent path's piano rolls as one figure)."""
    out = Path(out)
    cells_html = []
    for row in rows:
        cells = []
        for label, audio, wav, *roll in row:
            marked = mark if mark is not None and mark < len(audio) / SAMPLE_RATE else None
            if roll:
                png, what = Path(roll[0]), "piano roll"
            else:
                png, what = wav.with_suffix(".png"), "spectrogram"
                spectrogram_png(audio, png, label, marked, mark_label)
            midi = wav.with_suffix(".mid")
            link = f' <a href="{html.escape(midi.name)}">MIDI</a>' if roll and midi.is_file() else ""
            note = "" if marked is None else f'; <span class="mark">{html.escape(mark_label)} at {marked:.2f} s</span>'
            cells.append(f'<figure><figcaption>{html.escape(label)} ({len(audio) / SAMPLE_RATE:.2f} s{note}){link}'
                         f'</figcaption><audio controls preload="metadata" src="{html.escape(wav.name)}"></audio>'
                         f'<img src="{html.escape(png.name)}" alt="{what} of {html.escape(label)}"></figure>')
        cells_html.append('<div class="row">' + "".join(cells) + "</div>")
    table = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in meta.items())
    top = (f'<img class="picture" src="{html.escape(Path(picture).name)}" alt="{html.escape(title)}">'
           if picture else "")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1800px}} .row{{display:flex;gap:1em;flex-wrap:wrap}}
figure{{margin:0 0 1.5em 0}} img{{display:block;width:720px}} audio{{width:720px}}
th{{text-align:left;padding-right:1em}} #status{{color:#555}} .mark{{color:#08a}}
img.picture{{width:100%;max-width:1800px;margin:1em 0}} {LAYOUTS[layout]}</style></head>
<body><h1>{html.escape(title)}</h1><p id="status"></p><table>{table}</table>{top}
{''.join(cells_html)}
{STATUS_SCRIPT}</body></html>
"""
    path = out / "index.html"
    write_text(path, page)
    return path
