"""Population based training of a level (paper, appendix A) on Ray Tune's PopulationBasedTraining.

Each member is an ordinary `ada train` workdir, ``W/members/<id>/``, advanced by the one trainer
`interval` steps at a time (its train.steps raised each round; the trainer resumes). After each
round a member reports its eval NLL (fitness: the NLL negated) with a Ray checkpoint that carries
its Orbax step directory (train state and data position) and names its origin. At every interval
after the burn-in the scheduler, in step for the whole population, has the worst quarter copy a
member of the best quarter: the loser's workdir is reset to the winner's checkpoint, and its β and
1 − γ (and the learning rate, if explored) become the winner's times 0.8 or 1.2. The Ray checkpoint
is the truth: a member that (re)starts resets its workdir to it, so an experiment killed and
restored (Tuner.restore) replays exactly what the uninterrupted one would have done. The scheduler's
random choices are seeded by (seed, member, step) for the same reason.

Every member keeps its history in ``members/<id>/pbt.jsonl``; `lineage` gathers them into
``lineage.json``, ``lineage.md`` and ``lineage.png``, and the best member at the end is named in
``best.json`` and by the ``best`` link, a workdir `ada encode`, `ada sample` and stacks take.
Ray is imported only here.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import ml_collections
import numpy as np

from ada.data.atomic import write_json, write_text
from ada.training.lineage import HISTORY, MEMBERS, write_report

# ada.training.checkpoint's names, not imported: a member's process imports JAX only when it trains
CHECKPOINTS, CONFIG_FILE = "checkpoints", "config.json"

RECORD = "pbt.json"  # the experiment: config, schedule, initial draws, exploit or not
RAY_STORAGE = "ray"
EXPERIMENT = "pbt"
CARRIED = "orbax"  # the Orbax step directory inside a Ray checkpoint
ORIGIN = "origin.json"  # whose checkpoint it is, at which step, with which hyperparameters
MAX_ONE_MINUS_DECAY = 0.5  # γ never below 0.5 however often 1 − γ is multiplied by 1.2


class PBTError(Exception):
    """An experiment that cannot run or failed; the message says which member and why."""


@dataclass(frozen=True)
class Schedule:
    population: int
    interval: int
    burn_in: int
    steps: int
    factors: tuple[float, float]
    quantile: float
    beta: tuple[float, float]  # log-uniform range of the initial β
    one_minus_decay: tuple[float, float]  # log-uniform range of the initial 1 − γ
    explore_learning_rate: bool
    learning_rate: tuple[float, float]  # log-uniform range of the initial learning rate, when explored
    cpus_per_member: float
    gpus_per_member: float

    @classmethod
    def from_config(cls, config, population: int | None = None) -> Schedule:
        from ada.training.config import ConfigError

        if "pbt" not in config:
            raise ConfigError("the config has no pbt section; add one with ada.training.config.pbt(c) (see "
                              "experiments/tiny_level2_pbt.py)")
        p = config.pbt
        s = cls(population=population or p.population, interval=p.interval, burn_in=p.burn_in,
                steps=config.train.steps, factors=tuple(p.factors), quantile=p.quantile, beta=tuple(p.beta),
                one_minus_decay=tuple(p.one_minus_decay), explore_learning_rate=p.explore_learning_rate,
                learning_rate=tuple(p.learning_rate),
                cpus_per_member=p.cpus_per_member, gpus_per_member=p.gpus_per_member)
        if s.population < 2:
            raise ConfigError(f"pbt.population={s.population}: a population needs at least 2 members")
        if s.interval < 1 or s.burn_in < 0 or s.steps < s.interval:
            raise ConfigError(f"pbt.interval={s.interval}, pbt.burn_in={s.burn_in}, train.steps={s.steps}: need "
                              "interval ≥ 1, burn_in ≥ 0 and train.steps ≥ interval")
        for name in ("beta", "one_minus_decay", "learning_rate"):
            r = getattr(s, name)
            if not (len(r) == 2 and 0 < r[0] <= r[1]):
                raise ConfigError(f"pbt.{name}={r}: give a range (low, high) with 0 < low ≤ high")
        if s.one_minus_decay[1] > MAX_ONE_MINUS_DECAY:
            raise ConfigError(f"pbt.one_minus_decay={s.one_minus_decay}: 1 − γ above {MAX_ONE_MINUS_DECAY} "
                              "is not an EMA codebook")
        if not 0 < s.quantile <= 0.5:
            raise ConfigError(f"pbt.quantile={s.quantile}: the share of losers (and winners) is in (0, 0.5]")
        return s

    @property
    def hyperparameters(self) -> tuple[str, ...]:
        return ("beta", "one_minus_decay") + (("learning_rate",) if self.explore_learning_rate else ())


def initial_draws(schedule: Schedule, seed: int) -> list[dict]:
    """Each member's starting hyperparameters, log-uniform over the schedule's ranges."""
    rng = np.random.default_rng([seed, 0x9B7])
    draw = lambda r: float(np.exp(rng.uniform(np.log(r[0]), np.log(r[1]))))
    return [{name: draw(getattr(schedule, name)) for name in schedule.hyperparameters}
            for _ in range(schedule.population)]


def member_config(config, hyper: dict, steps: int) -> ml_collections.ConfigDict:
    """The `ada train` config of a member with hyperparameters `hyper`, trained up to `steps`."""
    c = ml_collections.ConfigDict({k: v for k, v in config.to_dict().items() if k != "pbt"})
    c.model.quantiser.beta = hyper["beta"]
    c.model.quantiser.decay = 1.0 - hyper["one_minus_decay"]
    if "learning_rate" in hyper:
        c.train.learning_rate = hyper["learning_rate"]
    c.train.steps = steps
    return c


def train_member(config, workdir: Path) -> dict:
    """Advance a member with the one trainer; its eval NLL and code usage at the end."""
    from ada.training.trainer import train

    _, result = train(config, workdir, progress=False)
    return {k: float(result[k]) for k in ("eval_nll", "nll", "perplexity", "codes_used") if k in result}


class Member:
    """A member's workdir: its Orbax checkpoints and its history, reset to a Ray checkpoint on (re)start."""

    def __init__(self, root: Path, name: str):
        self.name, self.workdir = name, root / MEMBERS / name
        self.checkpoints = self.workdir / CHECKPOINTS

    def steps(self) -> list[int]:
        if not self.checkpoints.is_dir():
            return []
        return sorted(int(p.name) for p in self.checkpoints.iterdir() if p.name.isdigit())

    def start_from(self, directory: Path | None) -> tuple[int, dict | None]:
        """Reset the workdir to a Ray checkpoint's directory (None: a fresh member); (step, its origin)."""
        if directory is None:
            shutil.rmtree(self.checkpoints, ignore_errors=True)
            self.keep_history(0)
            return 0, None
        origin = json.loads((directory / ORIGIN).read_text())
        step = origin["step"]
        if origin["member"] == self.name and step in self.steps():  # its own newest: drop only what came after
            for later in (s for s in self.steps() if s > step):
                shutil.rmtree(self.checkpoints / str(later))
        else:  # the winner's checkpoint (exploit), or its own when the workdir lost it
            shutil.rmtree(self.checkpoints, ignore_errors=True)
            self.checkpoints.mkdir(parents=True)
            shutil.copytree(directory / CARRIED / str(step), self.checkpoints / str(step))
        self.keep_history(step)
        return step, origin

    def pack(self, step: int, directory: Path, hyper: dict, metrics: dict) -> None:
        """What a Ray checkpoint carries: the Orbax step directory and its origin (who, when, how good)."""
        shutil.copytree(self.checkpoints / str(step), directory / CARRIED / str(step))
        write_json(directory / ORIGIN, {"member": self.name, "step": step, "hyper": hyper, "metrics": metrics})

    def history(self) -> list[dict]:
        path = self.workdir / HISTORY
        return [json.loads(line) for line in path.read_text().splitlines() if line] if path.exists() else []

    def keep_history(self, step: int) -> None:
        rows = [r for r in self.history() if r["step"] <= step]
        write_text(self.workdir / HISTORY, "".join(json.dumps(r) + "\n" for r in rows))

    def record(self, row: dict) -> None:
        write_text(self.workdir / HISTORY, "".join(json.dumps(r) + "\n" for r in [*self.history(), row]))


