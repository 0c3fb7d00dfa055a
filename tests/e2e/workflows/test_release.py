"""`ada release card` on a real export: it draws its pages, writes the card, and a rerun draws nothing."""

import pytest

from helpers import run_ada


@pytest.mark.slow
def test_the_card_of_an_export_is_measured_in_place_and_a_rerun_continues(micro_stack, piano, tmp_path):
    out = tmp_path / "shipped"
    run_ada("export", "--stack", micro_stack, "--out", out)
    card = ["release", "card", "--shipped", out, "--runs", tmp_path / "runs", "--small", piano,
            "--tiny-runs", tmp_path / "no-demo", "--num", 2, "--seconds", 0.25, "--long-num", 2, "--long-seconds", 0.5,
            "--temperature", "1",
            "--sweep-level1", "1", "--sweep-stack", "1", "--hardware", "a test host"]
    first = run_ada(*card)
    drawn = [line for line in first.stdout.splitlines() if line.startswith(("ada sample", "ada reconstruct"))]
    # reconstructions and samples at the shipped temperature, which the sweep holds too, and longer samples
    assert len(drawn) == 3 and "--seconds 0.5 --num 2" in drawn[2]
    text = (out / "MODEL_CARD.md").read_text()
    assert "Trained on: a test host." in text and "## How it sounds" in text and "## Sampling temperature" in text
    assert "| shipped | shipped at temperature 1 | shipped (0.5-s samples) |" in text
    pages = tmp_path / "runs" / "pages-2x0.25s"
    assert (pages / "1" / "samples" / "samples.json").is_file()
    params = {p: p.stat().st_mtime_ns for p in out.rglob("params.npz")}
    again = run_ada(*card)
    assert [line for line in again.stdout.splitlines() if line.startswith("ada ")] == \
        [line for line in first.stdout.splitlines() if line.startswith("ada export")]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("params.npz")} == params  # onto itself: kept as they are
    assert (out / "MODEL_CARD.md").read_text() == text
