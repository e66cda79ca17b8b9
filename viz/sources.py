"""The traces a picture shows: loaded from a saved run, or simulated just long enough.

No rendering here: this is the bridge from the command line's options to
:class:`~twin.trace.Trace` objects, through the same library calls as ``parktwin run``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from twin.errors import UsageError
from twin.trace import Trace


def days_to_cover(until_min: float) -> float:
    """Whole days of horizon needed to record up to the moment `until_min` (at least 1)."""
    return float(max(1, math.ceil(until_min / 1440.0 - 1e-9)))


def simulate(
    park: str | os.PathLike[str] | None,
    scenario: str | os.PathLike[str] | None,
    days: float,
    warmup_days: float = 1.0,
    seed: int = 0,
    base: object | None = None,
) -> Trace:
    """One replication of a park (under an optional scenario), as a trace.

    Args:
        park: Park file or bundled name (None: the scenario's base, else the default park).
        scenario: Scenario file or bundled name, or None for the park as is.
        days: Horizon in days.
        warmup_days: Warm-up days before the horizon.
        seed: Base seed; replication 0 of every scenario sees the same random numbers.
        base: A :class:`~twin.schema.Park` to use instead of `park` (A/B from a saved trace).
    """
    from twin.api import load_inputs
    from twin.settings import Settings
    from twin.sim.engine import simulate as run_engine

    settings = Settings(days=days, warmup_days=warmup_days, seed=seed)
    inputs = load_inputs(base if base is not None else park, scenario)  # type: ignore[arg-type]
    return run_engine(inputs.park, inputs.events, settings.spec(0), scenario=inputs.scenario_name)


def traces_for(
    park: str | os.PathLike[str] | None = None,
    scenario: str | os.PathLike[str] | None = None,
    trace: str | os.PathLike[str] | None = None,
    compare: str | os.PathLike[str] | None = None,
    until_min: float = 0.0,
    days: float | None = None,
    warmup_days: float = 1.0,
    seed: int = 0,
) -> list[Trace]:
    """The run to show, and with `compare` the same park under that scenario beside it.

    Args:
        park: Park file or bundled name.
        scenario: Scenario of the (left) run.
        trace: A saved run (folder with trace.npz, or the file) to play instead of simulating.
        compare: A scenario to simulate beside it with the same seed, horizon and warm-up
            (with `trace`, applied to the park stored in the trace).
        until_min: The last moment to show; the horizon covers it when `days` is None.
        days: Horizon in days, or None for just enough.
        warmup_days: Warm-up days.
        seed: Base seed.

    Returns:
        One trace, or two (the run, then the comparison).

    Raises:
        UsageError: Contradictory options.
    """
    if trace is not None:
        if park is not None or scenario is not None:
            raise UsageError(
                "--trace plays a saved run: leave out PARK and --scenario "
                "(the trace holds the park it was simulated with)"
            )
        first = Trace.load(Path(trace))
        traces = [first]
        if compare is not None:
            traces.append(
                simulate(
                    None,
                    compare,
                    days=first.horizon_min / 1440.0,
                    warmup_days=first.warmup_min / 1440.0,
                    seed=int(first.meta.get("seed", 0)),
                    base=first.park,
                )
            )
        return traces
    horizon = days if days is not None else days_to_cover(until_min)
    traces = [simulate(park, scenario, horizon, warmup_days, seed)]
    if compare is not None:
        traces.append(simulate(park, compare, horizon, warmup_days, seed))
    return traces
