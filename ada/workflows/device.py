"""Training the stack on a lent accelerator in one call (`ada device pack | train | receive`).

Such a machine installs nothing and receives only the working tree (64 MiB in all), so `pack` writes a kit
beside it: the corpus's μ-law tokens, as many whole works as fit (eval works first, then train works taken
in turn from each family), each file compressed with xz (exact: 0.61 bytes a sample on the medium corpus,
against 0.92 for its renders as 16-bit FLAC), and wheels of the few packages `ada train` and `ada encode`
need that the device's image lacks. `train`, run there, unpacks the corpus into a dataset and trains level 1,
level 2 and the prior in turn, each on the codes of the one below, each for its share of the minutes
(SIGTERM at the end of it: the trainer checkpoints and stops, and a rerun on the same machine continues);
it exports them in bfloat16 with the device and its minutes recorded in the stack file, and writes the
export as a tar in parts of at most 15 MiB (a call brings back 8 files of 16 MiB) with `device.json`, their
checksums and the minutes. `receive`, back here, checks and joins the parts into an export folder;
`ada release card --shipped FOLDER` then measures it and writes its card, whose "Trained on" line names the
device and its minutes.
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections import defaultdict
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from ada.data import lock
from ada.data.atomic import atomic_path, write_json
from ada.workflows.release import Release
from ada.workflows.steps import Runner, WorkflowError

KIT_FORMAT = "ada-device-kit/1"
TRAVEL_MIB = 64  # what one call carries: the working tree and the kit together
MARGIN_MIB = 1.0  # left free for files a session adds before the call
PART_MIB = 15  # each file a call brings back must stay under 16 MiB
MAX_PARTS = 7  # and at most 8 files: the parts and device.json
# what `ada train`, `ada encode` and the export import that the device image (docs/training.md) does not hold
DEVICE_WHEELS = ("grain", "array_record", "ml_collections", "tensorboardX", "portpicker")
MODELS = ("level 1", "level 2", "prior")


@dataclass
class Device:
    """The settings of the device recipe; each is a flag of `ada device`."""

    kit: Path = Path("device-kit")
    data: Path = Path("data/prepared/piano-medium")  # pack: the corpus the kit carries
    max_mib: float = 60.0  # pack: the corpus's share at most (less where the tree and wheels leave less)
    wheels: bool = True  # pack: download the wheels (pip, from the package index)
    python: str = "3.12"  # pack: the device's Python, for the wheels
    runs: Path = Path("workdirs/device")  # train: the workdirs and the unpacked corpus
    out: Path = Path("device-out")  # train: where the parts are written (the call's $OUT)
    minutes: tuple[str, ...] = ("4", "1.5", "1.5")  # train: wall minutes of level 1, level 2 and the prior
    steps: tuple[str, ...] = ("1000000", "1000000", "1000000")  # train: at most these steps each
    # train: the shipped stack's configs (ada release's), each begun from its export in `init_from` (its step
    # and parameters, so the call continues the shipped stack); experiments/device_stack.py is a wider one
    level1_config: str = str(Release.level1_config)
    level2_config: str = str(Release.level2_config)
    prior_config: str = str(Release.prior_config)
    init_from: str = "pretrained"  # train: an export whose level1/, level2/, prior/ each model begins from ('': none)
    returned: Path = Path("device-out")  # receive: the folder the call's files came back into
    shipped: Path = Path("pretrained-device")  # receive: the export folder to write
    overwrite: bool = False  # receive: replace an export already in --shipped


def tree_bytes(repo: Path = Path(".")) -> int:
    """What travels besides the kit: the tracked files and the untracked ones git does not ignore."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo,
                                capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        return 0  # not a checkout: nothing else travels
    return sum((repo / p).stat().st_size for p in listed if p and (repo / p).is_file())


def family(entry: dict) -> str:
    """A corpus file's family: its name before `__` (bach__bwv10.7.flac: bach)."""
    return Path(entry["path"]).name.split("__")[0]


def in_turn(entries: list[dict]) -> list[dict]:
    """Eval works first, then train works one from each family in turn, so that a cut keeps every family."""
    groups = defaultdict(list)
    for e in sorted(entries, key=lambda e: Path(e["path"]).name):
        groups[family(e)].append(e)
    order = [e for e in entries if e["split"] == "eval"]
    train = {f: [e for e in g if e["split"] == "train"] for f, g in sorted(groups.items())}
    while any(train.values()):
        for f in list(train):
            if train[f]:
                order.append(train[f].pop(0))
    return order


