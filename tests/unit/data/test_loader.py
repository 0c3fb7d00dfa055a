import numpy as np
import pytest

from ada.data.dataset import DatasetError, open_dataset
from ada.data.loader import eval_batches, train_loader


def take(loader_or_iter, n):
    it = iter(loader_or_iter)
    return [next(it)["tokens"] for _ in range(n)]


def test_crops_are_batched_and_never_straddle_two_files(token_dataset):
    root = token_dataset([3000, 500, 1200, 64, 5000, 800])
    ds = open_dataset(root)
    train_values = {10 * int(f["path"][4:]) + 1 for f in ds.split("train") if f["length"] >= 256}
    seen = set()
    for batch in take(train_loader(root, crop=256, batch_size=16, seed=0), 40):
        assert batch.shape == (16, 256) and batch.dtype == np.uint8
        for row in batch:
            assert len(set(row.tolist())) == 1  # one file per crop
            seen.add(int(row[0]))
    assert seen == train_values  # every long-enough train file is drawn, no eval file, no short file


def test_files_are_drawn_in_proportion_to_their_crops(token_dataset):
    root = token_dataset([10_000, 1_256, 30_000])
    ds = open_dataset(root)
    counts = {}
    for batch in take(train_loader(root, crop=256, batch_size=64, seed=3), 60):
        for v in batch[:, 0]:
            counts[int(v)] = counts.get(int(v), 0) + 1
    train = [f for f in ds.split("train")]
    weights = {10 * int(f["path"][4:]) + 1: f["length"] - 255 for f in train}
    total = sum(counts.values())
    for value, w in weights.items():
        assert counts.get(value, 0) / total == pytest.approx(w / sum(weights.values()), abs=0.03)


def test_same_seed_same_batches_other_seed_other_batches(tmp_path):
    from ada.audio.prepare import prepare

    from helpers import write_audio

    for i in range(4):
        write_audio(tmp_path / "src" / f"{i}.wav", 16000, 2.0, seed=i)
    prepare([tmp_path / "src"], tmp_path / "ds", progress=False)
    a = take(train_loader(tmp_path / "ds", crop=1000, batch_size=4, seed=7), 5)
    b = take(train_loader(tmp_path / "ds", crop=1000, batch_size=4, seed=7), 5)
    c = take(train_loader(tmp_path / "ds", crop=1000, batch_size=4, seed=8), 5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=False))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=False))


@pytest.mark.parametrize("workers", [0, 2])
def test_restored_iterator_continues_exactly(token_dataset, workers):
    root = token_dataset([4000, 7000, 2500, 9000])
    loader = train_loader(root, crop=128, batch_size=8, seed=1, workers=workers)
    it = iter(loader)
    take(it, 7)
    state = it.get_state()
    expected = take(it, 6)
    resumed = iter(train_loader(root, crop=128, batch_size=8, seed=1, workers=workers))
    resumed.set_state(state)
    got = take(resumed, 6)
    assert all(np.array_equal(x, y) for x, y in zip(expected, got, strict=False))


def test_processes_read_disjoint_records(token_dataset):
    root = token_dataset([4000, 7000, 2500, 9000])
    single = take(train_loader(root, crop=64, batch_size=4, seed=0, shard=(0, 1)), 3)
    p0 = take(train_loader(root, crop=64, batch_size=4, seed=0, shard=(0, 2)), 3)
    p1 = take(train_loader(root, crop=64, batch_size=4, seed=0, shard=(1, 2)), 3)
    # process 0 starts where one process does
    assert all(np.array_equal(x, y) for x, y in zip(single, p0, strict=False))
    assert not any(np.array_equal(x, y) for x, y in zip(p0, p1, strict=False))


def test_crop_longer_than_every_file_is_a_clear_error(token_dataset):
    root = token_dataset([300, 400, 200])
    with pytest.raises(DatasetError, match="no train file holds a crop of 1000 tokens"):
        train_loader(root, crop=1000, batch_size=2)


def test_eval_batches_are_a_fixed_padded_sweep(token_dataset):
    root = token_dataset([1000, 2000, 1500, 700, 3000])
    ds = open_dataset(root)
    evals = ds.split("eval")
    expected_crops = sum(f["length"] // 100 for f in evals)
    batches = list(eval_batches(root, crop=100, batch_size=8))
    assert batches and all(b["tokens"].shape == (8, 100) for b in batches)
    masks = np.concatenate([b["mask"] for b in batches])
    assert masks.sum() == expected_crops and len(masks) == 8 * -(-expected_crops // 8)
    again = list(eval_batches(root, crop=100, batch_size=8))
    assert all(np.array_equal(x["tokens"], y["tokens"]) for x, y in zip(batches, again, strict=False))
    values = {10 * int(f["path"][4:]) + 1 for f in evals}
    real = np.concatenate([b["tokens"][b["mask"] > 0] for b in batches])
    assert set(np.unique(real).tolist()) == values
    halves = [list(eval_batches(root, crop=100, batch_size=8, shard=(i, 2))) for i in range(2)]
    assert sum(b["mask"].sum() for h in halves for b in h) == expected_crops


def test_code_datasets_use_uint16(token_dataset):
    root = token_dataset([500, 600, 700], vocab=1024)
    assert open_dataset(root).index["dtype"] == "uint16"
    assert take(train_loader(root, crop=100, batch_size=2, seed=0), 1)[0].dtype == np.uint16


def test_reader_threads_open_each_shard_once_and_pickles_carry_no_maps(token_dataset, monkeypatch):
    """Grain reads on a thread pool; .npy headers parsed in several threads at once can fail on
    CPython 3.11, so a shard is opened by one thread while the others wait for it."""
    import pickle
    import threading
    import time

    import ada.data.mapped

    ds = open_dataset(token_dataset([3000, 4000, 5000]))
    opened, real_load = [], np.load

    def slow_load(path, **kw):
        opened.append(path.name)
        time.sleep(0.05)  # wide enough for every thread to arrive while the first is opening
        return real_load(path, **kw)

    monkeypatch.setattr(ada.data.mapped.np, "load", slow_load)
    entries = ds.split("train")
    start, results = threading.Barrier(8), []

    def read():
        start.wait()
        results.append([int(ds.tokens(e)[0]) for e in entries])

    threads = [threading.Thread(target=read) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(results) == 8 and all(r == results[0] for r in results)
    assert sorted(opened) == sorted({e["shard"] for e in entries})  # each shard once, by one thread
    copy = pickle.loads(pickle.dumps(ds))
    assert copy._shards._maps == {}  # a worker process maps its own
    assert [int(copy.tokens(e)[0]) for e in entries] == results[0]
