"""The live twin follows change: arrival rates and meter levels re-estimated as data arrive.

At a moment, the data of the :data:`LOOKBACK_H` hours before it (from the store's first
message on) are set against what the park expects:

- **arrival rates**, per Poisson flow: the trucks seen in each hour against the trucks the
  park's rates expect there (holidays run as Sundays), through the online run-length posterior
  of :mod:`twin.live.runlength` (a recursive estimator whose reset is a change point: a new
  segment may start in any hour with probability :data:`HAZARD`, its factor drawn from a Gamma
  prior of mean 1 worth :data:`PRIOR_TRUCKS` trucks). Trucks that vary more from day to day
  than Poisson counts do weigh less: each hour's likelihood is tempered by the flow's
  dispersion, estimated from the whole days of the :data:`DISPERSION_LOOKBACK_H` hours before
  (:func:`twin.live.runlength.day_dispersion`). The factor's posterior is a mixture of
  Gammas; the followed park takes its mean, and each replication of a nowcast draws its own
  factor from it (:meth:`Following.replication_parks`), so the band carries how sure the twin
  is of a change and of its size. A change is reported when its posterior probability reaches
  :data:`CHANGE_PROBABILITY`, dated at the median start of the segments that began since,
  unless the hours since are nearer the same hours a week before than the level before them
  (a weekly pattern the park lacks, seen again: followed, not reported).
- **meter levels**, per building and quantity (``power_kw``, ``water_m3h``): a windowed
  estimate reset at the last change point. The hourly mean ratio of the readings to the
  park's demand at their times is cut by the calibration's binary segmentation
  (:func:`twin.calibration.changes.change_points`: penalty 3 log n on the step's chi-square,
  steps of at least 5%, segments of at least :data:`MIN_BINS` hours), a cut kept only when
  the hours after it differ from the same hours of the day since the last kept cut (so a
  daily pattern the park's demand misses, a morning ramp, is not a change every morning);
  the factor is the readings over the demand after the last cut. A building's base, shift
  and shaped level are scaled alike.

A meter's forecast (``meters.<building>.<quantity>``) is the followed level at each time
times the readings' ratio to it: its band holds the 5-95% prediction bounds of the ratios
over the window (:func:`twin.stats.prediction_bounds`), each ratio taken against its own
segment's level. With following off, every factor is 1: the park as it is. Timetabled flows,
and flows with no truck in the window (their sensors may be missing), are not followed.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from twin.calibration.changes import change_points, persistent
from twin.live.runlength import RunLengths, day_dispersion, run_lengths
from twin.live.store import Store, to_seconds
from twin.live.visits import group_visits
from twin.model.intervals import Clock
from twin.model.schema import Park
from twin.sim.demand import shaped_average
from twin.stats import prediction_bounds

LOOKBACK_H = 7 * 24.0
WEEK_H = 7 * 24.0
DISPERSION_LOOKBACK_H = 28 * 24.0
"""The hours of data a flow's dispersion is estimated from (:func:`day_dispersion`)."""
MIN_BINS = 6
"""The shortest segment between a meter's changes, in hours (a ramp of a few hours that
the park's levels do not follow is not taken for a change)."""
PRIOR_TRUCKS = 10.0
"""Pseudo-trucks of the prior on a flow's factor in a new segment (Gamma, mean 1)."""
MIN_REPORTED_PCT = 5.0
"""A change smaller than this (percent of the level before it) is followed, not reported."""
CHANGE_PROBABILITY = 0.8
"""A flow's change is reported when the posterior gives it at least this probability."""
HAZARD = 1.0 / (7 * 24)
"""The chance that a flow's rate changes in a given hour (a change a week, a priori)."""
METER_QUANTITIES = ("power_kw", "water_m3h")
BAND = 0.90
METHOD = (
    "arrival rates: online run-length posterior (Adams-MacKay, Poisson-Gamma, likelihood "
    f"tempered by the day-to-day dispersion of the last {DISPERSION_LOOKBACK_H / 24:g} days) "
    f"over {LOOKBACK_H:g} h; meter levels: estimate after the last change point (binary "
    "segmentation, penalty 3 log n)"
)


