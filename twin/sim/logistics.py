"""Trucks: arrivals per flow, gate queues, roads, dock queues and service.

Where it applies (no staffing schedule, no warm start, no two trucks reaching a queue at one
instant), every visit is computed by the exact recursion of :mod:`twin.sim.recursion`, with no
SimPy event per truck. Otherwise a truck visit is one SimPy process with as few events as the
park allows: a gate that adds no delay and a road-less park schedule nothing, and the drive back
out is computed, not simulated (nothing waits for it). Either way, availability (dock hours, a
building without power, a closed gate) is handled by computing when the work finishes over exact
time intervals, so an outage costs no events. The steps of a visit live in
:mod:`twin.sim.visit`; a warm start's trucks, already inside the park, in :mod:`twin.sim.present`.

Random numbers: each flow draws its arrivals, gate service times and dock service times from its
own named streams, in whole blocks before the run. Truck k of a flow therefore sees the same
numbers in every scenario that keeps the flow (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from twin.model.dist import Sampler
from twin.model.intervals import Clock
from twin.model.schema import DockGroup, Park, clock_minutes
from twin.sim.context import SimContext
from twin.sim.measure import mean_or_nan, sorted_unique
from twin.sim.present import PresentTrucks, plan_present, start_present
from twin.sim.recursion import advance_trucks, recursion_applies
from twin.sim.trace import INDEX_DTYPE, Trace, occupancy_integral
from twin.sim.visit import TruckRoute, TruckRoutes, TruckTimes, VisitSteps, visit

BLOCK = 4096
EXACT_RECURSION = True
"""Advance trucks by :mod:`twin.sim.recursion` where it applies; False: always SimPy processes
(the two give bit-identical logs; tests and benches compare them)."""


def arrival_times(ctx: SimContext, flow_index: int) -> np.ndarray:
    """Arrival times of a flow over the span (timetable, or Poisson from its rates)."""
    flow = ctx.park.logistics.flows[flow_index]
    if flow.timetable is not None:
        return timetable_times(ctx, flow.timetable)
    rng = ctx.streams.get("arrivals", flow.id)
    return poisson_arrivals(ctx, flow.weekly_rates(), rng, ctx.rate_factors(flow.id))


def poisson_arrivals(
    ctx: SimContext,
    weekly_rates: Sequence[float],
    rng: np.random.Generator,
    changes: Sequence[tuple[float, float]] = (),
) -> np.ndarray:
    """Times of a non-homogeneous Poisson process over the span, exactly, by inversion.

    The rate (per hour) is piecewise constant: the hour of the week picks one of the 168
    `weekly_rates`, multiplied from each `(minute, factor)` change on. Unit-rate Poisson points
    E_k are mapped through the inverse of the cumulative intensity: t_k = Λ⁻¹(E_k). This is
    exact, needs no thinning, and keeps common random numbers when a scenario scales the rate
    (the same E_k map to earlier or later times). Plugins use it for their own arrivals.
    """
    lo, hi = ctx.span
    cuts = [t for t, _ in changes if lo < t < hi]
    knots = sorted_unique(np.concatenate([[lo, hi], ctx.clock.hour_edges(ctx.span), cuts]))
    rate = np.asarray(weekly_rates, dtype=float)[ctx.clock.week_hour(knots[:-1])]
    if changes:
        change_times = np.array([t for t, _ in changes])
        factors = np.concatenate([[1.0], [f for _, f in changes]])
        rate = rate * factors[np.searchsorted(change_times, knots[:-1], side="right")]
    cumulative = np.concatenate([[0.0], np.cumsum(rate / 60.0 * np.diff(knots))])
    total = cumulative[-1]
    if total <= 0:
        return np.empty(0)
    points: list[np.ndarray] = []
    reached = 0.0
    block = max(16, int(total + 4 * math.sqrt(total) + 16))
    while reached <= total:
        step = np.cumsum(rng.standard_exponential(block)) + reached
        points.append(step)
        reached = float(step[-1])
        block = BLOCK
    unit = np.concatenate(points)
    times = np.interp(unit[unit < total], cumulative, knots)
    return times[times < hi]


def timetable_times(ctx: SimContext, timetable: list[str]) -> np.ndarray:
    """Arrival times of a timetabled flow: each time of day, every day of the span."""
    lo, hi = ctx.span
    clock = ctx.clock
    first = math.floor((lo + clock.start_offset_min) / 1440.0)
    last = math.ceil((hi + clock.start_offset_min) / 1440.0)
    days = np.arange(first, last + 1)[:, None] * 1440.0
    times = (days + np.array([clock_minutes(t) for t in timetable])[None, :]).ravel()
    times = np.sort(times - clock.start_offset_min)
    return times[(times >= lo) & (times < hi)]


@dataclass
class FlowPlan:
    """Everything a flow's trucks need, prepared before the run."""

    index: int
    first_row: int
    arrivals: np.ndarray
    gate_service: np.ndarray | None
    dock_service: np.ndarray
    route: TruckRoute


