"""Note data for MusicVAE: extraction rules on hand-made MIDI, the drum and trio converters, the corpus's
split by tune, `ada notes prepare`'s summary, and tokens -> MIDI -> tokens."""

import os
import shutil
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from ada.notes import corpus
from ada.notes.dataset import NoteDatasetError, open_notes
from ada.notes.extract import (
    Meter,
    Note,
    Sequence,
    drum_windows,
    melody_windows,
    split_of,
    trio_windows,
    voice_windows,
)
from ada.notes.midi import read_midi, tokens_to_midi, windows_from_midi
from ada.notes.representation import (
    DRUM_VOCAB,
    MELODY_VOCAB,
    NOTE_OFF,
    drum_class,
    drum_pitches,
    drum_roll,
    drum_tokens,
    melody_notes,
    melody_tokens,
    pitch_class,
)

from support.midi_files import midi, scale


def classes(pitches_and_steps, steps=32):
    out = np.zeros(steps, np.int16)
    for step, c in pitches_and_steps:
        out[step] = c
    return out


ABC = """X:{n}
T:Tune {n}
M:{m}
L:1/8
K:D
|:{body}:|
"""


def test_melody_classes_and_notes_round_trip():
    notes = [(0, 4, 60), (4, 6, 62), (8, 16, 108), (20, 32, 21)]
    tokens = melody_tokens(notes, 32)
    assert MELODY_VOCAB == 90 and pitch_class(21) == 2 and pitch_class(108) == 89
    expected = classes([(0, pitch_class(60)), (4, pitch_class(62)), (6, NOTE_OFF), (8, pitch_class(108)),
                        (16, NOTE_OFF), (20, pitch_class(21))])
    np.testing.assert_array_equal(tokens, expected)  # a new note at 4 ends the one before without a note off
    assert melody_notes(tokens) == notes


def test_highest_of_simultaneous_onsets_and_new_note_ends_held(tmp_path):
    path = midi(tmp_path / "a.mid", [(0, False, [(60, 0, 2), (67, 0, 2), (64, 0, 2),  # a chord: G4 is kept
                                                 (72, 2, 6), (65, 3, 4),  # F4 starts while C5 sounds: ends it
                                                 (10, 4, 5), (120, 4, 5),  # outside 21..108: dropped
                                                 (62, 6, 8)])])
    w = melody_windows(read_midi(path), 2).windows
    assert w.shape == (1, 1, 32)
    expected = classes([(0, pitch_class(67)), (8, pitch_class(72)), (12, pitch_class(65)), (16, NOTE_OFF),
                        (24, pitch_class(62))])
    np.testing.assert_array_equal(w[0, 0], expected)


def test_quantisation_rounds_to_sixteenths_at_any_tempo(tmp_path):
    pm = pretty_midi.PrettyMIDI(initial_tempo=90)
    inst = pretty_midi.Instrument(0)
    beat = 60 / 90
    inst.notes += [pretty_midi.Note(80, 60, 0.02, beat * 0.26), pretty_midi.Note(80, 62, beat * 0.49, beat * 4),
                   pretty_midi.Note(80, 64, beat * 4.01, beat * 8)]
    pm.instruments.append(inst)
    pm.write(str(tmp_path / "t.mid"))
    w = melody_windows(read_midi(tmp_path / "t.mid"), 2).windows[0, 0]
    np.testing.assert_array_equal(w, classes([(0, pitch_class(60)), (1, NOTE_OFF), (2, pitch_class(62)),
                                              (16, pitch_class(64))]))


