"""A stack: ADA levels from the audio up, and a prior over the top codes; checked before any work.

A stack file is JSON naming training workdirs, bottom level first:

    {"levels": ["workdirs/tiny_level1", "workdirs/tiny_level2"], "prior": "workdirs/tiny_prior"}

It may add the sampling temperature each model is sampled at, a number for all of them or one per
model, as chosen for a trained stack by listening measures (`ada sample --temperature` overrides it):

    "temperature": {"levels": [0.3, 0.8], "prior": 1.0}

Vocabularies must chain (audio 256 -> level 1's K -> level 2's input ...) and the prior must model
the top level's codes; each workdir must hold a config and a checkpoint.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from ada import SAMPLE_RATE
from ada.audio.mulaw import LEVELS
from ada.data.dataset import read_index
from ada.generation.sampler import Sampler
from ada.training import checkpoint
from ada.training.checkpoint import Trained
from ada.training.config import ConfigError


@dataclass(frozen=True)
class Temperatures:
    """The softmax temperature each model of a stack is sampled at: its levels (bottom first) and prior."""

    levels: tuple[float, ...]
    prior: float = 1.0

    def describe(self, prior: bool = True) -> str | float:
        """One number when all are equal, else each model's (the levels' alone for a reconstruction)."""
        values = [*self.levels, *([self.prior] if prior else [])]
        if len(set(values)) == 1:
            return values[0]
        return ", ".join([f"level {i} {t:g}" for i, t in enumerate(self.levels, 1)]
                         + ([f"prior {self.prior:g}"] if prior else []))

    def to_json(self) -> float | dict:
        """As a stack file holds it."""
        if len({*self.levels, self.prior}) == 1:
            return self.prior
        return {"levels": list(self.levels), "prior": self.prior}


@dataclass
class Stack:
    path: Path
    levels: list[Trained]
    prior: Trained | None
    temperatures: Temperatures = None  # the stack file's (1.0 for every model where it names none)
    named: tuple[int, bool] = None  # levels and whether a prior the stack file names (this stack may keep fewer)
    _samplers: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.named = self.named or (len(self.levels), self.prior is not None)
        if self.temperatures is None:
            self.temperatures = Temperatures((1.0,) * len(self.levels))

    def temperature(self, override: float | list[float] | None = None) -> Temperatures:
        """The temperatures to sample at: the stack file's, or `override` (`--temperature`): one number for
        every model, or one per model the stack file names, levels bottom first, then the prior."""
        if override is None:
            return self.temperatures
        values = [override] if isinstance(override, (int, float)) else list(override)
        levels, prior = self.named
        if len(values) not in (1, levels + prior) or any(not _is_temperature(v) for v in values):
            raise ConfigError(f"--temperature {','.join(f'{v:g}' for v in values)}: give one temperature ≥ 0 for "
                              f"every model, or {levels + prior} (the stack's levels bottom first"
                              f"{', then the prior' if prior else ''})")
        if len(values) == 1:
            return Temperatures((float(values[0]),) * len(self.levels), float(values[0]))
        return Temperatures(tuple(float(v) for v in values[: len(self.levels)]), float(values[-1]) if prior else 1.0)

    def sampler(self, member: Trained, chunk: int) -> Sampler:
        """One compiled sampler per model and chunk size, however many pieces are drawn."""
        key = (id(member), chunk)
        if key not in self._samplers:
            self._samplers[key] = Sampler(member.model, member.variables, member.spec, chunk)
        return self._samplers[key]

    @property
    def preemphasis(self) -> float:
        """The α its bottom level's audio was pre-emphasised with (ada/audio/emphasis.py): its output is
        de-emphasised with it, and audio it encodes is pre-emphasised."""
        return float(self.levels[0].config.data.get("preemphasis", 0.0))

    @property
    def hop(self) -> int:
        """Audio samples per top code."""
        return math.prod(m.spec.hop for m in self.levels)


def _is_temperature(v) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) and v >= 0


def _load(workdir: Path, role: str, where: str) -> Trained:
    try:
        return checkpoint.load(workdir)
    except ConfigError as e:
        raise ConfigError(f"{where}: {role}: {e}") from e


def _level(workdir: Path, role: str, where: str) -> Trained:
    member = _load(workdir, role, where)
    if not member.spec.is_level:
        raise ConfigError(f"{where}: {role} is {member.spec.title}, not an ADA level")
    return member


def level_stack(workdir) -> Stack:
    """A one-level stack (no prior), for reconstructing through a single trained level."""
    member = _level(Path(workdir).resolve(), "level 1", str(workdir))
    return Stack(member.workdir / checkpoint.CONFIG_FILE, [member], None)


def load_stack(path, need_prior: bool = True, levels: int | None = None) -> Stack:
    """Read and validate a stack file; `levels` keeps only the bottom N levels."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such stack file") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(raw, dict) or not isinstance(raw.get("levels"), list) or not raw["levels"]:
        raise ConfigError(f'{path}: expected {{"levels": [workdir, ...], "prior": workdir}}')
    named = [("levels", n) for n in raw["levels"]] + ([("prior", raw["prior"])] if raw.get("prior") is not None
                                                       else [])
    for role, name in named:
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f'{path}: "{role}" holds {json.dumps(name)}; each entry must be a workdir path '
                              '(a string), e.g. {"levels": ["workdirs/level1"], "prior": "workdirs/prior"}')
    if levels and levels > len(raw["levels"]):
        raise ConfigError(f"{path}: asked for {levels} levels but the stack has {len(raw['levels'])}")

    def resolve(name: str) -> Path:  # relative to the stack file
        return (path.parent / name).resolve()

    members = []
    for i, name in enumerate(raw["levels"][:levels] if levels else raw["levels"], 1):
        m = _level(resolve(name), f"level {i} ({name})", str(path))
        below = LEVELS if i == 1 else members[-1].spec.code_vocab
        what = "μ-law audio (256)" if i == 1 else f"level {i - 1}'s codes ({below})"
        if m.spec.vocab != below:
            raise ConfigError(f"{path}: level {i} ({name}) reads vocabulary {m.spec.vocab} but sits on {what}")
        _check_rate(path, m, f"level {i} ({name})", members)
        members.append(m)
    prior = None
    if need_prior:
        if not raw.get("prior"):
            raise ConfigError(f"{path}: no prior named; sampling starts from a prior over the top codes")
        name = raw["prior"]
        prior = _load(resolve(name), "prior", str(path))
        top = members[-1].spec.code_vocab
        if prior.spec.is_level or not prior.spec.autoregressive:
            raise ConfigError(f"{path}: prior ({name}) is {prior.spec.title}, not a prior")
        if prior.spec.vocab != top:
            raise ConfigError(f"{path}: prior ({name}) models vocabulary {prior.spec.vocab} but the top level "
                              f"emits {top} codes")
        _check_rate(path, prior, f"prior ({name})", members)
    return Stack(path, members, prior, _temperatures(path, raw, len(raw["levels"]), len(members)),
                 (len(raw["levels"]), bool(raw.get("prior"))))


