"""The app in a real browser (Debian's headless Chromium): generate, continue an upload, refuse a bad upload,
interpolate two MIDI files; every result also written as the CLI writes it."""

import json
import re
import socket

import pytest

from ada.app import browser
from ada.app.server import Models, serve
from ada.notes.dataset import open_notes
from ada.notes.midi import tokens_to_midi

from helpers import write_audio

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not browser.available(), reason="chromium, chromedriver and selenium: make setup")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(micro_stack, micro_musicvae, tmp_path_factory):
    out = tmp_path_factory.mktemp("app") / "results"
    page, address = serve(Models(micro_stack, [micro_musicvae[1]], out), port=free_port())
    assert address.startswith("http://127.0.0.1:")  # this machine only, unless --host says otherwise
    chromium = browser.AppBrowser(address)
    yield chromium, out
    chromium.close()
    page.close()


@pytest.mark.optimised  # 4 s of audio from the micro stack
def test_generate_plays_the_first_sample_while_it_renders_and_shows_the_measures(app):
    chromium, out = app
    took = browser.first_sound(chromium)
    assert took < 120
    heard = browser.playback(chromium)  # the streamed player plays the whole first sample to its end
    assert heard["ended"] and heard["played"] == pytest.approx(4.0, abs=0.15), heard
    measures = chromium.wait_text("generate-measures", "harmonic contrast db")
    assert "key clarity" in measures and "corpus" in measures
    status = chromium.wait_text("generate-status", "written to")
    folder = out / "generate-001"
    assert str(folder) in status
    record = json.loads((folder / "samples.json").read_text())  # as `ada sample` writes it
    assert record["samples"] == 1 and (folder / "sample-00.wav").is_file() and (folder / "index.html").is_file()
    assert len(chromium.find("#generate-spectrograms img")) == 1


def test_continue_an_uploaded_recording_with_its_prompts_end_marked(app, tmp_path):
    chromium, out = app
    wav = write_audio(tmp_path / "mine.wav", rate=44100, seconds=3.0, channels=2)
    chromium.tab("Continue")
    chromium.upload("continue-upload", wav)
    chromium.click("continue-button")
    status = chromium.wait_text("continue-status", "prompt ends at")
    assert "dashed line" in status and (out / "continue-001" / "continuation-00.wav").is_file()
    assert chromium.wait(lambda: chromium.players("#continue-result"), 30, "the continuation's player")


def test_a_bad_upload_is_refused_in_the_page_in_one_line_and_the_app_goes_on(app, tmp_path):
    chromium, out = app
    bad = tmp_path / "notes.wav"
    bad.write_text("these are not samples\n" * 100)
    chromium.tab("Reconstruct")
    chromium.upload("reconstruct-upload", bad)
    chromium.click("reconstruct-button")
    message = chromium.wait(chromium.errors, 60, "an error message")
    assert "notes.wav: not decodable as audio" in message
    chromium.wait(lambda: not chromium.errors(), 60, "the message to go")
    assert not list(out.glob("reconstruct-*/reconstruction-*.wav"))
    good = write_audio(tmp_path / "good.wav", seconds=5.0)  # the same tab still works
    chromium.clear("reconstruct-upload")
    chromium.upload("reconstruct-upload", good)
    chromium.click("reconstruct-button")
    assert "harmonic contrast lost" in chromium.wait_text("reconstruct-status", "written to")


def test_interpolate_two_midi_files_as_one_row_of_rolls_with_a_player_per_point(app, micro_musicvae, tmp_path):
    chromium, out = app
    data, _ = micro_musicvae
    windows = open_notes(data).split("train")
    a, b = (tokens_to_midi(windows[k], "melody", tmp_path / f"{k}.mid") for k in (0, 40))
    chromium.tab("MusicVAE")
    chromium.upload("musicvae-a", a)
    chromium.upload("musicvae-b", b)
    chromium.click("musicvae-interpolate-button")
    status = chromium.wait_text("musicvae-interpolate-status", "written to")
    assert "to A 0." in status and (out / "musicvae-interpolate-001" / "path.png").is_file()
    assert chromium.find("#musicvae-path img")
    assert chromium.wait(lambda: chromium.players("#musicvae-players") >= 7, 30, "7 players")  # A, 5 points, B


def test_cancel_stops_a_generate_where_it_is_and_the_next_one_runs(app):
    """A second user who presses Generate meanwhile waits in the queue with its place shown, then runs."""
    chromium, out = app
    chromium.tab("Generate")
    before = set(out.glob("generate-*"))
    slider = chromium.find("#generate-seconds input[type=number]")[0]  # 60 s: long enough to cancel midway
    slider.clear()
    slider.send_keys("60\t")
    clicked = chromium.click("generate-button")
    folder = chromium.wait(lambda: sorted(set(out.glob("generate-*")) - before), 60, "the job's folder")[0]
    chromium.wait(lambda: "rendered" in chromium.text("generate-status"), 120, "the first audio")
    second = browser.AppBrowser(chromium.driver.current_url)  # another user, one job per model at a time
    try:
        second.click("generate-button")
        place = second.wait(lambda: re.search(r"queue: \d+/\d+", second.find("body")[0].text), 60,
                            "the second job's place in the queue")
        assert place.group(0) == "queue: 1/1"
        chromium.click("generate-cancel")
        assert "written to" in second.wait_text("generate-status", "written to", 180)  # it ran once the first stopped
    finally:
        second.close()
    # the rendering stops where it is and leaves nothing half-written (its WAVs grow under temporary names)
    chromium.wait(lambda: not list(folder.glob(".sample-*.tmp")), 10, "the partial WAVs to go")
    import time

    time.sleep(5)  # a rendering that went on would have written more, or finished these 60 s and its page
    assert not list(folder.glob(".sample-*.tmp")) and not list(folder.glob("sample-*.wav"))
    assert not (folder / "samples.json").exists() and not (folder / "index.html").exists()
    assert time.monotonic() - clicked < 120
