"""Who gets power on a network: outages, restoration through ties, curtailment, load flow.

The plan is made before a replication runs, from the calendar's demand and the outages, so that
docks and production see every loss of supply (SPEC.md "Power network"):

1. Switching, exactly in time: an outage of a line, transformer or substation opens it (a
   substation with the feeder breakers of its busbar), and buses that no source reaches lose
   supply. A bus lost for `restoration_min` is picked up by
   closing normally open switches (ties, in file order) that join its island to a live bus.
2. An AC load flow of every grid step, in one batch (:mod:`twin.sim.loadflow`), with the
   switching in effect at the step's middle and each load's mean served demand over the step.
3. Curtailment: a step with a line or transformer past its rating, a substation without
   transformers past its `capacity_mw`, a bus below 0.9 pu or no convergence leaves buildings
   off for the step until it holds: those fed through an overloaded line (that opening it would
   cut off), else those of the offending island; lowest `priority` first (then the largest
   load, then the later in the file), and buildings of a restored section before the others.
   While ties carry a restored section, what was left off stays off until the switching
   changes (the outage ends).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twin.model.intervals import Intervals
from twin.sim.loadflow import PowerFlow, Switching, solve
from twin.sim.network import Grid, energized, islands

V_MIN_PU = 0.9
"""Lowest voltage a bus may have in operation (SPEC.md)."""
LIMIT = 1.0 + 1e-9
"""A loading (fraction of rating) above this is an overload."""


@dataclass(frozen=True)
class Segment:
    """A stretch of time with one switching: what is in service and which buses are live."""

    start: float
    end: float
    line_on: np.ndarray  # in service and closed, ties included when closed for restoration
    trafo_on: np.ndarray
    source_on: np.ndarray
    bus_on: np.ndarray
    restored: np.ndarray  # buses live only through a tie closed for restoration


@dataclass(frozen=True)
class SupplyPlan:
    """The network's effect on a replication: when each load is off, and the grid series."""

    load_off: list[Intervals]  # per load of the grid (lost supply or left off)
    flow: PowerFlow
    shed: np.ndarray  # (steps, loads): left off for the step by curtailment
    unsolved: np.ndarray  # (steps,): no convergence even with everything left off that could be
    segments: list[Segment]


def switching_segments(
    grid: Grid, outages: dict[str, Intervals], span: tuple[float, float], restoration_min: float
) -> list[Segment]:
    """The switching over the span: a new segment at each outage start or end and restoration."""
    lo, hi = span
    named = [(grid.assets[name], outages[name]) for name in grid.assets if name in outages]
    bounds = sorted({t for _, iv in named for p in iv.pairs() for t in p if lo < t < hi})
    lost_since: dict[int, float] = {}
    segments: list[Segment] = []
    t = lo
    while t < hi:
        line_on, trafo_on, source_on = _in_service(grid, named, t)
        normal = line_on & grid.line_normally_closed
        live = energized(grid, normal, trafo_on, source_on)
        for bus in np.flatnonzero(~live):
            lost_since.setdefault(int(bus), _lost_from(named, t) if t == lo else t)
        for bus in np.flatnonzero(live):
            lost_since.pop(int(bus), None)
        due = [b for b, since in lost_since.items() if since + restoration_min <= t]
        closed = _pick_up(grid, normal, line_on, trafo_on, source_on, due)
        bus_on = energized(grid, closed, trafo_on, source_on)
        waits = [s + restoration_min for s in lost_since.values() if s + restoration_min > t]
        end = min([b for b in bounds if b > t] + waits + [hi])
        segments.append(Segment(t, end, closed, trafo_on, source_on, bus_on, bus_on & ~live))
        t = end
    return segments