def plan_flows(ctx: SimContext, routes: TruckRoutes) -> list[FlowPlan]:
    """Draw every flow's arrivals and service times and look up its route."""
    logi = ctx.park.logistics
    plans = []
    row = 0
    for index, flow in enumerate(logi.flows):
        route = routes.between(flow.gate, flow.dock_group)
        gate = logi.gates[route.gate]
        group = logi.dock_groups[route.dock_group]
        arrivals = arrival_times(ctx, index)
        n = len(arrivals)
        gate_sampler = Sampler(gate.service)
        gate_service = (
            None
            if gate_sampler.is_zero
            else gate_sampler.sample(ctx.streams.get("gate_service", flow.id), n)
        )
        dock_service = Sampler(group.service).sample(ctx.streams.get("dock_service", flow.id), n)
        plans.append(FlowPlan(index, row, arrivals, gate_service, dock_service, route))
        row += n
    return plans


@dataclass
class LogisticsRun:
    """The state of the logistics family during a run."""

    plans: list[FlowPlan]
    log: TruckTimes | dict[str, np.ndarray]
    """The SimPy processes' log, or the time columns the recursion computed."""
    present: PresentTrucks | None = None


def start_logistics(ctx: SimContext, env: simpy.Environment) -> LogisticsRun:
    """Draw every flow's trucks and advance them, by the exact recursion where it applies.

    Where it does not (:mod:`twin.sim.recursion`), each truck is a SimPy process added to `env`.

    With a warm start (``ctx.start``), the trucks already in the park start first, so they are
    ahead of every new arrival in every queue; their rows follow the flows' rows in the log.
    """
    logi = ctx.park.logistics
    routes = TruckRoutes(ctx)
    plans = plan_flows(ctx, routes)
    if EXACT_RECURSION and recursion_applies(ctx):
        columns = advance_trucks(ctx, plans)
        if columns is not None:
            return LogisticsRun(plans, columns)
    arrived = sum(len(p.arrivals) for p in plans)
    present = plan_present(ctx, routes, arrived) if ctx.start is not None else None
    log = TruckTimes(arrived + (len(present.trucks) if present else 0))
    gates = [simpy.Resource(env, capacity=g.lanes) for g in logi.gates]
    docks = [dock_resource(ctx, env, g) for g in logi.dock_groups]
    visits: dict[TruckRoute, VisitSteps] = {}

    def visit_on(route: TruckRoute) -> VisitSteps:
        if route not in visits:
            visits[route] = visit(env, route, log, gates[route.gate], docks[route.dock_group])
        return visits[route]

    if present is not None:
        start_present(env, present, log, visit_on)
    for plan in plans:
        env.process(_source(env, plan, _truck_process(env, plan, log, visit_on(plan.route))))
    return LogisticsRun(plans, log, present)


def staffed_steps(
    clock: Clock, group: DockGroup, span: tuple[float, float]
) -> tuple[list[float], list[int]]:
    """Docks staffed over `span`: change times (the first is the span's start) and counts.

    Inside a staffing window the group has that window's docks (the first window listed
    wins where two overlap); outside every window, `docks`.
    """
    lo, hi = span
    windows = [(w.docks, clock.daily([w], span)) for w in group.staffing or []]
    inner = {t for _, on in windows for pair in on.pairs() for t in pair if lo < t < hi}
    cuts = sorted({lo, *inner})
    times: list[float] = []
    counts: list[int] = []
    for a, b in zip(cuts, [*cuts[1:], hi], strict=True):
        # between two cuts a window covers all of the piece or none of it
        count = next((d for d, on in windows if on.measure(a, b) > 0), None)
        value = group.docks if count is None else count
        if not counts or counts[-1] != value:
            times.append(a)
            counts.append(value)
    return times, counts


def dock_resource(ctx: SimContext, env: simpy.Environment, group: DockGroup) -> simpy.Resource:
    """A dock group's docks; with a staffing schedule, closures hold the unstaffed ones.

    A closure is a request ahead of every truck (priority −1): it takes the next dock that
    frees, so a truck in service finishes first. It costs a few events per window, none per
    truck; a group without `staffing` is a plain FIFO resource, as before.
    """
    if not group.staffing:
        return simpy.Resource(env, capacity=group.docks)
    times, counts = staffed_steps(ctx.clock, group, ctx.span)
    capacity = max(max(counts), 1)
    resource = simpy.PriorityResource(env, capacity=capacity)
    env.process(_staff(env, resource, times, [capacity - c for c in counts]))
    return resource


def _staff(
    env: simpy.Environment, resource: simpy.PriorityResource, times: list, closed: list
) -> Generator[Any, Any, None]:
    held: list[Any] = []
    for t, want in zip(times, closed, strict=True):
        if t > env.now:
            yield env.timeout(t - env.now)
        while len(held) < want:
            held.append(resource.request(priority=-1))
        while len(held) > want:
            request = held.pop()
            if request.triggered:
                resource.release(request)
            else:
                request.cancel()


