"""The one evaluator: mean NLL of a model over a fixed sweep of a split's examples (crops, note windows).

The trainer's periodic eval and `ada eval` both use it, so their figures are the same numbers.
Batches are split over every device of every process; each process reads its own share.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ada.training.parallel import shardings


def make_eval_step(model):
    """(variables, padded batch) -> (summed NLL of the real rows, how many real rows)."""

    def eval_step(variables, batch):
        out = model.apply(variables, batch["tokens"], batch["mask"])
        return out["nll"] * batch["mask"].sum(), batch["mask"].sum()

    return eval_step


def make_codes_step(model):
    """(variables, padded batch) -> (a level's codes, summed NLL of the real rows under another real row's codes,
    how many): one jitted function, so the encoder pass the two share can be computed once."""

    def codes_step(variables, batch):
        rows = batch["mask"] * jnp.roll(batch["mask"], 1)
        value = model.apply(variables, batch["tokens"], batch["mask"], method=type(model).nll_with_other_codes)
        return model.apply(variables, batch["tokens"], method=type(model).encode), value * rows.sum(), rows.sum()

    return codes_step


@dataclass
class Sweep:
    nll: float  # nats per timestep over the sweep's real crops
    codes: np.ndarray | None = None  # a level's codes of those crops, when asked for
    nll_other_codes: float | None = None  # a level's NLL when each crop hears another crop's codes, with `codes`


class Evaluator:
    """Compiled once per model, whatever splits it sweeps; call it with variables (Polyak parameters)."""

    def __init__(self, model, data, *, batch_size: int, examples: int | None):
        """`data`: the model's training data (`spec.training_data(config)`), which cuts the sweep."""
        self.data, self.examples = data, examples
        self.batch_size = batch_size // jax.process_count()
        replicated, self.sharded = shardings()
        self._step = jax.jit(make_eval_step(model), in_shardings=(replicated, self.sharded),
                             out_shardings=replicated)
        # traced only when codes are asked for, so only of a level
        self._codes = jax.jit(make_codes_step(model), in_shardings=(replicated, self.sharded))

    def __call__(self, variables, split: str = "eval", codes: bool = False) -> Sweep:
        """Mean NLL over the split's sweep; with `codes`, a level's codes of those crops and its NLL under
        another crop's codes too."""
        total = count = other = others = 0.0
        found = []
        for local in self.data.eval_batches(batch_size=self.batch_size, max_examples=self.examples, split=split):
            batch = {k: jax.make_array_from_process_local_data(self.sharded, v) for k, v in local.items()}
            s, n = self._step(variables, batch)
            total, count = total + float(s), count + float(n)
            if codes:
                found_codes, s, n = self._codes(variables, batch)
                found.append(np.asarray(found_codes)[local["mask"] > 0])
                other, others = other + float(s), others + float(n)
        return Sweep(total / max(count, 1), np.concatenate(found) if found else None,
                     other / others if others else None)
