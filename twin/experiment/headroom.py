"""Headroom: the largest new load each bus of the power network can take at one moment.

"Which ring can take the new factory?" For every bus of `power.network`, the largest extra
active power (at the new load's power factor) that the network carries at the moment, in normal
operation (every element in service, normally open points open), with:

- every line and transformer within its rating;
- every substation without transformers within its `capacity_mw`;
- every live bus at or above 0.95 pu, the voltage of a secure state in N-1.

With ``n1``, also the largest new load that keeps every single outage secure after restoration
(SPEC.md "N-1"), among the outages that are secure without it. Each outage's restoration is
the engine's own: ties closed in file order until every bus they can reach is live again
(:func:`twin.sim.supply.switching_segments`). A bus an outage leaves without supply has no N-1
headroom.

The park's own loads are what its buildings ask at that moment in a run of the park (with
its scenario). The search is a bisection of every (switching, bus) pair at once: each of its
:data:`ROUNDS` rounds is one batch of the load-flow solver (:func:`twin.sim.loadflow.solve`).
What binds is named: the elements past their limit just above the headroom.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.errors import UsageError
from twin.experiment.n1 import (
    SECURE_V_PU,
    bus_labels,
    check_moment,
    contingencies,
    moment_label,
    peak_moment,
)
from twin.experiment.settings import Case
from twin.experiment.workload import check_spec
from twin.model.intervals import Intervals
from twin.model.schema import Event, Park
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.loadflow import PowerFlow, Switching, solve
from twin.sim.network import Grid, build_grid, energized
from twin.sim.supply import switching_segments

TOP_W = 10e9
"""The largest new load tried (10 GW): a bus that takes it is reported as taking at least it."""
RESOLUTION_W = 1e3
"""The bisection stops when the bracket is this narrow (1 kW)."""
ROUNDS = math.ceil(math.log2(TOP_W / RESOLUTION_W))
"""Bisection rounds: from 0 to :data:`TOP_W` down to :data:`RESOLUTION_W`."""
LIMIT = 1.0 + 1e-9
"""A loading (fraction of rating) above this breaks the rating."""
MAX_BUSES = 500
"""Most buses one study takes: each round solves the network once per bus, so its time grows
with the square of the buses (about 20 s for 500 on one core)."""
MAX_N1_ROWS = 20_000
"""Most (outage, bus) pairs of a study with N-1: each is a load flow per round (yen-binh: 1,938,
about 4 s)."""


@dataclass(frozen=True)
class _State:
    """A switching of the network: normal operation (`outage` None) or after an outage and
    its restoration; `live` says which buses have supply."""

    outage: str | None
    switching: Switching
    live: np.ndarray


def headroom_analysis(
    park: Park,
    events: list[Event],
    at_min: float | None = None,
    power_factor: float = 0.95,
    spec: RunSpec | None = None,
    progress: Callable[[float, int], None] | None = None,
    n1: bool = False,
) -> dict[str, Any]:
    """The headroom of every bus at `at_min` (default: the peak demand), as headroom.json.

    Args:
        park: the park (it must have `power.network`).
        events: timed events of the run (a scenario's); they shape the demand at the moment.
        at_min: the moment, minutes from the start of the horizon; None: the peak demand.
        power_factor: the new load's power factor (lagging), 0.3 to 1.
        spec: horizon, warm-up and seed of the run that gives the park's demand.
        progress: called with (steps done, steps planned): the run, then each round.
        n1: also the headroom that keeps every single outage secure after restoration.

    Raises:
        UsageError: no network, a network too large for the study, the moment outside the
            horizon, or a power factor out of range.
    """
    grid = _checked_grid(park, power_factor, n1)
    spec = spec or RunSpec()
    check_spec(Case(park, tuple(events)), spec)
    if at_min is not None:
        check_moment(at_min, spec)  # before the run it would be wasted on
    report = progress or (lambda done, total: None)
    report(0, ROUNDS + 1)
    trace = run_engine(park, events, spec)
    report(1, ROUNDS + 1)
    at = peak_moment(trace) if at_min is None else float(at_min)
    step = int(np.searchsorted(trace.edges[:-1], at, side="right")) - 1
    demand_w = trace.series["building_power_demand_kw"][step, grid.load_building] * 1e3
    restoration = park.power.network.restoration_min  # type: ignore[union-attr]
    states = [_normal(grid)] + (
        [_after(grid, c, restoration) for c, _ in contingencies(grid)] if n1 else []
    )
    study = _Study(grid, states, demand_w, math.tan(math.acos(power_factor)))
    study.bisect(lambda done: report(1 + done, ROUNDS + 1))
    doc = {
        "park": park.park.name,
        "at": moment_label(at),
        "power_factor": power_factor,
        "v_min_pu": SECURE_V_PU,
        "demand_mw": round(float(demand_w.sum()) / 1e6, 6),
        "base_within_limits": study.secure_now[0],
        "buses": study.bus_rows(bus_labels(park)),
    }
    if n1:
        doc["n1"] = {
            "outages": len(states) - 1,
            "insecure_now": [
                s.outage
                for s, ok in zip(states, study.secure_now, strict=True)
                if not ok and s.outage
            ],
        }
    return doc


def _checked_grid(park: Park, power_factor: float, n1: bool) -> Grid:
    """The park's network as arrays, once it is known to fit a study."""
    if park.power is None or park.power.network is None:
        raise UsageError(
            "parktwin headroom needs a park with power.network (SPEC.md, Power network)"
        )
    if not 0.3 <= power_factor <= 1.0:
        raise UsageError(f"`power_factor` must be 0.3 to 1, got {power_factor:g}")
    buses = len(park.power.network.buses)
    if buses > MAX_BUSES:
        raise UsageError(
            f"power.network: {buses} buses; parktwin headroom studies at most {MAX_BUSES} (its "
            "time grows with the square of the buses): study a part of the network as a park "
            "of its own"
        )
    grid = build_grid(park)
    pairs = buses * len(contingencies(grid))
    if n1 and pairs > MAX_N1_ROWS:
        raise UsageError(
            f"power.network: {buses} buses and {len(contingencies(grid))} single outages make "
            f"{pairs:,} pairs; headroom with N-1 studies at most {MAX_N1_ROWS:,}: leave out "
            "`n1`, or study a part of the network as a park of its own"
        )
    return grid


def _normal(grid: Grid) -> _State:
    """Normal operation: every element in service, normally open points open."""
    on = Switching(
        grid.line_normally_closed[None, :].copy(),
        np.ones((1, len(grid.trafo_ids)), dtype=bool),
        np.ones((1, len(grid.source_ids)), dtype=bool),
    )
    return _State(None, on, energized(grid, on.line_on[0], on.trafo_on[0], on.source_on[0]))


def _after(grid: Grid, outage: str, restoration_min: float) -> _State:
    """The switching once `outage` is in and restoration has closed what ties it can."""
    span = (0.0, restoration_min + 1.0)
    last = switching_segments(
        grid, {outage: Intervals.of([(0.0, math.inf)])}, span, restoration_min
    )[-1]
    on = Switching(last.line_on[None, :], last.trafo_on[None, :], last.source_on[None, :])
    return _State(outage, on, last.bus_on)


class _Study:
    """The bisection over every (state, live bus) pair at once, with one trial load per bus."""

    def __init__(
        self, grid: Grid, states: list[_State], demand_w: np.ndarray, tan_phi: float
    ) -> None:
        n = grid.n_park_buses
        self.grid = dataclasses.replace(
            grid,
            load_building=np.concatenate([grid.load_building, np.full(n, -1)]),
            load_bus=np.concatenate([grid.load_bus, np.arange(n)]),
            load_tan_phi=np.concatenate([grid.load_tan_phi, np.full(n, tan_phi)]),
            load_priority=np.concatenate([grid.load_priority, np.zeros(n, dtype=np.int64)]),
        )
        self.n, self.states, self.demand_w = n, states, demand_w
        everyone = np.arange(len(states))
        base = self._flow(everyone, np.zeros(len(states), dtype=np.int64), np.zeros(len(states)))
        self.broken_now = self._violations(base, everyone)
        self.secure_now = [not v for v in self.broken_now]
        pairs = [(k, b) for k, s in enumerate(states) for b in range(n) if s.live[b] or k == 0]
        pairs = [(k, b) for k, b in pairs if self.secure_now[k] or k == 0]
        self.state = np.array([k for k, _ in pairs], dtype=np.int64)
        self.bus = np.array([b for _, b in pairs], dtype=np.int64)
        self.low = np.zeros(len(pairs))
        self.high = np.where(np.array(self.secure_now)[self.state], TOP_W, 0.0)

    def _flow(self, states: np.ndarray, buses: np.ndarray, added_w: np.ndarray) -> PowerFlow:
        """The load flow of the moment in `states[k]` with `added_w[k]` more at `buses[k]`."""
        rows = len(added_w)
        loads = np.zeros((rows, len(self.demand_w) + self.n))
        loads[:, : len(self.demand_w)] = self.demand_w
        loads[np.arange(rows), len(self.demand_w) + buses] = added_w
        chosen = [self.states[k].switching for k in states]
        on = Switching(
            *(
                np.concatenate([getattr(s, f) for s in chosen])
                for f in ("line_on", "trafo_on", "source_on")
            )
        )
        return solve(self.grid, loads, on)

    def _violations(self, flow: PowerFlow, states: np.ndarray) -> list[list[dict[str, Any]]]:
        """Per row, the limits broken: element kind, id and the value against its limit; a
        building left without supply in the row's state counts too."""
        grid = self.grid
        found: list[list[dict[str, Any]]] = [[] for _ in flow.converged]
        checks = (
            ("line", grid.line_ids, flow.line_loading, lambda v: v > LIMIT),
            ("transformer", grid.trafo_ids, flow.trafo_loading, lambda v: v > LIMIT),
            (
                "substation",
                grid.source_ids,
                flow.source_p_w / grid.source_rating_w,
                lambda v: v > LIMIT,
            ),
            ("bus", grid.bus_ids[: self.n], flow.bus_v_pu[:, : self.n], lambda v: v < SECURE_V_PU),
        )
        for kind, ids, values, broken in checks:
            rows, cols = np.nonzero(broken(np.nan_to_num(values, nan=1.0)))
            for r, c in zip(rows, cols, strict=True):
                found[r].append(_violation(kind, ids[c], float(values[r, c])))
        loaded = self.grid.load_bus[: len(self.demand_w)][self.demand_w > 0]
        for row, state in enumerate(states.tolist()):
            live = self.states[state].live
            dead = sorted({self.grid.bus_ids[b] for b in loaded if not live[b]})
            found[row] += [{"kind": "supply", "id": bus} for bus in dead]
            if not flow.converged[row]:
                found[row] = [{"kind": "convergence"}]
        return found

    def bisect(self, rounds_done: Callable[[int], None]) -> None:
        """Halve every pair's bracket :data:`ROUNDS` times."""
        for done in range(1, ROUNDS + 1):
            middle = (self.low + self.high) / 2.0
            open_ = self.high > 0
            broken = np.ones(len(middle), dtype=bool)
            if open_.any():
                flow = self._flow(self.state[open_], self.bus[open_], middle[open_])
                broken[open_] = [bool(v) for v in self._violations(flow, self.state[open_])]
            self.high = np.where(broken & open_, middle, self.high)
            self.low = np.where(broken | ~open_, self.low, middle)
            rounds_done(done)

    def bus_rows(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        """Each bus's headroom (and N-1 headroom), most room first, with what binds them."""
        above = self._violations(self._flow(self.state, self.bus, self.high), self.state)
        rows = [self._bus_row(b, labels, above) for b in range(self.n)]
        return sorted(rows, key=lambda r: -r.get("n1", r)["headroom_mw"])

    def _bus_row(
        self, bus: int, labels: dict[str, str], above: list[list[dict[str, Any]]]
    ) -> dict[str, Any]:
        normal = int(np.flatnonzero((self.state == 0) & (self.bus == bus))[0])
        bus_id = self.grid.bus_ids[bus]
        row = {"id": bus_id, "label": labels[bus_id], **self._room(normal, above)}
        if len(self.states) == 1:
            return row
        secure = [k for k in range(1, len(self.states)) if self.secure_now[k]]
        cut = [k for k in secure if not self.states[k].live[bus]]
        if cut:  # an outage the park withstands now leaves this bus without supply
            outage = self.states[cut[0]].outage
            row["n1"] = {"headroom_mw": 0.0, "at_least": False, "outage": outage,
                         "binding": [{"kind": "supply", "id": bus_id}]}  # fmt: skip
            return row
        mine = np.flatnonzero((self.state > 0) & (self.bus == bus))
        if not len(mine):
            row["n1"] = {**self._room(normal, above), "outage": None}
            return row
        worst = int(mine[np.argmin(self.low[mine])])
        if self.low[worst] >= self.low[normal]:  # no outage leaves less room than none
            row["n1"] = {**self._room(normal, above), "outage": None}
        else:
            outage = self.states[self.state[worst]].outage
            row["n1"] = {**self._room(worst, above), "outage": outage}
        return row

    def _room(self, pair: int, above: list[list[dict[str, Any]]]) -> dict[str, Any]:
        took_all = bool(self.low[pair] >= TOP_W / 2.0 and self.high[pair] >= TOP_W)
        binding = [] if took_all else above[pair]
        if self.high[pair] == 0:  # broken with the park's own load already
            binding = self.broken_now[self.state[pair]]
        return {
            "headroom_mw": round(float(self.low[pair]) / 1e6, 3),
            "at_least": took_all,
            "binding": binding,
        }


def _violation(kind: str, element: str, value: float) -> dict[str, Any]:
    """A broken limit: loadings in %, voltages in pu."""
    if kind == "bus":
        return {"kind": kind, "id": element, "v_pu": round(value, 5)}
    return {"kind": kind, "id": element, "loading_pct": round(100.0 * value, 3)}
