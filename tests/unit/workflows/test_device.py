"""`ada device pack | train | receive`: the kit holds whole works within the budget and unpacks to the same
tokens, the recipe trains each model for its minutes in turn, and the parts come back checked or not at all."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from ada.data.dataset import open_dataset, write_dataset
from ada.workflows import device
from ada.workflows.steps import Runner, WorkflowError

from helpers import ada_in_process

WORKS = [("bach__a.flac", "eval"), ("bach__b.flac", "train"), ("bach__c.flac", "train"), ("haydn__d.flac", "train"),
         ("joplin__e.flac", "train"), ("joplin__f.flac", "train")]


def corpus(root: Path, seconds: float = 2.0, kind: str = "audio") -> Path:
    """An audio dataset of six works of three families, each a noisy tone (it compresses as audio does)."""
    rng = np.random.default_rng(0)
    n = int(16000 * seconds)
    tokens = {w: (128 + 60 * np.sin(np.arange(n) * 0.05 * (i + 1)) + rng.normal(0, 3, n)).clip(0, 255)
              .astype(np.uint8) for i, (w, _) in enumerate(WORKS)}
    entries = [{"path": f"/renders/{w}", "sha256": hashlib.sha256(w.encode()).hexdigest(), "split": s, "length": n}
               for w, s in WORKS]
    write_dataset(root, entries, lambda e: tokens[Path(e["path"]).name], vocab=256, rate=16000.0,
                  meta={"kind": kind, "recipe": {"sample_rate": 16000}})
    return root


def settings(tmp_path, **kw) -> device.Device:
    return device.Device(**{"kit": tmp_path / "kit", "data": tmp_path / "medium", "wheels": False,
                            "runs": tmp_path / "runs", "out": tmp_path / "out", **kw})


def test_the_kit_holds_eval_works_then_each_family_in_turn_and_unpacks_to_the_same_tokens(tmp_path):
    source = open_dataset(corpus(tmp_path / "medium"))
    d = settings(tmp_path)
    device.pack(d)
    kit = json.loads((d.kit / "kit.json").read_text())
    assert [Path(f["path"]).name for f in kit["files"]] == ["bach__a.flac", "bach__b.flac", "haydn__d.flac",
                                                            "joplin__e.flac", "bach__c.flac", "joplin__f.flac"]
    sizes = [f["bytes"] for f in kit["files"]]
    assert sum(sizes) < 6 * 32000  # xz: fewer bytes than samples
    back = open_dataset(device.unpack(d.kit, tmp_path / "unpacked"))
    assert back.index["kind"] == "audio" and back.index["recipe"] == source.index["recipe"]
    for a in source.files:
        b = next(f for f in back.files if f["sha256"] == a["sha256"])
        assert b["split"] == a["split"] and np.array_equal(back.tokens(b), source.tokens(a))
    # a smaller budget keeps the first works in that order, whole, and drops the others' files
    written = {p.name: p.stat().st_mtime_ns for p in (d.kit / "corpus").iterdir()}
    small = settings(tmp_path, max_mib=(sizes[0] + sizes[1] + sizes[2] // 2) / 2**20)
    device.pack(small)
    kept = json.loads((d.kit / "kit.json").read_text())["files"]
    assert [f["file"] for f in kept] == [f["file"] for f in kit["files"][:2]]
    assert {p.name: p.stat().st_mtime_ns for p in (d.kit / "corpus").iterdir()} == \
        {n: t for n, t in written.items() if n in {f["file"] for f in kept}}  # reused, not compressed again


def test_the_kit_leaves_room_for_the_tree_and_refuses_what_is_not_audio(tmp_path, monkeypatch):
    corpus(tmp_path / "medium")
    monkeypatch.setattr(device, "tree_bytes", lambda repo=Path("."): 64 * 2**20)
    with pytest.raises(WorkflowError, match="leave no room for a corpus in 64 MiB"):
        device.pack(settings(tmp_path))
    corpus(tmp_path / "codes", kind="codes")
    with pytest.raises(WorkflowError, match="holds codes, not audio"):
        device.pack(settings(tmp_path, data=tmp_path / "codes"))


class Trainer(Runner):
    """Records each `ada` command with its time limit; answers the prior's training as stopped by it."""

    def ada(self, *args, timeout_minutes=None):
        self.log.append(f"{' '.join(map(str, args))} [{timeout_minutes}]")
        return 124 if "prior" in str(args) and args[0] == "train" else 0


