"""The note-dataset format: what is written is read back, writes are atomic, nothing is overwritten unasked,
and damage is reported in one line."""

import json

import numpy as np
import pytest

from ada.notes.dataset import NoteDatasetError, open_notes, stream, write_notes


def windows(n, streams=1, steps=32, seed=0, vocab=90):
    rng = np.random.default_rng(seed)
    return rng.integers(0, vocab, (n, streams, steps)).astype(np.int16), np.arange(n, dtype=np.int32) // 3


def write(root, **kw):
    train, evals = windows(10), windows(4, seed=1)
    args = dict(kind="melody", bars=2, streams=[stream("melody", "melody")],
                splits={"train": train, "eval": evals}, sources={"files": 2})
    return write_notes(root, **{**args, **kw}), train, evals


def test_round_trip(tmp_path):
    index, train, evals = write(tmp_path / "d")
    ds = open_notes(tmp_path / "d")
    assert (ds.kind, ds.bars, ds.steps, ds.vocabs) == ("melody", 2, 32, [90])
    assert ds.streams == [{"name": "melody", "kind": "melody", "vocab": 90}]
    np.testing.assert_array_equal(ds.split("train"), train[0])
    np.testing.assert_array_equal(ds.tunes("train"), train[1])
    np.testing.assert_array_equal(ds.split("eval"), evals[0])
    assert ds.split("train").dtype == np.int16 and ds.tunes("eval").dtype == np.int32
    assert ds.examples("train") == 10 and index["splits"]["train"]["distinct_tunes"] == 4
    on_disk = json.loads((tmp_path / "d" / "index.json").read_text())
    assert on_disk["format"] == "ada-notes" and on_disk["version"] == 3 and on_disk["steps_per_bar"] == 16
    assert on_disk["sources"] == {"files": 2}
    assert sorted(p.name for p in (tmp_path).iterdir()) == ["d"]  # no temporary directory left behind


def test_multi_stream_drums(tmp_path):
    tokens = np.stack([windows(3, vocab=90)[0][:, 0], windows(3, vocab=90)[0][:, 0],
                       windows(3, vocab=512)[0][:, 0]], axis=1)
    write_notes(tmp_path / "t", kind="trio", bars=2,
                streams=[stream("melody", "melody"), stream("bass", "melody"), stream("drums", "drums")],
                splits={"train": (tokens, np.zeros(3, np.int32))}, sources={})
    ds = open_notes(tmp_path / "t")
    assert ds.vocabs == [90, 90, 512] and ds.split("train").shape == (3, 3, 32)


def test_a_dataset_of_an_older_extraction_is_refused_with_a_line_that_says_to_build_it_again(tmp_path):
    write(tmp_path / "m")
    index = json.loads((tmp_path / "m" / "index.json").read_text())
    (tmp_path / "m" / "index.json").write_text(json.dumps({**index, "version": 2}))
    with pytest.raises(NoteDatasetError, match=r"version 2, expected 'ada-notes' version 3; build it again"):
        open_notes(tmp_path / "m")


