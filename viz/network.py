"""Where the power network is drawn, and how each line looks at a grid step; pure numpy.

Shared by the 3D view (:mod:`viz.scene`, :mod:`viz.frames`) and the page's plan
(:mod:`web.grid`), so both draw the same lines at the same places in the same colours.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.model.geometry import centroid

LIVE_LOADING_PCT = 1e-3
"""A line carrying less than this share of its rating (percent) is drawn as carrying nothing:
open (a normally open point, or a line opened by a fault) or de-energised."""


def bus_positions(park: Any) -> dict[str, list[float]]:
    """Where each bus is drawn: its own position, else its substation's, else the centroid of
    the first building on it. Buses with none of these are left out."""
    power = park.power
    if power is None or power.network is None:
        return {}
    subs = {s.id: [float(v) for v in s.position] for s in power.substations}
    where: dict[str, list[float]] = {}
    for building in park.buildings:
        if building.power is not None and building.power.bus is not None:
            c = centroid(np.asarray(building.footprint, dtype=float))
            where.setdefault(building.power.bus, [float(c[0]), float(c[1])])
    for bus in power.network.buses:
        if bus.position is not None:
            where[bus.id] = [float(v) for v in bus.position]
        elif bus.substation in subs:
            where[bus.id] = subs[bus.substation]
    return where


def line_ends(park: Any) -> list[tuple[str, list[float] | None, list[float] | None]]:
    """``(line id, from position, to position)`` of each network line, in file order."""
    power = park.power
    if power is None or power.network is None:
        return []
    where = bus_positions(park)
    return [(ln.id, where.get(ln.from_bus), where.get(ln.to_bus)) for ln in power.network.lines]
