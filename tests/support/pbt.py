"""Shared by tests/unit/training/test_pbt.py and tests/e2e/training/test_pbt.py."""

import json
import sys
from pathlib import Path

import pytest

from ada.training.config import pbt
from ada.training.lineage import read_rows

from micro_config import get_config as micro_config

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the stand-in trainer travels by value
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def stand_in(config, workdir: Path) -> dict:
    """A trainer in miniature: its 'NLL' falls by 1/(1 + 10β) a step, its checkpoint lists who wrote it."""
    steps = sorted(int(p.name) for p in (workdir / "checkpoints").glob("[0-9]*"))
    state = json.loads((workdir / "checkpoints" / str(steps[-1]) / "state.json").read_text()) if steps else \
        {"nll": 10.0, "writers": []}
    done = steps[-1] if steps else 0
    target = config.train.steps
    beta = config.model.quantiser.beta
    state = {"nll": state["nll"] - (target - done) / (1 + 10 * beta),
             "writers": state["writers"] + [[workdir.name, target, beta]]}
    out = workdir / "checkpoints" / str(target)
    out.mkdir(parents=True)
    (out / "state.json").write_text(json.dumps(state))
    return {"eval_nll": state["nll"]}


def pbt_config(data, population=3, interval=2, burn_in=4, steps=6):
    c = micro_config()
    c.data.path = str(data)
    return pbt(c, population=population, interval=interval, burn_in=burn_in, steps=steps)


def lineage(workdir):
    return [(r["member"], r["round"], r["step"], round(r["beta"], 9), round(r["decay"], 9), r["copied_from"],
             r["copied_step"]) for r in read_rows(workdir)]