def finish_logistics(
    ctx: SimContext, run: LogisticsRun
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The truck columns of the trace, and each dock group's mean queue per grid step."""
    hi = ctx.span[1]
    columns = run.log.arrays() if isinstance(run.log, TruckTimes) else run.log
    for values in columns.values():
        values[values > hi] = np.nan  # not yet happened when the run ended
    counts = [len(p.arrivals) for p in run.plans]
    present = run.present
    for name in ("flow", "gate", "dock_group"):
        per_flow = [p.index if name == "flow" else getattr(p.route, name) for p in run.plans]
        column = np.repeat(np.array(per_flow, dtype=INDEX_DTYPE), counts)
        if present is not None:
            column = np.concatenate([column, present.index_column(name)])
        columns[name] = column
    return columns, _dock_queue(ctx, columns)


def _dock_queue(ctx: SimContext, trucks: dict[str, np.ndarray]) -> np.ndarray:
    """Time-average number of trucks waiting for each dock group, per grid step."""
    edges = ctx.edges
    groups = ctx.park.logistics.dock_groups
    out = np.zeros((len(edges) - 1, len(groups)))
    for j in range(len(groups)):
        mine = trucks["dock_group"] == j
        waiting = occupancy_integral(trucks["dock_arrive"][mine], trucks["dock_start"][mine], edges)
        out[:, j] = np.maximum(waiting, 0.0) / np.diff(edges)
    return out


def _source(
    env: simpy.Environment, plan: FlowPlan, truck: Callable[[int], Generator[Any, Any, None]]
) -> Generator[Any, Any, None]:
    timeout, process = env.timeout, env.process
    for k, t in enumerate(plan.arrivals.tolist()):
        delay = t - env.now
        if delay > 0:
            yield timeout(delay)
        process(truck(k))


def _truck_process(
    env: simpy.Environment, plan: FlowPlan, log: TruckTimes, visit: VisitSteps
) -> Callable[[int], Generator[Any, Any, None]]:
    """The generator function of one flow's trucks, with everything bound as locals."""
    arrive = log.columns["arrive"]
    first = plan.first_row
    gate_service = plan.gate_service.tolist() if plan.gate_service is not None else None
    dock_service = plan.dock_service.tolist()
    travel = plan.route.travel_min
    at_gate, at_dock = visit.at_gate, visit.at_dock
    dock_arrive = log.columns["dock_arrive"]
    timeout = env.timeout

    def truck(k: int) -> Generator[Any, Any, None]:
        row = first + k
        arrive[row] = env.now
        yield from at_gate(row, gate_service[k] if gate_service is not None else None)
        if travel > 0:  # to_dock, inline: this runs once per truck
            yield timeout(travel)
        dock_arrive[row] = env.now
        yield from at_dock(row, dock_service[k])

    return truck


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
        "trucks.wait_mean_min": mean_or_nan((gate_wait + dock_wait)[inside]),
        "trucks.turnaround_mean_min": mean_or_nan((t["exit"] - t["arrive"])[inside & exited]),
    }
    for g, gate in enumerate(trace.names["gates"]):
        mine = inside & (t["gate"] == g)
        out[f"gates.{gate}.wait_mean_min"] = mean_or_nan(gate_wait[mine])
    window = np.array([0.0, horizon])
    park = trace.park
    clock = Clock.of(park.park.start)
    docks = {
        group.id: staffed_minutes(clock, group, horizon) for group in park.logistics.dock_groups
    }
    for d, group in enumerate(trace.names["dock_groups"]):
        mine = t["dock_group"] == d
        out[f"docks.{group}.wait_mean_min"] = mean_or_nan(dock_wait[inside & mine])
        busy = occupancy_integral(t["dock_start"][mine], t["dock_end"][mine], window)[0]
        out[f"docks.{group}.utilization"] = max(0.0, busy) / docks[group]
        waiting = occupancy_integral(t["dock_arrive"][mine], t["dock_start"][mine], window)[0]
        out[f"docks.{group}.queue_mean"] = max(0.0, waiting) / horizon  # no -1e-16 rounding
    return out


def staffed_minutes(clock: Clock, group: DockGroup, horizon: float) -> float:
    """Dock-minutes staffed over ``[0, horizon)``: docks × horizon without a schedule."""
    if not group.staffing:
        return group.docks * horizon
    times, counts = staffed_steps(clock, group, (0.0, horizon))
    ends = [*times[1:], horizon]
    return float(sum(c * (b - a) for a, b, c in zip(times, ends, counts, strict=True)))


def logistics_kpi_names(park: Park) -> list[str]:
    """The names :func:`truck_kpis` reports for a park, in its order."""
    names = [f"trucks.{m}" for m in ("arrived", "completed", "in_park_end", "wait_mean_min")]
    names.append("trucks.turnaround_mean_min")
    names += [f"gates.{g.id}.wait_mean_min" for g in park.logistics.gates]
    for group in park.logistics.dock_groups:
        names += [f"docks.{group.id}.{m}" for m in ("wait_mean_min", "utilization", "queue_mean")]
    return names
