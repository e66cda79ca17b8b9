"""Water supply and the wastewater plant, on the utility time grid.

Supply serves the buildings' demand up to its capacity (zero while out); the rest is shortfall.
Each building returns `wastewater_ratio` of the water it got. The plant treats up to its
capacity (zero while out); what it cannot treat goes into the buffer, and what the full buffer
cannot hold overflows. Per step: inflow = treated + buffer change + overflow, exactly.
"""

from __future__ import annotations

import numpy as np

from twin.sim.context import WASTEWATER_PLANT, WATER_SUPPLY, SimContext
from twin.sim.measure import horizon_steps
from twin.sim.trace import Trace


def water_series(ctx: SimContext, buildings: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Grid series of water demand, supply, shortfall and the wastewater balance."""
    park = ctx.park
    edges = ctx.edges
    hours = np.diff(edges) / 60.0
    demand = buildings["building_water_demand_m3h"]
    total_demand = demand.sum(axis=1)
    supply_cap = np.zeros_like(total_demand)
    plant_cap = np.zeros_like(total_demand)
    buffer_m3 = 0.0
    if park.water is not None and park.water.supply is not None:
        up_share = 1.0 - ctx.out(WATER_SUPPLY).coverage(edges) / np.diff(edges)
        supply_cap = park.water.supply.capacity_m3h * up_share
    if park.water is not None and park.water.wastewater is not None:
        up_share = 1.0 - ctx.out(WASTEWATER_PLANT).coverage(edges) / np.diff(edges)
        plant_cap = park.water.wastewater.capacity_m3h * up_share
        buffer_m3 = park.water.wastewater.buffer_m3
    served_total = np.minimum(total_demand, supply_cap)
    share = np.ones_like(total_demand)
    np.divide(served_total, total_demand, out=share, where=total_demand > 0)
    ratios = np.array([b.water.wastewater_ratio if b.water else 0.0 for b in park.buildings])
    inflow_m3h = (demand * share[:, None]) @ ratios if len(ratios) else np.zeros_like(share)
    treated, level, overflow = _plant(inflow_m3h * hours, plant_cap * hours, buffer_m3)
    return {
        "water_demand_m3h": total_demand,
        "water_served_m3h": served_total,
        "water_shortfall_m3": (total_demand - served_total) * hours,
        "wastewater_inflow_m3": inflow_m3h * hours,
        "wastewater_treated_m3": treated,
        "wastewater_buffer_m3": level,
        "wastewater_overflow_m3": overflow,
    }


def _plant(
    inflow: np.ndarray, capacity: np.ndarray, buffer_m3: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Treated volume, buffer level at each step's end and overflow, step by step."""
    n = len(inflow)
    treated, level, overflow = np.zeros(n), np.zeros(n), np.zeros(n)
    stored = 0.0
    for k, (come, cap) in enumerate(zip(inflow.tolist(), capacity.tolist(), strict=True)):
        available = stored + come
        done = min(available, cap)
        stored = available - done
        spill = max(0.0, stored - buffer_m3)
        stored -= spill
        treated[k], level[k], overflow[k] = done, stored, spill
    return treated, level, overflow


def water_kpis(trace: Trace) -> dict[str, float]:
    """Water drawn and missing, and wastewater overflow."""
    s = trace.series
    mask, hours = horizon_steps(trace)
    return {
        "water.demand_m3": float(s["water_demand_m3h"][mask] @ hours[mask]),
        "water.shortfall_m3": float(s["water_shortfall_m3"][mask].sum()),
        "wastewater.overflow_m3": float(s["wastewater_overflow_m3"][mask].sum()),
    }


WATER_KPIS = ("water.demand_m3", "water.shortfall_m3", "wastewater.overflow_m3")
"""The names :func:`water_kpis` reports, whatever the park."""