@dataclass(frozen=True)
class Followed:
    """One followed quantity: the factor on the park's value and the change it follows.

    Attributes:
        name: ``flows.<id>.rate`` or ``meters.<building>.<quantity>``.
        factor: the estimate of the data over the park's value (1: the park is right).
        park_value: the park's mean over the data used (trucks per hour, kW, m³/h).
        since: the start of the data the factor is estimated from.
        change_at: the start of the new level when a change was found, else None.
        change_pct: the change's size, percent of the level before it.
        dispersion: a flow's dispersion assumed (None for a meter).
    """

    name: str
    factor: float
    park_value: float
    since: datetime
    change_at: datetime | None = None
    change_pct: float | None = None
    dispersion: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """As forecast.json's ``following.values`` and the back-test report carry it."""
        change = None
        if self.change_at is not None and self.change_pct is not None:
            change = {"time": _iso(self.change_at), "size_pct": round(self.change_pct, 2)}
        doc = {
            "name": self.name,
            "factor": round(self.factor, 4),
            "park_value": round(self.park_value, 4),
            "value": round(self.factor * self.park_value, 4),
            "since": _iso(self.since),
            "change": change,
        }
        if self.dispersion is not None:
            doc["dispersion"] = round(self.dispersion, 3)
        return doc


@dataclass(frozen=True)
class MeterFit:
    """A meter's followed level and the ratios of its readings to it (for the band)."""

    building: str
    quantity: str
    factor: float
    ratios: np.ndarray
    interval_min: float


@dataclass(frozen=True)
class Following:
    """What following found at a moment: the followed park, its values and meter fits."""

    park: Park
    enabled: bool
    values: tuple[Followed, ...] = ()
    meters: tuple[MeterFit, ...] = field(default_factory=tuple)
    rates: dict[str, RunLengths] = field(default_factory=dict)
    """Each followed flow's factor posterior, by flow id."""
    levelled: Park | None = None
    """The park with the followed meter levels and its own rates (None: `park`)."""

    def unfollowed(self, park: Park) -> Following:
        """What following off gives: `park` as it is, the meters' ratios about their levels."""
        return Following(park, False, (), tuple(replace(m, factor=1.0) for m in self.meters))

    def replication_parks(self, replications: int, seed: int) -> list[Park]:
        """One park per replication, each flow's rates scaled by a draw of its factor.

        The draws carry the factors' uncertainty (how large a change is, and whether there
        was one) into the band. They come from `seed` alone, so any ``-j`` gives the same.
        """
        rng = np.random.default_rng(np.random.SeedSequence([seed, 20]))
        draws = {flow: post.sample(rng, replications) for flow, post in self.rates.items()}
        return [
            _scaled_park(self.levelled or self.park, {f: float(d[i]) for f, d in draws.items()}, {})
            for i in range(replications)
        ]

    def to_dict(self) -> dict[str, Any]:
        """forecast.json's ``following``."""
        return {
            "enabled": self.enabled,
            "method": METHOD if self.enabled else None,
            "values": [v.to_dict() for v in self.values],
        }


def following_at(park: Park, store: Store, at: datetime, enabled: bool = True) -> Following:
    """The park followed to the data of the :data:`LOOKBACK_H` hours before `at`.

    With `enabled` off, the park comes back as it is and only the meters' ratios are
    gathered (so meter forecasts still have a band).
    """
    span = store.span()
    since = max(at - timedelta(hours=LOOKBACK_H), span[0] if span else at)
    flows = _flow_values(park, store, since, at) if enabled else []
    meters = _meter_fits(park, store, since, at, enabled)
    values = [*(v for v, _ in flows), *(v for v, _ in meters)] if enabled else []
    fits = tuple(fit for _, fit in meters)
    rates = {v.name.split(".")[1]: post for v, post in flows}
    levels = {(m.building, m.quantity): m.factor for m in fits} if enabled else {}
    levelled = _scaled_park(park, {}, levels)
    followed = _scaled_park(levelled, {f: p.mean() for f, p in rates.items()}, {})
    return Following(followed, enabled, tuple(values), fits, rates, levelled)


