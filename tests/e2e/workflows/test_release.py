"""`ada release card` on a real export: it draws its pages, writes the card, and a rerun draws nothing."""

import pytest

from helpers import run_ada


@pytest.mark.slow
def test_the_card_of_an_export_is_measured_in_place_and_a_rerun_continues(micro_stack, piano, tmp_path):
    out, previous = tmp_path / "shipped", tmp_path / "previous"
    run_ada("export", "--stack", micro_stack, "--out", out)
    run_ada("export", "--stack", micro_stack, "--out", previous, "--dtype", "float32")
    card = ["release", "card", "--shipped", out, "--runs", tmp_path / "runs", "--heldout", piano, "--excerpts", 2,
            "--previous", previous, "--data", tmp_path / "no-medium",  # no corpus to measure: as on a fresh clone
            "--tiny-runs", tmp_path / "no-demo", "--num", 2, "--seconds", 0.25, "--long-num", 2, "--long-seconds", 0.5,
            "--temperature", "1",
            "--sweep-level1", "1", "--sweep-stack", "1", "--hardware", "a test host"]
    first = run_ada(*card)
    drawn = [line for line in first.stdout.splitlines() if line.startswith(("ada sample", "ada reconstruct"))]
    # reconstructions and samples at the shipped temperature, which the sweep holds too, and longer samples; then
    # the previous export's three at its own temperatures
    assert len(drawn) == 6 and "--seconds 0.5 --num 2" in drawn[2] and "--seconds 0.5 --num 2" in drawn[5]
    assert all(f"--stack {previous}/stack.json" in line for line in drawn[3:])
    assert all(f"--data {piano} --excerpts 2" in line for line in drawn if line.startswith("ada reconstruct"))
    text = (out / "MODEL_CARD.md").read_text()
    assert "Trained on: a test host." in text and "## How it sounds" in text and "## Sampling temperature" in text
    assert ("| shipped | shipped at temperature 1 | shipped (0.5-s samples) | previous stack | "
            "previous stack (0.5-s samples) |") in text
    assert f"| reconstructions: excerpts | 2, {piano.name} (eval split) |" in text
    pages = tmp_path / "runs" / "pages-2x0.25s"
    assert (pages / "1" / "samples" / "samples.json").is_file()
    params = {p: p.stat().st_mtime_ns for p in out.rglob("params.npz")}
    again = run_ada(*card)
    assert [line for line in again.stdout.splitlines() if line.startswith("ada ")] == \
        [line for line in first.stdout.splitlines() if line.startswith("ada export")]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("params.npz")} == params  # onto itself: kept as they are
    assert (out / "MODEL_CARD.md").read_text() == text
