"""Power: buildings' demand through feeders and substations with capacities and outages.

Per grid step, a building asks for its demand while it has power. A feeder serves what its
buildings ask up to its capacity, a substation what its feeders pass on up to its own; the cut
is shared in proportion to what each asked. Whatever is not served (capacity or outage) is
unserved, so demand = served + unserved holds exactly, step by step. Loads that plugin asset
families put on a feeder (``ctx.add_feeder_load``) are served and cut the same way.
"""

from __future__ import annotations

import numpy as np

from twin.model.schema import Park
from twin.sim.context import SimContext
from twin.sim.measure import horizon_steps
from twin.sim.trace import Trace


def power_series(ctx: SimContext, buildings: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Grid series of served and unserved power per building, feeder and substation (kW)."""
    park = ctx.park
    feeders = park.power.feeders if park.power else []
    substations = park.power.substations if park.power else []
    demand = buildings["building_power_demand_kw"]
    asked = demand * buildings["building_powered_share"]
    n = demand.shape[0]
    feeder_of = {f.id: i for i, f in enumerate(feeders)}
    sub_of = {s.id: i for i, s in enumerate(substations)}
    feeder_asked = np.zeros((n, len(feeders)))
    for j, building in enumerate(park.buildings):
        if building.power is not None:
            feeder_asked[:, feeder_of[building.power.feeder]] += asked[:, j]
    feeder_up = np.column_stack(
        [1.0 - ctx.out(f.id).union(ctx.out(f.substation)).coverage(ctx.edges) / np.diff(ctx.edges)
         for f in feeders]
    ) if feeders else np.zeros((n, 0))  # fmt: skip
    extra_demand = np.zeros((n, len(feeders)))
    for feeder_id, kw in ctx.feeder_loads.items():
        extra_demand[:, feeder_of[feeder_id]] += kw
    extra_asked = extra_demand * feeder_up
    feeder_asked += extra_asked
    feeder_cap = np.array([f.capacity_mw * 1000.0 for f in feeders])
    feeder_served = np.minimum(feeder_asked, feeder_cap)
    sub_asked = np.zeros((n, len(substations)))
    for i, feeder in enumerate(feeders):
        sub_asked[:, sub_of[feeder.substation]] += feeder_served[:, i]
    sub_cap = np.array([s.capacity_mw * 1000.0 for s in substations])
    sub_served = np.minimum(sub_asked, sub_cap)
    feeder_share = _ratio(feeder_served, feeder_asked)
    sub_share = _ratio(sub_served, sub_asked)
    served = np.zeros_like(demand)
    for j, building in enumerate(park.buildings):
        if building.power is not None:
            f = feeder_of[building.power.feeder]
            s = sub_of[feeders[f].substation]
            served[:, j] = asked[:, j] * feeder_share[:, f] * sub_share[:, s]
    feeder_sub_share = sub_share[:, [sub_of[f.substation] for f in feeders]]
    feeder_load = feeder_served * feeder_sub_share
    extra_served = extra_asked * feeder_share * feeder_sub_share
    return {
        "feeder_extra_demand_kw": extra_demand,
        "feeder_extra_served_kw": extra_served,
        "building_power_served_kw": served,
        "building_power_unserved_kw": demand - served,
        "feeder_load_kw": feeder_load,
        "feeder_asked_kw": feeder_asked,
        "substation_asked_kw": sub_asked,
        "substation_load_kw": sub_served,
    }


def _ratio(served: np.ndarray, asked: np.ndarray) -> np.ndarray:
    out = np.ones_like(served)
    np.divide(served, asked, out=out, where=asked > 0)
    return out


def power_kpis(trace: Trace) -> dict[str, float]:
    """Energy served, peak demand, unserved energy and substation peak loads."""
    s = trace.series
    mask, hours = horizon_steps(trace)
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


def power_kpi_names(park: Park) -> list[str]:
    """The names :func:`power_kpis` reports for a park, in its order."""
    names = ["power.energy_mwh", "power.peak_mw", "power.unserved_mwh"]
    substations = park.power.substations if park.power else []
    return names + [f"power.{sub.id}.peak_load_pct" for sub in substations]
