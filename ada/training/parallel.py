"""Devices and processes: the one data-parallel mesh, and joining a multi-process job."""

from __future__ import annotations

import os

import jax
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P


def data_mesh() -> jax.sharding.Mesh:
    """Every device of every host on one "data" axis; XLA propagates shardings (Auto axes)."""
    return jax.make_mesh((jax.device_count(),), ("data",), axis_types=(jax.sharding.AxisType.Auto,))


def shardings() -> tuple[NamedSharding, NamedSharding]:
    """(replicated, split along the batch): parameters are replicated, batches split over "data"."""
    mesh = data_mesh()
    return NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))


def maybe_initialize_distributed(coordinator: str | None = None, num_processes: int | None = None,
                                 process_id: int | None = None) -> None:
    """Join a multi-process job: explicit coordinator flags, or what SLURM / a TPU pod provides."""
    if coordinator:
        # collectives between CPU processes go over gloo; the setting leaves GPU and TPU backends alone
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator, num_processes, process_id)
    elif int(os.environ.get("SLURM_NTASKS", "1")) > 1 or os.environ.get("TPU_WORKER_HOSTNAMES") \
            or os.environ.get("JAX_COORDINATOR_ADDRESS"):
        jax.distributed.initialize()