def test_a_bar_of_silence_ends_the_melody(tmp_path):
    # 3 bars of notes, 1 bar of rest (exactly 16 steps of silence), 3 bars: two melodies of 3 bars
    path = midi(tmp_path / "g.mid", [(0, False, scale(3) + scale(3, 48, 16))])
    got = melody_windows(read_midi(path), 2).windows
    assert len(got) == 4  # 2 windows per 3-bar melody: none spans the silent bar
    assert all((w[0, :16] >= 2).any() and (w[0, 16:] >= 2).any() for w in got)
    # 15 steps of silence do not split: one melody of 7 bars (padded), 6 windows
    shorter = midi(tmp_path / "h.mid", [(0, False, scale(3) + [(n[0], n[1] - 0.25, n[2]) for n in scale(3, 48, 16)])])
    assert len(melody_windows(read_midi(shorter), 2).windows) == 6


def test_only_bars_of_4_quarters_are_used_and_a_repeated_signature_changes_nothing(tmp_path):
    waltz = midi(tmp_path / "w.mid", [(0, False, scale(8))], ts=((3, 4, 0.0),))
    got = melody_windows(read_midi(waltz), 2)
    assert len(got.windows) == 0 and got.reason.startswith("time signature 3/4")
    for ts in ((2, 2, 0.0),), ((8, 8, 0.0),):
        cut = midi(tmp_path / "c.mid", [(0, False, scale(4))], ts=ts)
        assert len(melody_windows(read_midi(cut), 2).windows) == 3
    # 4/4 again in the middle of bar 2 does not restart the bar grid there (note_seq splits only on a change)
    again = Sequence([Note(60 + i, i, i + 1) for i in range(16)], [Meter(0.0, 4, 4), Meter(6.0, 4, 4)])
    w = melody_windows(again, 2).windows
    assert len(w) == 3 and w[1, 0, 0] == pitch_class(64)
    # 3/4 for 3 bars (9 quarters), then 4/4: only the 4/4 stretch, on a bar grid starting at its change
    mixed = midi(tmp_path / "m.mid", [(0, False, [(60, i, i + 1) for i in range(9)] + scale(3, 50, 9))],
                 ts=((3, 4, 0.0), (4, 4, 9.0)))
    w = melody_windows(read_midi(mixed), 2).windows
    assert len(w) == 2 and w[0, 0, 0] == pitch_class(50)
    no_signature = read_midi(midi(tmp_path / "n.mid", [(0, False, scale(2))], ts=()))
    assert [m.ratio for m in no_signature.meters] == ["4/4"] and len(melody_windows(no_signature, 2).windows) == 1


def test_exact_half_steps_round_up_as_note_seq_rounds_them():
    w = melody_windows(Sequence([Note(60, 0.125, 1.375), Note(62, 1.375, 8)]), 2).windows  # steps 0.5 and 5.5
    assert melody_notes(w[0, 0])[:2] == [(1, 6, 60), (6, 32, 62)]  # Python's round() gives 0 and 6


def test_windows_hop_one_bar_and_repeats_are_kept_once(tmp_path):
    phrase = scale(2)
    repeated = phrase + [(p, s + 8, e + 8) for p, s, e in phrase] + [(p, s + 16, e + 16) for p, s, e in phrase]
    w = melody_windows(read_midi(midi(tmp_path / "r.mid", [(0, False, repeated)])), 2).windows
    # 6 bars ABABAB: 5 windows AB BA AB BA AB, 2 distinct
    assert len(w) == 2
    tune = [(int(p), i, i + 1) for i, p in enumerate(np.random.default_rng(0).integers(48, 84, 80))]
    w16 = melody_windows(read_midi(midi(tmp_path / "l.mid", [(0, False, tune)])), 16).windows
    assert w16.shape == (5, 1, 256)
    np.testing.assert_array_equal(w16[1, 0, :240], w16[0, 0, 16:])  # consecutive windows are one bar apart


