"""`ada app`: a local web app (Gradio, as audiocraft's demos are) over a stack and MusicVAEs.

Every button calls the function the CLI calls (`sample_stack`, `continue_piece`, `reconstruct_excerpts`,
`ada.generation.notes`) into a numbered folder under the output folder, so each result is there as the CLI
writes it: WAVs, MIDI, spectrograms, the listening page and its JSON. Generate plays the first sample while the
stack renders; a queue runs one job per model at a time (Gradio shows each waiting page its place) and Cancel
stops a job where it is. Requests are bounded as the CLI's are (ada/generation/limits.py, tighter here), and
every refusal is the CLI's one line, shown in the page. Uploads and Gradio's own files stay in the output folder.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ada import SAMPLE_RATE
from ada.app.jobs import Job, pcm16
from ada.generation.limits import Limits

APP_LIMITS = Limits(seconds=60.0, audio_seconds=240.0, num=8)  # a page waits for what it asked
UPLOAD_LIMIT = "50mb"
MAX_POINTS = 9  # interpolation points shown with a player each
LIVE_CHUNK = 4000  # level-1 steps per compiled loop: the first quarter second is heard as soon as it is drawn


@dataclass
class Models:
    stack: Path | None
    musicvae: list[Path]
    out: Path
    excerpt: Path | None = None  # the shipped excerpt, continued when nothing is uploaded
    _loaded: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    busy: threading.Lock = field(default_factory=threading.Lock)  # held while the stack renders

    def loaded(self):
        """The stack, loaded once: its samplers compile on first use and serve every later request."""
        from ada.generation.stack import load_stack

        with self._lock:
            if self._loaded is None:
                self._loaded = load_stack(self.stack)
            return self._loaded

    def warm_up(self) -> None:
        """Compile the samplers for the page's first Generate (1 sample) before anyone clicks, in the background
        (a click meanwhile waits for it: the stack renders one request at a time)."""
        from ada.generation.audio import sample_stack

        def run():
            try:
                with self.busy:
                    sample_stack(self.loaded(), 0.5, 1, self.out / ".warm-up", chunk=LIVE_CHUNK)
            except Exception:  # a stack that cannot render says so on the first click, in one line
                pass

        threading.Thread(target=run, daemon=True).start()

    def folder(self, what: str) -> Path:
        """The next numbered folder for one request: OUT/what-001, what-002, ..."""
        self.out.mkdir(parents=True, exist_ok=True)
        taken = [int(m.group(1)) for p in self.out.glob(f"{what}-*") if (m := re.fullmatch(rf"{what}-(\d+)", p.name))]
        return self.out / f"{what}-{max(taken, default=0) + 1:03d}"


def _user_error(e: Exception):
    """A refusal as the page shows it: the CLI's one line."""
    import gradio as gr

    return gr.Error(str(e).splitlines()[0] if str(e) else type(e).__name__, print_exception=False)


def _errors() -> tuple[type[Exception], ...]:
    """What the CLI answers in one line (a bad file, config, dataset or request): the page shows it alike."""
    from ada.audio.audiofile import AudioError
    from ada.audio.corpus import CorpusError
    from ada.data.dataset import DatasetError
    from ada.data.lock import LockError
    from ada.training.config import ConfigError

    return AudioError, ConfigError, CorpusError, DatasetError, LockError


