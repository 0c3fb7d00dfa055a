"""Population based training (`ada pbt`): exploit/explore bookkeeping on a stand-in trainer, a real
3-member run of micro levels on Ray's local cluster, and an experiment killed and resumed.

One Ray start (2 CPUs) serves the whole module; `ada pbt` processes join it with --address.
"""

import json

import pytest

from ada.training.checkpoint import CHECKPOINTS, CONFIG_FILE
from ada.training.config import pbt
from ada.training.pbt import PBTError, initial_draws, run

from micro_config import get_config as micro_config
from support.pbt import pbt_config, stand_in


def test_a_workdir_holding_another_experiment_is_refused(tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "w/pbt.json").write_text(json.dumps({"exploit": False}))
    with pytest.raises(PBTError, match="another PBT experiment"):
        run(pbt_config(tmp_path), tmp_path / "w", advance=stand_in, verbose=0)
    (tmp_path / "v/members").mkdir(parents=True)
    with pytest.raises(PBTError, match="not a PBT workdir"):
        run(pbt_config(tmp_path), tmp_path / "v", advance=stand_in, verbose=0)


def test_initial_draws_are_log_uniform_over_the_ranges_and_seeded():
    from ada.training.pbt import Schedule

    s = Schedule.from_config(pbt(micro_config(), population=200, interval=2, burn_in=4))
    draws = initial_draws(s, seed=0)
    assert draws == initial_draws(s, seed=0) and draws != initial_draws(s, seed=1)
    betas = sorted(d["beta"] for d in draws)
    assert 0.05 <= betas[0] and betas[-1] <= 1.25
    assert betas[100] == pytest.approx(0.25, rel=0.35)  # the geometric centre of [0.05, 1.25]
    assert all(0.002 <= d["one_minus_decay"] <= 0.05 for d in draws)


def test_the_workdir_names_are_those_of_ada_checkpoint():
    import ada.training.pbt

    assert (ada.training.pbt.CHECKPOINTS, ada.training.pbt.CONFIG_FILE) == (CHECKPOINTS, CONFIG_FILE)