def download_wheels(folder: Path, python: str) -> list[Path]:
    """DEVICE_WHEELS at the versions installed here, for the device's Python on x86-64 Linux."""
    wanted = []
    for name in DEVICE_WHEELS:
        try:
            wanted.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            raise WorkflowError(f"{name} is not installed here; run `make setup` first") from None
    folder.mkdir(parents=True, exist_ok=True)
    platforms = [a for p in ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_24_x86_64",
                             "manylinux_2_17_x86_64", "manylinux2014_x86_64", "any") for a in ("--platform", p)]
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--python-version",
           python, "--implementation", "cp", *platforms, "-d", str(folder), *wanted]
    print("pip download " + " ".join(wanted), flush=True)
    if subprocess.run(cmd).returncode != 0:
        raise WorkflowError(f"pip could not download {' '.join(wanted)} for Python {python}; pack again with "
                            "--no-wheels to carry the corpus alone")
    return sorted(folder.glob("*.whl"))


def pack(d: Device) -> Path:
    """The kit: the corpus's whole works within the budget, compressed, and the wheels; a rerun reuses both."""
    from ada.data.dataset import open_dataset

    source = open_dataset(d.data)
    if source.index.get("kind") != "audio":
        raise WorkflowError(f"{d.data}: holds {source.index.get('kind')}, not audio; pack an audio corpus "
                            "(make data-medium builds one)")
    if d.wheels:
        wheels = download_wheels(d.kit / "wheels", d.python)
    else:
        wheels = []
        shutil.rmtree(d.kit / "wheels", ignore_errors=True)
    travel = (TRAVEL_MIB - MARGIN_MIB) * 2**20 - tree_bytes() - sum(w.stat().st_size for w in wheels)
    budget = int(min(d.max_mib * 2**20, travel))
    if budget <= 0:
        raise WorkflowError(f"the working tree and wheels leave no room for a corpus in {TRAVEL_MIB} MiB")
    corpus = d.kit / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    files, used = [], 0
    for e in in_turn(source.files):
        name = f"{e['sha256'][:16]}.u8.xz"
        if not (corpus / name).is_file():
            with atomic_path(corpus / name) as tmp:
                tmp.write_bytes(lzma.compress(np.asarray(source.tokens(e)).tobytes(), preset=6))
        size = (corpus / name).stat().st_size
        if used + size > budget:
            break  # the works taken so far, in their turn
        used += size
        files.append({k: e[k] for k in ("path", "sha256", "split", "length")} | {"file": name, "bytes": size})
    if not any(f["split"] == "train" for f in files):
        raise WorkflowError(f"not one train work of {d.data} fits in {budget / 2**20:.1f} MiB; raise --max-mib")
    keep = {f["file"] for f in files}
    for stale in corpus.glob("*.u8.xz"):
        if stale.name not in keep:
            stale.unlink()
    meta = {k: source.index[k] for k in ("vocab", "rate", "kind") if k in source.index}
    hours = sum(f["length"] for f in files) / float(source.rate) / 3600
    write_json(d.kit / "kit.json", {"format": KIT_FORMAT, "source": str(d.data), "meta": meta,
                                    "recipe": source.index.get("recipe", {}), "hours": round(hours, 3),
                                    "wheels": [w.name for w in wheels], "files": files})
    total = hours_of(source.files, source.rate)
    print(f"kit {d.kit}: {len(files)} of {len(source.files)} works of {d.data} ({hours:.2f} of {total:.2f} h, "
          f"{used / 2**20:.1f} MiB), {len(wheels)} wheels; carry {d.kit} to the device", flush=True)
    return d.kit / "kit.json"


def hours_of(files: list[dict], rate: float) -> float:
    return sum(f["length"] for f in files) / float(rate) / 3600


def read_kit(kit: Path) -> dict:
    path = Path(kit) / "kit.json"
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise WorkflowError(f"no kit at {kit} (no kit.json); `ada device pack` writes one") from None
    except json.JSONDecodeError as e:
        raise WorkflowError(f"{path}: not valid JSON ({e}); pack the kit again") from None
    if meta.get("format") != KIT_FORMAT:
        raise WorkflowError(f"{path}: format {meta.get('format')!r}, expected {KIT_FORMAT!r}; pack the kit again")
    return meta


