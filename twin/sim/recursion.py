"""Truck visits advanced by an exact recursion in arrival order: no SimPy event per truck.

Gates and dock groups are first-come-first-served queues of identical servers with room for
every waiting truck, and a visit only goes forward (gate, road, dock, road out), so the visits
of a whole run can be computed one queue after the other instead of event by event. In a
queue, trucks are taken in the order they reach it; each takes the server that frees first
(the Kiefer-Wolfowitz recursion: start = max(arrival, earliest free server)), and when its work
ends is computed over the exact intervals in which the station works, as the SimPy steps of
:mod:`twin.sim.visit` do. Every time is formed with the same float operations the SimPy
processes perform (a timeout of `d` at `now` fires at ``now + d``), and a value is recorded only
when the event that records it would have fired before the end of the run, so the log is
bit-identical to the SimPy one.

It applies when the order of the trucks in each queue is the order of their times. It is not
used, and the caller runs the SimPy processes, when a dock group has a staffing schedule (its
closures are requests whose place among the trucks depends on event order), for a warm start,
or when two trucks reach the same queue at the same instant (SimPy then orders them by event
ids); with continuous service and arrival distributions that last case does not happen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from heapq import heapreplace
from typing import TYPE_CHECKING

import numpy as np

from twin.model.intervals import Intervals
from twin.sim.context import SimContext
from twin.sim.trace import TIME_COLUMNS

if TYPE_CHECKING:
    from twin.sim.logistics import FlowPlan


def recursion_applies(ctx: SimContext) -> bool:
    """Whether the park's trucks can be advanced by the recursion (see the module notes)."""
    return ctx.start is None and not any(g.staffing for g in ctx.park.logistics.dock_groups)


def advance_trucks(ctx: SimContext, plans: Sequence[FlowPlan]) -> dict[str, np.ndarray] | None:
    """The time columns of every planned truck, or None when two reach a queue at one instant.

    Args:
        ctx: the run's context (span, park).
        plans: every flow's arrivals, services and route; rows in plan order.
    """
    hi = ctx.span[1]
    logi = ctx.park.logistics
    rows = _Rows(ctx, plans)
    n = len(rows.arrive)
    cols = {name: np.full(n, np.nan) for name in TIME_COLUMNS}
    came = rows.arrive < hi
    cols["arrive"][came] = rows.arrive[came]
    left_gate = np.full(n, math.inf)
    for g, gate in enumerate(logi.gates):
        mine = np.flatnonzero((rows.gate == g) & came)
        gate_open = rows.gate_open[g]
        if rows.gate_work is None or np.isnan(rows.gate_work[mine]).all():
            left_gate[mine] = _pass_gate(rows.arrive[mine], gate_open, mine, cols)
            continue
        order = _queue_order(rows.arrive, mine)
        if order is None:
            return None
        work = rows.gate_work[order]
        served = _serve(rows.arrive[order], work, gate.lanes, gate_open, gate_open, at_take=True)
        _record(cols, order, served, ("gate_start", "gate_end"), hi)
        left_gate[order] = served[3]
    at_dock = np.where(rows.travel > 0, left_gate + rows.travel, left_gate)
    cols["dock_arrive"][at_dock < hi] = at_dock[at_dock < hi]
    for d, group in enumerate(logi.dock_groups):
        mine = np.flatnonzero((rows.group == d) & (at_dock < hi))
        order = _queue_order(at_dock, mine)
        if order is None:
            return None
        opened, powered = rows.dock_open[d], rows.dock_power[d]
        served = _serve(at_dock[order], rows.dock_work[order], group.docks, opened, powered)
        _record(cols, order, served, ("dock_start", "dock_end"), hi)
        done = order[served[3] < hi]
        _record_exits(cols, done, rows)
    return cols


class _Rows:
    """Per-row arrays of every planned truck (its arrival, route and work), and per asset when
    it works."""

    def __init__(self, ctx: SimContext, plans: Sequence[FlowPlan]) -> None:
        lo = ctx.span[0]
        counts = [len(p.arrivals) for p in plans]
        fired = [np.array(_as_fired(p.arrivals.tolist(), lo), dtype=float) for p in plans]
        self.arrive = np.concatenate(fired) if fired else np.empty(0)
        self.gate = np.repeat(np.array([p.route.gate for p in plans], dtype=np.int32), counts)
        self.group = np.repeat(
            np.array([p.route.dock_group for p in plans], dtype=np.int32), counts
        )
        self.travel = np.repeat(np.array([p.route.travel_min for p in plans], dtype=float), counts)
        nothing = np.empty(0)
        self.gate_work: np.ndarray | None = None
        if any(p.gate_service is not None for p in plans):
            parts = [
                p.gate_service if p.gate_service is not None else np.full(len(p.arrivals), np.nan)
                for p in plans
            ]
            self.gate_work = np.concatenate(parts)
        self.dock_work = np.concatenate([p.dock_service for p in plans] or [nothing])
        logi = ctx.park.logistics
        self.gate_open: list[Intervals | None] = [None] * len(logi.gates)
        self.dock_open: list[Intervals | None] = [None] * len(logi.dock_groups)
        self.dock_power: list[Intervals | None] = [None] * len(logi.dock_groups)
        for p in plans:
            self.gate_open[p.route.gate] = p.route.gate_open
            self.dock_open[p.route.dock_group] = p.route.dock_open
            self.dock_power[p.route.dock_group] = p.route.dock_power


