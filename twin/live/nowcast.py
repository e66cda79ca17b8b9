"""Nowcast: replications of the next hours from the park's state now (SPEC.md forecast.json).

:func:`forecast_samples` runs the replications from a :class:`~twin.sim.start_state.StartState`
(a warm start, :mod:`twin.sim.start_state`) and samples every series at the end of each step;
:func:`nowcast` summarises them (mean and 90% prediction band) and raises alerts;
:func:`nowcast_store` does the same from the state a store describes. The back-test
(:mod:`twin.live.backtest`) uses the samples.

Times are the ends of the steps, ``origin + k * step_min`` for k = 1..n. Queue lengths and
trucks in the park are counts at that instant (as ``parktwin state`` counts them); the
gate-to-dock time is the mean over the trucks whose dock service started within the step
ending there (a step where none started has no value); power is the mean load over that step.

Alerts: a threshold per series (``alerts`` in the park file, or the `thresholds` argument,
which wins) raises an alert when the band's upper end (p95) goes above it: at the first such
time, with the probability that the series is above the threshold then (the share of
replications) and the highest probability over the horizon.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from twin.errors import UsageError
from twin.experiment.runner import Progress, replicate
from twin.experiment.settings import Case, Workers
from twin.live.follow import following_at, meter_bands
from twin.live.state import LOOKBACK_H, known_state
from twin.live.store import Store
from twin.model.schema import Park
from twin.model.series import series_names
from twin.sim.start_state import StartState, start_state_problems
from twin.sim.trace import Trace
from twin.stats import prediction_bounds

MAX_HOURS = 7 * 24.0
MAX_REPLICATIONS = 10_000
MAX_SAMPLES = 500_000
"""Replications x steps at most: the samples of a park of 100 series then fit in 400 MB."""
STEP_MIN = 15
"""Minutes between the samples of a forecast, unless a caller gives another step."""
BAND = (0.05, 0.95)


@dataclass(frozen=True)
class Samples:
    """Every replication's value of every series at each step's end.

    Attributes:
        origin: the state's moment.
        step_min: the step.
        times: ends of the steps, minutes after the origin (length n).
        values: series name -> array (replications, n); NaN where a replication has no value.
    """

    origin: datetime
    step_min: float
    times: np.ndarray
    values: dict[str, np.ndarray]

    def moments(self) -> list[datetime]:
        """The steps' ends as calendar times."""
        return [self.origin + timedelta(minutes=float(t)) for t in self.times]


@dataclass(frozen=True)
class Alert:
    """A series whose band's upper end goes above its threshold (SPEC.md's alert object)."""

    series: str
    time: datetime
    threshold: float
    probability: float
    peak_time: datetime
    peak_probability: float

    def to_dict(self) -> dict[str, Any]:
        """The alert as forecast.json and the ``alerts`` topic carry it."""
        return {
            "series": self.series,
            "time": _iso(self.time),
            "threshold": self.threshold,
            "probability": self.probability,
            "peak_time": _iso(self.peak_time),
            "peak_probability": self.peak_probability,
        }


@dataclass(frozen=True)
class Forecast:
    """The forecast of the next hours from a state (SPEC.md's forecast.json, as values).

    Attributes:
        park: the park's name.
        state: the state it starts from.
        hours, replications, seed, step_min: how it was made.
        times: the steps' ends.
        bands: series name -> ``{"mean", "p05", "p95"}``, one value (or None) per time.
        alerts: the alerts raised.
        flows_left_out: the flows left out for want of trucks in the store (None: not asked).
        following: what following the data found (:meth:`twin.live.follow.Following.to_dict`;
            None: a nowcast from a state alone).
    """

    park: str
    state: StartState
    hours: float
    replications: int
    seed: int
    step_min: float
    times: tuple[datetime, ...]
    bands: dict[str, dict[str, list[float | None]]]
    alerts: tuple[Alert, ...] = ()
    flows_left_out: tuple[str, ...] | None = None
    following: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """forecast.json."""
        times = [_iso(t) for t in self.times]
        doc: dict[str, Any] = {
            "park": self.park,
            "origin": _iso(self.state.time),
            "hours": self.hours,
            "replications": self.replications,
            "step_min": self.step_min,
            "seed": self.seed,
            "state": {
                "trucks": len(self.state.trucks),
                "outages": [o.asset for o in self.state.outages],
            },
            "series": {name: {"time": times, **values} for name, values in self.bands.items()},
            "alerts": [a.to_dict() for a in self.alerts],
        }
        if self.flows_left_out is not None:
            doc["flows_left_out"] = list(self.flows_left_out)
        if self.following is not None:
            doc["following"] = self.following
        return doc