def _run_member(ray_config: dict, *, root: str, config_json: str, schedule: dict, exploit: bool,
                advance: Callable[[ml_collections.ConfigDict, Path], dict]) -> None:
    """The Ray Tune trainable: one member, round after round, from wherever its checkpoint says."""
    from ray import tune

    s = Schedule(**{k: tuple(v) if isinstance(v, list) else v for k, v in schedule.items()})
    config = ml_collections.ConfigDict(json.loads(config_json))
    member = Member(Path(root), tune.get_context().get_trial_name())
    checkpoint = tune.get_checkpoint()
    with checkpoint.as_directory() if checkpoint else contextlib.nullcontext() as directory:
        step, origin = member.start_from(Path(directory) if directory else None)
    copied = origin if origin and origin["member"] != member.name else None
    hyper = {k: float(ray_config[k]) for k in s.hyperparameters}

    def report(metrics: dict) -> None:
        with tempfile.TemporaryDirectory(prefix="ada-pbt-") as tmp:
            member.pack(step, Path(tmp), hyper, metrics)
            tune.report({"step": step, "fitness": -metrics["eval_nll"], **metrics},
                        checkpoint=tune.Checkpoint.from_directory(tmp))

    if exploit and origin and not copied and s.burn_in <= step < s.steps:
        # Back on its own checkpoint past the burn-in: say where it stands before training on. A running
        # scheduler has already decided at this step and answers "continue"; one restored after a kill
        # (Ray keeps no scheduler state) makes the decision it missed, with the whole population.
        report(origin["metrics"])
    while step < s.steps:
        target = min(step + s.interval, s.steps)
        c = member_config(config, hyper, target)
        member.workdir.mkdir(parents=True, exist_ok=True)
        write_json(member.workdir / CONFIG_FILE, json.loads(c.to_json()))  # the trainer keeps it: same model
        metrics = advance(c, member.workdir)
        step = target
        row = {"member": member.name, "round": math.ceil(step / s.interval), "step": step,
               "beta": hyper["beta"], "decay": 1.0 - hyper["one_minus_decay"],
               **({"learning_rate": hyper["learning_rate"]} if "learning_rate" in hyper else {}),
               **metrics, "copied_from": copied["member"] if copied else None,
               "copied_step": copied["step"] if copied else None}
        member.record(row)
        copied = None
        report(metrics)


