"""Change points: when a series' level steps (a new machine, a meter swap, a new customer).

The method is binary segmentation for changes in mean with a penalty (Scott and Knott 1974;
Killick, Fearnhead and Eckley 2012 compare it with PELT). A series of daily values x_1..x_n
(daily means of a meter's residuals, or daily arrival counts scaled to unit variance) is split
where the drop in the sum of squares, ``Δ = n₁ n₂ / n (m₁ − m₂)²``, is largest; the split is
kept when Δ / σ² exceeds the penalty ``PENALTY_PER_LOG_N × log n`` (a strengthened BIC) and
the step is at least :data:`MIN_RELATIVE` of the level, then each side is searched the same
way. σ is estimated robustly from the day-to-day differences (MAD / √2), so a step itself
does not inflate it. Each segment is at least :data:`MIN_DAYS` days long. A cut is reported
only when its new level shows on every weekday against the same weekdays before it
(:func:`persistent`), so a weekly pattern the model misses is not taken for changes.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from twin.calibration.fit_arrivals import ArrivalFit, Exposure
from twin.calibration.fit_meters import LevelFit, fit_levels, shift_share
from twin.calibration.read import MeterSeries
from twin.model.intervals import Clock
from twin.model.schema import Window

PENALTY_PER_LOG_N = 3.0
MIN_DAYS = 1
MIN_SAME_WEEKDAY = 2
"""A day after a cut is compared with its weekday before only when seen this often before."""
MIN_RELATIVE = 0.05
"""A step smaller than this share of the series' level is not reported (too small to act on)."""
METHOD = (
    "binary segmentation for changes in mean of the daily values, penalty "
    f"{PENALTY_PER_LOG_N:g} log(days) on the step's χ² (σ from day-to-day differences), "
    f"steps of at least {100 * MIN_RELATIVE:g}% of the level"
)


@dataclass(frozen=True)
class Change:
    """A step in a series: where, and the mean level on each side.

    Attributes:
        at_min: The first minute of the new level (the start of its day), park minutes.
        before: Mean daily value from the previous change (or the start) to this one.
        after: Mean daily value from this change to the next one (or the end).
    """

    at_min: float
    before: float
    after: float

    @property
    def size_pct(self) -> float:
        """The step as a percentage of the level before it."""
        return 100.0 * (self.after / self.before - 1.0) if self.before else math.inf


def robust_sigma(values: np.ndarray, lag: int = 1) -> float:
    """Noise of one value from the differences `lag` days apart (MAD × 1.4826 / √2)."""
    if len(values) < lag + 2:
        return 0.0
    diff = values[lag:] - values[:-lag]
    return float(1.4826 * np.median(np.abs(diff - np.median(diff))) / math.sqrt(2.0))


def change_points(
    values: np.ndarray, level: float, sigma: float | None = None, min_days: int = MIN_DAYS
) -> list[int]:
    """Indices where a new level starts in `values` (one per day), ascending.

    Args:
        values: The daily values.
        level: The series' typical level, for the smallest step worth reporting.
        sigma: The noise of one value (default: :func:`robust_sigma`).
        min_days: The shortest segment.
    """
    x = np.asarray(values, dtype=float)
    noise = robust_sigma(x) if sigma is None else sigma
    floor = max(noise, 1e-9 * max(abs(level), 1.0))
    penalty = PENALTY_PER_LOG_N * math.log(max(len(x), 2))
    found: list[int] = []
    pending = [(0, len(x))]
    while pending:
        lo, hi = pending.pop()
        split = _best_split(x[lo:hi], min_days)
        if split is None:
            continue
        k, gain = split
        step = abs(float(x[lo + k : hi].mean() - x[lo : lo + k].mean()))
        if gain / floor**2 <= penalty or step < MIN_RELATIVE * abs(level):
            continue
        found.append(lo + k)
        pending += [(lo, lo + k), (lo + k, hi)]
    return sorted(found)


def persistent(
    cuts: list[int],
    values: np.ndarray,
    weekday: np.ndarray,
    level: float,
    least: float = 0.0,
    period: int = 7,
    seen: int = MIN_SAME_WEEKDAY,
) -> list[int]:
    """The cuts whose new level shows on its weekdays: a change, not a weekly pattern.

    A weekly pattern the model misses (a quiet Sunday) splits the series every week, and its
    segments come back to the old level. A change moves every weekday: after a cut, until the
    next, each day is compared with the median of the same weekday before the cut (seen at
    least `seen` times; a cut with no such day is not kept), and the median of those
    differences must reach :data:`MIN_RELATIVE` of `level` and three times its noise
    (σ √(2 / k) over k days, σ from same-weekday differences `period` values apart, at
    least `least`). With hourly values, hours of the day as `weekday` and a `period` of 24,
    the same test tells a change from a daily pattern.
    """
    noise = max(robust_sigma(values, lag=period), least)
    kept = []
    bounds = [*cuts, len(values)]
    for cut, end in itertools.pairwise(bounds):
        moved = [
            values[i] - np.median(values[:cut][weekday[:cut] == weekday[i]])
            for i in range(cut, end)
            if (weekday[:cut] == weekday[i]).sum() >= seen
        ]
        step = abs(float(np.median(moved))) if moved else 0.0
        spread = 3.0 * noise * math.sqrt(2.0 / max(len(moved), 1))  # of a median of k days
        if moved and step >= max(MIN_RELATIVE * abs(level), spread):
            kept.append(cut)
    return kept


