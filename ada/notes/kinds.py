"""The kinds of note data, as one table (as ada.models.KINDS is for models): the streams each holds, how its
windows are extracted from a score or MIDI file, and what reads it.

Adding a kind: an extractor in ada/notes/extract.py and a line in KINDS. A stream's kind is melody (Magenta's
90-class melody encoding) or drums (its 512-class drum encoding); every other part of ADA follows the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ada.notes.extract import Extraction, Sequence, drum_windows, melody_windows, trio_windows, voice_windows

STREAM_KINDS = ("melody", "drums")


@dataclass(frozen=True)
class NoteKind:
    name: str
    streams: tuple[tuple[str, str], ...]  # (stream name, stream kind), in the order of a window's rows
    extract: Callable[[Sequence, int], Extraction]
    read_from: str  # what a user prepares it from (`ada notes prepare`) or what the built-in corpus gives
    bass: int | None = None  # the stream written to MIDI with a bass program

    @property
    def stream_kinds(self) -> list[str]:
        return [k for _, k in self.streams]

    @property
    def stream_names(self) -> list[str]:
        return [n for n, _ in self.streams]


KINDS: dict[str, NoteKind] = {k.name: k for k in (
    NoteKind("melody", (("melody", "melody"),), melody_windows, "MIDI files or music21's ABC folk tunes"),
    NoteKind("drums", (("drums", "drums"),), drum_windows, "MIDI files with drums on channel 10"),
    NoteKind("trio", (("melody", "melody"), ("bass", "melody"), ("drums", "drums")), trio_windows,
             "MIDI files with a melody (programs 0-31), a bass (32-39) and drums", bass=1),
    NoteKind("voices", tuple((v, "melody") for v in ("soprano", "alto", "tenor", "bass")), voice_windows,
             "music21's Bach chorales"),
)}


def kind_of(stream_kinds) -> str:
    """The kind whose streams have these stream kinds (a model records its streams, not its data's kind); four
    or any other number of melody streams are voices."""
    stream_kinds = list(stream_kinds)
    for kind in KINDS.values():
        if kind.stream_kinds == stream_kinds and kind.name != "voices":
            return kind.name
    return "voices"
