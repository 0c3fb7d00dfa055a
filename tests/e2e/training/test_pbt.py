"""Population based training (`ada pbt`): exploit/explore bookkeeping on a stand-in trainer, a real
2-member run of micro levels on Ray's local cluster (the fewest that exploit: the worse copies the better), and
an experiment killed and resumed.

One Ray start (2 CPUs) serves the whole module; `ada pbt` processes join it with --address.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ada.training import checkpoint
from ada.training.lineage import read_rows
from ada.training.pbt import run

from helpers import MICRO, REPO, run_ada
from support.pbt import lineage, pbt_config, stand_in


@pytest.fixture(scope="module")
def uninterrupted(cluster, piano, tmp_path_factory):
    """A real 2-member PBT of micro levels on the piano fixture: its workdir."""
    workdir = tmp_path_factory.mktemp("pbt") / "w"
    run(pbt_config(piano, population=2), workdir, verbose=0)
    return workdir




def test_the_worst_member_copies_the_best_and_perturbs_its_hyperparameters(cluster, tmp_path):
    draws = [{"beta": 0.1, "one_minus_decay": 0.01}, {"beta": 0.3, "one_minus_decay": 0.02},
             {"beta": 5.0, "one_minus_decay": 0.04}]  # m02's β makes it learn slowest
    best = run(pbt_config(tmp_path, steps=6), tmp_path / "w", advance=stand_in, draws=draws, verbose=0)
    rows = {(r["member"], r["step"]): r for r in read_rows(tmp_path / "w")}
    assert sorted(rows) == [(m, s) for m in ("m00", "m01", "m02") for s in (2, 4, 6)]
    # burn-in: nobody copied before step 4; at step 4 the worst (m02) copied the best (m00), nobody else did
    copies = {k: (r["copied_from"], r["copied_step"]) for k, r in rows.items() if r["copied_from"]}
    assert copies == {("m02", 6): ("m00", 4)}
    after = rows["m02", 6]
    assert after["beta"] / 0.1 == pytest.approx(0.8) or after["beta"] / 0.1 == pytest.approx(1.2)
    assert (1 - after["decay"]) / 0.01 == pytest.approx(0.8) or (1 - after["decay"]) / 0.01 == pytest.approx(1.2)
    # its checkpoint is m00's at step 4, trained on by m02 from there
    state = json.loads((tmp_path / "w/members/m02/checkpoints/6/state.json").read_text())
    assert [w[:2] for w in state["writers"]] == [["m00", 2], ["m00", 4], ["m02", 6]]
    assert state["writers"][-1][2] == pytest.approx(after["beta"])
    assert state["nll"] == pytest.approx(rows["m00", 4]["eval_nll"] - 2 / (1 + 10 * after["beta"]))
    # the untouched members kept their own hyperparameters all along
    assert {rows["m01", s]["beta"] for s in (2, 4, 6)} == {0.3}
    # the report names the best member at the end and links it
    final = [r for r in rows.values() if r["step"] == 6]
    assert best["member"] == min(final, key=lambda r: r["eval_nll"])["member"]
    assert (tmp_path / "w/best").resolve() == (tmp_path / "w/members" / best["member"]).resolve()
    assert json.loads((tmp_path / "w/best.json").read_text())["member"] == best["member"]
    assert "| m02 | 3 | 6 |" in (tmp_path / "w/lineage.md").read_text()
    assert "m00 (step 4)" in (tmp_path / "w/lineage.md").read_text()
    assert (tmp_path / "w/lineage.png").stat().st_size > 10_000


@pytest.mark.slow
def test_members_are_ordinary_workdirs_and_the_best_one_loads(uninterrupted):
    rows = read_rows(uninterrupted)
    assert len(rows) == 6 and sum(r["copied_from"] is not None for r in rows) == 1
    copy = next(r for r in rows if r["copied_from"])
    at4 = {r["member"]: r["eval_nll"] for r in rows if r["step"] == 4}
    assert copy["copied_from"] == min(at4, key=at4.get) and copy["member"] == max(at4, key=at4.get)
    for member in ("m00", "m01"):
        workdir = uninterrupted / "members" / member
        last = [r for r in rows if r["member"] == member][-1]
        config = json.loads((workdir / "config.json").read_text())
        assert config["model"]["quantiser"]["beta"] == pytest.approx(last["beta"])
        assert config["model"]["quantiser"]["decay"] == pytest.approx(last["decay"])
        logged = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
        assert [m["step"] for m in logged if "eval_nll" in m] == [2, 4, 6]
        assert logged[-1]["eval_nll"] == pytest.approx(last["eval_nll"])
    best = checkpoint.load(uninterrupted / "best")
    assert best.step == 6 and best.workdir.name == json.loads((uninterrupted / "best.json").read_text())["member"]


@pytest.mark.slow
def test_a_killed_experiment_resumes_to_the_same_lineage(uninterrupted, cluster, piano, tmp_path):
    """Killed (SIGKILL) after every member's first round, then rerun: the same copies, β, γ and steps
    as the uninterrupted run, and the same eval NLLs (training is deterministic on the CPU)."""
    config = tmp_path / "micro_pbt.py"
    config.write_text(f"import sys\nsys.path.insert(0, {str(REPO / 'tests')!r})\n"
                      "from ada.training.config import pbt\nfrom micro_config import get_config as micro\n\n\n"
                      f"def get_config():\n    c = micro()\n    c.data.path = {str(piano)!r}\n"
                      "    return pbt(c, population=2, interval=2, burn_in=4, steps=6)\n")
    workdir = tmp_path / "w"
    command = [sys.executable, "-m", "ada.cli", "pbt", "--config", str(config), "--workdir", str(workdir),
               "--address", cluster]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 300
    while not ({r["member"] for r in read_rows(workdir) if r["step"] == 2} == {"m00", "m01"}
               and list((workdir / "ray" / "pbt").glob("experiment_state*.json"))):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no member finished its first round in 5 minutes"
        time.sleep(0.5) if (workdir / "members").exists() else time.sleep(2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert not (workdir / "best.json").exists()
    run_ada("pbt", "--config", config, "--workdir", workdir, "--address", cluster)
    assert lineage(workdir) == lineage(uninterrupted)
    resumed, reference = read_rows(workdir), read_rows(uninterrupted)
    assert [r["eval_nll"] for r in resumed] == pytest.approx([r["eval_nll"] for r in reference], rel=1e-5)
    assert json.loads((workdir / "best.json").read_text())["member"] == \
        json.loads((uninterrupted / "best.json").read_text())["member"]


def test_ada_pbt_refuses_a_config_without_a_pbt_section(tmp_path):
    proc = run_ada("pbt", "--config", MICRO, "--workdir", tmp_path / "w", check=False)
    assert proc.returncode == 2 and "no pbt section" in proc.stderr
