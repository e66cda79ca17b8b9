"""Named random streams: one generator per asset and purpose, independent of draw order.

``Streams(seed, replication).get("arrivals", "in-f1")`` always returns a generator seeded from
the same `SeedSequence` entropy for the same names, whatever else the park contains or in what
order processes draw. That gives common random numbers: replication i of every scenario sees the
same numbers for the assets the scenarios share.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import numpy.random  # here, not lazily in the first replication of every worker


@dataclass(frozen=True)
class Streams:
    """Random streams of one replication of one experiment."""

    seed: int
    replication: int

    def get(self, *names: str) -> np.random.Generator:
        """The generator for a purpose and asset, e.g. ``get("dock_service", "in-f1")``."""
        key = tuple(zlib.crc32(name.encode("utf-8")) for name in names)
        sequence = np.random.SeedSequence(self.seed, spawn_key=(self.replication, *key))
        return np.random.Generator(np.random.PCG64(sequence))
