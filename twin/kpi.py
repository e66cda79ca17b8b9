"""KPIs of one replication, computed from its :class:`~twin.trace.Trace` with numpy.

Every KPI covers the horizon ``[0, H)`` only; the warm-up is cut off:

- counts (`trucks.arrived`, `trucks.completed`) count events inside the horizon;
- waits are averaged over trucks that arrived inside the horizon and whose wait ended before
  the run did (trucks still queued at the end have no known wait);
- turnaround is averaged over trucks that arrived inside the horizon and left before its end;
- time averages (`queue_mean`, `utilization`) integrate exactly over the horizon;
- energy, water and production sum the grid steps inside the horizon.
"""

from __future__ import annotations

import math

import numpy as np

from twin.trace import Trace, occupancy_integral

UNITS = {
    "wait_mean_min": "min",
    "turnaround_mean_min": "min",
    "utilization": "share",
    "queue_mean": "trucks",
    "arrived": "trucks",
    "completed": "trucks",
    "in_park_end": "trucks",
    "energy_mwh": "MWh",
    "peak_mw": "MW",
    "unserved_mwh": "MWh",
    "peak_load_pct": "%",
    "demand_m3": "m3",
    "shortfall_m3": "m3",
    "overflow_m3": "m3",
    "units": "units",
}


def unit_of(kpi: str) -> str:
    """The unit of a KPI, from the last part of its name (plugins declare their own)."""
    from twin.assets import families

    metric = kpi.rsplit(".", 1)[-1]
    if metric in UNITS:
        return UNITS[metric]
    return next((f.units[metric] for f in families() if metric in f.units), "")


def compute_kpis(trace: Trace) -> dict[str, float]:
    """Every KPI of SPEC.md, and those of plugin families, for one replication."""
    from twin.assets import families

    kpis: dict[str, float] = {}
    for family in families():
        if family.kpis is not None:
            kpis.update(family.kpis(trace))
    return kpis


def production_kpis(trace: Trace) -> dict[str, float]:
    """Units produced by each building with production (computed exactly by the engine)."""
    units = trace.meta.get("production_units", {})
    return {f"production.{building}.units": float(n) for building, n in units.items()}


def _mean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else math.nan


def truck_kpis(trace: Trace) -> dict[str, float]:
    """Counts, waits, turnaround, dock utilisation and queue of the trucks."""
    t = trace.trucks
    horizon = trace.horizon_min
    inside = (t["arrive"] >= 0) & (t["arrive"] < horizon)
    gate_wait = t["gate_start"] - t["arrive"]
    dock_wait = t["dock_start"] - t["dock_arrive"]
    exited = ~np.isnan(t["exit"])
    out: dict[str, float] = {
        "trucks.arrived": float(inside.sum()),
        "trucks.completed": float(((t["exit"] >= 0) & (t["exit"] < horizon)).sum()),
        "trucks.in_park_end": float((~exited).sum()),
        "trucks.wait_mean_min": _mean((gate_wait + dock_wait)[inside]),
        "trucks.turnaround_mean_min": _mean((t["exit"] - t["arrive"])[inside & exited]),
    }
    for g, gate in enumerate(trace.names["gates"]):
        mine = inside & (t["gate"] == g)
        out[f"gates.{gate}.wait_mean_min"] = _mean(gate_wait[mine])
    window = np.array([0.0, horizon])
    park = trace.park
    docks = {group.id: group.docks for group in park.logistics.dock_groups}
    for d, group in enumerate(trace.names["dock_groups"]):
        mine = t["dock_group"] == d
        out[f"docks.{group}.wait_mean_min"] = _mean(dock_wait[inside & mine])
        busy = occupancy_integral(t["dock_start"][mine], t["dock_end"][mine], window)[0]
        out[f"docks.{group}.utilization"] = max(0.0, busy) / (docks[group] * horizon)
        waiting = occupancy_integral(t["dock_arrive"][mine], t["dock_start"][mine], window)[0]
        out[f"docks.{group}.queue_mean"] = max(0.0, waiting) / horizon  # no -1e-16 rounding
    return out


def _horizon_steps(trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    """Mask of grid steps inside the horizon, and each step's length in hours."""
    starts = trace.edges[:-1]
    return starts >= 0, np.diff(trace.edges) / 60.0


def power_kpis(trace: Trace) -> dict[str, float]:
    """Energy served, peak demand, unserved energy and substation peak loads."""
    s = trace.series
    mask, hours = _horizon_steps(trace)
    extra_demand = s["feeder_extra_demand_kw"][mask].sum(axis=1)
    extra_served = s["feeder_extra_served_kw"][mask].sum(axis=1)
    served = s["building_power_served_kw"][mask].sum(axis=1) + extra_served
    demand = s["building_power_demand_kw"][mask].sum(axis=1) + extra_demand
    unserved = demand - served
    out = {
        "power.energy_mwh": float(served @ hours[mask]) / 1000.0,
        "power.peak_mw": float(demand.max(initial=0.0)) / 1000.0,
        "power.unserved_mwh": float(unserved @ hours[mask]) / 1000.0,
    }
    park = trace.park
    capacity = {sub.id: sub.capacity_mw for sub in (park.power.substations if park.power else [])}
    for j, sub in enumerate(trace.names["substations"]):
        peak_kw = float(s["substation_asked_kw"][mask, j].max(initial=0.0))
        out[f"power.{sub}.peak_load_pct"] = 100.0 * peak_kw / (capacity[sub] * 1000.0)
    return out


def water_kpis(trace: Trace) -> dict[str, float]:
    """Water drawn and missing, and wastewater overflow."""
    s = trace.series
    mask, hours = _horizon_steps(trace)
    return {
        "water.demand_m3": float(s["water_demand_m3h"][mask] @ hours[mask]),
        "water.shortfall_m3": float(s["water_shortfall_m3"][mask].sum()),
        "wastewater.overflow_m3": float(s["wastewater_overflow_m3"][mask].sum()),
    }