def _temperatures(path: Path, raw: dict, named: int, kept: int) -> Temperatures:
    """The file's "temperature": absent (1.0), one number, or {"levels": [one per level], "prior": number}."""
    value = raw.get("temperature", 1.0)

    def number(v, where: str) -> float:
        if not _is_temperature(v):
            raise ConfigError(f'{path}: {where} is {json.dumps(v)}; a temperature is a number ≥ 0 (0: argmax)')
        return float(v)

    if not isinstance(value, dict):
        t = number(value, '"temperature"')
        return Temperatures((t,) * kept, t)
    if set(value) - {"levels", "prior"} or not isinstance(value.get("levels", []), list):
        raise ConfigError(f'{path}: "temperature" must be a number or {{"levels": [one per level], "prior": number}}, '
                          f"not {json.dumps(value)}")
    levels = value.get("levels", [1.0] * named)
    if len(levels) != named:
        raise ConfigError(f'{path}: "temperature" names {len(levels)} level temperature(s) for {named} level(s)')
    levels = [number(v, f'"temperature" of level {i}') for i, v in enumerate(levels, 1)]
    return Temperatures(tuple(levels[:kept]), number(value.get("prior", 1.0), '"temperature" of the prior'))


def _check_rate(path: Path, member: Trained, role: str, below: list[Trained]) -> None:
    """Hops chain: a model must have been trained on tokens at the rate of the levels below it (audio
    divided by their hops); checked from its training dataset's index where that can still be read."""
    index = read_index(member.config.data.path)
    if not index or "rate" not in index:
        return
    expected = SAMPLE_RATE / math.prod(m.spec.hop for m in below)
    if not math.isclose(float(index["rate"]), expected, rel_tol=1e-6):
        where = "μ-law audio" if not below else f"level {len(below)}'s codes"
        raise ConfigError(f"{path}: {role} was trained on {member.config.data.path} at {float(index['rate']):g} "
                          f"tokens/s, but it sits on {where} at {expected:g} tokens/s (hops "
                          f"{' × '.join(str(m.spec.hop) for m in below) or 'none'}); the hops do not chain")
