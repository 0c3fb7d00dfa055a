"""Shared by tests/unit/data/test_dataset.py and tests/e2e/data/test_dataset.py."""

import os

import pytest

from ada.data.dataset import open_dataset

from helpers import write_audio


def names(out) -> list[str]:
    return sorted(os.path.basename(f["path"]) for f in open_dataset(out).files)


def refused(proc, *words):
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr[-2000:]
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.fixture
def folder(tmp_path):
    src = tmp_path / "folder"
    for i in range(4):
        write_audio(src / f"f{i}.wav", 16000, 0.5, seed=i)
    return src