def _in_service(
    grid: Grid, named: list[tuple[tuple[str, int], Intervals]], t: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    on = {
        "line": np.ones(len(grid.line_ids), dtype=bool),
        "transformer": np.ones(len(grid.trafo_ids), dtype=bool),
        "source": np.ones(len(grid.source_ids), dtype=bool),
    }
    for (kind, index), off in named:
        if any(a <= t < b for a, b in off.pairs()):
            on[kind][index] = False
    for busbar in grid.source_busbar[~on["source"]]:  # a lost substation is isolated whole
        on["line"][(grid.line_ends == busbar).any(axis=1)] = False
    return on["line"], on["transformer"], on["source"]


def _lost_from(named: list[tuple[tuple[str, int], Intervals]], t: float) -> float:
    """When the outages in effect at `t` began (the earliest): a warm start's are older."""
    starts = [a for _, off in named for a, b in off.pairs() if a <= t < b]
    return min(starts, default=t)


def _pick_up(
    grid: Grid,
    normal: np.ndarray,
    line_on: np.ndarray,
    trafo_on: np.ndarray,
    source_on: np.ndarray,
    due: list[int],
) -> np.ndarray:
    """Lines closed once ties pick up the buses `due` for restoration (ties in file order)."""
    closed = normal.copy()
    if not due:
        return closed
    live = energized(grid, closed, trafo_on, source_on)
    changed = True
    while changed:
        changed = False
        for tie in grid.tie_lines:
            if closed[tie] or not line_on[tie]:
                continue
            a, b = grid.line_ends[tie]
            if live[a] == live[b]:
                continue
            trial = closed.copy()
            trial[tie] = True
            now = energized(grid, trial, trafo_on, source_on)
            if now[due].sum() > live[due].sum():
                closed, live, changed = trial, now, True
    return closed


PLANS_KEPT = 4
"""Supply plans kept for reuse per process, the most recently used (a plan of a year of a large
park is tens of MB)."""
_plans: OrderedDict[str, SupplyPlan] = OrderedDict()
_plans_lock = threading.Lock()


def reused_plan(key: str, make: Callable[[], SupplyPlan]) -> SupplyPlan:
    """The plan made for `key` before in this process, else `make()` (kept for next time).

    A plan depends on the park, the grid steps, the outages and nothing random, so every
    replication of a run has the same one: the key must name all of these (the caller's
    duty); the plan is the same whether made or reused.
    """
    with _plans_lock:
        if key in _plans:
            _plans.move_to_end(key)
            return _plans[key]
    plan = make()
    with _plans_lock:
        _plans[key] = plan
        while len(_plans) > PLANS_KEPT:
            _plans.popitem(last=False)
    return plan


def forget_plans() -> None:
    """Drop the plans kept for reuse (the next replication makes its own)."""
    with _plans_lock:
        _plans.clear()


def plan_supply(
    grid: Grid,
    edges: np.ndarray,
    outages: dict[str, Intervals],
    demand_kw: np.ndarray,
    restoration_min: float,
) -> SupplyPlan:
    """When each load has power, and the load flow of every grid step.

    Args:
        grid: the network (:func:`twin.sim.network.build_grid`).
        edges: the grid step edges (minutes).
        outages: off-intervals by asset id (every asset; the network's are used).
        demand_kw: (steps, buildings) demand in kW, before any loss of supply.
        restoration_min: how long a lost bus waits before ties pick it up.
    """
    span = (float(edges[0]), float(edges[-1]))
    segments = switching_segments(grid, outages, span, restoration_min)
    step = np.diff(edges)
    lost = [_off_intervals(segments, bus) for bus in grid.load_bus]
    served_share = np.column_stack(
        [1.0 - off.coverage(edges) / step for off in lost]
    ) if lost else np.zeros((len(step), 0))  # fmt: skip
    mid = (edges[:-1] + edges[1:]) / 2.0
    which = np.searchsorted([s.start for s in segments], mid, side="right") - 1
    switching = Switching(
        line_on=np.array([segments[k].line_on for k in which]).reshape(len(step), -1),
        trafo_on=np.array([segments[k].trafo_on for k in which]).reshape(len(step), -1),
        source_on=np.array([segments[k].source_on for k in which]).reshape(len(step), -1),
    )
    asked_w = demand_kw[:, grid.load_building] * 1e3 * served_share
    curtail = _Curtailment(grid, segments, which, switching, asked_w)
    flow, shed, unsolved = curtail.run()
    load_off = [off.union(steps_intervals(edges, shed[:, k])) for k, off in enumerate(lost)]
    return SupplyPlan(load_off, flow, shed, unsolved, segments)


def _off_intervals(segments: list[Segment], bus: int) -> Intervals:
    return Intervals.of((s.start, s.end) for s in segments if not s.bus_on[bus])


def steps_intervals(edges: np.ndarray, steps: np.ndarray) -> Intervals:
    """The grid steps where `steps` is True, as intervals of time."""
    return Intervals.of((float(edges[k]), float(edges[k + 1])) for k in np.flatnonzero(steps))


class _Curtailment:
    """Solve every step, then leave loads off in the steps that break a limit until they hold."""

    def __init__(
        self,
        grid: Grid,
        segments: list[Segment],
        which: np.ndarray,
        switching: Switching,
        asked_w: np.ndarray,
    ) -> None:
        self.grid = grid
        self.segments = segments
        self.which = which
        self.switching = switching
        self.asked_w = asked_w
        self.shed = np.zeros(asked_w.shape, dtype=bool)
        self.unsolved = np.zeros(len(which), dtype=bool)

    def run(self) -> tuple[PowerFlow, np.ndarray, np.ndarray]:
        """The final load flow, the loads left off per step and the steps past saving."""
        rows = np.arange(len(self.which))
        bad, flow = rows, self._solve(rows)
        first = flow
        while len(bad):
            hot, over = self._hot_buses(flow), flow.line_loading > LIMIT
            keep = hot.any(axis=1)
            bad, hot, over = bad[keep], hot[keep], over[keep]
            fixable = np.array(
                [self._shed_one(int(k), h, o) for k, h, o in zip(bad, hot, over, strict=True)]
            )
            if not len(bad):
                break
            self.unsolved[bad[~fixable]] = True
            bad = bad[fixable]
            flow = self._solve(bad)
        if not self.shed.any():  # nothing left off: the first flow is the final one
            return first, self.shed, self.unsolved
        self._hold_restored_sections()
        return self._solve(rows), self.shed, self.unsolved

    def _solve(self, rows: np.ndarray) -> PowerFlow:
        s = self.switching
        return solve(
            self.grid,
            np.where(self.shed[rows], 0.0, self.asked_w[rows]),
            Switching(s.line_on[rows], s.trafo_on[rows], s.source_on[rows]),
        )

    def _hot_buses(self, flow: PowerFlow) -> np.ndarray:
        """(steps, buses): buses below 0.9 pu, at an end of an overloaded branch or of a source
        past its substation's capacity; every bus of a step that did not converge."""
        grid = self.grid
        hot = np.nan_to_num(flow.bus_v_pu, nan=1.0) < V_MIN_PU
        rows, sources = np.nonzero(flow.source_p_w > LIMIT * grid.source_rating_w)
        hot[rows, grid.source_bus[sources]] = True
        for ends, loading in (
            (grid.line_ends, flow.line_loading),
            (grid.trafo_ends, flow.trafo_loading),
        ):
            rows, branches = np.nonzero(loading > LIMIT)
            hot[rows, ends[branches, 0]] = True
            hot[rows, ends[branches, 1]] = True
        hot[~flow.converged] = True
        return hot

    def _shed_one(self, k: int, hot: np.ndarray, over: np.ndarray) -> bool:
        """Leave one more load off in step k; False when none is left to leave off.

        The candidates are the loads fed through an overloaded line (those that opening it
        would cut off), else those of the offending islands.
        """
        segment = self.segments[self.which[k]]
        grid = self.grid
        bus = grid.load_bus
        open_to_serve = ~self.shed[k] & (self.asked_w[k] > 0)
        candidates = np.flatnonzero(self._behind(segment, over)[bus] & open_to_serve)
        if not len(candidates):
            labels = islands(grid, segment.line_on, segment.trafo_on)
            near = np.isin(labels[bus], labels[hot]) & segment.bus_on[bus]
            candidates = np.flatnonzero(near & open_to_serve)
        if not len(candidates):
            return False
        restored = segment.restored[bus]
        first = min(
            candidates,
            key=lambda i: (not restored[i], grid.load_priority[i], -self.asked_w[k, i], -i),
        )
        self.shed[k, first] = True
        return True

    def _behind(self, segment: Segment, over: np.ndarray) -> np.ndarray:
        """Buses that opening any one of the overloaded lines would cut off."""
        behind = np.zeros(len(self.grid.bus_ids), dtype=bool)
        for line in np.flatnonzero(over):
            trial = segment.line_on.copy()
            trial[line] = False
            behind |= segment.bus_on & ~energized(
                self.grid, trial, segment.trafo_on, segment.source_on
            )
        return behind

    def _hold_restored_sections(self) -> None:
        """Within a segment on restoration, what was left off stays off to its end."""
        for index, segment in enumerate(self.segments):
            rows = np.flatnonzero(self.which == index)
            if segment.restored.any() and len(rows):
                self.shed[rows] = np.logical_or.accumulate(self.shed[rows], axis=0)