def _flow_values(
    park: Park, store: Store, since: datetime, at: datetime
) -> list[tuple[Followed, RunLengths]]:
    """Each followed flow's factor; the arrivals since `since` from the visits rebuilt, those
    of the days before (for the dispersion only) from the ``arrive`` events."""
    span = store.span()
    wider = max(at - timedelta(hours=DISPERSION_LOOKBACK_H), span[0] if span else since)
    events = store.truck_events(since, at)
    visits = group_visits(events, [to_seconds(e.time) for e in events])
    low, high = to_seconds(since), to_seconds(at)
    arrivals: dict[str, list[float]] = {}
    for visit in visits:
        arrived = visit.seen.get("arrive")
        if arrived is not None and low <= arrived < high:
            arrivals.setdefault(visit.flow, []).append(arrived)
    earlier: dict[str, list[float]] = {}
    for time, flow_id in store.arrivals(wider, since) if wider < since else []:
        earlier.setdefault(flow_id, []).append(time)
    values = []
    for flow in park.logistics.flows:
        if flow.timetable is not None or flow.id not in arrivals:
            continue  # a flow the store never saw is not followed: its sensors may be missing
        seconds = np.sort(np.array(earlier.get(flow.id, []) + arrivals[flow.id]))
        rates = np.asarray(flow.weekly_rates(), dtype=float)
        values.append(_flow_value(park, flow.id, rates, seconds, wider, at))
    return values


def _flow_value(
    park: Park, flow: str, rates: np.ndarray, seconds: np.ndarray, since: datetime, at: datetime
) -> tuple[Followed, RunLengths]:
    """A flow's factor from its hourly counts up to `at` (:func:`follow_counts`); `seconds`
    and `since` span the dispersion's window."""
    clock, origin = _clock(park)
    lo, hi = _park_minutes(since, origin), _park_minutes(at, origin)
    knots = np.unique(np.concatenate([[lo, hi], clock.hour_edges((lo, hi))]))
    per_piece = rates[clock.week_hour(knots[:-1])] * np.diff(knots) / 60.0
    cumulative = np.concatenate([[0.0], np.cumsum(per_piece)])
    edges = hi - 60.0 * np.arange(math.floor((hi - lo) / 60.0) + 1)[::-1]
    expected = np.diff(np.interp(edges, knots, cumulative))
    minutes = (seconds - to_seconds(origin)) / 60.0
    counts = np.diff(np.searchsorted(minutes, edges, side="left")).astype(float)
    past_midnight = origin.hour * 60.0 + origin.minute + origin.second / 60.0
    fit = follow_counts(counts, expected, np.floor((edges[:-1] + past_midnight) / 1440.0))
    posterior, recent = fit.posterior, min(len(counts), int(LOOKBACK_H))
    edges, expected = edges[-recent - 1 :], expected[-recent:]
    name = f"flows.{flow}.rate"
    first = origin + timedelta(minutes=float(edges[0]))
    if fit.begin is None or fit.size_pct is None:
        park_value = float(expected.sum() / max(recent, 1))
        return Followed(name, posterior.mean(), park_value, first, dispersion=fit.dispersion), (
            posterior
        )
    start = origin + timedelta(minutes=float(edges[fit.begin]))
    park_value = float(expected[fit.begin :].sum() / (recent - fit.begin))
    followed = Followed(
        name, posterior.mean(), park_value, start, start, fit.size_pct, fit.dispersion
    )
    return followed, posterior


