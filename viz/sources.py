"""The traces a picture shows: loaded from a saved run, or simulated just long enough.

No rendering here: this is the bridge from the command line's options to
:class:`~twin.sim.trace.Trace` objects, through the same library calls as ``parktwin run``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from twin.api import simulate
from twin.errors import UsageError
from twin.sim.trace import Trace
from viz.options import RunSource


def days_to_cover(until_min: float) -> float:
    """Whole days of horizon needed to record up to the moment `until_min` (at least 1)."""
    return float(max(1, math.ceil(until_min / 1440.0 - 1e-9)))


def traces_for(source: RunSource, until_min: float = 0.0) -> list[Trace]:
    """The run to show, and with ``source.compare`` the same park under that scenario beside it.

    With ``source.trace`` the saved run is played, and the scenario beside it is applied to the
    park stored in the trace, with the trace's seed, replication, grid step, horizon and
    warm-up, so that the pair is paired. Else the park is simulated for ``source.days``, or
    just long enough to reach `until_min`; a ``"auto"`` warm-up is chosen for the run and
    shared with the scenario beside it.

    Returns:
        One trace, or two (the run, then the comparison).

    Raises:
        UsageError: Contradictory options.
    """
    if source.trace is not None:
        return _beside_saved(source)
    horizon = source.days if source.days is not None else days_to_cover(until_min)
    park = os.fspath(source.park) if isinstance(source.park, os.PathLike) else source.park
    run = simulate(
        park, _name(source.scenario), days=horizon, warmup_days=source.warmup_days, seed=source.seed
    )
    traces = [run]
    if source.compare is not None:
        warmup = run.warmup_min / 1440.0  # what "auto" chose for the run
        traces.append(
            simulate(
                park, _name(source.compare), days=horizon, warmup_days=warmup, seed=source.seed
            )
        )
    return traces


def _beside_saved(source: RunSource) -> list[Trace]:
    """A saved trace, and the scenario ``source.compare`` on its park with its random numbers."""
    if source.park is not None or source.scenario is not None:
        raise UsageError(
            "--trace plays a saved run: leave out PARK and --scenario "
            "(the trace holds the park it was simulated with)"
        )
    assert source.trace is not None
    first = Trace.load(Path(source.trace))
    if source.compare is None:
        return [first]
    beside = simulate(
        first.park,
        _name(source.compare),
        days=first.horizon_min / 1440.0,
        warmup_days=first.warmup_min / 1440.0,
        seed=int(first.meta.get("seed", 0)),
        replication=int(first.meta.get("replication", 0)),
        step_min=float(first.meta.get("step_min", 15.0)),
    )
    return [first, beside]


def _name(path: str | os.PathLike[str] | None) -> str | None:
    return None if path is None else os.fspath(path)
