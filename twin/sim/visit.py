"""One truck visit, step by step: the gate, the drive to the dock group, the dock, the exit.

A :class:`VisitSteps` binds one route (gate, dock group, travel time, when each works) to the SimPy
resources and the truck log. Its steps are generators that a truck process delegates to with
``yield from``: a truck that arrives at the gate runs them all; a truck already inside the park
when a warm start begins joins at its current step. Each step schedules only the events the
park needs: a gate that adds no delay and a zero drive schedule nothing, and availability
(closed gate, dock hours, no power) is handled by computing when the work finishes over exact
time intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from twin.model.intervals import Intervals
from twin.model.roads import RoadNetwork
from twin.sim.context import SimContext
from twin.sim.trace import TIME_COLUMNS

Steps = Generator[Any, Any, None]


@dataclass(frozen=True)
class TruckRoute:
    """Where a truck goes and when the assets on its way work."""

    gate: int
    dock_group: int
    travel_min: float
    gate_open: Intervals | None  # None: always open
    dock_open: Intervals | None  # when service may start: opening hours with power
    dock_power: Intervals | None  # when service progresses: the building has power


class TruckRoutes:
    """The routes between the park's gates and dock groups, each computed once."""

    def __init__(self, ctx: SimContext) -> None:
        logi = ctx.park.logistics
        self.gate_index = {g.id: i for i, g in enumerate(logi.gates)}
        self.group_index = {g.id: i for i, g in enumerate(logi.dock_groups)}
        self._buildings = {g.id: g.building for g in logi.dock_groups}
        self._network = RoadNetwork.of(ctx.park) if logi.roads else None
        self._gate_open = {g.id: _open_or_none(ctx, g.id, Intervals()) for g in logi.gates}
        self._dock_open = {g.id: _dock_open(ctx, g.id) for g in logi.dock_groups}
        self._dock_power = {
            g.id: _open_or_none(ctx, g.id, ctx.building_off[g.building]) for g in logi.dock_groups
        }
        self._known: dict[tuple[str, str], TruckRoute] = {}

    def between(self, gate: str, dock_group: str) -> TruckRoute:
        """The route from a gate to a dock group (and back)."""
        key = (gate, dock_group)
        if key not in self._known:
            building = self._buildings[dock_group]
            network = self._network
            self._known[key] = TruckRoute(
                gate=self.gate_index[gate],
                dock_group=self.group_index[dock_group],
                travel_min=network.route(gate, building).minutes if network else 0.0,
                gate_open=self._gate_open[gate],
                dock_open=self._dock_open[dock_group],
                dock_power=self._dock_power[dock_group],
            )
        return self._known[key]


def _open_or_none(ctx: SimContext, asset: str, extra_off: Intervals) -> Intervals | None:
    off = ctx.out(asset).union(extra_off)
    if not off:
        return None
    lo, hi = ctx.span
    return off.complement(lo, hi + 400 * 1440.0)


def _dock_open(ctx: SimContext, group_id: str) -> Intervals | None:
    """When a dock may start serving: within its hours, with power, not out.

    A service started before closing time runs to its end; a power cut suspends it.
    """
    group = next(g for g in ctx.park.logistics.dock_groups if g.id == group_id)
    off = ctx.building_off[group.building]
    lo, hi = ctx.span
    if group.hours is None:
        return _open_or_none(ctx, group_id, off)
    # Opening hours, generated well past the end so work started late can still finish.
    hours = ctx.clock.daily(group.hours, (lo, hi + 400 * 1440.0))
    return hours.intersect(off.union(ctx.out(group_id)).complement(lo, hi + 400 * 1440.0))


class TruckTimes:
    """Preallocated Python lists, one per time column (fast scalar writes), frozen to numpy."""

    def __init__(self, n: int) -> None:
        nan = math.nan
        self.columns: dict[str, list[float]] = {name: [nan] * n for name in TIME_COLUMNS}

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as float64 arrays."""
        return {name: np.array(values, dtype=float) for name, values in self.columns.items()}


@dataclass(frozen=True)
class VisitSteps:
    """The steps of a truck visit on one route, as generator functions (see :func:`visit`).

    `row` is the truck's row in the log. ``at_gate(row, service, resumed=False)``: queue for a
    lane and be served (`service` None: the gate adds no delay). ``to_dock(row, drive)``: drive
    and join the dock group's queue. ``at_dock(row, service, resumed=False)``: queue for a
    dock, be served, and drive out (computed: nothing waits for it). With `resumed`, the truck
    already holds the lane or dock and `service` is what remains of its work.
    ``leave(row, at_gate)``: record the exit of a truck that reaches its gate at `at_gate`.
    """

    route: TruckRoute
    at_gate: Callable[..., Steps]
    to_dock: Callable[[int, float], Steps]
    at_dock: Callable[..., Steps]
    leave: Callable[[int, float], None]


def visit(
    env: simpy.Environment,
    route: TruckRoute,
    log: TruckTimes,
    gate: simpy.Resource,
    docks: simpy.Resource,
) -> VisitSteps:
    """The steps of a visit on `route`, with everything bound as locals (they run per truck)."""
    cols = log.columns
    gate_start, gate_end, dock_arrive = cols["gate_start"], cols["gate_end"], cols["dock_arrive"]
    dock_start, dock_end, exit_ = cols["dock_start"], cols["dock_end"], cols["exit"]
    gate_open, dock_open, dock_power = route.gate_open, route.dock_open, route.dock_power
    travel = route.travel_min
    timeout = env.timeout

    def at_gate(row: int, service: float | None, resumed: bool = False) -> Steps:
        now = env.now
        if service is None:
            passed = now if gate_open is None else gate_open.next_on(now)
            gate_start[row] = gate_end[row] = passed
            if passed > now:
                yield timeout(passed - now)
            return
        request = gate.request()
        yield request
        start = env.now
        end = start + service if gate_open is None else gate_open.finish(start, service)
        if not resumed:
            gate_start[row] = start if gate_open is None else gate_open.next_on(start)
        if end > start:
            yield timeout(end - start)
        gate.release(request)
        gate_end[row] = end

    def to_dock(row: int, drive: float) -> Steps:
        if drive > 0:
            yield timeout(drive)
        dock_arrive[row] = env.now

    def at_dock(row: int, service: float, resumed: bool = False) -> Steps:
        request = docks.request()
        yield request
        start = env.now
        begin = start if dock_open is None or resumed else dock_open.next_on(start)
        end = begin + service if dock_power is None else dock_power.finish(begin, service)
        if not resumed:
            dock_start[row] = begin
        if end == math.inf:
            return  # the dock never works again within the run: the truck stays
        if end > start:
            yield timeout(end - start)
        docks.release(request)
        dock_end[row] = end
        leave(row, end + travel)

    def leave(row: int, at: float) -> None:
        exit_[row] = at if gate_open is None else gate_open.next_on(at)

    return VisitSteps(route, at_gate, to_dock, at_dock, leave)
