"""The built-in piano corpus: music21's scores rendered on sampled grand pianos, then `prepare`d.

No recordings can be downloaded on an offline machine, but music21 ships real scores and Debian
ships real piano samples (FluidR3 GM, MuseScore General). Every part of every score is played on
a piano preset by FluidSynth at 16 kHz; each piece gets one variant (soundfont, preset, tempo,
transposition, velocity) drawn from the seed and the piece's name, so builds are reproducible and
a piece never lands in two files (its variants would leak across the train/eval split): where a
size plays a work in several variants (medium), they are rendered one after another into that
work's one file.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
import zlib
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pretty_midi
import soundfile as sf
from tqdm import tqdm

from ada import SAMPLE_RATE
from ada.audio.audiofile import trim_silence
from ada.audio.prepare import Recipe, die_with_parent, prepare
from ada.data import lock
from ada.data.atomic import atomic_path, write_json

SOUNDFONTS = {
    "fluidr3": ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "fluid-soundfont-gm"),
    "musescore": ("/usr/share/sounds/sf3/MuseScore_General.sf3", "musescore-general-soundfont"),
}
PRESETS = {"grand": 0, "bright": 1}  # General MIDI programs: acoustic grand, bright acoustic piano
MANIFEST = "corpus.json"
RENDERS = "renders"

# music21 corpus paths. Small: about 26 minutes of keyboard works, chorales, quartet movements and
# polyphony. Full: every work of the families below (see data/README.md for hours and licences).
SMALL = [
    "joplin/maple_leaf_rag.mxl", "chopin/mazurka06-2.krn", "cpebach/h186.mxl",
    "schumann_clara/polonaise_op1n1.mxl", "schumann_clara/polonaise_op1n3.mxl",
    "beach/prayer_of_a_tired_child.musicxml", "schoenberg/opus19/movement2.mxl",
    "haydn/opus1no1/movement1.mxl", "josquin/milleRegrets.abc", "palestrina/Agnus_01.krn",
    "lusitano/allor_che_ignuda.mxl",
] + [f"bach/bwv{n}.mxl" for n in ("1.6", "10.7", "101.7", "102.7", "103.6", "104.6", "108.6", "11.6",
                                   "110.7", "111.6", "112.5", "113.8", "114.7", "115.6", "116.6",
                                   "117.4", "119.9", "12.7")]
FULL_FAMILIES = {  # corpus folder -> what it is
    "bach": "Bach chorales", "haydn": "Haydn string quartets", "mozart": "Mozart string quartets",
    "beethoven": "Beethoven string quartets", "palestrina": "Palestrina masses and motets",
    "josquin": "Josquin chansons", "monteverdi": "Monteverdi madrigals", "lusitano": "Lusitano madrigal",
    "joplin": "keyboard", "chopin": "keyboard", "cpebach": "keyboard", "schumann_clara": "keyboard",
    "beach": "keyboard", "schoenberg": "keyboard",
}
SCORE_SUFFIXES = (".mxl", ".xml", ".musicxml", ".krn", ".abc")
KEYBOARD = ("joplin", "chopin", "cpebach", "schumann_clara", "beach", "schoenberg")
# Medium: family -> (every n-th work of the full list, variants of each): 4.7 hours, the piano
# music itself in three variants, the chorales in two, a spread of the rest in one.
MEDIUM = {**{family: (1, 3) for family in KEYBOARD}, "bach": (8, 2), "haydn": (1, 1), "mozart": (2, 1),
          "beethoven": (11, 1), "josquin": (1, 1), "lusitano": (1, 1), "monteverdi": (8, 1),
          "palestrina": (132, 1)}
# Held out: whole works of the families the medium corpus samples (every keyboard work is in it), none of them in
# the small or medium corpus, taken evenly across what is left of each family: every fidelity measure of a
# stack trained on either corpus is taken on these unseen works. All of its files are in its eval split.
HELD_OUT = {"bach": 3, "mozart": 2, "beethoven": 2, "monteverdi": 2, "palestrina": 1}
SIZES = ("small", "medium", "full", "heldout")
GAP_SECONDS = 1.0  # silence between the variants of a work in its file


class CorpusError(Exception):
    """The corpus cannot be built here; the message says what to install or change."""


@dataclass(frozen=True)
class Variation:
    """Ranges each piece's variant is drawn from (flags of `ada corpus`)."""

    soundfonts: tuple = ("fluidr3", "musescore")
    presets: tuple = ("grand", "bright")
    tempo: tuple = (0.9, 1.1)
    transpose: int = 2
    velocity: tuple = (0.8, 1.2)
    seed: int = 0

    def draw(self, piece: str, take: int = 0) -> dict:
        """The `take`-th variant of a piece (take 0 is the one every size plays)."""
        rng = np.random.default_rng((self.seed, zlib.crc32(piece.encode()), *([take] if take else [])))
        return {"soundfont": self.soundfonts[rng.integers(len(self.soundfonts))],
                "preset": self.presets[rng.integers(len(self.presets))],
                "tempo": round(float(rng.uniform(*self.tempo)), 3),
                "transpose": int(rng.integers(-self.transpose, self.transpose + 1)),
                "velocity": round(float(rng.uniform(*self.velocity)), 3)}