def _best_split(x: np.ndarray, min_days: int) -> tuple[int, float] | None:
    """The split (first index of the right part) that lowers the sum of squares most."""
    n = len(x)
    if n < 2 * min_days:
        return None
    k = np.arange(min_days, n - min_days + 1)
    total = np.cumsum(x)
    left = total[k - 1] / k
    right = (total[-1] - total[k - 1]) / (n - k)
    gain = k * (n - k) / n * (left - right) ** 2
    best = int(np.argmax(gain))
    return int(k[best]), float(gain[best])


def changes_of(values: np.ndarray, starts: np.ndarray, level: float) -> list[Change]:
    """The changes of a daily series whose day `i` starts at minute ``starts[i]``."""
    cuts = change_points(values, level)
    bounds = [0, *cuts, len(values)]
    means = [float(np.mean(values[a:b])) for a, b in itertools.pairwise(bounds)]
    return [Change(float(starts[c]), means[i], means[i + 1]) for i, c in enumerate(cuts)]


def daily_means(
    t_min: np.ndarray, values: np.ndarray, offset_min: float
) -> tuple[np.ndarray, np.ndarray]:
    """Mean of `values` per calendar day (days with a value only): day starts, means.

    Args:
        t_min: Times of the values, park minutes.
        values: The values.
        offset_min: Minutes after midnight at park minute 0 (the clock's offset).
    """
    day = np.floor((np.asarray(t_min) + offset_min) / 1440.0).astype(np.int64)
    days, index = np.unique(day, return_inverse=True)
    sums = np.bincount(index, np.asarray(values, dtype=float))
    counts = np.bincount(index)
    return days * 1440.0 - offset_min, sums / counts


@dataclass(frozen=True)
class MeterChange:
    """A step in a building meter's level (or a flow's arrival rate), found against its fit.

    For a meter, `before` and `after` are the mean loads the levels fitted on each side give
    over the training readings' shift shares, so the step is the building's, not the weekday
    mix's; for a flow (quantity ``arrivals``), its trucks per day on each side.
    """

    asset: str
    quantity: str
    at_min: float
    before: float
    after: float
    method: str = METHOD

    @property
    def size_pct(self) -> float:
        """The step as a percentage of the level before it."""
        return 100.0 * (self.after / self.before - 1.0) if self.before else math.inf


