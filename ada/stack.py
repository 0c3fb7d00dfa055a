"""A stack: ADA levels from the audio up, and a prior over the top codes; checked before any work.

A stack file is JSON naming training workdirs, bottom level first:

    {"levels": ["workdirs/tiny_level1", "workdirs/tiny_level2"], "prior": "workdirs/tiny_prior"}

Vocabularies must chain (audio 256 -> level 1's K -> level 2's input ...) and the prior must model
the top level's codes; each workdir must hold a config and a checkpoint.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from ada.config import ConfigError
from ada.mulaw import LEVELS


@dataclass
class Member:
    workdir: Path
    config: object
    spec: object
    model: object
    variables: dict
    step: int


@dataclass
class Stack:
    path: Path
    levels: list[Member]
    prior: Member | None
    _samplers: dict = field(default_factory=dict, repr=False)

    def sampler(self, member: Member, chunk: int):
        """One compiled sampler per model and chunk size, however many pieces are drawn."""
        from ada.sample import Sampler

        key = (id(member), chunk)
        if key not in self._samplers:
            self._samplers[key] = Sampler(member.model, member.variables, member.spec, chunk)
        return self._samplers[key]

    @property
    def hop(self) -> int:
        """Audio samples per top code."""
        return math.prod(m.spec.hop for m in self.levels)


def _member(workdir: Path, role: str, where: str) -> Member:
    from ada.train import load_state

    try:
        config, spec, model, state = load_state(workdir)
    except ConfigError as e:
        raise ConfigError(f"{where}: {role}: {e}") from e
    return Member(workdir, config, spec, model, state.eval_variables, int(state.step))


def level_stack(workdir) -> Stack:
    """A one-level stack (no prior), for reconstructing through a single trained level."""
    member = _member(Path(workdir).resolve(), "level 1", str(workdir))
    if member.spec.kind != "ada":
        raise ConfigError(f"{workdir} is a {member.spec.kind}, not an ADA level")
    return Stack(Path(workdir) / "config.json", [member], None)


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
    base = path.parent
    names = raw["levels"][:levels] if levels else raw["levels"]
    if levels and levels > len(raw["levels"]):
        raise ConfigError(f"{path}: asked for {levels} levels but the stack has {len(raw['levels'])}")
    members = []
    for i, name in enumerate(names, 1):
        m = _member((base / name).resolve() if not Path(name).is_absolute() else Path(name), f"level {i}", str(path))
        if m.spec.kind != "ada":
            raise ConfigError(f"{path}: level {i} ({name}) is a {m.spec.kind}, not an ADA level")
        below = LEVELS if i == 1 else members[-1].spec.code_vocab
        what = "μ-law audio (256)" if i == 1 else f"level {i - 1}'s codes ({below})"
        if m.spec.vocab != below:
            raise ConfigError(f"{path}: level {i} ({name}) reads vocabulary {m.spec.vocab} but sits on {what}")
        members.append(m)
    prior = None
    if need_prior:
        if not raw.get("prior"):
            raise ConfigError(f"{path}: no prior named; sampling starts from a prior over the top codes")
        name = raw["prior"]
        prior = _member((base / name).resolve() if not Path(name).is_absolute() else Path(name), "prior", str(path))
        top = members[-1].spec.code_vocab
        if prior.spec.kind != "prior":
            raise ConfigError(f"{path}: prior ({name}) is an ADA level, not a prior")
        if prior.spec.vocab != top:
            raise ConfigError(f"{path}: prior ({name}) models vocabulary {prior.spec.vocab} but the top level "
                              f"emits {top} codes")
    return Stack(path, members, prior)