def test_short_pieces_and_empty_ones_say_why(tmp_path):
    one_bar = melody_windows(read_midi(midi(tmp_path / "s.mid", [(0, False, scale(1))])), 2)
    assert len(one_bar.windows) == 0 and one_bar.reason.startswith("too short")
    drums_only = melody_windows(read_midi(midi(tmp_path / "d.mid", [(0, True, [(36, 0, 1)])])), 2)
    assert drums_only.reason == "no melody"
    organ_outside = midi(tmp_path / "o.mid", [(40, False, scale(4))])  # a violin (program 40)
    assert melody_windows(read_midi(organ_outside), 2).reason == "no melody (only programs 40; melodies come from " \
                                                                  "programs 0-31)"


def test_pickup_bars_align_to_the_downbeat():
    # a score with a one-quarter pickup: the first whole bar starts at quarter 1
    seq = Sequence([Note(67, 0.0, 1.0)] + [Note(60 + i % 5, 1.0 + i, 2.0 + i) for i in range(8)],
                   [Meter(0.0, 4, 4, downbeat=1.0)])
    w = melody_windows(seq, 2).windows
    assert w[0, 0, 12] == pitch_class(67) and w[0, 0, 16] == pitch_class(60)


def test_drum_classes_on_the_reduced_map():
    assert DRUM_VOCAB == 512
    assert drum_class([36]) == 1 and drum_class([35, 36]) == 1 and drum_class([38, 42]) == 0b110
    assert drum_class([51, 49, 36]) == 0b110000001 and drum_class([127]) == 0
    assert drum_pitches(0b110) == [38, 42] and drum_pitches(511) == [36, 38, 42, 46, 45, 48, 50, 49, 51]
    roll = drum_roll(np.array([0, 5, 511]))
    np.testing.assert_array_equal(roll, [[0] * 9 + [1], [1, 0, 1] + [0] * 6 + [0], [1] * 9 + [0]])


def test_drum_windows_from_a_synthetic_beat(tmp_path):
    beat = [(36, i, i + 0.25) for i in range(0, 8, 2)] + [(38, i, i + 0.25) for i in range(1, 8, 2)] + \
           [(42, i / 2, i / 2 + 0.1) for i in range(16)] + [(127, 0.25, 0.5)]  # an unmapped pitch is ignored
    path = midi(tmp_path / "b.mid", [(0, True, beat), (0, False, scale(2))])
    w = drum_windows(read_midi(path), 2).windows
    expected = drum_tokens([(int(s * 4), p) for p, s, _ in beat if p != 127], 32)
    assert w.shape == (1, 1, 32)
    np.testing.assert_array_equal(w[0, 0], expected)
    assert w[0, 0, 0] == 0b101 and w[0, 0, 1] == 0 and w[0, 0, 4] == 0b110
    gap = midi(tmp_path / "gap.mid", [(0, True, beat + [(p, s + 12, e + 12) for p, s, e in beat])])
    assert len(drum_windows(read_midi(gap), 2).windows) == 1  # bar 3 is silent: two 2-bar tracks, equal


def test_trio_windows_need_melody_bass_and_drums(tmp_path):
    mel, bass = scale(4), [(36 + i % 3, 2 * i, 2 * i + 2) for i in range(8)]
    drums = [(36, i, i + 0.25) for i in range(16)]
    path = midi(tmp_path / "t.mid", [(0, False, mel), (33, False, bass), (0, True, drums)])
    w = trio_windows(read_midi(path), 2).windows
    assert w.shape == (3, 3, 32)
    np.testing.assert_array_equal(w[0, 0], melody_tokens([(4 * s, 4 * e, p) for p, s, e in mel[:8]], 32))
    np.testing.assert_array_equal(w[0, 1], melody_tokens([(4 * s, 4 * e, p) for p, s, e in bass[:4]], 32))
    assert (w[0, 2, ::4] == 1).all() and w[:, 2].max() == 1
    no_bass = trio_windows(read_midi(midi(tmp_path / "nb.mid", [(0, False, mel), (0, True, drums)])), 2)
    assert len(no_bass.windows) == 0 and no_bass.reason == "no bass (programs 32-39)"