def check_options(hours: float, replications: int, step_min: float) -> None:
    """Refuse a horizon, replication count or step out of range (UsageError)."""
    if not 0 < hours <= MAX_HOURS:
        raise UsageError(f"`hours` must be above 0 and at most {MAX_HOURS:g}, got {hours:g}")
    if not 1 <= replications <= MAX_REPLICATIONS:
        raise UsageError(f"`replications` must be 1 to {MAX_REPLICATIONS:,}, got {replications}")
    if not 0 < step_min < math.inf:
        raise UsageError(f"step_min must be above 0, got {step_min:g}")
    if step_min > hours * 60:
        raise UsageError(
            f"`hours` must be at least the forecast's step of {step_min:g} minutes, got {hours:g}"
        )
    steps = math.floor(hours * 60 / step_min + 1e-9)
    if replications * steps > MAX_SAMPLES:
        raise UsageError(
            f"{replications:,} replications of {steps:,} steps is more than {MAX_SAMPLES:,} "
            "samples per series: fewer replications, a shorter horizon or a longer step"
        )


def check_state(park: Park, state: StartState) -> None:
    """Refuse a state that does not fit the park (UsageError naming the truck or outage)."""
    problems = start_state_problems(park, state)
    if problems:
        listed = "; ".join(f"{place}: {message}" for place, message in problems[:5])
        raise UsageError(f"the state does not fit the park: {listed}")


def forecast_samples(
    park: Park,
    state: StartState,
    *,
    hours: float = 4,
    replications: int = 20,
    seed: int = 0,
    step_min: float = STEP_MIN,
    workers: Workers | None = None,
    progress: Progress | None = None,
    parks: Sequence[Park] | None = None,
) -> Samples:
    """Run `replications` warm-started replications and sample every series at each step.

    The replications go through the experiment runner (:func:`twin.experiment.runner.replicate`)
    on `workers`; replication i draws from ``Streams(seed, i)``, so any ``-j`` gives the same
    numbers. With `parks` (one per replication, the same park with its rates drawn from what
    following knows of them), replication i runs ``parks[i]`` with the streams of
    :func:`replication_cases`.

    Raises:
        UsageError: options out of range, or a state that does not fit the park.
        Interrupted: Ctrl-C.
    """
    check_options(hours, replications, step_min)
    check_state(park, state)
    steps = max(1, math.floor(hours * 60 / step_min + 1e-9))
    times = step_min * np.arange(1, steps + 1)
    measure = functools.partial(trace_series, times=times, step_min=step_min)
    runs = _replications(park, state, hours, replications, seed, step_min, workers, progress,
                         measure, parks)  # fmt: skip
    values = {name: np.array([run[name] for run in runs]) for name in series_names(park)}
    return Samples(state.time, step_min, times, values)


def _replications(
    park: Park,
    state: StartState,
    hours: float,
    replications: int,
    seed: int,
    step_min: float,
    workers: Workers | None,
    progress: Progress | None,
    measure: Any,
    parks: Sequence[Park] | None,
) -> list[Any]:
    """The measure of each replication: of `park`, or replication i of ``parks[i]``."""
    workers = workers or Workers()
    if parks is None:
        settings = workers.settings(hours / 24, 0.0, step_min, seed, replications)
        return replicate([Case(park, start=state)], settings, measure, progress)[0]
    if len(parks) != replications:
        raise UsageError(f"{len(parks)} parks for {replications} replications")
    settings = workers.settings(hours / 24, 0.0, step_min, seed, 1)
    cases = replication_cases(parks, state, seed)
    return [runs[0] for runs in replicate(cases, settings, measure, progress)]


def replication_cases(parks: Sequence[Park], state: StartState, seed: int) -> list[Case]:
    """One case per replication, case i running ``parks[i]`` on a seed of its own drawn
    from `seed` and i (its replication 0 draws from ``Streams(that seed, 0)``)."""
    return [
        Case(p, start=state, seed=int(np.random.SeedSequence([seed, i]).generate_state(1)[0]))
        for i, p in enumerate(parks)
    ]


def trace_series(trace: Trace, times: np.ndarray, step_min: float) -> dict[str, np.ndarray]:
    """Every forecast series of one replication at `times` (simulated minutes).

    Counts are taken at each instant; gate-to-dock and power are over ``(t - step_min, t]``.
    """
    trucks = trace.trucks
    names = trace.names
    out: dict[str, np.ndarray] = {}
    for j, group in enumerate(names["dock_groups"]):
        mine = trucks["dock_group"] == j
        out[f"docks.{group}.queue"] = open_at(
            trucks["dock_arrive"][mine], trucks["dock_start"][mine], times
        )
    for j, gate in enumerate(names["gates"]):
        mine = trucks["gate"] == j
        queued = open_at(trucks["arrive"][mine], trucks["gate_start"][mine], times)
        out[f"gates.{gate}.queue"] = queued
    out["trucks.in_park"] = open_at(trucks["arrive"], trucks["exit"], times)
    out["trucks.gate_to_dock_min"] = mean_gate_to_dock(
        trucks["arrive"], trucks["dock_start"], times, step_min
    )
    for kind, series in (("feeders", "feeder_load_kw"), ("substations", "substation_load_kw")):
        loads = trace.series.get(series)
        for j, asset in enumerate(names.get(kind, [])):
            assert loads is not None
            out[f"power.{asset}.load_mw"] = _step_mean(trace.edges, loads[:, j], times, step_min)
    return out


