"""Buildings' power demand on the utility grid, before any outage or curtailment.

Demand is exact per grid step: a shift that covers a third of a 15-minute step adds a third of
`shift_kw` to that step's average, and a load shape adds `level_kw` times the shape's exact mean
over the step (:mod:`twin.model.shapes`). It depends on the calendar alone, so the power network
can plan its switching before the replication runs.
"""

from __future__ import annotations

import numpy as np

from twin.model.intervals import Clock
from twin.model.schema import LoadShape, Park
from twin.model.shapes import shape_average


def shift_shares(
    park: Park, clock: Clock, span: tuple[float, float], edges: np.ndarray
) -> np.ndarray:
    """Share of each grid step (rows) that each building (columns) is in shift."""
    step = np.diff(edges)
    shares = np.zeros((len(step), len(park.buildings)))
    for j, building in enumerate(park.buildings):
        shares[:, j] = clock.daily(building.shifts, span).coverage(edges) / step
    return shares


def power_demand_kw(
    park: Park, clock: Clock, edges: np.ndarray, shift_share: np.ndarray
) -> np.ndarray:
    """Mean power each building asks for over each grid step (kW; zero without `power`)."""
    power_kw = np.zeros_like(shift_share)
    for j, building in enumerate(park.buildings):
        if building.power is None:
            continue
        power_kw[:, j] = building.power.base_kw + building.power.shift_kw * shift_share[:, j]
        if building.power.shape is not None:
            power_kw[:, j] += (building.power.level_kw or 0.0) * shaped_average(
                park, clock, edges, building.power.shape
            )
    return power_kw


def shaped_average(park: Park, clock: Clock, edges: np.ndarray, shape: LoadShape) -> np.ndarray:
    """A load shape's mean over each grid step (exact; holidays take Sunday's day)."""
    info = park.park
    return shape_average(shape, clock, edges[:-1], edges[1:], info.start, info.holidays)