def trio(bass: list[Note], bars: int = 8, melody=lambda i: 60 + i % 5) -> Sequence:
    """A trio sequence: a melody (program 0) and a kick on every quarter for `bars` bars, and the given bass."""
    quarters = 4 * bars
    return Sequence([Note(melody(i), i, i + 1, 0, 0) for i in range(quarters)] +
                    [Note(36, i, i + 0.25, 9, 0, True) for i in range(quarters)] + bass)


def test_trio_edges_count_as_covered_when_any_part_sounds_there_as_magentas_trio_converter_rules():
    late_bass = [Note(36, q, q + 1, 1, 33) for q in range(20, 32)]  # bars 5-7 only: widened by 2, bars 3-7
    w = trio_windows(trio(late_bass), 2).windows
    assert len(w) == 5  # bars 0-1 by the edge rule, then windows from bars 3, 4, 5 and 6 (4 without the rule)
    assert (w[0, 1] == 0).all() and (w[0, 0] > 1).any()  # the first window's bass is silent, its melody plays
    # coverage counts a part's notes before the pitch filter: a bass note below the piano in bar 1 covers bars 0-3
    w = trio_windows(trio(late_bass + [Note(10, 4, 8, 1, 33)]), 2).windows
    assert len(w) == 7
    assert len(trio_windows(trio([Note(10, q, q + 1, 1, 33) for q in range(32)]), 2).windows) == 0  # nothing encodes


def test_trio_windows_keep_repeats_and_leave_out_instruments_of_other_programs():
    bass = [Note(36 + q % 8, q, q + 1, 1, 33) for q in range(16)]
    w = trio_windows(trio(bass, bars=4, melody=lambda i: 60 + i % 8), 2).windows
    assert len(w) == 3  # bars 0-1, 1-2, 2-3: the first and last are equal and both kept, as Magenta keeps them
    np.testing.assert_array_equal(w[0], w[2])
    strings = trio([Note(50, q, q + 1, 1, 48) for q in range(16)], bars=4)  # program 48 is neither melody nor bass
    assert trio_windows(strings, 2).reason == "no bass (programs 32-39)"


def test_voice_windows_stack_four_melody_streams():
    notes = [Note(72 - 7 * v + (i % 3), i, i + 1, instrument=v) for v in range(4) for i in range(12)]
    w = voice_windows(Sequence(notes), 2).windows
    assert w.shape[1:] == (4, 32) and len(w) >= 1
    assert [melody_notes(w[0, v])[0][2] for v in range(4)] == [72, 65, 58, 51]


def test_tokens_to_midi_to_tokens(tmp_path):
    mel = melody_tokens([(0, 3, 60), (3, 4, 61), (6, 16, 72), (20, 32, 55)], 32)
    bass = melody_tokens([(0, 16, 36), (16, 28, 38)], 32, final_off=False)  # a part ends as note_seq ends it
    drums = drum_tokens([(i, 36) for i in range(0, 32, 4)] + [(i, 42) for i in range(0, 32, 2)] +
                        [(5, 38), (5, 51)], 32)
    voices = np.stack([melody_tokens([(4 * i, 4 * i + 4, 72 - 5 * v + i % 3) for i in range(8)], 32) for v in range(4)])
    for kind, tokens in (("melody", mel[None]), ("trio", np.stack([mel, bass, drums])), ("voices", voices)):
        path = tokens_to_midi(tokens, kind, tmp_path / f"{kind}.mid", qpm=100)
        back = windows_from_midi(path, kind, 2)
        assert len(back) == 1
        np.testing.assert_array_equal(back[0], tokens)
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "trio.mid"))
    assert [i.program for i in pm.instruments] == [0, 33, 0] and pm.instruments[2].is_drum
    assert {n.velocity for i in pm.instruments for n in i.notes} == {80}