def unpack(kit: Path, out: Path) -> Path:
    """The kit's corpus as a dataset in `out` (its files' splits as they were); kept when already there."""
    from ada.data.dataset import read_index, write_dataset

    meta = read_kit(kit)
    index = read_index(out)
    if index and [f["sha256"] for f in index.get("files", [])] == [f["sha256"] for f in meta["files"]]:
        return out

    def load(entry: dict) -> np.ndarray:
        path = Path(kit) / "corpus" / entry["file"]
        try:
            tokens = np.frombuffer(lzma.decompress(path.read_bytes()), np.uint8)
        except (OSError, lzma.LZMAError) as e:
            raise WorkflowError(f"{path}: unreadable ({e}); pack the kit again") from None
        if len(tokens) != entry["length"]:
            raise WorkflowError(f"{path}: {len(tokens)} tokens, kit.json says {entry['length']}; pack the kit again")
        return tokens

    made = {"command": f"ada device train --kit {kit}", "from": meta["source"]}
    Path(out).mkdir(parents=True, exist_ok=True)
    with lock.hold(out, "ada device train"):
        write_dataset(out, [dict(f) for f in meta["files"]], load, vocab=int(meta["meta"]["vocab"]),
                      rate=float(meta["meta"]["rate"]), meta={"kind": meta["meta"].get("kind", "audio"),
                                                              "recipe": meta.get("recipe", {}), "made_by": made})
    return out


def train(d: Device, run: Runner) -> Path:
    """On the device: the kit's corpus unpacked, the three models trained in turn for their minutes, each encoded
    into the next one's data, exported and written to `out` as parts with device.json."""
    if len(d.minutes) != 3 or len(d.steps) != 3:
        raise WorkflowError("--minutes and --steps take three values each: level 1, level 2, the prior")
    try:
        minutes = [float(m) for m in d.minutes]
    except ValueError:
        minutes = []
    if not minutes or min(minutes) <= 0:
        raise WorkflowError(f"--minutes {' '.join(d.minutes)}: give three numbers of minutes above 0")
    read_kit(d.kit)
    data = d.runs / "corpus"
    run.log.append(f"unpack {d.kit} -> {data}")
    print(f"unpack: {d.kit} -> {data}", flush=True)
    if not run.dry_run:
        unpack(d.kit, data)
    codes1, codes2 = Path(f"{data}-codes1"), Path(f"{data}-codes2")
    workdirs = [d.runs / "level1", d.runs / "level2", d.runs / "prior"]
    inputs = [data, codes1, codes2]
    configs = [d.level1_config, d.level2_config, d.prior_config]
    begin = [Path(d.init_from) / n for n in ("level1", "level2", "prior")] if d.init_from else [None] * 3
    for start in filter(None, begin):
        run.require(start / "params.npz", "export to begin from", "name one with --init-from, or none with "
                    "--init-from ''")
    spent = {}
    for i, (workdir, config, inp) in enumerate(zip(workdirs, configs, inputs, strict=True)):
        begun = time.monotonic()
        code = run.ada("train", "--config", config, "--workdir", workdir, f"--config.data.path={inp}",
                       f"--config.train.steps={d.steps[i]}", "--noprogress",
                       *(["--init_from", begin[i]] if begin[i] else []), timeout_minutes=minutes[i])
        spent[MODELS[i]] = round((time.monotonic() - begun) / 60, 2)
        print(f"{MODELS[i]}: {'stopped at its' if code == 124 else 'finished within its'} {minutes[i]:g} minutes",
              flush=True)
        if i < 2:
            begun = time.monotonic()
            run.ada("encode", "--level", workdir, "--data", inp, "--out", inputs[i + 1], "--quiet")
            spent[f"{MODELS[i]} encoding"] = round((time.monotonic() - begun) / 60, 2)
    stack = run.write_stack(d.runs / "stack.json", workdirs[:2], workdirs[2])
    run.log.append(f"export {stack} -> {d.out}")
    print(f"export: {stack} -> {d.out}", flush=True)
    if run.dry_run:
        return d.out
    return write_parts(stack, d.runs / "export", d.out, spent)


