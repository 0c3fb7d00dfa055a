"""Training metrics: scalars to metrics.jsonl (any tool reads it) and TensorBoard, from process 0 only."""

from __future__ import annotations

import json
from pathlib import Path

import jax
from tensorboardX import SummaryWriter

from ada.data.atomic import write_text

METRICS_FILE = "metrics.jsonl"


class MetricsLog:
    def __init__(self, workdir: Path, resumed_at: int):
        self.active = jax.process_index() == 0
        if not self.active:
            return
        path = workdir / METRICS_FILE
        if path.exists():  # drop lines from beyond the checkpoint we resume from
            lines = [line for line in path.read_text().splitlines() if line and json.loads(line)["step"] <= resumed_at]
            write_text(path, "".join(line + "\n" for line in lines))
        self.file = open(path, "a")  # noqa: SIM115 - held open for the whole run, closed by close()
        self.tb = SummaryWriter(str(workdir / "tensorboard"))

    def write(self, step: int, scalars: dict):
        if not self.active:
            return
        self.file.write(json.dumps({"step": step, **{k: float(v) for k, v in scalars.items()}}) + "\n")
        self.file.flush()
        for k, v in scalars.items():
            self.tb.add_scalar(k, float(v), step)

    def close(self):
        if self.active:
            self.file.close()
            self.tb.close()