def _member_name(trial) -> str:
    return f"m{trial.config['draw']:02d}"


def _clip(config: dict) -> dict:
    """After ×0.8/×1.2: 1 − γ stays at most MAX_ONE_MINUS_DECAY (γ ≥ 0.5)."""
    config["one_minus_decay"] = min(config["one_minus_decay"], MAX_ONE_MINUS_DECAY)
    return config


def _scheduler(schedule: Schedule, seed: int):
    from ray import tune
    from ray.tune.schedulers import PopulationBasedTraining

    class SeededPBT(PopulationBasedTraining):
        """PBT whose random choices (which winner, which factor) are seeded by (seed, member, step), so
        an experiment restored after a kill chooses what the uninterrupted one chose."""

        def _checkpoint_or_exploit(self, trial, *args, **kwargs):
            saved = random.getstate()
            random.seed(f"{seed}:{trial.custom_trial_name}:{self._trial_state[trial].last_train_time}")
            try:
                return super()._checkpoint_or_exploit(trial, *args, **kwargs)
            finally:
                random.setstate(saved)

    mutations = {name: tune.loguniform(*getattr(schedule, name)) for name in schedule.hyperparameters}
    return SeededPBT(time_attr="step", metric="fitness", mode="max", perturbation_interval=schedule.interval,
                     burn_in_period=schedule.burn_in, hyperparam_mutations=mutations,
                     quantile_fraction=schedule.quantile, resample_probability=0.0,
                     perturbation_factors=tuple(schedule.factors), custom_explore_fn=_clip, synch=True)