def accelerator() -> tuple[str, str]:
    """The device JAX computes on, in words, and what its minutes are called (GPU-minutes on a GPU)."""
    import jax

    devices = jax.devices()
    if devices[0].platform == "cpu":
        return f"{os.cpu_count()} CPU cores, no accelerator", "minutes"
    what = f"{len(devices)} × {devices[0].device_kind}" if len(devices) > 1 else f"one {devices[0].device_kind}"
    return what, f"{devices[0].platform.upper()}-minutes"


def hardware_line(spent: dict) -> str:
    """The card's "Trained on": the device, and the wall minutes each model trained on it."""
    trained = {k: v for k, v in spent.items() if k in MODELS}
    what, unit = accelerator()
    parts = ", ".join(f"{k} {v:.1f}" for k, v in trained.items())
    return f"{what}, {sum(trained.values()):.1f} {unit} of training ({parts}), by `ada device train`"


def write_parts(stack: Path, export: Path, out: Path, spent: dict) -> Path:
    """The stack exported (bfloat16, the device recorded) into `export`, then as tar parts and device.json in
    `out`."""
    from ada.generation.export import export_stack
    from ada.generation.stack import load_stack

    hardware = hardware_line(spent)
    export_stack(load_stack(stack), export, "bfloat16", overwrite=True, hardware=hardware)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(export, arcname="export")
    blob = buffer.getvalue()
    size = PART_MIB * 2**20
    chunks = [blob[i:i + size] for i in range(0, len(blob), size)]
    if len(chunks) > MAX_PARTS:
        raise WorkflowError(f"the export is {len(blob) / 2**20:.0f} MiB: more than a call brings back "
                            f"({MAX_PARTS} parts of {PART_MIB} MiB); train smaller models")
    out.mkdir(parents=True, exist_ok=True)
    parts = []
    for n, chunk in enumerate(chunks):
        name = f"export.tar.{n:02d}"
        with atomic_path(out / name) as tmp:
            tmp.write_bytes(chunk)
        parts.append({"name": name, "bytes": len(chunk), "sha256": hashlib.sha256(chunk).hexdigest()})
    steps = {m: json.loads((export / n / "member.json").read_text())["step"]
             for m, n in zip(MODELS, ("level1", "level2", "prior"), strict=True)}
    write_json(out / "device.json", {"hardware": hardware, "minutes": spent, "steps": steps, "parts": parts})
    print(f"device: {hardware}; steps {steps}; {len(parts)} part{'s' if len(parts) != 1 else ''} in {out}", flush=True)
    return out / "device.json"


def receive(d: Device) -> Path:
    """The parts a call brought back, checked and joined into the export folder `shipped`."""
    manifest = d.returned / "device.json"
    try:
        meta = json.loads(manifest.read_text())
    except FileNotFoundError:
        raise WorkflowError(f"no {manifest}; name the folder the call's files came back into with --returned") \
            from None
    except json.JSONDecodeError as e:
        raise WorkflowError(f"{manifest}: not valid JSON ({e})") from None
    if (d.shipped / "stack.json").exists() and not d.overwrite:
        raise WorkflowError(f"{d.shipped} already holds an export; choose another --shipped or pass --overwrite")
    blob = bytearray()
    for part in meta["parts"]:
        path = d.returned / part["name"]
        data = path.read_bytes() if path.is_file() else b""
        if hashlib.sha256(data).hexdigest() != part["sha256"]:
            raise WorkflowError(f"{path}: {'missing' if not path.is_file() else 'damaged'} ({len(data)} bytes, "
                                f"{part['bytes']} sent); bring the call's files back again")
        blob += data
    staging = d.shipped.parent / f".{d.shipped.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(bytes(blob))) as tar:
        tar.extractall(staging, filter="data")
    if d.shipped.exists():
        old = d.shipped.parent / f".{d.shipped.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        d.shipped.rename(old)
        (staging / "export").rename(d.shipped)
        shutil.rmtree(old)
    else:
        (staging / "export").rename(d.shipped)
    shutil.rmtree(staging, ignore_errors=True)
    print(f"received: {d.shipped} ({meta['hardware']}); measure it with `ada release card --shipped {d.shipped} "
          "--previous pretrained`", flush=True)
    return d.shipped / "stack.json"
