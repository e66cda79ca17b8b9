"""The power network on the page: where its lines run, and how loaded they are right now.

A park with `power.network` (SPEC.md "Power network") gets its lines drawn on the plan. Their
geometry is :func:`network_plan` (part of ``GET /api/park``); their state at a moment is
:meth:`NetworkModel.status` (part of ``GET /api/status``): one AC load flow of the moment's
demand, with the outages in effect switched as the engine switches them (an outage opens its
element; once it has lasted `restoration_min`, normally open switches pick up what they can;
curtailment leaves the lowest-priority buildings off where a tie would overload). It is the
engine's own supply plan (:func:`twin.sim.supply.plan_supply`) over one minute, so the page
and a simulated run agree on what a fault does.

Where lines run is :func:`viz.network.bus_positions`, as in 3D. Colours of loading (the same
on the plan and in 3D, :data:`viz.palette.LOADING_BANDS`): green
below 80% of the rating, amber from 80% to 100%, red above 100%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.model.intervals import Intervals
from twin.model.schema import Park
from twin.sim.loadflow import solver
from twin.sim.network import Grid, build_grid
from twin.sim.start_state import OutageNow
from twin.sim.supply import plan_supply
from viz.network import bus_positions

NEVER_MIN = 1e9
"""End of an outage nobody gave an expected end (minutes after now)."""


def network_plan(park: Park) -> dict[str, Any] | None:
    """The network's geometry for the plan, None without `power.network`.

    Returns:
        ``{"buses": [{"id", "position", "substation"}], "lines": [{"id", "from", "to",
        "points", "tie"}]}``; ``points`` is ``[[x, y], [x, y]]`` (empty when an end has no
        position) and ``tie`` is true for a normally open line.
    """
    power = park.power
    if power is None or power.network is None:
        return None
    net = power.network
    where = bus_positions(park)
    open_lines = {s.line for s in net.switches if not s.closed}
    lines = []
    for line in net.lines:
        ends = [where.get(line.from_bus), where.get(line.to_bus)]
        lines.append(
            {
                "id": line.id,
                "from": line.from_bus,
                "to": line.to_bus,
                "points": ends if all(e is not None for e in ends) else [],
                "tie": line.id in open_lines,
            }
        )
    buses = [
        {"id": b.id, "position": where.get(b.id), "substation": b.substation} for b in net.buses
    ]
    return {"buses": buses, "lines": lines}


@dataclass(frozen=True)
class NetworkModel:
    """A park's network, built once, and the load flow of one moment."""

    park: Park
    grid: Grid
    restoration_min: float

    @classmethod
    def of(cls, park: Park) -> NetworkModel | None:
        """The model of a park's network, None without `power.network`.

        Raises:
            UsageError: the park has a network and the load-flow solver is not installed.
        """
        if park.power is None or park.power.network is None:
            return None
        solver()  # a park with a network needs the load-flow solver: said when serving starts
        return cls(park, build_grid(park), park.power.network.restoration_min)

    def status(self, outages: Sequence[OutageNow], demand_kw: dict[str, float]) -> dict[str, Any]:
        """The network at a moment: each line's loading, each bus's voltage, who has power.

        Args:
            outages: the outages in effect (their elapsed and expected remaining minutes).
            demand_kw: each building's demand now, kW (missing: 0).

        Returns:
            ``{"lines": {id: {"loading_pct", "closed"}}, "buses": {id: v_pu or None},
            "sources_kw": {substation: kW}, "unpowered": [building ids], "converged": bool}``;
            a de-energised bus has None; a substation's source power is what it gives its
            loads and the losses on the way (the engine's ``substation_load_kw``).
        """
        grid = self.grid
        off = {
            o.asset: Intervals.of(
                [
                    (
                        -o.elapsed_min,
                        NEVER_MIN if o.expected_remaining_min is None else o.expected_remaining_min,
                    )
                ]
            )
            for o in outages
            if o.asset in grid.assets
        }
        demand = np.array([[demand_kw.get(b.id, 0.0) for b in self.park.buildings]], dtype=float)
        edges = np.array([0.0, 1.0])
        plan = plan_supply(grid, edges, off, demand, self.restoration_min)
        loading = 100.0 * plan.flow.line_loading[0]
        closed = plan.segments[0].line_on
        volts = plan.flow.bus_v_pu[0]
        names = self.park.buildings
        unpowered = sorted(
            {names[int(grid.load_building[k])].id for k, iv in enumerate(plan.load_off) if iv}
        )
        return {
            "lines": {
                line: {"loading_pct": float(loading[i]), "closed": bool(closed[i])}
                for i, line in enumerate(grid.line_ids)
            },
            "buses": {
                bus: None if not np.isfinite(volts[i]) else float(volts[i])
                for i, bus in enumerate(grid.bus_ids[: grid.n_park_buses])
            },
            "sources_kw": {
                sub: float(plan.flow.source_p_w[0, i]) / 1e3
                for i, sub in enumerate(grid.source_ids)
            },
            "unpowered": unpowered,
            "converged": bool(plan.flow.converged[0]),
        }
