"""N-1: every single outage of the power network at one moment, ranked by its consequence.

For each line, transformer and substation of `power.network`, the park is simulated from the
same random numbers as the base run with that element out from the moment on for `hours`
(SPEC.md "N-1"), through the whole days that cover the outage and 12 hours after it.
The rules are the engine's own (:mod:`twin.sim.supply`): buses lost at once, picked up
through normally open switches after `restoration_min`, the lowest priority left off where
the pick-up would break a rating or 0.9 pu. A row reads the network just after
restoration (or, for an outage shorter than restoration, at its last step in effect), the
energy and trucks over the whole run against the base run.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from twin.errors import UsageError
from twin.experiment.settings import Case
from twin.experiment.workload import check_spec
from twin.model.schema import Event, Moment, OutageEvent, Park
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.kpi import compute_kpis
from twin.sim.network import Grid, build_grid
from twin.sim.start_state import StartState
from twin.sim.trace import Trace

SECURE_V_PU = 0.95
"""Lowest bus voltage of a secure state (SPEC.md "N-1")."""
TAIL_MIN = 720.0
"""How long after an outage ends its consequences (queues, late trucks) are followed."""
MAX_OUTAGES = 200
"""Most single outages one study simulates (each is a run of its own): bounds its time."""


def _through(spec: RunSpec, end_min: float) -> RunSpec:
    """The spec set to the whole days that cover `end_min` (the same random numbers before it).

    The moment lies inside the horizon, but the outage and the hours after it may run past
    its end: the runs then go on, so that no outage is cut short and counted as a smaller one.
    """
    return dataclasses.replace(spec, horizon_days=float(math.ceil(end_min / 1440.0)))


def contingencies(grid: Grid) -> list[tuple[str, str]]:
    """Every single outage to study: (id, kind) of lines, transformers and substations."""
    kinds = {"line": "line", "transformer": "transformer", "source": "substation"}
    return [(name, kinds[kind]) for name, (kind, _) in grid.assets.items()]


def peak_moment(trace: Trace) -> float:
    """The start (minutes) of the horizon's grid step with the largest park demand."""
    starts = trace.edges[:-1]
    demand = trace.series["building_power_demand_kw"].sum(axis=1)
    demand = np.where(starts >= 0, demand, -np.inf)
    return float(starts[int(np.argmax(demand))])


def n1_analysis(
    park: Park,
    events: list[Event],
    at_min: float | None = None,
    hours: float = 4.0,
    spec: RunSpec | None = None,
    start: StartState | None = None,
    progress: Callable[[float, int], None] | None = None,
) -> dict[str, Any]:
    """Every single contingency at `at_min` (default: the peak), worst first (n1.json).

    Args:
        park: the park (it must have `power.network`).
        events: timed events of every run (a scenario's).
        at_min: the moment, minutes from the start of the horizon; None: the peak demand.
        hours: how long each outage lasts from the moment.
        spec: horizon, warm-up and seed of the simulations.
        start: a warm start (the live state: trucks present, outages in effect); `spec` then
            has no warm-up and every run starts from the state, as a nowcast does.
        progress: called with (runs done, runs planned): the base run and one per outage.

    Raises:
        UsageError: the park has no network, or the moment is outside the horizon.
    """
    if park.power is None or park.power.network is None:
        raise UsageError("parktwin n1 needs a park with power.network (SPEC.md, Power network)")
    grid = build_grid(park)
    _check_size(grid)
    spec = spec or RunSpec()
    case = Case(park, tuple(events))
    if at_min is None:
        check_spec(case, spec)
        at = peak_moment(run_engine(park, events, spec, start=start))
    else:
        at = float(at_min)
    check_moment(at, spec)
    spec = _through(spec, at + hours * 60.0 + TAIL_MIN)
    check_spec(case, spec)
    report = progress or (lambda done, total: None)
    studied = contingencies(grid)
    report(0, len(studied) + 1)
    base = run_engine(park, events, spec, start=start)
    base_kpis = compute_kpis(base)
    report(1, len(studied) + 1)
    rows = []
    worst = np.zeros(len(grid.line_ids))
    for done, (asset, kind) in enumerate(studied, 2):
        outage = OutageEvent.model_validate(
            {"outage": asset, "from": _moment(at), "duration_h": hours}
        )
        trace = run_engine(park, [*events, outage], spec, start=start)
        rows.append(_row(park, grid, base, base_kpis, trace, asset, kind, (at, hours)))
        after = _after_restoration(park, trace, at, hours)
        worst = np.maximum(worst, trace.series["line_loading_pct"][after])
        report(done, len(studied) + 1)
    rows.sort(key=_severity)
    return {
        "park": park.park.name,
        "at": moment_label(at),
        "hours": hours,
        "contingencies": rows,
        "lines": _plan_lines(park, grid, worst),
        "buses": _plan_buses(park, base, at),
    }