def test_rendering_and_piano_roll(tmp_path):
    from ada.notes.playback import piano_roll_png, tokens_to_wav

    tokens = np.stack([melody_tokens([(0, 8, 60), (8, 16, 64)], 32), drum_tokens([(0, 36), (8, 38)], 32)])
    png = piano_roll_png(np.stack([tokens[0], tokens[0], tokens[1]]), "trio", tmp_path / "roll.png", title="t")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if not shutil.which("fluidsynth"):
        pytest.skip("fluidsynth is not installed (make system-deps)")
    audio = tokens_to_wav(tokens[:1], "melody", tmp_path / "a.wav")
    assert (tmp_path / "a.mid").is_file() and len(audio) >= 16000 * 2 and np.abs(audio).max() > 0.01


def test_split_by_tune_is_stable():
    assert split_of("essenFolksong/han1.abc#7") == split_of("essenFolksong/han1.abc#7")
    shares = np.mean([split_of(f"tune{i}") == "eval" for i in range(4000)])
    assert 0.08 < shares < 0.12


def test_corpus_splits_by_tune(tmp_path, monkeypatch):
    root = tmp_path / "corpus"
    bodies = ["DEFG ABcd|edcB AGFE|DFAF GBdB|A2F2 D4", "d2cB AFDF|GABG FEDE|FGAB cdec|d8",
              "ABAF DFAF|GBGE GBdB|ABAF DFAF|E2D2 D4", "fedc BAGF|EFGA B2A2|dcBA GFED|D8"]
    (root / "essenFolksong").mkdir(parents=True)
    meters = ["C", "C|", "4/4", "3/4"]
    text = "".join(ABC.format(n=i + 1, m=m, body=b) for i, (m, b) in enumerate(zip(meters, bodies, strict=True)))
    (root / "essenFolksong" / "test.abc").write_text(text)
    monkeypatch.setattr(corpus, "corpus_root", lambda: root)
    index = corpus.build(tmp_path / "out", bars=2, workers=1, progress=False, eval_fraction=0.5)
    ds = open_notes(tmp_path / "out")
    src = index["sources"]
    assert src["collections"]["essenFolksong"] == {"files": 1, "tunes": 4, "declared 4/4 or 2/2": 3, "parsed": 3,
                                                     "failed to parse": 0, "tunes with windows": 3}
    train, evals = set(ds.tunes("train").tolist()), set(ds.tunes("eval").tolist())
    assert train and evals and not train & evals
    for t in train | evals:
        assert ("eval" if t in evals else "train") == corpus.split_of(src["tunes"][t], 0.5)
    assert ds.examples("eval") == 3 * len(evals) and ds.examples("train") == 3 * len(train)  # 4 bars: 3 windows
    with pytest.raises(NoteDatasetError, match=r"16-bar window: \{'too short \(no melody of 16 bars\)': 3\}"):
        corpus.build(tmp_path / "out16", bars=16, workers=1, progress=False)  # parses nothing: the cache has them


def test_parallel_reading_equals_serial_and_the_cache_spares_a_second_parse(tmp_path, monkeypatch):
    from ada.notes import parse
    from ada.notes.prepare import prepare_midi

    folder = tmp_path / "midi"
    folder.mkdir()
    for i in range(10):
        midi(folder / f"f{i}.mid", [(0, False, scale(3 + i % 4, 48 + i))])
    prepare_midi([folder], tmp_path / "pool", workers=2, progress=False, cache=tmp_path / "c1")
    prepare_midi([folder], tmp_path / "serial", workers=1, progress=False, cache=tmp_path / "c2")
    a, b = open_notes(tmp_path / "pool"), open_notes(tmp_path / "serial")
    for split in ("train", "eval"):
        np.testing.assert_array_equal(a.split(split), b.split(split))
        np.testing.assert_array_equal(a.tunes(split), b.tunes(split))

    def refuse(what):
        raise AssertionError(f"parsed {what} again")

    monkeypatch.setitem(parse.PARSERS, "midi", refuse)
    broken = next((tmp_path / "c2").glob("*.json"))
    broken.write_text(broken.read_text()[:20])  # a damaged cache entry is parsed again, not trusted
    _, summary = prepare_midi([folder], tmp_path / "again", workers=1, progress=False, cache=tmp_path / "c2")
    assert len(summary.unreadable) == 1 and "parsed" in next(iter(summary.unreadable.values()))
    _, summary = prepare_midi([folder], tmp_path / "again", workers=1, progress=False, cache=tmp_path / "c1",
                              overwrite=True)  # every file cached: nothing parsed
    assert not summary.unreadable and summary.used == 10
    np.testing.assert_array_equal(open_notes(tmp_path / "again").split("train"), a.split("train"))


