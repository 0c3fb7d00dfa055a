"""Sampling: the incremental sampler against the naive one, rendering down a stack, the page."""

import numpy as np
import pytest

from ada.data.dataset import open_dataset
from ada.generation.audio import _measure_lines, excerpts_from
from ada.listening.measures import listen
from ada.listening.page import write_page

pytestmark = pytest.mark.slow








def test_a_page_shows_a_silent_clip(tmp_path):
    """A silent stretch of the data (or a reconstruction of one) draws a black spectrogram, not a crash."""
    silent, faint = np.zeros(16000, np.float32), np.full(16000, 4e-4, np.float32)
    page = write_page(tmp_path, "silence", {}, [[("silent", silent, tmp_path / "a.wav"),
                                                 ("faint", faint, tmp_path / "b.wav")]])
    assert page.is_file() and (tmp_path / "a.png").stat().st_size > 0 and (tmp_path / "b.png").stat().st_size > 0


def test_excerpts_spread_over_the_whole_split_however_few(token_dataset):
    """A corpus lists its works by composer: excerpts from its first files alone would measure one composer."""
    ds = open_dataset(token_dataset([64000] * 10))
    files = ds.split("train")
    which = [int(tokens[0]) // 10 for _, tokens in excerpts_from(ds, "train", 3, 16000)]  # file i holds 10 i + 1
    assert which == [int(files[j]["path"][4:]) for j in (0, 3, 6)]
    many = excerpts_from(ds, "train", 2 * len(files) + 1, 16000)  # more than the files: each in turn, then again
    assert [int(t[0]) // 10 for _, t in many[: len(files)]] == [int(f["path"][4:]) for f in files]
    assert len({name for name, _ in many}) == len(many)  # at other starts the second time round


def test_page_lines_count_silent_samples_and_leave_them_out_of_the_noisiness():
    t = np.arange(32000) / 16000
    tone = 0.3 * np.sin(2 * np.pi * 440 * t) * np.exp(-t)
    hiss = 0.05 * np.random.default_rng(0).standard_normal(t.size)
    corpus = listen([tone])
    lines = _measure_lines(listen([tone + hiss, np.zeros_like(t)]), corpus)
    alone = _measure_lines(listen([tone + hiss]), corpus)
    assert lines["noisiness (flatness over the corpus's)"] == alone["noisiness (flatness over the corpus's)"] > 1
    assert lines["silent"].startswith("0.5 ") and alone["silent"].startswith("0 ")
    assert "noisiness (flatness over the corpus's)" not in _measure_lines(listen([np.zeros_like(t)]), corpus)