def level_cuts(
    series: MeterSeries, fit: LevelFit, windows: list[Window], clock: Clock
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Day starts of a meter's readings, their mean ratios to `fit`, and the days a new
    level starts.

    The daily means of the readings' ratios to `fit` (a step in level scales base and shift
    alike, so the ratio steps on every weekday) are searched by :func:`change_points` and
    kept when :func:`persistent`.
    """
    predicted = fit.base + fit.shift * shift_share(series, windows, clock)
    use = predicted > 0
    ratio = series.value[use] / predicted[use]
    mid = (series.t_min - series.interval_min / 2)[use]
    starts, means = daily_means(mid, ratio, clock.start_offset_min)
    day = np.round((starts + clock.start_offset_min) / 1440.0).astype(np.int64)
    weekday = np.array([clock.weekday(int(d)) for d in day])
    return starts, means, persistent(change_points(means, 1.0), means, weekday, 1.0)


def after_last_change(
    train: MeterSeries,
    fit: LevelFit,
    windows: list[Window],
    clock: Clock,
    prior: tuple[float, float],
) -> tuple[MeterSeries, LevelFit, MeterChange | None]:
    """The readings and levels after the last change in a meter's level, and the change.

    The changes are found by :func:`level_cuts`; after the last one, with at least a day
    of readings there, the levels are refitted on those readings alone. Without a change
    (or a day after it) the inputs come back unchanged.
    """
    share = shift_share(train, windows, clock)
    starts, _, cuts = level_cuts(train, fit, windows, clock)
    if not cuts:
        return train, fit, None
    at = float(starts[cuts[-1]])
    begin = float(starts[cuts[-2]]) if len(cuts) > 1 else -math.inf
    after = train.window(at, math.inf)
    refit = fit_levels(after, windows, clock, prior, diagnose=False)
    earlier = fit_levels(train.window(begin, at), windows, clock, prior, diagnose=False)
    if refit is None or earlier is None:
        return train, fit, None
    mean_share = float(share.mean())
    change = MeterChange(
        train.asset,
        train.quantity,
        at,
        earlier.base + earlier.shift * mean_share,
        refit.base + refit.shift * mean_share,
    )
    return after, refit, change


def arrivals_after_last_change(
    flow: str,
    times: np.ndarray,
    window: tuple[float, float],
    clock: Clock,
    fit: ArrivalFit,
    dispersion: float = 1.0,
) -> tuple[tuple[float, float], MeterChange | None]:
    """The window after the last change in a flow's arrival rate, and the change.

    The daily ratio of trucks seen to trucks the fitted profile expects is searched as a
    meter's ratio is (:func:`change_points`, :func:`persistent`), its noise at least the
    Poisson noise of a day's count, times √`dispersion` when the days are known to vary
    more than Poisson (an index of dispersion fitted where no change was). Without a
    change, or with under a day after it, the window comes back unchanged.
    """
    lo, hi = window
    pieces = Exposure.of(window, clock)
    expected = fit.weekly_rates()[pieces.week_hour] * pieces.hours
    first = int(pieces.day.min())
    size = int(pieces.day.max()) - first + 1
    m_day = np.bincount(pieces.day - first, expected, minlength=size)
    inside = times[(times >= lo) & (times < hi)]
    day = np.floor((inside + clock.start_offset_min) / 1440.0).astype(np.int64) - first
    n_day = np.bincount(day, minlength=size).astype(float)[:size]
    seen = m_day > 0
    ratio = n_day[seen] / m_day[seen]
    weekday = np.array([clock.weekday(first + int(d)) for d in np.flatnonzero(seen)])
    scale = max(dispersion, 1.0) if math.isfinite(dispersion) else 1.0
    poisson = math.sqrt(scale * float(np.mean(1.0 / m_day[seen])))  # a day's ratio's noise
    sigma = max(robust_sigma(ratio), poisson)
    cuts = persistent(change_points(ratio, 1.0, sigma), ratio, weekday, 1.0, poisson)
    if not cuts:
        return window, None
    start_day = first + int(np.flatnonzero(seen)[cuts[-1]])
    at = max(lo, start_day * 1440.0 - clock.start_offset_min)
    if hi - at < 1440.0:
        return window, None
    before_days = (at - lo) / 1440.0
    after_days = (hi - at) / 1440.0
    before = float(((inside >= lo) & (inside < at)).sum()) / before_days
    after = float((inside >= at).sum()) / after_days
    return (at, hi), MeterChange(flow, "arrivals", at, before, after)


SERVICE_MIN_SEGMENT = 20
"""Services on each side of a change in service times (what a service fit needs)."""
SERVICE_METHOD = (
    "binary segmentation for changes in mean of the log service times in the order the "
    f"services started (a step in scale moves every log time alike), penalty "
    f"{PENALTY_PER_LOG_N:g} log(services) on the step's χ² (σ from successive differences), "
    f"steps of at least {100 * MIN_RELATIVE:g}% and {SERVICE_MIN_SEGMENT} services a side"
)


def service_change(name: str, starts: np.ndarray, times: np.ndarray) -> MeterChange | None:
    """The last change in the scale of a gate's or dock group's service times, or None.

    The services, in the order they started, are searched by :func:`change_points` on
    their log times: a change of the work (a new product, a slower crane) scales the
    times, a shift in log. σ is the standard deviation of successive differences over
    √2, which a step moves by one difference only. `before` and `after` are the mean
    minutes of service on each side of the last change.
    """
    order = np.argsort(starts, kind="stable")
    start = np.asarray(starts, dtype=float)[order]
    minutes = np.asarray(times, dtype=float)[order]
    if len(minutes) < 2 * SERVICE_MIN_SEGMENT:
        return None
    logs = np.log(np.maximum(minutes, 1.0 / 60.0))  # a second: the log's resolution
    sigma = float(np.std(np.diff(logs), ddof=1)) / math.sqrt(2.0)
    cuts = change_points(logs, 1.0, sigma, SERVICE_MIN_SEGMENT)
    if not cuts:
        return None
    cut = cuts[-1]
    begin = cuts[-2] if len(cuts) > 1 else 0
    before, after = float(minutes[begin:cut].mean()), float(minutes[cut:].mean())
    return MeterChange(name, "service_min", float(start[cut]), before, after, SERVICE_METHOD)