def test_refuses_to_overwrite_unless_asked(tmp_path):
    write(tmp_path / "d")
    with pytest.raises(NoteDatasetError, match="already holds a note dataset.*--overwrite"):
        write(tmp_path / "d", bars=16, splits={"train": windows(2, steps=256)})
    assert open_notes(tmp_path / "d").bars == 2  # untouched
    write(tmp_path / "d", bars=16, splits={"train": windows(2, steps=256)}, overwrite=True)
    assert open_notes(tmp_path / "d").bars == 16 and open_notes(tmp_path / "d").splits == ["train"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_never_replaces_other_files(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("precious")
    with pytest.raises(NoteDatasetError, match="not a note dataset"):
        write(tmp_path / "mine", overwrite=True)
    assert (tmp_path / "mine" / "thesis.txt").read_text() == "precious"


def test_bad_windows_are_refused(tmp_path):
    with pytest.raises(NoteDatasetError, match="expected"):
        write(tmp_path / "d", splits={"train": windows(3, steps=30)})
    with pytest.raises(NoteDatasetError, match="outside 0..89"):
        write(tmp_path / "d", splits={"train": windows(3, vocab=91)})
    assert not (tmp_path / "d").exists()


def test_missing_and_damaged_are_one_clear_error(tmp_path):
    with pytest.raises(NoteDatasetError, match="no such note dataset"):
        open_notes(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoteDatasetError, match="not a note dataset"):
        open_notes(tmp_path / "empty")
    write(tmp_path / "d")
    path = tmp_path / "d" / "train.npy"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(NoteDatasetError, match="truncated") as e:
        open_notes(tmp_path / "d")
    assert "\n" not in str(e.value)
    (tmp_path / "d" / "eval-tunes.npy").unlink()
    path.unlink()
    with pytest.raises(NoteDatasetError, match="missing"):
        open_notes(tmp_path / "d")
    with pytest.raises(NoteDatasetError, match="no split 'valid'"):
        write(tmp_path / "e")
        open_notes(tmp_path / "e").split("valid")


def test_each_tune_gives_at_most_its_cap_of_windows_as_magenta_samples_them():
    from ada.notes.loader import per_tune

    tunes = np.array([0] * 12 + [1] * 3 + [2] * 7)
    assert per_tune(tunes, 0).tolist() == list(range(22))  # no cap: every window
    first = per_tune(tunes, 5)  # eval: each tune's first 5
    assert first.tolist() == [0, 1, 2, 3, 4, 12, 13, 14, 15, 16, 17, 18, 19]
    drawn = per_tune(tunes, 5, seed=3)  # train: a random 5 of each, the same for the same seed
    assert np.bincount(tunes[drawn]).tolist() == [5, 3, 5] and per_tune(tunes, 5, seed=3).tolist() == drawn.tolist()
    assert per_tune(tunes, 5, seed=4).tolist() != drawn.tolist()


def test_training_draws_only_the_capped_windows_and_eval_sweeps_each_tunes_first(tmp_path):
    from ada.notes.loader import NoteWindows, WindowSource

    x, _ = windows(15)
    tunes = np.array([0] * 12 + [1] * 3, np.int32)
    write_notes(tmp_path / "d", kind="melody", bars=2, streams=[stream("melody", "melody")],
                splits={"train": (x, tunes), "eval": (x, tunes)}, sources={"files": 2})
    notes = open_notes(tmp_path / "d")
    source = WindowSource(notes, seed=0, transpose=0, per_tune_cap=5)
    seen = {np.asarray(source[r]).tobytes() for r in range(300)}
    assert len(seen) == 8  # 5 of tune 0's 12, and tune 1's 3
    swept = np.concatenate([b["tokens"][b["mask"] > 0] for b in NoteWindows(notes, per_tune_cap=5).eval_batches(
        batch_size=4, max_examples=None, shard=(0, 1))])
    np.testing.assert_array_equal(swept, x[[0, 1, 2, 3, 4, 12, 13, 14]])


def test_a_shift_drawn_per_tune_moves_all_of_a_tunes_windows_alike_and_one_per_window_does_not(tmp_path):
    from ada.notes.loader import WindowSource

    x = np.zeros((12, 1, 32), np.int16)
    x[:, 0, 0] = 45  # mid-piano: every shift within ±5 is allowed
    x[np.arange(12), 0, np.arange(12) + 1] = 45  # window k's second onset at step k + 1: which window it is
    tunes = np.repeat(np.arange(4), 3).astype(np.int32)
    write_notes(tmp_path / "d", kind="melody", bars=2, streams=[stream("melody", "melody")],
                splits={"train": (x, tunes)}, sources={"files": 4})
    notes = open_notes(tmp_path / "d")

    def shifts(draw, seed=0) -> dict[int, set[int]]:
        """Per tune, the shifts its windows were drawn with."""
        source, seen = WindowSource(notes, seed=seed, transpose=5, transpose_draw=draw), {}
        for r in range(400):
            w = np.asarray(source[r])[0]
            k = int(np.nonzero(w[1:])[0][0])
            seen.setdefault(int(tunes[k]), set()).add(int(w[0]) - 45)
        return seen

    per_tune = shifts("tune")
    assert len(per_tune) == 4 and all(len(s) == 1 for s in per_tune.values())  # one shift for all a tune's draws
    drawn = [next(iter(s)) for seed in (0, 1, 2) for s in shifts("tune", seed).values()]
    assert len(set(drawn)) > 3 and max(map(abs, drawn)) <= 5  # tunes and seeds draw different shifts in ±5
    assert all(len(s) > 5 for s in shifts("window").values())  # a new shift at every draw
    with pytest.raises(ValueError, match="transpose_draw='file': choose one of window, tune"):
        WindowSource(notes, seed=0, transpose=5, transpose_draw="file")
