"""Buildings: shifts, power and water demand, production, on the utility time grid.

Demand is exact per grid step: a shift that covers a third of a 15-minute step adds a third of
`shift_kw` to that step's average, and a load shape adds `level_kw` times the shape's exact mean
over the step (:mod:`twin.model.shapes`). Production counts shift time during which the building has
power, so an outage cuts it by exactly the outage's share of shift time.
"""

from __future__ import annotations

import numpy as np

from twin.model.intervals import Intervals
from twin.model.schema import Park
from twin.sim.context import SimContext
from twin.sim.demand import shaped_average
from twin.sim.trace import Trace


def shift_intervals(ctx: SimContext) -> dict[str, Intervals]:
    """When each building's shifts run, over the span."""
    return {b.id: ctx.clock.daily(b.shifts, ctx.span) for b in ctx.park.buildings}


def building_series(ctx: SimContext) -> dict[str, np.ndarray]:
    """Per-building grid series: shift share, power share, demand, water, production."""
    edges = ctx.edges
    step = np.diff(edges)
    buildings = ctx.park.buildings
    n, m = len(step), len(buildings)
    shift_share = ctx.shift_share
    powered = np.ones((n, m))
    working = np.zeros((n, m))  # share of the step in shift with power
    power_kw = ctx.demand_kw
    water_m3h = np.zeros((n, m))
    units = np.zeros((n, m))
    shifts = shift_intervals(ctx)
    for j, building in enumerate(buildings):
        off = ctx.building_off[building.id]
        on_shift = shifts[building.id]
        powered[:, j] = 1.0 - off.coverage(edges) / step
        working[:, j] = on_shift.intersect(off.complement(*ctx.span)).coverage(edges) / step
        if building.water is not None:
            water_m3h[:, j] = building.water.base_m3h + building.water.shift_m3h * working[:, j]
            if building.water.shape is not None:
                water_m3h[:, j] += (building.water.level_m3h or 0.0) * shaped_average(
                    ctx.park, ctx.clock, edges, building.water.shape
                )
        if building.production is not None:
            units[:, j] = building.production.units_per_hour * working[:, j] * step / 60.0
    return {
        "building_shift_share": shift_share,
        "building_powered_share": powered,
        "building_power_demand_kw": power_kw,
        "building_water_demand_m3h": water_m3h,
        "building_production_units": units,
    }


def production_units(ctx: SimContext, start: float, end: float) -> dict[str, float]:
    """Units each producing building makes in ``[start, end)``, computed exactly."""
    shifts = shift_intervals(ctx)
    result = {}
    for building in ctx.park.buildings:
        if building.production is None:
            continue
        on = ctx.building_off[building.id].complement(*ctx.span)
        minutes = shifts[building.id].intersect(on).measure(start, end)
        result[building.id] = building.production.units_per_hour * minutes / 60.0
    return result


def production_kpis(trace: Trace) -> dict[str, float]:
    """Units produced by each building with production (computed exactly by the engine)."""
    units = trace.meta.get("production_units", {})
    return {f"production.{building}.units": float(n) for building, n in units.items()}


def production_kpi_names(park: Park) -> list[str]:
    """The names :func:`production_kpis` reports for a park: its producing buildings."""
    return [f"production.{b.id}.units" for b in park.buildings if b.production is not None]