def _check_size(grid: Grid) -> None:
    """Refuse a network with more single outages than one study simulates in bounded time."""
    found = len(contingencies(grid))
    if found > MAX_OUTAGES:
        counts = f"{len(grid.line_ids)} lines, {len(grid.trafo_ids)} transformers and "
        counts += f"{len(grid.source_ids)} substations"
        raise UsageError(
            f"power.network: {found} single outages ({counts}); parktwin n1 studies at most "
            f"{MAX_OUTAGES}, each a simulation of its own: study a part of the network as a "
            "park of its own"
        )


def _after_restoration(park: Park, trace: Trace, at: float, hours: float) -> int:
    """The first grid step that starts once ties have picked up what they can.

    An outage that ends before `restoration_min` is never picked up: its state is then read at
    the last step it is in effect at (its lost buses still lost), not after it has ended, when
    everything would read secure.
    """
    restoration = park.power.network.restoration_min  # type: ignore[union-attr]
    starts = trace.edges[:-1]
    after = min(int(np.searchsorted(starts, at + restoration, side="left")), len(starts) - 1)
    return max(_first_inside(trace, at), min(after, _last_inside(trace, at + hours * 60.0)))


def _plan_lines(park: Park, grid: Grid, worst: np.ndarray) -> list[dict[str, Any]]:
    """Each line with its ends' positions (where known) and its worst loading after restoration."""
    where = _bus_positions(park)
    rows = []
    for i, line in enumerate(grid.line_ids):
        a, b = (grid.bus_ids[e] for e in grid.line_ends[i])
        row: dict[str, Any] = {"id": line, "worst_loading_pct": round(float(worst[i]), 3)}
        if a in where and b in where:
            row.update({"from": where[a], "to": where[b]})
        rows.append(row)
    return rows


def _plan_buses(park: Park, base: Trace, at: float) -> list[dict[str, Any]]:
    """Each bus with its label, position (where known) and voltage at the moment (base run).

    The label is the name of the bus's substation, else the names of the buildings on it, else
    its id. A substation's busbar is a `source`; `held_v_pu` is the voltage its source holds:
    on the busbar itself, or with transformers on their high-voltage side, the busbar then
    lying below it by the transformers' drop (`v_pu`).
    """
    power = park.power
    assert power is not None and power.network is not None
    where = _bus_positions(park)
    labels = bus_labels(park)
    step = int(np.searchsorted(base.edges[:-1], at, side="right")) - 1
    voltages = base.series["bus_v_pu"][step]
    hv_kv = {s.id: s.transformers[0].hv_kv for s in power.substations if s.transformers}
    rows = []
    for i, bus in enumerate(power.network.buses):
        v = float(voltages[i])
        row: dict[str, Any] = {
            "id": bus.id,
            "label": labels[bus.id],
            "v_pu": None if math.isnan(v) else round(v, 5),
            "source": bus.substation is not None,
        }
        if bus.substation is not None:
            row["held_v_pu"] = power.network.source_v_pu
            sub = bus.substation
            row["held_on"] = f"{hv_kv[sub]:g} kV side" if sub in hv_kv else "busbar"
        if bus.id in where:
            row["position"] = where[bus.id]
        rows.append(row)
    return rows


def bus_labels(park: Park) -> dict[str, str]:
    """Each bus's label: its substation's name, else the names of the buildings on it, else
    its id (the park must have `power.network`)."""
    power = park.power
    assert power is not None and power.network is not None
    names = {s.id: s.name or s.id for s in power.substations}
    on_bus: dict[str, list[str]] = {}
    for building in park.buildings:
        if building.power is not None and building.power.bus is not None:
            on_bus.setdefault(building.power.bus, []).append(building.name or building.id)
    return {
        bus.id: names.get(bus.substation or "") or "; ".join(on_bus.get(bus.id, [])) or bus.id
        for bus in power.network.buses
    }


def _bus_positions(park: Park) -> dict[str, list[float]]:
    """A bus's own position, else its substation's, else the first building's on it."""
    power = park.power
    assert power is not None and power.network is not None
    subs = {s.id: list(s.position) for s in power.substations}
    where: dict[str, list[float]] = {}
    for building in park.buildings:
        if building.power is not None and building.power.bus is not None:
            centre = np.asarray(building.footprint, dtype=float).mean(axis=0)
            where.setdefault(building.power.bus, [float(centre[0]), float(centre[1])])
    for bus in power.network.buses:
        if bus.position is not None:
            where[bus.id] = list(bus.position)
        elif bus.substation in subs:
            where[bus.id] = subs[bus.substation]
    return where


