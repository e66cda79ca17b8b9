"""Headroom: the largest new load each bus of the power network can take at one moment.

"Which ring can take the new factory?" For every bus of `power.network`, the largest extra
active power (at the new load's power factor) that the network carries at the moment, in normal
operation (every element in service, normally open points open), with:

- every line and transformer within its rating;
- every substation without transformers within its `capacity_mw`;
- every live bus at or above 0.95 pu, the voltage of a secure state in N-1.

The park's own loads are what its buildings ask at that moment in a run of the park (with
its scenario). The search is a bisection. At each round, every bus's trial size goes to
the solver in one batch (:func:`twin.sim.loadflow.solve`). A study is about
:data:`ROUNDS` load flows of one step per bus. What binds is named: the elements past
their limit just above the headroom.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from twin.errors import UsageError
from twin.experiment.n1 import SECURE_V_PU, bus_labels, moment_label, peak_moment
from twin.experiment.settings import Case
from twin.experiment.workload import check_spec
from twin.model.schema import Event, Park
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.loadflow import PowerFlow, Switching, solve
from twin.sim.network import Grid, build_grid

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


def headroom_analysis(
    park: Park,
    events: list[Event],
    at_min: float | None = None,
    power_factor: float = 0.95,
    spec: RunSpec | None = None,
    progress: Callable[[float, int], None] | None = None,
) -> dict[str, Any]:
    """The headroom of every bus at `at_min` (default: the peak demand), as headroom.json.

    Args:
        park: the park (it must have `power.network`).
        events: timed events of the run (a scenario's); they shape the demand at the moment.
        at_min: the moment, minutes from the start of the horizon; None: the peak demand.
        power_factor: the new load's power factor (lagging), 0.3 to 1.
        spec: horizon, warm-up and seed of the run that gives the park's demand.
        progress: called with (steps done, steps planned): the run, then each round.

    Raises:
        UsageError: no network, more than :data:`MAX_BUSES` buses, the moment outside the
            horizon, or a power factor out of range.
    """
    if park.power is None or park.power.network is None:
        raise UsageError(
            "parktwin headroom needs a park with power.network (SPEC.md, Power network)"
        )
    if not 0.3 <= power_factor <= 1.0:
        raise UsageError(f"`power_factor` must be 0.3 to 1, got {power_factor:g}")
    if len(park.power.network.buses) > MAX_BUSES:
        raise UsageError(
            f"power.network: {len(park.power.network.buses)} buses; parktwin headroom studies "
            f"at most {MAX_BUSES} (its time grows with the square of the buses): study a part "
            "of the network as a park of its own"
        )
    spec = spec or RunSpec()
    check_spec(Case(park, tuple(events)), spec)
    report = progress or (lambda done, total: None)
    report(0, ROUNDS + 1)
    trace = run_engine(park, events, spec)
    report(1, ROUNDS + 1)
    at = peak_moment(trace) if at_min is None else float(at_min)
    if not 0 <= at < spec.horizon_min or at != math.floor(at):
        raise UsageError(
            f"the moment `at` ({moment_label(at)}) must be a whole minute inside the horizon "
            f"(day 0 00:00 up to {spec.horizon_days:g} days later)"
        )
    step = int(np.searchsorted(trace.edges[:-1], at, side="right")) - 1
    grid = build_grid(park)
    demand_w = trace.series["building_power_demand_kw"][step, grid.load_building] * 1e3
    study = _Study(grid, demand_w, math.tan(math.acos(power_factor)))
    study.bisect(lambda done: report(1 + done, ROUNDS + 1))
    rows = study.rows(bus_labels(park))
    return {
        "park": park.park.name,
        "at": moment_label(at),
        "power_factor": power_factor,
        "v_min_pu": SECURE_V_PU,
        "demand_mw": round(float(demand_w.sum()) / 1e6, 6),
        "base_within_limits": not study.base_breaks,
        "buses": sorted(rows, key=lambda r: -r["headroom_mw"]),
    }


class _Study:
    """The bisection over every bus at once, on the grid with one trial load per bus."""

    def __init__(self, grid: Grid, demand_w: np.ndarray, tan_phi: float) -> None:
        n = grid.n_park_buses
        self.grid = dataclasses.replace(
            grid,
            load_building=np.concatenate([grid.load_building, np.full(n, -1)]),
            load_bus=np.concatenate([grid.load_bus, np.arange(n)]),
            load_tan_phi=np.concatenate([grid.load_tan_phi, np.full(n, tan_phi)]),
            load_priority=np.concatenate([grid.load_priority, np.zeros(n, dtype=np.int64)]),
        )
        self.n = n
        self.demand_w = demand_w
        base = self._flow(np.zeros(1), np.zeros(1, dtype=np.int64))
        self.base_breaks = bool(self._breaks(base)[0])
        self.low = np.zeros(n)
        self.high = np.full(n, 0.0 if self.base_breaks else TOP_W)

    def _flow(self, added_w: np.ndarray, buses: np.ndarray) -> PowerFlow:
        """The load flow of the moment with `added_w[k]` more at bus `buses[k]`, row by row."""
        rows = len(added_w)
        loads = np.zeros((rows, len(self.demand_w) + self.n))
        loads[:, : len(self.demand_w)] = self.demand_w
        loads[np.arange(rows), len(self.demand_w) + buses] = added_w
        grid = self.grid
        on = Switching(
            np.tile(grid.line_normally_closed, (rows, 1)),
            np.ones((rows, len(grid.trafo_ids)), dtype=bool),
            np.ones((rows, len(grid.source_ids)), dtype=bool),
        )
        return solve(grid, loads, on)

    def _violations(self, flow: PowerFlow) -> list[list[dict[str, Any]]]:
        """Per row, the limits broken: element kind, id and the value against its limit."""
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
        for r in np.flatnonzero(~flow.converged):
            found[r] = [{"kind": "convergence"}]
        return found

    def _breaks(self, flow: PowerFlow) -> np.ndarray:
        return np.array([bool(v) for v in self._violations(flow)])

    def bisect(self, rounds_done: Callable[[int], None]) -> None:
        """Halve every bus's bracket :data:`ROUNDS` times (nothing to do if the base breaks)."""
        buses = np.arange(self.n)
        for done in range(1, ROUNDS + 1):
            if not self.base_breaks:
                middle = (self.low + self.high) / 2.0
                broken = self._breaks(self._flow(middle, buses))
                self.high = np.where(broken, middle, self.high)
                self.low = np.where(broken, self.low, middle)
            rounds_done(done)

    def rows(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        """Each bus's headroom, and the limits broken just above it (none when it took all)."""
        above = self._violations(self._flow(self.high, np.arange(self.n)))
        rows = []
        for bus in range(self.n):
            took_all = bool(self.low[bus] >= TOP_W / 2.0 and self.high[bus] >= TOP_W)
            rows.append({
                "id": self.grid.bus_ids[bus],
                "label": labels[self.grid.bus_ids[bus]],
                "headroom_mw": round(float(self.low[bus]) / 1e6, 3),
                "at_least": took_all,
                "binding": [] if took_all else above[bus],
            })  # fmt: skip
        return rows


def _violation(kind: str, element: str, value: float) -> dict[str, Any]:
    """A broken limit: loadings in %, voltages in pu."""
    if kind == "bus":
        return {"kind": kind, "id": element, "v_pu": round(value, 5)}
    return {"kind": kind, "id": element, "loading_pct": round(100.0 * value, 3)}
