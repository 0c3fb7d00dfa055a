"""Read-only memory maps of .npy files, opened once per process, safely from reader threads.

Grain reads records on a pool of threads. Unguarded, two threads meeting a new shard would each map
it, and parsing .npy headers (``ast.literal_eval``) in several threads at once can fail outright on
CPython 3.11 ("AST constructor recursion depth mismatch"), so opening is serialised by a lock; reads
of an open map take no lock. A pickled copy (for grain's worker processes) carries no maps: each
process opens its own.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np


class MemoryMaps:
    """name -> read-only memory map of ``root / name``, opened on first use."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._maps: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str) -> np.ndarray:
        mapped = self._maps.get(name)
        if mapped is not None:
            return mapped
        with self._lock:
            if name not in self._maps:
                self._maps[name] = np.load(self.root / name, mmap_mode="r")
            return self._maps[name]

    def __getstate__(self):
        return {"root": self.root}

    def __setstate__(self, state):
        self.__init__(state["root"])