@dataclass(frozen=True)
class RateFit:
    """A flow's followed rate: the factor's posterior, the dispersion it assumed and the
    change it reports.

    Attributes:
        posterior: the run-length posterior over the last :data:`LOOKBACK_H` bins.
        dispersion: the variance of a day's count over its mean (:func:`day_dispersion`).
        begin: the first of those bins after the change reported (None: no change).
        size_pct: the change's size, percent of the level before it (None: no change).
    """

    posterior: RunLengths
    dispersion: float
    begin: int | None = None
    size_pct: float | None = None


def follow_counts(
    counts: np.ndarray, expected: np.ndarray, day: np.ndarray, poisson: bool = False
) -> RateFit:
    """A flow's hourly counts against the park's: the factor's posterior and its change.

    The dispersion comes from all the bins (:data:`DISPERSION_LOOKBACK_H` hours), the
    posterior from the last :data:`LOOKBACK_H`. A change is reported when its posterior
    probability reaches :data:`CHANGE_PROBABILITY` and it is at least :data:`MIN_REPORTED_PCT`,
    dated at the median start of the segments that began since the first of those bins.

    Args:
        counts: events seen per hour, oldest first.
        expected: events the park expects per hour.
        day: each hour's calendar day (:func:`twin.live.runlength.day_dispersion`).
        poisson: take the counts as Poisson (dispersion 1) and leave out the check against
            the week before: the plain Adams-MacKay model, for comparison.
    """
    dispersion = 1.0 if poisson else day_dispersion(counts, expected, day)
    recent = min(len(counts), int(LOOKBACK_H))
    offset = len(counts) - recent
    posterior = run_lengths(counts[offset:], expected[offset:], PRIOR_TRUCKS, HAZARD, dispersion)
    begin = recent - posterior.median(below=recent)
    seen, due = counts[offset : offset + begin].sum(), expected[offset : offset + begin].sum()
    if posterior.changed(recent) < CHANGE_PROBABILITY or begin == 0 or due <= 0 or seen <= 0:
        return RateFit(posterior, dispersion)
    size = 100.0 * (posterior.mean() * due / seen - 1.0)
    if abs(size) < MIN_REPORTED_PCT:
        return RateFit(posterior, dispersion)
    if not poisson and _as_last_week(counts, expected, offset + begin, seen / due):
        return RateFit(posterior, dispersion)
    return RateFit(posterior, dispersion, begin, float(size))


def _as_last_week(counts: np.ndarray, expected: np.ndarray, start: int, before: float) -> bool:
    """Whether the hours from `start` on are nearer the same hours a week earlier than the
    level `before` them (all as ratios of events seen to expected, on a log scale): then the
    change repeats a weekly pattern the park lacks. False when the data do not reach back."""
    week = int(WEEK_H)
    if start < week:
        return False
    now = slice(start, len(counts))
    then = slice(start - week, len(counts) - week)
    if expected[now].sum() <= 0 or expected[then].sum() <= 0:
        return False
    level = math.log((counts[now].sum() + 0.5) / expected[now].sum())
    last_week = math.log((counts[then].sum() + 0.5) / expected[then].sum())
    return abs(level - last_week) < abs(math.log(before) - last_week)


def _meter_fits(
    park: Park, store: Store, since: datetime, at: datetime, enabled: bool
) -> list[tuple[Followed, MeterFit]]:
    readings = store.meter_readings(since, at)
    by_meter: dict[tuple[str, str], list[tuple[datetime, float]]] = {}
    for r in readings:
        if r.quantity in METER_QUANTITIES:
            by_meter.setdefault((r.asset, r.quantity), []).append((r.time, r.value))
    index = {b.id: j for j, b in enumerate(park.buildings)}
    fits = []
    for (asset, quantity), rows in sorted(by_meter.items()):
        if asset not in index:
            continue
        times = [t for t, _ in rows]
        interval = reading_interval(times)
        model = modelled_meter(park, asset, quantity, times, interval)
        values = np.array([v for _, v in rows], dtype=float)
        use = model > 0
        if use.sum() < 2:
            continue
        kept = [t for t, ok in zip(times, use, strict=True) if ok]
        fit = _meter_fit(asset, quantity, kept, values[use], model[use], since, enabled)
        fits.append((fit[0], replace(fit[1], interval_min=interval)))
    return fits


