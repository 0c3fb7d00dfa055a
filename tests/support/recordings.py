"""Shared by tests/unit/audio/test_prepare.py and tests/e2e/audio/test_prepare.py."""

import pytest

from helpers import write_audio

FORMATS = [  # (name, rate, channels, soundfile options)
    ("a.wav", 44100, 2, {}), ("b.flac", 22050, 1, {}), ("deep/c.ogg", 48000, 2, {}),
    ("deep/d.aiff", 16000, 1, {"format": "AIFF"}), ("e.mp3", 44100, 2, {"format": "MP3"}),
    ("f.wav", 8000, 6, {"subtype": "PCM_24"}),
]


@pytest.fixture
def recordings(tmp_path):
    src = tmp_path / "src"
    for i, (name, rate, ch, kw) in enumerate(FORMATS):
        write_audio(src / name, rate, 1.5, ch, seed=i, **kw)
    (src / "notes.txt").write_text("not audio, and not looked at in a folder")
    return src
