"""The engine: one replication of a park, from its spec to a :class:`~twin.sim.trace.Trace`.

The engine knows no asset by name. It prepares the shared :class:`SimContext` (calendar,
outages, who has power, random streams), lets every registered asset family
(:mod:`twin.model.assets`) add its SimPy processes, runs the environment, and lets each family
record its results in order. The built-in families are trucks (:mod:`twin.sim.logistics`, SimPy) and
buildings, power and water (:mod:`twin.sim.buildings`, :mod:`twin.sim.power`,
:mod:`twin.sim.water`, numpy on a time grid); plugins join the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

import numpy as np
import simpy

from twin.model.assets import Recorder, families
from twin.model.schema import Event, Park
from twin.sim import loadflow
from twin.sim.context import RunSpec, SimContext
from twin.sim.start_state import StartState, start_state_problems
from twin.sim.trace import Trace

PROGRESS_STEPS = 40


def run_engine(
    park: Park,
    events: Sequence[Event] = (),
    spec: RunSpec | None = None,
    progress: Callable[[float], None] | None = None,
    scenario: str | None = None,
    start: StartState | None = None,
) -> Trace:
    """Simulate one replication of `park` under timed `events` and return its trace.

    Args:
        park: the (scenario-applied) park.
        events: outages and rate changes, times counted from the start of the horizon.
        spec: horizon, warm-up, grid step, seed and replication (defaults: 7 days after 1).
        progress: called with the fraction done (0..1) as the run advances.
        scenario: the scenario's name, recorded in the trace's metadata.
        start: a warm start: the trucks present and outages in effect at the start (see
            :mod:`twin.sim.start_state` for the rules). The horizon then begins at the state's
            time (the park's calendar start moves there) and `spec` must have no warm-up.

    Raises:
        ValueError: a start state with a warm-up, or one that does not fit the park (the
            message names the truck or outage).
    """
    spec = spec or RunSpec()
    if start is not None:
        park = _warm_park(park, spec, start)
    ctx = SimContext(park, spec, events, start)
    env = simpy.Environment(initial_time=ctx.span[0])
    active = families()
    states = {f.name: f.start(ctx, env) if f.start else None for f in active}
    lo, hi = ctx.span
    if progress is None:
        env.run(until=hi)
    else:
        for until in np.linspace(lo, hi, PROGRESS_STEPS + 1)[1:]:
            env.run(until=float(until))
            progress((until - lo) / (hi - lo))
    record = Recorder()
    for family in active:
        if family.finish is not None:
            family.finish(ctx, states[family.name], record)
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
        **record.meta,
    }
    trace = Trace(
        meta=meta,
        names=record.names,
        trucks=record.trucks,
        edges=ctx.edges,
        series=record.series,
        extra=record.extra,
        park_json=park.model_dump_json(by_alias=True, exclude_none=True),
    )
    trace.remember_park(park)
    return trace


def prepare_shared(
    park: Park,
    events: Sequence[Event] = (),
    spec: RunSpec | None = None,
    start: StartState | None = None,
    threads: int = 1,
) -> None:
    """Make now, in this process, what every replication of `park` under `events` shares.

    That is the power network's supply plan (:func:`twin.sim.supply.reused_plan`), which
    depends on the park, the horizon and the outages but on no random number. A replication
    run afterwards in this process, or in a worker process forked from it afterwards, reuses it
    instead of making its own; the results are the same either way. `threads` is how many
    threads its load flow may use (:func:`twin.sim.loadflow.threads`). Arguments as for
    :func:`run_engine`.

    Nothing is raised: whatever fails here fails again in each replication, which reports it
    with the replication and its seed.
    """
    spec = spec or RunSpec()
    try:
        if start is not None:
            park = _warm_park(park, spec, start)
        with loadflow.threads(threads):
            _ = SimContext(park, spec, events, start).supply
    except Exception:  # the replications report it (see above)
        return


def _warm_park(park: Park, spec: RunSpec, start: StartState) -> Park:
    """The park with its calendar start moved to the state's moment, after checking the state."""
    if spec.warmup_min != 0:
        raise ValueError("a warm start has no warm-up: use warmup_days=0")
    problems = start_state_problems(park, start)
    if problems:
        raise ValueError("; ".join(f"{place}: {message}" for place, message in problems[:5]))
    moment = start.time
    if moment.tzinfo is not None:  # to park-local time, as the park's calendar is
        moment = moment.astimezone(ZoneInfo(park.park.timezone)).replace(tzinfo=None)
    iso = moment.replace(microsecond=0).isoformat(timespec="seconds")
    return park.model_copy(update={"park": park.park.model_copy(update={"start": iso})})