def _meter_fit(
    asset: str,
    quantity: str,
    times: list[datetime],
    values: np.ndarray,
    model: np.ndarray,
    since: datetime,
    enabled: bool,
) -> tuple[Followed, MeterFit]:
    """A meter's factor after its last change (hourly mean ratios), and its ratios."""
    name = f"meters.{asset}.{quantity}"
    hour = np.array([(t - since).total_seconds() // 3600 for t in times], dtype=np.int64)
    hours, inverse = np.unique(hour, return_inverse=True)
    hourly = np.bincount(inverse, values / model) / np.bincount(inverse)
    cuts = _meter_cuts(hourly, hours, since)
    bounds = [0, *cuts, len(hours)]
    segment = np.searchsorted(np.array(bounds[1:-1], dtype=np.int64), inverse, side="right")
    levels = np.array(
        [values[segment == s].sum() / model[segment == s].sum() for s in range(len(bounds) - 1)]
    )
    level = levels[segment]
    # the noise about each segment's own level (a segment that read nothing has none)
    ratios = values[level > 0] / (level[level > 0] * model[level > 0])
    if not len(ratios):
        ratios = np.ones(1)
    factor = float(levels[-1]) if enabled else 1.0
    mine = segment == len(bounds) - 2
    park_value = float(model[mine].mean())
    start = since + timedelta(hours=int(hours[bounds[-2]]))
    fit = MeterFit(asset, quantity, factor, ratios, interval_min=15.0)
    step = 100.0 * (levels[-1] / levels[-2] - 1.0) if cuts and levels[-2] > 0 else 0.0
    if not enabled or abs(step) < MIN_REPORTED_PCT:
        return Followed(name, factor, park_value, since), fit
    return Followed(name, factor, park_value, start, start, step), fit


def _meter_cuts(hourly: np.ndarray, hours: np.ndarray, since: datetime) -> list[int]:
    """Where a meter's hourly ratio to the park's demand steps, and stays stepped.

    Binary segmentation proposes the cuts; in time order, a cut is kept only when the hours
    from it to the next proposed cut differ from the same hours of the day since the last
    kept cut (:func:`persistent`, each hour of the day seen at least once there): a daily
    pattern the park's demand misses (a morning ramp) cuts the ratio every day and comes
    back, a change does not, and a day after a change is not a change again.
    """
    if len(hourly) < 2 * MIN_BINS:
        return []
    proposed = change_points(hourly, 1.0, min_days=MIN_BINS)
    hour_of_day = (hours + since.hour) % 24
    kept: list[int] = []
    for cut, end in itertools.pairwise([*proposed, len(hourly)]):
        lo = kept[-1] if kept else 0
        part = slice(lo, end)
        if persistent([cut - lo], hourly[part], hour_of_day[part], 1.0, period=24, seen=1):
            kept.append(cut)
    return kept


def modelled_meter(
    park: Park, building: str, quantity: str, times: list[datetime], interval_min: float = 15.0
) -> np.ndarray:
    """The park's mean demand of a building (kW or m³/h) over the `interval_min` minutes
    ending at each time (a meter reading's interval)."""
    clock, origin = _clock(park)
    target = next(b for b in park.buildings if b.id == building)
    spec = target.power if quantity == "power_kw" else target.water
    if spec is None or not times:
        return np.zeros(len(times))
    minutes = np.array([_park_minutes(t, origin) for t in times])
    lo, hi = math.floor(float(minutes.min()) - interval_min), math.ceil(float(minutes.max()))
    grid = np.arange(lo, hi + 1, 1.0)
    share = clock.daily(target.shifts, (float(grid[0]), float(grid[-1]))).coverage(grid)
    base, shift, level = _levels(spec)
    per_minute = base + shift * share
    if spec.shape is not None:
        per_minute = per_minute + level * shaped_average(park, clock, grid, spec.shape)
    total = np.concatenate([[0.0], np.cumsum(per_minute)])
    mean = np.interp(minutes, grid, total) - np.interp(minutes - interval_min, grid, total)
    return np.asarray(mean / interval_min, dtype=float)


def reading_interval(times: list[datetime]) -> float:
    """A meter's reading interval: the median time between its readings (1 to 60 minutes)."""
    if len(times) < 2:
        return 15.0
    gaps = np.diff([_park_minutes(t, times[0]) for t in times])
    return float(np.clip(np.median(gaps), 1.0, 60.0))


def _levels(spec: Any) -> tuple[float, float, float]:
    """Base, shift and shaped level of a building's power or water."""
    if hasattr(spec, "base_kw"):
        return spec.base_kw, spec.shift_kw, spec.level_kw or 0.0
    return spec.base_m3h, spec.shift_m3h, spec.level_m3h or 0.0


def meter_bands(
    park: Park, following: Following, times: list[datetime]
) -> dict[str, dict[str, list[float | None]]]:
    """Each followed meter's forecast at `times`: mean and 90% prediction band."""
    bands: dict[str, dict[str, list[float | None]]] = {}
    for fit in following.meters:
        level = modelled_meter(following.park, fit.building, fit.quantity, times, fit.interval_min)
        low, high = prediction_bounds(fit.ratios, BAND)
        mean = level * float(fit.ratios.mean())
        lo = np.maximum(level * float(low[0]), 0.0)
        hi = level * float(high[0])
        bands[f"meters.{fit.building}.{fit.quantity}"] = {
            "mean": [float(x) for x in mean],
            "p05": [float(x) for x in lo],
            "p95": [float(x) for x in hi],
        }
    return bands


def _scaled_park(
    park: Park, factors: dict[str, float], levels: dict[tuple[str, str], float]
) -> Park:
    """The park with the flows' rates (by flow id) and buildings' levels (by building and
    quantity) scaled by their factors."""
    if not factors and not levels:
        return park
    scaled_flows = []
    for flow in park.logistics.flows:
        factor = factors.get(flow.id)
        if factor is None:
            scaled_flows.append(flow)
            continue
        rates = [r * factor for r in flow.weekly_rates()]
        cleared = dict.fromkeys(("rate_per_hour", "hourly_profile", "timetable"))
        scaled_flows.append(flow.model_copy(update={**cleared, "weekly_profile": rates}))
    logistics = park.logistics.model_copy(update={"flows": scaled_flows})
    buildings = [_scaled_building(b, levels) for b in park.buildings]
    return park.model_copy(update={"logistics": logistics, "buildings": buildings})


def _scaled_building(building: Any, levels: dict[tuple[str, str], float]) -> Any:
    update = {}
    for quantity, attr, unit in (("power_kw", "power", "kw"), ("water_m3h", "water", "m3h")):
        factor = levels.get((building.id, quantity))
        spec = getattr(building, attr)
        if factor is None or spec is None:
            continue
        keys = [f"base_{unit}", f"shift_{unit}", f"level_{unit}"]
        scaled = {k: getattr(spec, k) * factor for k in keys if getattr(spec, k) is not None}
        update[attr] = spec.model_copy(update=scaled)
    return building.model_copy(update=update) if update else building


def _clock(park: Park) -> tuple[Clock, datetime]:
    return Clock.of(park.park.start, park.park.holidays), datetime.fromisoformat(park.park.start)


def _park_minutes(moment: datetime, origin: datetime) -> float:
    return (moment - origin).total_seconds() / 60.0


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat(timespec="seconds")
