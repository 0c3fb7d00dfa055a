"""A trained stack, or a MusicVAE, as it ships: each model's config and Polyak parameters, compact.

`ada export --stack S --out DIR` writes DIR/level1/, DIR/level2/, ..., DIR/prior/ (each an exported member,
`ada.training.member`) and DIR/stack.json naming them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ada.data.atomic import write_json
from ada.training.config import ConfigError
from ada.training.member import MEMBER, data_line, is_exported, read_member, save_member


def export_stack(stack, out: Path, dtype: str = "bfloat16", overwrite: bool = False,
                 hardware: str | None = None) -> Path:
    """Every member of a loaded stack into out/levelN and out/prior, and out/stack.json naming them and, where
    given, the `hardware` they were trained on (the model card's "Trained on")."""
    out = Path(out)
    if (out / "stack.json").exists() and not overwrite:
        raise ConfigError(f"{out}: already holds an exported stack; pass --overwrite to replace it")
    names = [f"level{i}" for i in range(1, len(stack.levels) + 1)] + (["prior"] if stack.prior else [])
    for name, member in zip(names, [*stack.levels, *([stack.prior] if stack.prior else [])], strict=True):
        record = read_member(out / name)
        if _is_itself(member, out / name, record, dtype):  # an export onto itself (a new card or temperature)
            data = data_line(member.config, record)       # leaves its parameters as they are, and records what
            if record.get("data") != data:                 # it was trained on
                write_json(out / name / MEMBER, {**record, "data": data})
            continue
        staging = out / f".{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        save_member(member, staging, dtype)
        shutil.rmtree(out / name, ignore_errors=True)
        staging.rename(out / name)
    write_json(out / "stack.json", {"levels": names[: len(stack.levels)], "prior": "prior" if stack.prior else None,
                                    "temperature": stack.temperatures.to_json(),
                                    **({"hardware": hardware} if hardware else {})})
    return out / "stack.json"


def recorded_hardware(stack_file: Path) -> str | None:
    """The hardware an exported stack file records (None where it records none, or is not readable)."""
    try:
        return json.loads(Path(stack_file).read_text()).get("hardware")
    except (OSError, ValueError, AttributeError):
        return None


def _is_itself(member, folder: Path, record: dict, dtype: str) -> bool:
    """Whether `member` was loaded from `folder` (whose member.json is `record`), stored as `dtype`: writing it
    again would change nothing."""
    return (is_exported(member.workdir) and Path(member.workdir).resolve() == folder.resolve()
            and record.get("dtype") == dtype)


EXAMPLES = ("a.mid", "b.mid")  # in a shipped MusicVAE's examples/: the ends of the path `make listen` draws


def example_windows(model, windows, tunes, within: float = 0.1, limit: int = 256, batch: int = 64) -> tuple[int, int]:
    """Two eval windows of different tunes to show a path between, one looked for from the start of the split and
    one from its middle: the first that holds a note onset (or drum hit) at least every 4 steps on average and
    whose posterior mean decodes back (argmax) within `within` of itself, so that the path's ends are the
    examples a listener hears; where none of the first `limit` such windows does, the one that decodes back
    nearest."""
    from ada.generation.notes import mean_decode_distance
    from ada.notes.representation import FIRST_PITCH_CLASS

    windows, tunes = np.asarray(windows), np.asarray(tunes)
    first_event = np.array([FIRST_PITCH_CLASS if kind == "melody" else 1 for kind in model.spec.streams])[:, None]
    busy = (windows >= first_event).sum(axis=(1, 2)) * 4 >= windows[0].size  # note onsets and drum hits

    def first_from(start: int, other_than: int | None) -> int:
        order = [i for i in range(start, len(windows)) if busy[i] and tunes[i] != other_than][:limit] or [start]
        best, nearest = order[0], np.inf
        for lo in range(0, len(order), batch):
            chosen = order[lo:lo + batch]
            distance = mean_decode_distance(model, windows[chosen])
            if distance.min() < nearest:
                best, nearest = chosen[int(distance.argmin())], float(distance.min())
            near = np.nonzero(distance <= within)[0]
            if near.size:
                return chosen[int(near[0])]
        return best

    a = first_from(0, None)
    return a, first_from(len(windows) // 2, int(tunes[a]))


def export_notes_model(workdir, out: Path, dtype: str = "bfloat16", overwrite: bool = False, data=None,
                       step: int | None = None) -> Path:
    """A trained MusicVAE as it ships, in `out`: its config and parameters (an exported member, which every
    `ada notes` command reads as it reads a workdir), its attribute vectors (so that `ada notes attribute`
    needs no data) and two eval windows of its data as MIDI (examples/a.mid, b.mid: something to interpolate
    between with nothing else at hand, chosen by `example_windows`). `step`: a checkpoint other than the newest
    (its card's training time counts the steps up to it). Returns `out`."""
    from ada.generation.notes import NotesModel, attribute_vectors
    from ada.notes.dataset import open_notes
    from ada.notes.midi import tokens_to_midi
    from ada.training import checkpoint

    out = Path(out)
    if is_exported(out) and not overwrite:
        raise ConfigError(f"{out}: already holds an exported model; pass --overwrite to replace it")
    trained = checkpoint.load(workdir, step)
    model = NotesModel(Path(workdir), trained)  # checks it is a MusicVAE before anything is written
    notes = open_notes(data or trained.config.data.path)
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    save_member(trained, staging, dtype)
    shipped = NotesModel.load(staging)  # the stored parameters: the vectors and the card describe what ships
    attribute_vectors(shipped, data)
    held = notes.split("eval")
    (staging / "examples").mkdir()
    for name, index in zip(EXAMPLES, example_windows(shipped, held, notes.tunes("eval")), strict=True):
        tokens_to_midi(np.asarray(held[index]), model.kind, staging / "examples" / name)
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out