def open_at(starts: np.ndarray, ends: np.ndarray, times: np.ndarray) -> np.ndarray:
    """How many of the intervals ``[starts, ends)`` are open at each time (NaN end: open)."""
    keep = ~np.isnan(starts)
    opened = np.sort(starts[keep])
    closed = np.sort(np.where(np.isnan(ends[keep]), np.inf, ends[keep]))
    count = np.searchsorted(opened, times, side="right") - np.searchsorted(closed, times, "right")
    return count.astype(float)


def mean_gate_to_dock(
    arrive: np.ndarray, dock_start: np.ndarray, times: np.ndarray, step_min: float
) -> np.ndarray:
    """Mean of dock start - arrival over the trucks whose dock service starts in each step
    ``(t - step_min, t]``; NaN for a step where none starts (and for NaN dock starts)."""
    keep = ~np.isnan(dock_start)
    order = np.argsort(dock_start[keep], kind="stable")
    started = dock_start[keep][order]
    waited = np.concatenate([[0.0], np.cumsum(started - arrive[keep][order])])
    hi = np.searchsorted(started, times, side="right")
    lo = np.searchsorted(started, times - step_min, side="right")
    count = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (waited[hi] - waited[lo]) / np.maximum(count, 1), np.nan)


def _step_mean(edges: np.ndarray, kw: np.ndarray, times: np.ndarray, step_min: float) -> np.ndarray:
    """Mean of a grid series (kW, piecewise constant per grid step) over each step, in MW."""
    energy = np.concatenate([[0.0], np.cumsum(kw * np.diff(edges))])
    end = np.interp(times, edges, energy)
    start = np.interp(times - step_min, edges, energy)
    return (end - start) / step_min / 1000.0


def band(values: np.ndarray) -> dict[str, list[float | None]]:
    """Mean and 90% prediction band over replications (axis 0) at each time; None: no value.

    ``p05`` and ``p95`` bound a 90% prediction interval for one more replication at any
    replication count (:func:`twin.stats.prediction_bounds`: order statistics at the ranks
    0.05 (R + 1) and 0.95 (R + 1), widened past the extremes below R = 19). A series that
    cannot go below zero in any replication has its lower bound kept at zero or above.
    """
    any_value = (~np.isnan(values)).any(axis=0)
    with warnings.catch_warnings():  # all-NaN steps warn; they are reported as None
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=0)
        floor = np.nanmin(values, axis=0)
    low, high = prediction_bounds(values, BAND[1] - BAND[0])
    low = np.where(floor >= 0, np.maximum(low, 0.0), low)
    return {
        name: [float(x) if ok else None for x, ok in zip(column, any_value, strict=True)]
        for name, column in (("mean", mean), ("p05", low), ("p95", high))
    }


def alert_thresholds(park: Park, thresholds: Mapping[str, float] | None) -> dict[str, float]:
    """The thresholds in force: the park file's `alerts`, then `thresholds` over them.

    Raises:
        UsageError: a threshold names no series of the forecast.
    """
    known = series_names(park)
    rules = {rule.series: rule.above for rule in park.alerts or []}
    for place, name in [(f"alerts[{i}].series", r.series) for i, r in enumerate(park.alerts or [])]:
        if name not in known:
            raise UsageError(f"{place}: no forecast series '{name}' ({_listing(known)})")
    for name, value in (thresholds or {}).items():
        if name not in known:
            raise UsageError(f"alert threshold: no forecast series '{name}' ({_listing(known)})")
        if not math.isfinite(value):
            raise UsageError(f"alert threshold of '{name}' must be a number, got {value}")
        rules[name] = float(value)
    return rules


def _listing(names: list[str]) -> str:
    return "series: " + ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")


def find_alerts(samples: Samples, thresholds: Mapping[str, float]) -> list[Alert]:
    """An alert for every series whose band's upper end goes above its threshold."""
    alerts = []
    moments = samples.moments()
    for name, threshold in thresholds.items():
        values = samples.values[name]
        high = prediction_bounds(values, BAND[1] - BAND[0])[1]
        crossing = np.flatnonzero(high > threshold)
        if not len(crossing):
            continue
        above = (values > threshold).mean(axis=0)  # NaN counts as not above
        first, peak = int(crossing[0]), int(np.argmax(above))
        alerts.append(
            Alert(
                series=name,
                time=moments[first],
                threshold=threshold,
                probability=float(above[first]),
                peak_time=moments[peak],
                peak_probability=float(above[peak]),
            )
        )
    return alerts