def _record(root: Path, config, schedule: Schedule, exploit: bool, draws: list[dict] | None) -> dict:
    """The experiment's record; a workdir holding another experiment is refused."""
    if draws is not None and (len(draws) != schedule.population
                              or any(set(d) != set(schedule.hyperparameters) for d in draws)):
        raise PBTError(f"give one draw of {', '.join(schedule.hyperparameters)} per member ({schedule.population})")
    record = {"config": json.loads(config.to_json()), "schedule": asdict(schedule), "exploit": exploit,
              "draws": draws or initial_draws(schedule, config.seed)}
    record = json.loads(json.dumps(record))  # tuples as lists, as read back
    path = root / RECORD
    if path.exists():
        old = json.loads(path.read_text())
        if old != record:
            changed = sorted(k for k in record if old.get(k) != record[k])
            raise PBTError(f"{root} holds another PBT experiment (its {', '.join(changed)} differ; see {path}); "
                           "use a new --workdir, or the same command to resume it")
    else:
        if (root / MEMBERS).exists():
            raise PBTError(f"{root} has members/ but no {RECORD}; it is not a PBT workdir this command made")
        write_json(path, record)
    return record


def run(config, workdir, *, population: int | None = None, exploit: bool = True, address: str | None = None,
        cpus: int | None = None, advance: Callable = train_member, draws: list[dict] | None = None,
        verbose: int = 1) -> dict:
    """Run (or resume) a PBT experiment in `workdir`; returns the best member (also best.json).

    `advance(config, member_workdir) -> {"eval_nll": ...}` trains a member up to config.train.steps (the
    one trainer; tests pass a stand-in); `draws` replaces the seeded log-uniform initial hyperparameters."""
    schedule = Schedule.from_config(config, population)
    config = ml_collections.ConfigDict(config.to_dict())
    config.data.path = str(Path(config.data.path).resolve())  # Ray runs members in other folders
    root = Path(workdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    record = _record(root, config, schedule, exploit, draws)

    import ray
    from ray import tune

    os.environ.setdefault("RAY_CHDIR_TO_TRIAL_DIR", "0")
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(root / "jax-cache"))  # a member's next round
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "1")
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else cpus, include_dashboard=False,
                 log_to_driver=verbose > 1, configure_logging=verbose > 1)
    try:
        trainable = tune.with_resources(
            tune.with_parameters(_run_member, root=str(root), config_json=config.to_json(),
                                 schedule=record["schedule"], exploit=exploit, advance=advance),
            {"cpu": schedule.cpus_per_member, "gpu": schedule.gpus_per_member})
        path = root / RAY_STORAGE / EXPERIMENT
        if tune.Tuner.can_restore(path):
            tuner = tune.Tuner.restore(str(path), trainable, resume_unfinished=True, resume_errored=True)
        else:
            draws = record["draws"]
            space = {"draw": tune.grid_search(list(range(schedule.population))),
                     **{name: tune.sample_from(lambda spec, name=name: draws[spec.config.draw][name])
                        for name in schedule.hyperparameters}}
            tuner = tune.Tuner(
                trainable, param_space=space,
                tune_config=tune.TuneConfig(scheduler=_scheduler(schedule, config.seed) if exploit else None,
                                            trial_name_creator=_member_name, trial_dirname_creator=_member_name,
                                            reuse_actors=True),
                run_config=tune.RunConfig(name=EXPERIMENT, storage_path=str(root / RAY_STORAGE),
                                          stop={"step": schedule.steps}, verbose=verbose,
                                          checkpoint_config=tune.CheckpointConfig(num_to_keep=4)))
        results = tuner.fit()
    finally:
        if started:
            ray.shutdown()
    failed = [r for r in results if r.error]
    if failed:
        raise PBTError(f"{len(failed)} member(s) failed, the first with: {' '.join(str(failed[0].error).split())[:400]}"
                       f" (its log is under {root / RAY_STORAGE / EXPERIMENT}); rerun the same command to resume")
    finished = sum(r.metrics.get("step") == schedule.steps for r in results)
    if finished < schedule.population:  # stopped (Ctrl-C, SIGTERM): Ray saved where everyone stands
        raise PBTError(f"stopped before the end ({finished} of {schedule.population} members at step "
                       f"{schedule.steps}); rerun the same command to resume")
    return write_report(root)