def _moment(at: float) -> dict[str, Any]:
    day, minute = divmod(int(at), 1440)
    return Moment(day=day, at=f"{minute // 60:02d}:{minute % 60:02d}").model_dump()


def check_moment(at: float, spec: RunSpec) -> None:
    """Refuse a moment (minutes) that is not a whole minute inside the horizon (UsageError)."""
    if not 0 <= at < spec.horizon_min or at != math.floor(at):
        raise UsageError(
            f"the moment `at` ({moment_label(at)}) must be a whole minute inside the horizon "
            f"(day 0 00:00 up to {spec.horizon_days:g} days later)"
        )


def moment_label(at: float) -> str:
    day, minute = divmod(int(at), 1440)
    return f"day {day} {minute // 60:02d}:{minute % 60:02d}"


def _row(
    park: Park,
    grid: Grid,
    base: Trace,
    base_kpis: dict[str, float],
    trace: Trace,
    asset: str,
    kind: str,
    outage: tuple[float, float],
) -> dict[str, Any]:
    """One contingency: the network right after restoration, and the run's consequences.

    `outage` is (moment in minutes, hours); an outage shorter than restoration is read at its
    last step in effect (:func:`_after_restoration`).
    """
    at, hours = outage
    first = _first_inside(trace, at)
    after = _after_restoration(park, trace, at, hours)
    s, b = trace.series, base.series
    n_buses = grid.n_park_buses
    lost = np.isnan(s["bus_v_pu"][first]) & ~np.isnan(b["bus_v_pu"][first])
    unserved = s["building_power_unserved_kw"][after] - b["building_power_unserved_kw"][after]
    ties = [grid.line_ids[i] for i in grid.tie_lines if s["line_loading_pct"][after, i] > 0]
    loading = np.concatenate([s["line_loading_pct"][after], s["transformer_loading_pct"][after]])
    live_v = s["bus_v_pu"][after][~np.isnan(s["bus_v_pu"][after])]
    unserved_mw = round(max(float(unserved.sum()), 0.0) / 1000.0, 6)
    max_loading = round(float(loading.max(initial=0.0)), 3)
    min_v = round(float(live_v.min()), 5) if len(live_v) else 0.0
    return {
        "outage": asset,
        "kind": kind,
        "lost_buses": [base.names["buses"][i] for i in np.flatnonzero(lost[:n_buses])],
        "restored_by": ties,
        "unserved_mw": unserved_mw,
        "unserved_mwh": round(
            trace_kpi(trace, "power.unserved_mwh") - base_kpis["power.unserved_mwh"], 6
        ),
        "max_loading_pct": max_loading,
        "min_v_pu": min_v,
        "secure": unserved_mw <= 1e-9 and max_loading <= 100.0 + 1e-6 and min_v >= SECURE_V_PU,
        "buildings_unserved": [
            trace.names["buildings"][j] for j in np.flatnonzero(unserved > 1e-9)
        ],
        "trucks_delayed": _trucks_delayed(base, trace),
    }


def _first_inside(trace: Trace, at: float) -> int:
    """The first grid step whose load flow has the outage from `at` in effect.

    A step's load flow takes the switching at its middle: the step of `at` when `at` is not
    past its middle, else the next one (the buses an outage cuts off are read there).
    """
    middles = (trace.edges[:-1] + trace.edges[1:]) / 2.0
    return min(int(np.searchsorted(middles, at, side="left")), len(middles) - 1)


def _last_inside(trace: Trace, end: float) -> int:
    """The last grid step whose load flow has an outage ending at `end` still in effect."""
    middles = (trace.edges[:-1] + trace.edges[1:]) / 2.0
    return int(np.searchsorted(middles, end, side="left")) - 1


def trace_kpi(trace: Trace, name: str) -> float:
    """One KPI of a trace."""
    return compute_kpis(trace)[name]


def _trucks_delayed(base: Trace, trace: Trace) -> int:
    """Trucks that leave later than in the base run (same arrivals: same random numbers)."""
    before, after = base.trucks["exit"], trace.trucks["exit"]
    if before.shape != after.shape:
        return abs(int(np.isnan(after).sum() - np.isnan(before).sum()))
    late = np.where(np.isnan(after), np.inf, after) > np.where(np.isnan(before), np.inf, before)
    return int(late.sum())


def _severity(row: dict[str, Any]) -> tuple[float, ...]:
    return (
        -row["unserved_mwh"],
        -row["unserved_mw"],
        -row["max_loading_pct"],
        row["min_v_pu"],
        -row["trucks_delayed"],
    )