def _temperature(text: str) -> float | list[float] | None:
    """The temperature box: empty for the stack's own, one number, or one per model (levels, then the prior)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if not values or any(not np.isfinite(v) or v < 0 for v in values):
        raise ValueError(f"temperature {text!r}: a number ≥ 0, or one per model separated by commas")
    return values[0] if len(values) == 1 else values


def _measures(record: dict) -> str:
    """A page's measures beside the corpus's, as a table."""
    measures, corpus = record.get("measures", {}), record.get("corpus_measures", {})
    lines = ["| measure | these | corpus |", "|---|---|---|"]
    for name, m in measures.items():
        c = corpus.get(name)
        lines.append(f"| {name.replace('_', ' ')} | {m['mean']:.3g} ± {m['std']:.2g} | "
                     + (f"{c['mean']:.3g} ± {c['std']:.2g} |" if c else "– |"))
    return "\n".join(lines)


def build(models: Models):
    """The app's page: Generate, Continue, Reconstruct and MusicVAE tabs."""
    import gradio as gr

    from ada.generation import audio, notes

    def generate(seconds, count, temperature, seed):
        try:
            count, seed = int(count), int(seed)
            APP_LIMITS.check(float(seconds), count)
            temperature = _temperature(temperature)
        except (ValueError, *_errors()) as e:
            raise _user_error(e) from None
        folder = models.folder("generate")
        def render(hear):
            with models.busy:
                return audio.sample_stack(models.loaded(), float(seconds), count, folder, temperature, seed,
                                          chunk=LIVE_CHUNK, on_audio=hear)

        job = Job(render, float(seconds))
        try:
            for chunk, progress in job:
                yield (((SAMPLE_RATE, pcm16(chunk)) if chunk is not None else gr.skip()), progress.describe(),
                       gr.skip(), gr.skip(), gr.skip())
        except _errors() as e:
            raise _user_error(e) from None
        record = json.loads((folder / "samples.json").read_text())
        wavs = sorted(folder.glob("sample-*.wav"))
        yield (gr.skip(), f"{count} × {float(seconds):g} s in {job.result.seconds:.1f} s, written to {folder}",
               [(str(p.with_suffix(".png")), p.stem) for p in wavs], _measures(record),
               [str(p) for p in wavs] + [str(folder / "index.html")])

    def continue_(upload, offset, prompt_seconds, seconds, count, temperature, seed):
        source = upload or models.excerpt
        try:
            if source is None:
                raise ValueError("upload an audio file to continue")
            count = int(count)
            APP_LIMITS.check(float(prompt_seconds) + float(seconds), count, "prompt + seconds")
            folder = models.folder("continue")
            with models.busy:
                result = audio.continue_piece(models.loaded(), source, folder, prompt_seconds=float(prompt_seconds),
                                              seconds=float(seconds), offset=float(offset), num=count,
                                              temperature=_temperature(temperature), seed=int(seed))
        except (ValueError, *_errors()) as e:
            raise _user_error(e) from None
        pngs = [(str(p.with_suffix(".png")), p.stem) for p in [folder / "original.wav", *result.files]]
        return (str(result.files[0]), pngs, f"prompt ends at {result.meta['prompt']} (the dashed line); "
                f"written to {folder}", [str(p) for p in result.files] + [str(folder / "original.wav")])

    def reconstruct(upload, levels, offset, seconds, temperature, seed):
        try:
            if upload is None:
                raise ValueError("upload an audio file to reconstruct")
            APP_LIMITS.check(float(seconds))
            folder = models.folder("reconstruct")
            result = audio.reconstruct_excerpts(models.stack, folder, levels=int(levels), seconds=float(seconds),
                                                input=upload, offset=float(offset),
                                                temperature=_temperature(temperature), seed=int(seed))
        except (ValueError, *_errors()) as e:
            raise _user_error(e) from None
        gap = result.results[0].get("harmonic_contrast_gap_db")
        note = (f"harmonic contrast lost: {gap:.1f} dB; " if gap is not None else "") + f"written to {folder}"
        return (str(folder / "original-00.wav"), str(folder / "reconstruction-00.wav"),
                [(str(folder / "original-00.png"), "original"), (str(folder / "reconstruction-00.png"),
                                                                  f"through {int(levels)} level(s)")], note)

    def notes_sample(workdir, count, temperature, seed):
        try:
            APP_LIMITS.check(1.0, int(count))
            folder = models.folder("musicvae-sample")
            result = notes.sample(workdir, int(count), float(temperature), folder, int(seed))
        except (ValueError, *_errors()) as e:
            raise _user_error(e) from None
        rolls = sorted(folder.glob("*-roll.png"))
        return ([(str(p), p.stem.removesuffix("-roll")) for p in rolls],
                [str(p) for p in sorted(folder.glob("*.mid")) + sorted(folder.glob("*.wav"))],
                f"{len(result.records)} samples written to {folder}")

    def notes_interpolate(workdir, a, b, steps, temperature, seed):
        try:
            shipped = Path(workdir) / "examples"  # an exported model's two examples, where nothing is uploaded
            if a is None and b is None and (shipped / "a.mid").is_file():
                a, b = shipped / "a.mid", shipped / "b.mid"
            if a is None or b is None:
                raise ValueError("upload two MIDI files, A and B")
            folder = models.folder("musicvae-interpolate")
            result = notes.interpolate(workdir, a, b, int(steps), folder, float(temperature), int(seed))
        except (ValueError, *_errors()) as e:
            raise _user_error(e) from None
        wavs = sorted(folder.glob("*.wav"))  # A, the points, B: left to right
        players = [gr.update(value=str(p), label=p.stem.split("-", 1)[1], visible=True) for p in wavs[:MAX_POINTS]]
        players += [gr.update(value=None, visible=False)] * (MAX_POINTS - len(players))
        distances = " · ".join(f"t {r['t']:.2f}: to A {r['hamming_to_A']:.2f}, to B {r['hamming_to_B']:.2f}"
                               for r in result.records)
        return (str(folder / "path.png"), f"Hamming distance {distances}; written to {folder}", *players)

    def notes_attribute(workdir, source, name, amount, temperature, seed):
        try:
            if source is None:
                raise ValueError("upload a MIDI file to change")
            folder = models.folder("musicvae-attribute")
            result = notes.attribute(workdir, source, name, [0.0, float(amount)], folder, float(temperature),
                                     int(seed))
        except (ValueError, *_errors()) as e:
            raise _user_error(e) from None
        before, after = result.records
        wav = sorted(folder.glob("*.wav"))[-1]
        return (str(folder / "path.png"), str(wav),
                f"{name}: {before[name]:.3f} at +0, {after[name]:.3f} at {float(amount):+g}; written to {folder}")

    with gr.Blocks(title="ADA") as page:
        gr.Markdown(f"# ADA\nStack: `{models.stack}` · MusicVAEs: "
                    + (", ".join(f"`{w}`" for w in models.musicvae) or "none") + f" · results in `{models.out}`")
        with gr.Tabs():
            if models.stack is not None:
                with gr.Tab("Generate", id="generate"):
                    with gr.Row():
                        seconds = gr.Slider(1, APP_LIMITS.seconds, value=4, step=1, label="seconds",
                                            elem_id="generate-seconds")
                        # one by default: the shipped stack renders faster than real time at batch 1, not at 2
                        count = gr.Slider(1, APP_LIMITS.num, value=1, step=1, label="samples")
                        temperature = gr.Textbox("", label="temperature (empty: the stack's; T or T,T,T per model)")
                        seed = gr.Number(0, precision=0, label="seed")
                    with gr.Row():
                        go = gr.Button("Generate", variant="primary", elem_id="generate-button")
                        stop = gr.Button("Cancel", elem_id="generate-cancel")
                    live = gr.Audio(streaming=True, autoplay=True, label="the first sample, as it renders",
                                    elem_id="generate-live")
                    status = gr.Markdown(elem_id="generate-status")
                    gallery = gr.Gallery(label="spectrograms", columns=2, object_fit="contain", height="auto",
                                         elem_id="generate-spectrograms")
                    measures = gr.Markdown(elem_id="generate-measures")
                    files = gr.File(label="WAVs and the page", file_count="multiple", elem_id="generate-files")
                    event = go.click(generate, [seconds, count, temperature, seed],
                                     [live, status, gallery, measures, files], concurrency_id="stack")
                    stop.click(None, cancels=[event])
                with gr.Tab("Continue", id="continue"):
                    upload = gr.Audio(type="filepath", sources=["upload"], elem_id="continue-upload",
                                      label="audio to continue (empty: the shipped excerpt)")
                    with gr.Row():
                        offset = gr.Number(0, label="offset (s)")
                        prompt = gr.Slider(0.5, 8, value=2, step=0.5, label="prompt (s)")
                        more = gr.Slider(1, 30, value=4, step=1, label="seconds to add")
                        num = gr.Slider(1, 4, value=1, step=1, label="continuations")
                        c_temp = gr.Textbox("", label="temperature")
                        c_seed = gr.Number(0, precision=0, label="seed")
                    c_go = gr.Button("Continue", variant="primary", elem_id="continue-button")
                    c_audio = gr.Audio(label="prompt + continuation", elem_id="continue-result")
                    c_gallery = gr.Gallery(label="original and continuations", columns=1, object_fit="contain",
                                           height="auto", elem_id="continue-pictures")
                    c_status = gr.Markdown(elem_id="continue-status")
                    c_files = gr.File(label="WAVs", file_count="multiple")
                    c_go.click(continue_, [upload, offset, prompt, more, num, c_temp, c_seed],
                               [c_audio, c_gallery, c_status, c_files], concurrency_id="stack")
                with gr.Tab("Reconstruct", id="reconstruct"):
                    r_upload = gr.Audio(type="filepath", sources=["upload"], elem_id="reconstruct-upload",
                                        label="audio to reconstruct")
                    with gr.Row():
                        levels = gr.Radio([1, 2], value=1, label="levels")
                        r_offset = gr.Number(0, label="offset (s)")
                        r_seconds = gr.Slider(1, 30, value=4, step=1, label="seconds")
                        r_temp = gr.Textbox("", label="temperature")
                        r_seed = gr.Number(0, precision=0, label="seed")
                    r_go = gr.Button("Reconstruct", variant="primary", elem_id="reconstruct-button")
                    with gr.Row():
                        original = gr.Audio(label="original")
                        rebuilt = gr.Audio(label="reconstruction", elem_id="reconstruct-result")
                    r_gallery = gr.Gallery(label="spectrograms", columns=1, object_fit="contain", height="auto")
                    r_status = gr.Markdown(elem_id="reconstruct-status")
                    r_go.click(reconstruct, [r_upload, levels, r_offset, r_seconds, r_temp, r_seed],
                               [original, rebuilt, r_gallery, r_status], concurrency_id="stack")
            if models.musicvae:
                with gr.Tab("MusicVAE", id="musicvae"):
                    workdir = gr.Dropdown([str(w) for w in models.musicvae], value=str(models.musicvae[0]),
                                          label="model")
                    with gr.Row():
                        m_temp = gr.Slider(0, 2, value=0.5, step=0.1, label="temperature")
                        m_seed = gr.Number(0, precision=0, label="seed")
                    gr.Markdown("### Sample")
                    with gr.Row():
                        m_count = gr.Slider(1, APP_LIMITS.num, value=4, step=1, label="samples")
                        m_go = gr.Button("Sample", variant="primary", elem_id="musicvae-sample-button")
                    m_gallery = gr.Gallery(label="piano rolls", columns=4, object_fit="contain", height="auto",
                                           elem_id="musicvae-samples")
                    m_files = gr.File(label="MIDI and WAVs", file_count="multiple")
                    m_status = gr.Markdown()
                    m_go.click(notes_sample, [workdir, m_count, m_temp, m_seed], [m_gallery, m_files, m_status],
                               concurrency_id="musicvae")
                    gr.Markdown("### Interpolate (with no upload: the model's two examples)")
                    with gr.Row():
                        a = gr.File(label="A (MIDI)", file_types=[".mid", ".midi"], elem_id="musicvae-a")
                        b = gr.File(label="B (MIDI)", file_types=[".mid", ".midi"], elem_id="musicvae-b")
                        steps = gr.Slider(2, MAX_POINTS - 2, value=5, step=1, label="points")
                    i_go = gr.Button("Interpolate", variant="primary", elem_id="musicvae-interpolate-button")
                    path = gr.Image(label="A, the path, B", type="filepath", elem_id="musicvae-path")
                    i_status = gr.Markdown(elem_id="musicvae-interpolate-status")
                    with gr.Row(elem_id="musicvae-players"):
                        players = [gr.Audio(visible=False) for _ in range(MAX_POINTS)]
                    i_go.click(notes_interpolate, [workdir, a, b, steps, m_temp, m_seed], [path, i_status, *players],
                               concurrency_id="musicvae")
                    gr.Markdown("### Attribute (added to A)")
                    with gr.Row():
                        name = gr.Dropdown(list(notes.ATTRIBUTES), value="note_density", label="attribute")
                        amount = gr.Slider(-2, 2, value=1, step=0.25, label="amount of its vector")
                    t_go = gr.Button("Change A", elem_id="musicvae-attribute-button")
                    with gr.Row():
                        t_roll = gr.Image(label="A and the changed A", type="filepath")
                        t_audio = gr.Audio(label="changed A")
                    t_status = gr.Markdown()
                    t_go.click(notes_attribute, [workdir, a, name, amount, m_temp, m_seed], [t_roll, t_audio, t_status],
                               concurrency_id="musicvae")
    return page


def serve(models: Models, host: str = "127.0.0.1", port: int = 7860, open_browser: bool = False):
    """Build and start the app (one job per model at a time), not waiting on it: returns the page and its address
    (`page.block_thread()` waits)."""
    models.out.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str((models.out / ".uploads").resolve())  # uploads stay in the output folder
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    page = build(models)
    page.queue(default_concurrency_limit=1)
    if models.stack is not None:
        models.warm_up()
    page.launch(server_name=host, server_port=port, max_file_size=UPLOAD_LIMIT, inbrowser=open_browser,
                allowed_paths=[str(models.out.resolve())], prevent_thread_lock=True, quiet=True)
    return page, f"http://{host}:{port}/"