def nowcast(
    park: Park,
    state: StartState,
    *,
    hours: float = 4,
    replications: int = 20,
    seed: int = 0,
    step_min: float = STEP_MIN,
    thresholds: Mapping[str, float] | None = None,
    workers: Workers | None = None,
    progress: Progress | None = None,
    parks: Sequence[Park] | None = None,
) -> Forecast:
    """The forecast of the next `hours` from `state` (``to_dict``: SPEC.md's forecast.json).

    Args:
        park: the park (its fitted rates drive the arrivals from the state's time on).
        state: the park now (trucks by stage, outages in effect).
        hours: how far ahead.
        replications: how many replications make the band.
        seed: base seed; replication i uses stream i, so the same inputs give the same
            numbers.
        step_min: the step of the series.
        thresholds: alert thresholds by series name, over the park file's `alerts`.
        workers: where the replications run (default: one process).
        progress: called with (replications done, replications planned).
        parks: one park per replication (as :func:`forecast_samples` takes them).

    Returns:
        The forecast: every series' mean and 90% prediction band at each step's end, and
            the alerts.

    Raises:
        UsageError: options out of range, an unknown series in a threshold, or a state that
            does not fit the park.
    """
    rules = alert_thresholds(park, thresholds)
    samples = forecast_samples(
        park, state, hours=hours, replications=replications, seed=seed, step_min=step_min,
        workers=workers, progress=progress, parks=parks,
    )  # fmt: skip
    return Forecast(
        park=park.park.name,
        state=state,
        hours=hours,
        replications=replications,
        seed=seed,
        step_min=step_min,
        times=tuple(samples.moments()),
        bands={name: band(v) for name, v in samples.values.items()},
        alerts=tuple(find_alerts(samples, rules)),
    )


def seen_flows_only(
    park: Park, store: Store, since: datetime | None = None, until: datetime | None = None
) -> tuple[Park, list[str]]:
    """The park without the flows of which the store has no truck between `since` and `until`
    (either open), and their ids.

    Sensors often cover only some flows; simulating the others adds trucks that the state
    cannot show (a back-test would measure that instead of the forecast).
    """
    seen = {event.flow for event in store.truck_events(since, until)}
    flows = park.logistics.flows
    kept = [f for f in flows if f.id in seen]
    left_out = [f.id for f in flows if f.id not in seen]
    if not left_out:
        return park, []
    logistics = park.logistics.model_copy(update={"flows": kept})
    return park.model_copy(update={"logistics": logistics}), left_out


def nowcast_store(
    park: Park,
    store: Store,
    at: datetime | None = None,
    *,
    hours: float = 4,
    replications: int = 20,
    seed: int = 0,
    step_min: float = STEP_MIN,
    thresholds: Mapping[str, float] | None = None,
    seen_only: bool = False,
    workers: Workers | None = None,
    progress: Progress | None = None,
    follow: bool = True,
) -> Forecast:
    """:func:`nowcast` from the state the store describes at `at` (default: the latest).

    With `seen_only`, the flows of which the store has no truck in the day before the state
    are left out (:func:`seen_flows_only`) and listed in ``flows_left_out``. With `follow`
    (the default), the flows' rates and the buildings' meter levels are re-estimated from the
    data before the state, after the last change found there (:mod:`twin.live.follow`); the
    metered buildings get a series each (``meters.<building>.<quantity>``), and forecast.json
    says what was followed (``following``).

    Raises:
        UsageError: an empty store, `at` before its first message, or as :func:`nowcast`.
    """
    check_options(hours, replications, step_min)
    state = known_state(park, store, at)
    following = following_at(park, store, state.time, follow)
    park = following.park
    draws = following.replication_parks(replications, seed) if follow else None
    left_out: list[str] = []
    if seen_only:
        since = state.time - timedelta(hours=LOOKBACK_H)
        park, left_out = seen_flows_only(park, store, since, state.time)
        if draws is not None:
            draws = [seen_flows_only(p, store, since, state.time)[0] for p in draws]
    forecast = nowcast(
        park,
        state,
        hours=hours,
        replications=replications,
        seed=seed,
        step_min=step_min,
        thresholds=thresholds,
        workers=workers,
        progress=progress,
        parks=draws,
    )
    bands = {**forecast.bands, **meter_bands(park, following, list(forecast.times))}
    forecast = replace(forecast, bands=bands, following=following.to_dict())
    return replace(forecast, flows_left_out=tuple(left_out)) if seen_only else forecast


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat(timespec="seconds")
