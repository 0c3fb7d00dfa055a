"""Long sequences through non-causal networks in fixed-size windows, exactly.

A window holds `size` steps to keep plus `context` steps either side; steps outside the sequence
are masked, so every layer sees zeros there as it would at the sequence's ends. With a context
at least the network's receptive field, the kept outputs equal those of one pass over the whole
sequence, whatever the window size: encoding and modulation run in constant memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    item: int  # which sequence
    start: int  # first kept step
    stop: int  # one past the last kept step


def plan(lengths: list[int], size: int) -> list[Window]:
    """Cut each sequence into windows of at most `size` kept steps."""
    return [Window(i, s, min(s + size, n)) for i, n in enumerate(lengths) for s in range(0, n, size)]


def gather(sequences, windows: list[Window], size: int, context: int, dtype=np.int32):
    """Stack windows into x [B, size + 2·context] and mask [B, size + 2·context] (1 = real step)."""
    width = size + 2 * context
    x = np.zeros((len(windows), width), dtype)
    mask = np.zeros((len(windows), width), np.float32)
    for row, w in enumerate(windows):
        seq = sequences[w.item]
        lo, hi = max(0, w.start - context), min(len(seq), w.stop + context)
        at = lo - (w.start - context)
        x[row, at : at + hi - lo] = seq[lo:hi]
        mask[row, at : at + hi - lo] = 1
    return x, mask


def kept(outputs, windows: list[Window], context: int, scale: int = 1):
    """Yield (window, its kept outputs); `scale` divides step counts (outputs at 1/hop rate)."""
    for row, w in enumerate(windows):
        a = context // scale
        yield w, outputs[row, a : a + (w.stop - w.start) // scale]
