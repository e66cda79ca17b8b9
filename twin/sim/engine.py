"""The engine: one replication of a park, from its spec to a :class:`~twin.trace.Trace`.

Trucks run as SimPy processes (:mod:`twin.sim.logistics`); buildings, power and water are
computed on a time grid with numpy (:mod:`twin.sim.buildings`, :mod:`twin.sim.power`,
:mod:`twin.sim.water`). The families meet only through the shared :class:`SimContext`
(calendar, outages, who has power) and the trace; none knows another's internals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import simpy

from twin.schema import Event, Park
from twin.sim.buildings import building_series, production_units
from twin.sim.context import RunSpec, SimContext
from twin.sim.logistics import run_logistics
from twin.sim.power import power_series
from twin.sim.water import water_series
from twin.trace import Trace, occupancy_integral


def simulate(
    park: Park,
    events: Sequence[Event] = (),
    spec: RunSpec | None = None,
    progress: Callable[[float], None] | None = None,
    scenario: str | None = None,
) -> Trace:
    """Simulate one replication of `park` under timed `events` and return its trace.

    Args:
        park: the (scenario-applied) park.
        events: outages and rate changes, times counted from the start of the horizon.
        spec: horizon, warm-up, grid step, seed and replication (defaults: 7 days after 1).
        progress: called with the fraction done (0..1) as the run advances.
        scenario: the scenario's name, recorded in the trace's metadata.
    """
    spec = spec or RunSpec()
    ctx = SimContext(park, spec, events)
    env = simpy.Environment(initial_time=ctx.span[0])
    trucks, _ = run_logistics(ctx, env, progress)
    series = building_series(ctx)
    series.update(power_series(ctx, series))
    series.update(water_series(ctx, series))
    series["dock_queue_mean"] = _dock_queue(ctx, trucks)
    names = {
        "buildings": [b.id for b in park.buildings],
        "feeders": [f.id for f in park.power.feeders] if park.power else [],
        "substations": [s.id for s in park.power.substations] if park.power else [],
        "gates": [g.id for g in park.logistics.gates],
        "dock_groups": [g.id for g in park.logistics.dock_groups],
        "flows": [f.id for f in park.logistics.flows],
    }
    production = production_units(ctx, 0.0, spec.horizon_min)
    meta = {
        "park": park.park.name,
        "scenario": scenario,
        "seed": spec.seed,
        "replication": spec.replication,
        "horizon_min": spec.horizon_min,
        "warmup_min": spec.warmup_min,
        "step_min": spec.step_min,
        "start": park.park.start,
        "events": [e.model_dump(mode="json", by_alias=True) for e in events],
        "production_units": production,
    }
    return Trace(
        meta=meta,
        names=names,
        trucks=trucks,
        edges=ctx.edges,
        series=series,
        park_json=park.model_dump_json(by_alias=True, exclude_none=True),
    )


def _dock_queue(ctx: SimContext, trucks: dict[str, np.ndarray]) -> np.ndarray:
    """Time-average number of trucks waiting for each dock group, per grid step."""
    edges = ctx.edges
    groups = ctx.park.logistics.dock_groups
    out = np.zeros((len(edges) - 1, len(groups)))
    for j in range(len(groups)):
        mine = trucks["dock_group"] == j
        out[:, j] = occupancy_integral(
            trucks["dock_arrive"][mine], trucks["dock_start"][mine], edges
        ) / np.diff(edges)
    return out
