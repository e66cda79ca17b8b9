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
from twin.sim.network import Grid, build_grid
from twin.sim.trace import Trace


def power_series(ctx: SimContext, buildings: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Grid series of served and unserved power per building, feeder and substation (kW)."""
    if ctx.supply is not None:
        return network_power_series(ctx, buildings)
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
        if building.power is not None and building.power.feeder is not None:
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
        if building.power is not None and building.power.feeder is not None:
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


def network_power_series(
    ctx: SimContext, buildings: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The grid series of a park with a network: what the supply plan served, and its load flow.

    A building's supply is all or nothing over time (lost, left off or served), so what it is
    served is its demand times its powered share; feeders are labels that sum their buildings,
    and a substation's load is what its source gives (loads and losses).
    """
    park, plan, grid = ctx.park, ctx.supply, ctx.grid
    assert plan is not None and grid is not None
    power = park.power
    assert power is not None
    demand = buildings["building_power_demand_kw"]
    served = demand * buildings["building_powered_share"]
    n = demand.shape[0]
    feeder_of = {f.id: i for i, f in enumerate(power.feeders)}
    feeder_load = np.zeros((n, len(power.feeders)))
    for j, building in enumerate(park.buildings):
        if building.power is not None and building.power.feeder is not None:
            feeder_load[:, feeder_of[building.power.feeder]] += served[:, j]
    extra_demand = np.zeros((n, len(power.feeders)))
    for feeder_id, kw in ctx.feeder_loads.items():
        extra_demand[:, feeder_of[feeder_id]] += kw
    feeder_up = np.column_stack(
        [1.0 - ctx.out(f.id).coverage(ctx.edges) / np.diff(ctx.edges) for f in power.feeders]
    ) if power.feeders else np.zeros((n, 0))  # fmt: skip
    extra_served = extra_demand * feeder_up
    source_kw = dict(zip(grid.source_ids, plan.flow.source_p_w.T / 1e3, strict=True))
    sub_load = np.column_stack(
        [source_kw.get(s.id, np.zeros(n)) for s in power.substations]
    ) if power.substations else np.zeros((n, 0))  # fmt: skip
    return {
        "feeder_extra_demand_kw": extra_demand,
        "feeder_extra_served_kw": extra_served,
        "building_power_served_kw": served,
        "building_power_unserved_kw": demand - served,
        "feeder_load_kw": feeder_load + extra_served,
        "feeder_asked_kw": feeder_load + extra_served,
        "substation_asked_kw": sub_load,
        "substation_load_kw": sub_load,
        "bus_v_pu": plan.flow.bus_v_pu[:, : grid.n_park_buses].copy(),  # the plan is shared
        "line_loading_pct": 100.0 * plan.flow.line_loading,
        "transformer_loading_pct": 100.0 * plan.flow.trafo_loading,
        "network_losses_kw": plan.flow.losses_w / 1e3,
        "building_left_off": _left_off(park, grid, plan.shed),
        "network_unsolved": plan.unsolved.astype(float),
    }


def _left_off(park: Park, grid: Grid, shed: np.ndarray) -> np.ndarray:
    """(steps, buildings): 1 where curtailment left the building off for the step."""
    out = np.zeros((shed.shape[0], len(park.buildings)))
    out[:, grid.load_building] = shed
    return out


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
    if "bus_v_pu" in s:
        out.update(network_kpis(trace))
    return out


def network_kpis(trace: Trace) -> dict[str, float]:
    """Lowest bus voltages, highest loadings, losses and each building's unserved energy."""
    s = trace.series
    mask, hours = horizon_steps(trace)
    names = trace.names
    out: dict[str, float] = {}
    v = s["bus_v_pu"][mask]
    for i, bus in enumerate(names["buses"]):
        live = v[:, i][~np.isnan(v[:, i])]
        out[f"power.buses.{bus}.v_min_pu"] = float(live.min()) if len(live) else 0.0
    for kind, series in (
        ("lines", "line_loading_pct"),
        ("transformers", "transformer_loading_pct"),
    ):
        for i, name in enumerate(names[kind]):
            out[f"power.{kind}.{name}.loading_max_pct"] = float(s[series][mask, i].max(initial=0.0))
    out["power.losses_mwh"] = float(s["network_losses_kw"][mask] @ hours[mask]) / 1000.0
    unserved = s["building_power_unserved_kw"][mask].T @ hours[mask] / 1000.0
    for j, building in enumerate(names["buildings"]):
        if trace.park.buildings[j].power is not None:
            out[f"buildings.{building}.unserved_mwh"] = float(unserved[j])
    return out


def power_kpi_names(park: Park) -> list[str]:
    """The names :func:`power_kpis` reports for a park, in its order."""
    names = ["power.energy_mwh", "power.peak_mw", "power.unserved_mwh"]
    substations = park.power.substations if park.power else []
    names += [f"power.{sub.id}.peak_load_pct" for sub in substations]
    if park.power is None or park.power.network is None:
        return names
    grid = build_grid(park)
    names += [f"power.buses.{bus}.v_min_pu" for bus in grid.bus_ids[: grid.n_park_buses]]
    names += [f"power.lines.{line}.loading_max_pct" for line in grid.line_ids]
    names += [f"power.transformers.{t}.loading_max_pct" for t in grid.trafo_ids]
    names.append("power.losses_mwh")
    return names + [f"buildings.{b.id}.unserved_mwh" for b in park.buildings if b.power]


def capacity_notes(ctx: SimContext) -> list[str]:
    """Without a network: the buildings left off to fit feeder and substation capacities."""
    off = ctx.capacity_left_off
    if off is None or not off.any():
        return []
    names = [b.id for j, b in enumerate(ctx.park.buildings) if off[:, j].any()]
    steps = int(off.any(axis=1).sum())
    return [
        f"buildings left off to keep feeder and substation capacities ({steps} step(s)): "
        + ", ".join(names)
    ]


def network_notes(ctx: SimContext) -> list[str]:
    """What a reader of the run should know about the network's operation (none: nothing)."""
    plan, grid = ctx.supply, ctx.grid
    if plan is None or grid is None:
        return capacity_notes(ctx)
    notes = []
    unsolved = int(plan.unsolved.sum())
    if unsolved:
        notes.append(
            f"{unsolved} grid step(s) whose load flow did not converge or met no limit even "
            "with every load of the island left off; their load is counted unserved"
        )
    shed = plan.shed.any(axis=0)
    if shed.any():
        names = [ctx.park.buildings[j].id for j in grid.load_building[shed]]
        steps = int(plan.shed.any(axis=1).sum())
        notes.append(
            f"buildings left off to keep ratings and 0.9 pu ({steps} step(s)): " + ", ".join(names)
        )
    return notes
