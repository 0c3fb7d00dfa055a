"""A trained stack as it ships: each model's config and Polyak parameters, compact, nothing else.

`ada export --stack S --out DIR` writes DIR/level1/, DIR/level2/, ..., DIR/prior/ (each an exported member,
`ada.training.member`) and DIR/stack.json naming them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ada.data.atomic import write_json
from ada.training.config import ConfigError
from ada.training.member import MEMBER, data_line, is_exported, read_member, save_member


def export_stack(stack, out: Path, dtype: str = "bfloat16", overwrite: bool = False) -> Path:
    """Every member of a loaded stack into out/levelN and out/prior, and out/stack.json naming them."""
    out = Path(out)
    if (out / "stack.json").exists() and not overwrite:
        raise ConfigError(f"{out}: already holds an exported stack; pass --overwrite to replace it")
    names = [f"level{i}" for i in range(1, len(stack.levels) + 1)] + (["prior"] if stack.prior else [])
    for name, member in zip(names, [*stack.levels, *([stack.prior] if stack.prior else [])], strict=True):
        record = read_member(out / name)
        if _is_itself(member, out / name, record, dtype):  # an export onto itself (a new card or temperature)
            data = data_line(member.config, record)       # leaves its parameters as they are, and records what
            if record.get("data") != data:                 # it was trained on
                write_json(out / name / MEMBER, {**record, "data": data})
            continue
        staging = out / f".{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        save_member(member, staging, dtype)
        shutil.rmtree(out / name, ignore_errors=True)
        staging.rename(out / name)
    write_json(out / "stack.json", {"levels": names[: len(stack.levels)], "prior": "prior" if stack.prior else None,
                                    "temperature": stack.temperatures.to_json()})
    return out / "stack.json"


def _is_itself(member, folder: Path, record: dict, dtype: str) -> bool:
    """Whether `member` was loaded from `folder` (whose member.json is `record`), stored as `dtype`: writing it
    again would change nothing."""
    return (is_exported(member.workdir) and Path(member.workdir).resolve() == folder.resolve()
            and record.get("dtype") == dtype)