def pieces(size: str) -> list[str]:
    """The music21 corpus paths of the `small`, `medium` or `full` corpus, one per work (MusicXML over Humdrum)."""
    if size == "small":
        return list(SMALL)
    if size not in SIZES:
        raise CorpusError(f"unknown corpus size {size!r}: choose {', '.join(SIZES)}")
    from music21 import corpus  # music21 takes seconds to import: loaded only where scores are read

    by_work = {}
    for p in sorted(map(str, corpus.getPaths())):
        rel = p.split("/corpus/", 1)[1]
        stem, suffix = os.path.splitext(rel)
        if rel.split("/", 1)[0] in FULL_FAMILIES and suffix in SCORE_SUFFIXES:
            if stem not in by_work or suffix != ".krn":
                by_work[stem] = rel
    works = sorted(by_work.values())
    if size == "full":
        return works
    medium = [p for family, (every, _) in MEDIUM.items()  # every n-th, from the middle of the first n
              for p in [w for w in works if w.split("/", 1)[0] == family][every // 2 :: every]]
    if size == "medium":
        return medium
    seen = {_work(w) for w in medium + SMALL}  # another edition of a work is the same work
    held = []
    for family, count in HELD_OUT.items():
        left = [w for w in works if w.split("/", 1)[0] == family and _work(w) not in seen]
        held += [left[(2 * k + 1) * len(left) // (2 * count)] for k in range(count)]  # evenly, from the middle
    return held


def _work(path: str) -> str:
    """A score's work: its path without suffix and without the corpus's edition marks (-inst, _old)."""
    return os.path.splitext(path)[0].replace("-inst", "").replace("_old", "")


def takes(size: str, piece: str) -> int:
    """How many variants of `piece` a corpus of `size` plays (one file holds them all)."""
    return MEDIUM.get(piece.split("/", 1)[0], (1, 1))[1] if size == "medium" else 1


def check_tools(soundfonts) -> None:
    """FluidSynth and the chosen soundfonts must be installed; say how if they are not."""
    if not shutil.which("fluidsynth"):
        raise CorpusError("fluidsynth is not installed: run `make system-deps` "
                          "(or `sudo apt-get install fluidsynth fluid-soundfont-gm musescore-general-soundfont`)")
    for name in soundfonts:
        if name not in SOUNDFONTS:
            raise CorpusError(f"unknown soundfont {name!r}: choose from {', '.join(SOUNDFONTS)}")
        path, package = SOUNDFONTS[name]
        if not Path(path).exists():
            raise CorpusError(f"soundfont {name} ({path}) is missing: `sudo apt-get install {package}`")


def render_piece(piece: str, variants: dict | list[dict], out: Path) -> float:
    """music21 score -> piano MIDI variant(s) -> FluidSynth -> mono FLAC at 16 kHz; returns seconds.

    Several variants are played one after another into the one file, each trimmed of its silence as
    `ada prepare` trims a file's ends (FluidSynth's release tail), GAP_SECONDS apart."""
    import music21  # see pieces()

    pretty_midi.pretty_midi.MAX_TICK = 1e10  # long scores exceed pretty_midi's default guard
    score = _as_score(music21.corpus.parse(piece))
    several = isinstance(variants, list) and len(variants) > 1
    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        raw, midi, wav = (Path(tmp) / n for n in ("raw.mid", "piano.mid", "out.wav"))
        try:
            score.expandRepeats().write("midi", fp=str(raw))
        except Exception:  # malformed repeat marks: play the score once, as written
            _drop_repeats(score).write("midi", fp=str(raw))
        for variant in variants if isinstance(variants, list) else [variants]:
            pm = pretty_midi.PrettyMIDI(str(raw))
            for inst in pm.instruments:
                inst.program, inst.is_drum = PRESETS[variant["preset"]], False
                for note in inst.notes:
                    note.pitch = int(np.clip(note.pitch + variant["transpose"], 21, 108))
                    note.velocity = int(np.clip(round(note.velocity * variant["velocity"]), 1, 127))
            end = pm.get_end_time()
            if end <= 0:
                raise CorpusError("the score has no notes")
            pm.adjust_times([0, end], [0, end / variant["tempo"]])
            pm.write(str(midi))
            subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.4", "-r", str(SAMPLE_RATE), "-F", str(wav),
                            SOUNDFONTS[variant["soundfont"]][0], str(midi)],
                           check=True, capture_output=True, timeout=600,
                           preexec_fn=partial(die_with_parent, os.getpid()))  # killed with its renderer
            audio, rate = sf.read(wav, dtype="float32", always_2d=True)
            assert rate == SAMPLE_RATE
            parts += [np.zeros(int(GAP_SECONDS * SAMPLE_RATE), np.float32)] if parts else []
            take = audio.mean(axis=1)
            parts.append(trim_silence(take) if several else take)
    mono = np.concatenate(parts)
    with atomic_path(out) as tmp_out:
        sf.write(tmp_out, mono, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return len(mono) / SAMPLE_RATE


def _as_score(parsed):
    """An Opus (ABC files hold one voice per tune) becomes one score with a part per voice."""
    import music21  # see pieces()

    if not isinstance(parsed, music21.stream.Opus):
        return parsed
    score = music21.stream.Score()
    for sub in parsed.scores:
        for part in (sub.parts or [sub]):
            score.insert(0, part)
    return score


def _drop_repeats(score):
    import music21  # see pieces()

    for measure in score.recurse().getElementsByClass(music21.stream.Measure):
        for side in ("leftBarline", "rightBarline"):
            if isinstance(getattr(measure, side), music21.bar.Repeat):
                setattr(measure, side, None)
    for mark in list(score.recurse().getElementsByClass(music21.repeat.RepeatExpression)):
        mark.activeSite.remove(mark)
    return score


def _child(piece, variant, out, conn, parent):
    die_with_parent(parent)
    try:
        conn.send(("ok", render_piece(piece, variant, out)))
    except Exception as e:
        conn.send(("failed", f"{type(e).__name__}: {e}"[:300]))


def render_all(todo: list[tuple[str, dict | list[dict], Path]], workers: int, timeout: float,
               progress: bool = True, on_done=None) -> dict:
    """Render pieces in forked children, `workers` at a time; a child past `timeout` per variant is killed.
    `on_done(piece, result)` hears of each piece as it finishes."""
    ctx = multiprocessing.get_context("fork")  # children inherit the imported music21: no start-up cost
    import music21  # noqa: F401  (imported once here, before forking)

    results, running, queue = {}, {}, list(todo)
    bar = tqdm(total=len(todo), unit="piece", desc="render", disable=not progress)
    while queue or running:
        while queue and len(running) < workers:
            piece, variant, out = queue.pop(0)
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(piece, variant, out, send, os.getpid()),
                               daemon=True)
            proc.start()
            allowed = timeout * (len(variant) if isinstance(variant, list) else 1)
            running[piece] = (proc, recv, time.monotonic(), allowed)
        for piece, (proc, recv, started, allowed) in list(running.items()):
            if recv.poll():
                results[piece] = recv.recv()
            elif not proc.is_alive():
                results[piece] = ("failed", f"renderer exited with code {proc.exitcode}")
            elif time.monotonic() - started > allowed:
                proc.kill()
                results[piece] = ("failed", f"timed out after {allowed:.0f} s")
            else:
                continue
            proc.join()
            del running[piece]
            bar.update()
            if on_done:
                on_done(piece, results[piece])
        time.sleep(0.02)
    bar.close()
    return results


@dataclass
class CorpusResult:
    seconds: float
    rendered: int
    failed: dict = field(default_factory=dict)
    build_seconds: float = 0.0


def build(out, size: str = "small", variation: Variation = Variation(), workers: int | None = None,
          timeout: float = 180.0, only: list[str] | None = None, progress: bool = True, overwrite: bool = False,
          preemphasis: float = 0.0):
    """Render the corpus into OUT/renders (reusing renders already there), then `prepare` OUT (μ-law, after
    `preemphasis` when it is not 0)."""
    with lock.hold(out, "ada corpus"):
        return _build(Path(out), size, variation, workers, timeout, only, progress, overwrite, preemphasis)


def _build(out: Path, size, variation, workers, timeout, only, progress, overwrite, preemphasis):
    started = time.monotonic()
    check_tools(variation.soundfonts)
    renders = out / RENDERS
    renders.mkdir(parents=True, exist_ok=True)
    chosen = only or pieces(size)
    # one variant: its dict (as every build so far recorded it); several: their list, played in turn
    plan = {p: variation.draw(p) if takes(size, p) == 1 else [variation.draw(p, k) for k in range(takes(size, p))]
            for p in chosen}
    files = {p: renders / (p.replace("/", "__").rsplit(".", 1)[0] + ".flac") for p in chosen}
    manifest_path = out / MANIFEST
    old = json.loads(manifest_path.read_text())["pieces"] if manifest_path.is_file() else {}
    todo = [(p, plan[p], files[p]) for p in chosen
            if not (files[p].is_file() and old.get(p, {}).get("variant") == plan[p])]
    recorded = dict(old)

    def record(piece, result):  # each render is in the manifest once made: a killed build resumes from it
        if result[0] == "ok":
            recorded[piece] = {"variant": plan[piece], "file": str(files[piece].relative_to(out))}
            write_json(manifest_path, {"size": size, "variation": asdict(variation), "pieces": recorded})

    results = render_all(todo, workers or os.cpu_count() or 1, timeout, progress, record)
    failed = {p: r[1] for p, r in results.items() if r[0] != "ok"}
    for p in failed:
        files[p].unlink(missing_ok=True)
    for stale in set(renders.glob("*.flac")) - set(files.values()):  # pieces no longer chosen
        stale.unlink()
    manifest = {"size": size, "variation": asdict(variation),
                "pieces": {p: {"variant": plan[p], "file": str(files[p].relative_to(out)),
                               **({"failed": failed[p]} if p in failed else {})} for p in chosen}}
    write_json(manifest_path, manifest)
    good = [files[p] for p in chosen if p not in failed]
    if not good:
        raise CorpusError(f"no piece rendered; first failure: {next(iter(failed.values()), 'none')}")
    result = prepare(good, out, Recipe(preemphasis=preemphasis), workers=workers, progress=progress, exact=True,
                     command="ada corpus",
                     overwrite=overwrite, **({"eval_fraction": 1.0} if size == "heldout" else {}))
    seconds = sum(f["length"] for f in result.index.get("files", [])) / SAMPLE_RATE
    return CorpusResult(seconds, len(good), failed, time.monotonic() - started), result