def test_the_recipe_trains_each_model_for_its_minutes_then_encodes_its_data_for_the_next(tmp_path, monkeypatch):
    corpus(tmp_path / "medium")
    for member in ("level1", "level2", "prior"):
        (tmp_path / "pretrained" / member).mkdir(parents=True)
        (tmp_path / "pretrained" / member / "params.npz").write_bytes(b"p")
    d = settings(tmp_path, minutes=("4", "1.5", "2"), init_from=str(tmp_path / "pretrained"))
    device.pack(d)
    written = []
    monkeypatch.setattr(device, "write_parts", lambda stack, export, out, spent: written.append(spent) or out)
    run = Trainer()
    device.train(d, run)
    commands = [c for c in run.log if c.startswith(("train", "encode"))]
    data = d.runs / "corpus"
    assert [c.split()[0] for c in commands] == ["train", "encode", "train", "encode", "train"]
    # the shipped stack's configs, each begun from its export
    assert f"--config experiments/level1_study.py:rf1024 --workdir {d.runs / 'level1'} --config.data.path={data} " \
        in commands[0] and commands[0].endswith(f"--init_from {tmp_path / 'pretrained' / 'level1'} [4.0]")
    assert f"--init_from {tmp_path / 'pretrained' / 'prior'} [2.0]" in commands[4]
    assert f"--out {data}-codes1" in commands[1] and f"--config.data.path={data}-codes1" in commands[2]
    assert commands[2].endswith("[1.5]") and commands[4].endswith("[2.0]")
    assert f"--config.data.path={data}-codes2" in commands[4]
    assert open_dataset(data).seconds("train") == 10.0  # unpacked before the first step
    assert list(written[0]) == ["level 1", "level 1 encoding", "level 2", "level 2 encoding", "prior"]
    with pytest.raises(WorkflowError, match="three values each"):
        device.train(settings(tmp_path, minutes=("4", "1")), Trainer())
    with pytest.raises(WorkflowError, match="--minutes 4 1 soon: give three numbers of minutes above 0"):
        device.train(settings(tmp_path, minutes=("4", "1", "soon")), Trainer())
    with pytest.raises(WorkflowError, match=f"no export to begin from at {tmp_path}/nothing/level1/params.npz"):
        device.train(settings(tmp_path, init_from=str(tmp_path / "nothing")), Trainer())
    scratch = Trainer()
    device.train(settings(tmp_path, init_from=""), scratch)
    assert not any("--init_from" in c for c in scratch.log)


def test_the_cli_names_its_steps_and_refuses_a_missing_kit_in_one_line(tmp_path, capsys):
    dry = ada_in_process(capsys, "device", "train", "--kit", tmp_path / "kit", "--dry-run")
    assert dry.returncode == 2 and dry.stderr.strip() == \
        f"error: no kit at {tmp_path / 'kit'} (no kit.json); `ada device pack` writes one"
    back = ada_in_process(capsys, "device", "receive", "--returned", tmp_path / "nothing", "--shipped", tmp_path / "x")
    assert back.returncode == 2 and back.stderr.count("\n") == 1 and "--returned" in back.stderr


def parts(folder: Path, blobs: list[bytes]) -> None:
    folder.mkdir()
    listed = []
    for n, blob in enumerate(blobs):
        (folder / f"export.tar.{n:02d}").write_bytes(blob)
        listed.append({"name": f"export.tar.{n:02d}", "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()})
    (folder / "device.json").write_text(json.dumps({"hardware": "one test GPU", "parts": listed}))


def test_receive_joins_checked_parts_and_replaces_an_export_only_when_asked(tmp_path):
    import io
    import tarfile

    export = tmp_path / "export"
    (export / "level1").mkdir(parents=True)
    (export / "stack.json").write_text('{"hardware": "one test GPU"}')
    (export / "level1" / "params.npz").write_bytes(bytes(range(256)) * 100)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(export, arcname="export")
    blob = buffer.getvalue()
    parts(tmp_path / "back", [blob[:10_000], blob[10_000:]])
    d = device.Device(returned=tmp_path / "back", shipped=tmp_path / "shipped")
    device.receive(d)
    assert (tmp_path / "shipped" / "level1" / "params.npz").read_bytes() == bytes(range(256)) * 100
    with pytest.raises(WorkflowError, match="already holds an export; choose another --shipped or pass --overwrite"):
        device.receive(d)
    (tmp_path / "back" / "export.tar.01").write_bytes(blob[10_000:-1])  # cut short on the way back
    with pytest.raises(WorkflowError, match=r"export.tar.01: damaged .*bring the call's files back again"):
        device.receive(device.Device(returned=tmp_path / "back", shipped=tmp_path / "shipped", overwrite=True))
    assert (tmp_path / "shipped" / "stack.json").is_file()  # the export already there is kept whole
    (tmp_path / "back" / "export.tar.01").write_bytes(blob[10_000:])
    device.receive(device.Device(returned=tmp_path / "back", shipped=tmp_path / "shipped", overwrite=True))
    assert not list(tmp_path.glob(".shipped*"))


def test_the_card_line_names_the_gpu_and_its_gpu_minutes(monkeypatch):
    import jax

    gpu = type("Device", (), {"platform": "gpu", "device_kind": "NVIDIA H100 80GB HBM3"})()
    monkeypatch.setattr(jax, "devices", lambda: [gpu])
    line = device.hardware_line({"level 1": 4.02, "level 1 encoding": 0.31, "level 2": 1.5, "prior": 1.51})
    assert line == ("one NVIDIA H100 80GB HBM3, 7.0 GPU-minutes of training (level 1 4.0, level 2 1.5, prior 1.5), "
                    "by `ada device train`")
