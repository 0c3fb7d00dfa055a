"""Note data for MusicVAE: extraction rules on hand-made MIDI, the drum and trio converters, the corpus's
split by tune, `ada notes prepare`'s summary, and tokens -> MIDI -> tokens."""


from ada.cli import main
from ada.notes.dataset import open_notes

from helpers import run_ada
from support.midi_files import midi, scale


def test_prepare_summary_on_a_folder(tmp_path, capsys):
    folder = tmp_path / "midi"
    folder.mkdir()
    midi(folder / "good.mid", [(0, False, scale(8))])
    midi(folder / "other.mid", [(0, False, scale(6, 50))])
    midi(folder / "waltz.mid", [(0, False, scale(8))], ts=((3, 4, 0.0),))
    midi(folder / "drums.mid", [(0, True, [(36, i, i + 0.5) for i in range(32)])])
    (folder / "corrupt.mid").write_bytes(b"MThd\x00\x00\x00\x06not really")
    proc = run_ada("notes", "prepare", folder, "--out", tmp_path / "out", "--quiet")  # as a user runs it
    assert "5 MIDI files read: 2 gave windows" in proc.stdout
    assert "1 file: time signature 3/4 (only bars of 4 quarters are used: 4/4, 2/2, 8/8)" in proc.stdout
    assert "1 file: no melody" in proc.stdout and "1 file: unreadable" in proc.stdout
    assert proc.stderr.strip().splitlines() == [f"skipped {folder / 'corrupt.mid'}: unreadable MIDI (EOFError)"]
    ds = open_notes(tmp_path / "out")
    assert ds.examples("train") > 0 and ds.examples("eval") > 0  # two files: one in each split
    assert not set(ds.tunes("train").tolist()) & set(ds.tunes("eval").tolist())

    assert main(["notes", "info", str(tmp_path / "out")]) == 0
    assert f"eval     {ds.examples('eval'):7d} windows from     1 tunes" in capsys.readouterr().out
    assert main(["notes", "prepare", str(folder), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --out") and "--overwrite" in err[0]  # refused before reading
    assert main(["notes", "prepare", str(folder), "--out", str(tmp_path / "drums"), "--kind", "drums", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "5 MIDI files read: 1 gave windows" in out and "2 files: no drums" in out
    assert "1 file: time signature 3/4" in out
    assert main(["notes", "prepare", str(folder / "waltz.mid"), "--out", str(tmp_path / "none"), "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == ("error: no 2-bar melody window in 1 MIDI files: 1 time signature 3/4 "
                                               "(only bars of 4 quarters are used: 4/4, 2/2, 8/8)")
    assert not (tmp_path / "none").exists()