def _as_fired(times: list[float], now: float) -> list[float]:
    """Arrival times as the SimPy source reaches them: each waits ``t - now`` from the last."""
    fired = []
    for t in times:
        delay = t - now
        if delay > 0:
            now = now + delay
        fired.append(now)
    return fired


def _pass_gate(
    arrive: np.ndarray, gate_open: Intervals | None, rows: np.ndarray, cols: dict[str, np.ndarray]
) -> np.ndarray:
    """Trucks through a gate that adds no delay: each passes when it is open; when each leaves."""
    passed = arrive if gate_open is None else np.array([gate_open.next_on(a) for a in arrive])
    cols["gate_start"][rows] = passed
    cols["gate_end"][rows] = passed
    return np.where(passed > arrive, arrive + (passed - arrive), arrive)


def _queue_order(times: np.ndarray, rows: np.ndarray) -> np.ndarray | None:
    """`rows` in the order their trucks reach the queue, or None when two reach it at once."""
    order = rows[np.argsort(times[rows], kind="stable")]
    if len(order) > 1 and not (np.diff(times[order]) > 0).all():
        return None
    return order


Served = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _serve(
    arrive: np.ndarray,
    work: np.ndarray,
    servers: int,
    opened: Intervals | None,
    powered: Intervals | None,
    at_take: bool = False,
) -> Served:
    """A FIFO queue of identical `servers`, trucks in arrival order.

    A truck takes the server that frees first, when it arrives or, all busy, when one frees.
    Its work begins when the station is next `opened` (None: at once) and progresses while it
    is `powered` (None: always), counted from the take with `at_take` (a gate), else from the
    beginning (a dock). The server frees when the SimPy timeout of ``end - take`` would fire:
    never (inf) when the work never ends.

    Returns:
        Per truck: when it took a server, began, ended its work, and freed the server.
    """
    if opened is None and powered is None:
        taken = np.array(_takes(arrive.tolist(), work.tolist(), servers))
        ended = taken + work
        return taken, taken, ended, np.where(ended > taken, taken + (ended - taken), taken)
    free = [-math.inf] * servers
    takes, begun, ended_at = [], [], []
    for a, w in zip(arrive.tolist(), work.tolist(), strict=True):
        first = free[0]
        t = a if a >= first else first
        b = t if opened is None else opened.next_on(t)
        origin = t if at_take else b
        e = origin + w if powered is None else powered.finish(origin, w)
        heapreplace(free, t + (e - t) if e > t else t)
        takes.append(t)
        begun.append(b)
        ended_at.append(e)
    taken, ended = np.array(takes), np.array(ended_at)
    return taken, np.array(begun), ended, np.where(ended > taken, taken + (ended - taken), taken)


def _takes(arrive: list[float], work: list[float], servers: int) -> list[float]:
    """When each truck takes a server of a station that always works (the inner loop)."""
    taken: list[float] = []
    take = taken.append
    if servers == 1:
        free = -math.inf
        for a, w in zip(arrive, work, strict=True):
            t = a if a >= free else free
            e = t + w
            free = t + (e - t) if e > t else t
            take(t)
        return taken
    heap = [-math.inf] * servers
    for a, w in zip(arrive, work, strict=True):
        first = heap[0]
        t = a if a >= first else first
        e = t + w
        heapreplace(heap, t + (e - t) if e > t else t)
        take(t)
    return taken


def _record(
    cols: dict[str, np.ndarray],
    order: np.ndarray,
    served: Served,
    names: tuple[str, str],
    hi: float,
) -> None:
    """Record the start (when the take fired before `hi`) and end (when the release did)."""
    taken, begun, ended, freed = served
    started = taken < hi
    cols[names[0]][order[started]] = begun[started]
    released = freed < hi
    cols[names[1]][order[released]] = ended[released]


def _record_exits(cols: dict[str, np.ndarray], rows: np.ndarray, trucks: _Rows) -> None:
    """The exit of trucks whose dock released them: back at their gate, through it when open."""
    back = cols["dock_end"][rows] + trucks.travel[rows]
    gates = trucks.gate[rows]
    for g, gate_open in enumerate(trucks.gate_open):
        if gate_open is not None:
            mine = gates == g
            back[mine] = [gate_open.next_on(x) for x in back[mine].tolist()]
    cols["exit"][rows] = back
