"""The traces a picture shows: loaded from a saved run, or simulated just long enough.

No rendering here: this is the bridge from the command line's options to
:class:`~twin.trace.Trace` objects, through the same library calls as ``parktwin run``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from twin.api import simulate
from twin.errors import UsageError
from twin.inputs import ParkSource
from twin.trace import Trace


def days_to_cover(until_min: float) -> float:
    """Whole days of horizon needed to record up to the moment `until_min` (at least 1)."""
    return float(max(1, math.ceil(until_min / 1440.0 - 1e-9)))


def _simulate(
    park: ParkSource | None,
    scenario: str | os.PathLike[str] | None,
    days: float,
    warmup_days: float | str = 1.0,
    seed: int = 0,
    replication: int = 0,
    step_min: float = 15.0,
) -> Trace:
    """One replication, as :func:`twin.api.simulate` makes it (``"auto"`` warm-up included)."""
    return simulate(
        park,
        None if scenario is None else str(scenario),
        days=days,
        warmup_days=warmup_days,
        seed=seed,
        replication=replication,
        step_min=step_min,
    )


def traces_for(
    park: ParkSource | os.PathLike[str] | None = None,
    scenario: str | os.PathLike[str] | None = None,
    trace: str | os.PathLike[str] | None = None,
    compare: str | os.PathLike[str] | None = None,
    until_min: float = 0.0,
    days: float | None = None,
    warmup_days: float | str = 1.0,
    seed: int = 0,
) -> list[Trace]:
    """The run to show, and with `compare` the same park under that scenario beside it.

    Args:
        park: Park file, bundled name, dict or Park.
        scenario: Scenario of the (left) run.
        trace: A saved run (folder with trace.npz, or the file) to play instead of simulating.
        compare: A scenario to simulate beside it with the same seed, horizon and warm-up
            (with `trace`, applied to the park stored in the trace, with the trace's
            replication, grid step, horizon and warm-up, so that the pair is paired).
        until_min: The last moment to show; the horizon covers it when `days` is None.
        days: Horizon in days, or None for just enough.
        warmup_days: Warm-up days, or ``"auto"`` for the warm-up ``run --warmup auto`` picks
            (the comparison then starts after the same warm-up as the run).
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
                _simulate(
                    first.park,
                    compare,
                    days=first.horizon_min / 1440.0,
                    warmup_days=first.warmup_min / 1440.0,
                    seed=int(first.meta.get("seed", 0)),
                    replication=int(first.meta.get("replication", 0)),
                    step_min=float(first.meta.get("step_min", 15.0)),
                )
            )
        return traces
    horizon = days if days is not None else days_to_cover(until_min)
    source = os.fspath(park) if isinstance(park, os.PathLike) else park
    traces = [_simulate(source, scenario, horizon, warmup_days, seed)]
    if compare is not None:
        chosen = traces[0].warmup_min / 1440.0  # "auto" chose it for the run: share it
        traces.append(_simulate(source, compare, horizon, chosen, seed))
    return traces