def test_a_parse_worker_that_dies_is_an_error_not_a_hang(tmp_path, monkeypatch):
    from ada.notes import parse

    def die(what):
        os._exit(9)  # as a parser that segfaults

    monkeypatch.setitem(parse.PARSERS, "midi", die)
    tasks = [(f"f{i}", "midi", str(tmp_path / f"f{i}.mid")) for i in range(8)]
    for t in tasks:
        Path(t[2]).write_bytes(b"MThd")
    with pytest.raises(NoteDatasetError, match="parse worker died"):
        parse.parse_all(tasks, tmp_path / "cache", workers=2, progress=False)


def test_a_melody_ends_as_note_seq_ends_it_its_last_note_held_to_the_bar_line(tmp_path):
    # C4, D4 a beat each with a beat's rest after, then E4 for a beat and a half and nothing more. note_seq strips
    # the final note off (Melody.from_quantized_sequence) and pads with NO_EVENT to the bar: E4 sounds to the bar line
    path = midi(tmp_path / "end.mid", [(0, False, [(60, 0, 1), (62, 2, 3), (64, 5, 6.5)])])
    [w] = melody_windows(read_midi(path), 2).windows
    np.testing.assert_array_equal(w[0], classes([(0, pitch_class(60)), (4, NOTE_OFF), (8, pitch_class(62)),
                                                 (12, NOTE_OFF), (20, pitch_class(64))]))
    assert melody_notes(w[0]) == [(0, 4, 60), (8, 12, 62), (20, 32, 64)]
    # inside the track every note off stays; only the last is dropped
    assert melody_tokens([(0, 4, 60), (8, 10, 62)], 16, final_off=False).tolist() == classes(
        [(0, pitch_class(60)), (4, NOTE_OFF), (8, pitch_class(62))], 16).tolist()


def test_a_melody_or_drum_track_longer_than_100_bars_is_cut_there_as_magenta_cuts_it():
    # 120 bars, each unlike every other: a 2-bar window starts at each bar of the first 99 only
    notes = [Note(40 + b // 10, b * 4, b * 4 + 2) for b in range(120)] + [Note(60 + b % 10, b * 4 + 2, b * 4 + 4)
                                                                          for b in range(120)]
    assert len(melody_windows(Sequence(sorted(notes, key=lambda n: n.start)), 2).windows) == 99
    hits = [Note(36, b * 4 + k / 2, b * 4 + k / 2 + 0.25, is_drum=True) for b in range(120) for k in range(8)
            if b >> k & 1 or k == 7]  # the bar number in binary, and a hit on the last eighth of every bar
    assert len(drum_windows(Sequence(hits), 2).windows) == 99


def test_16_bar_melodies_come_from_every_program_and_2_bar_ones_from_programs_0_to_31():
    strings = [Note(60 + i % 7, i, i + 1, program=48) for i in range(16 * 4)]  # a string ensemble
    assert len(melody_windows(Sequence(strings), 16).windows) == 1  # Magenta's mel_16bar_converter: any program
    two = melody_windows(Sequence(strings), 2)
    assert len(two.windows) == 0 and "programs 0-31" in two.reason  # cat-mel_2bar: MEL_PROGRAMS
