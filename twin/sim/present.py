"""A warm start's trucks: those already in the park when the run begins, at their stage.

:func:`plan_present` turns the trucks of a :class:`~twin.sim.start_state.StartState` into log rows
with their known past (arrival and start of the current stage, at negative times) and their
service times: fresh draws for work not begun, the rest of the work for trucks being served
(drawn conditioned on the time already spent). :func:`start_present` adds their SimPy
processes, each joining the visit's steps (:class:`~twin.sim.visit.VisitSteps`) where the truck is;
a truck leaving the park needs no process. The rules are in :mod:`twin.sim.start_state`.

Random numbers: each gate and dock group draws its present trucks' services from its own
streams (``start_gate_service``, ``start_dock_service``), first the rest of the work of the
trucks being served, then fresh services of the others, in queue order.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from twin.model.dist import Sampler
from twin.model.schema import DockGroup, Gate
from twin.sim.context import SimContext
from twin.sim.start_state import Stage, TruckNow
from twin.sim.trace import INDEX_DTYPE, TIME_COLUMNS
from twin.sim.visit import TruckRoute, TruckRoutes, TruckTimes, VisitSteps

STAGE_COLUMN: dict[Stage, str] = {
    "gate_queue": "arrive",
    "at_gate": "gate_start",
    "on_road": "gate_end",
    "dock_queue": "dock_arrive",
    "in_service": "dock_start",
    "leaving": "dock_end",
}
"""The log column that holds when a truck entered each stage."""
PAST_COLUMNS = {
    stage: TIME_COLUMNS[1 : TIME_COLUMNS.index(column) + 1]
    for stage, column in STAGE_COLUMN.items()
}
"""The columns a present truck has passed, after its arrival: all take the time it entered
its stage (a moment nobody saw collapses onto the next one known, so times never decrease)."""

START_ORDER: tuple[Stage, ...] = (
    "in_service",
    "dock_queue",
    "on_road",
    "at_gate",
    "gate_queue",
    "leaving",
)
"""Processes start furthest along first: holders of a dock or lane before the trucks queued
for it, queued trucks before those still on their way."""

BEHIND = ("gate_queue", "at_gate")  # stages before the gate's end
BEFORE_DOCK = ("gate_queue", "at_gate", "on_road", "dock_queue")


@dataclass(frozen=True)
class PresentTruck:
    """One truck present at the start, ready to run."""

    row: int
    now: TruckNow
    flow: int
    route: TruckRoute
    gate_service: float | None  # fresh or remaining gate work; None when it has none to do
    dock_service: float  # fresh or remaining dock work (0 for a truck leaving)


@dataclass(frozen=True)
class PresentTrucks:
    """The present trucks in process start order."""

    trucks: tuple[PresentTruck, ...]

    def index_column(self, name: str) -> np.ndarray:
        """The trace's `flow`, `gate` or `dock_group` column for these trucks, by row."""
        ordered = sorted(self.trucks, key=lambda t: t.row)
        values = [t.flow if name == "flow" else getattr(t.route, name) for t in ordered]
        return np.array(values, dtype=INDEX_DTYPE)


def plan_present(ctx: SimContext, routes: TruckRoutes, first_row: int) -> PresentTrucks:
    """Rows, routes and service times of the start state's trucks (rows from `first_row`)."""
    assert ctx.start is not None
    logi = ctx.park.logistics
    flows = {f.id: (i, f) for i, f in enumerate(logi.flows)}
    ordered = _in_start_order(ctx.start.trucks)
    placed = []
    for offset, truck in enumerate(ordered):
        index, flow = flows[truck.flow]
        route = routes.between(truck.gate or flow.gate, truck.dock_group or flow.dock_group)
        placed.append((first_row + offset, truck, index, route))
    gate_work = _draw(ctx, placed, "gate")
    dock_work = _draw(ctx, placed, "dock")
    return PresentTrucks(
        tuple(
            PresentTruck(row, truck, index, route, gate_work.get(row), dock_work.get(row, 0.0))
            for row, truck, index, route in placed
        )
    )


def _in_start_order(trucks: tuple[TruckNow, ...]) -> list[TruckNow]:
    """Trucks by START_ORDER; queued ones longest waiting first (a stable sort)."""
    rank = {stage: i for i, stage in enumerate(START_ORDER)}
    return sorted(trucks, key=lambda t: (rank[t.stage], -t.in_stage_min))


def _draw(
    ctx: SimContext, placed: list[tuple[int, TruckNow, int, TruckRoute]], asset: str
) -> dict[int, float]:
    """Gate or dock work of each present truck that has some to do, by row."""
    logi = ctx.park.logistics
    items: Sequence[Gate | DockGroup] = logi.gates if asset == "gate" else logi.dock_groups
    serving, waiting = ("at_gate", BEHIND) if asset == "gate" else ("in_service", BEFORE_DOCK)
    work: dict[int, float] = {}
    for position, item in enumerate(items):
        mine = [
            (row, truck)
            for row, truck, _, route in placed
            if (route.gate if asset == "gate" else route.dock_group) == position
        ]
        sampler = Sampler(item.service)
        if not mine or (asset == "gate" and sampler.is_zero):
            continue
        rng = ctx.streams.get(f"start_{asset}_service", item.id)
        held = [(row, t) for row, t in mine if t.stage == serving]
        fresh = [row for row, t in mine if t.stage in waiting and t.stage != serving]
        if held:
            elapsed = np.array([t.in_stage_min for _, t in held], dtype=float)
            rest = sampler.sample_remaining(rng, elapsed).tolist()
            work.update(zip([row for row, _ in held], rest, strict=True))
        work.update(zip(fresh, sampler.sample(rng, len(fresh)).tolist(), strict=True))
    return work


def start_present(
    env: simpy.Environment,
    present: PresentTrucks,
    log: TruckTimes,
    visit: Callable[[TruckRoute], VisitSteps],
) -> None:
    """Record the present trucks' known past and start their processes, in start order."""
    cols = log.columns
    for truck in present.trucks:
        now = truck.now
        for column in PAST_COLUMNS[now.stage]:
            cols[column][truck.row] = -now.in_stage_min
        cols["arrive"][truck.row] = -now.in_park_min
        steps = visit(truck.route)
        if now.stage == "leaving":
            steps.leave(truck.row, max(truck.route.travel_min - now.in_stage_min, 0.0))
        else:
            env.process(_present_truck(steps, truck))


def _present_truck(visit: VisitSteps, truck: PresentTruck) -> Generator[Any, Any, None]:
    """The rest of a present truck's visit, from its stage on."""
    row, stage, elapsed = truck.row, truck.now.stage, truck.now.in_stage_min
    travel = truck.route.travel_min
    if stage in BEHIND:
        yield from visit.at_gate(row, truck.gate_service, resumed=stage == "at_gate")
    if stage in BEHIND or stage == "on_road":
        yield from visit.to_dock(row, travel if stage in BEHIND else max(travel - elapsed, 0.0))
    yield from visit.at_dock(row, truck.dock_service, resumed=stage == "in_service")
