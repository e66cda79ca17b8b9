"""Building loads from meters: ``base`` and ``shift`` levels by robust regression.

The park's model of a building's power (and water) is ``base + shift × s(t)``, with s(t) the
share of time a shift runs. A meter reading averages an interval, so its regressor is the shift
share of that interval (from :meth:`Clock.daily` and :meth:`Intervals.coverage`). The two
levels are fitted by least absolute deviations (median regression, both levels kept at or
above 0): outages and leftover glitches pull little, and where a real load has a shape two
levels cannot follow (ramps, a lunch dip, an evening tail) the fit follows the typical reading
instead of being dragged by the minority of hours that differ.

When the shift share barely varies (a building in shift around the clock, or one without shifts)
base and shift cannot be told apart: their sum is fitted and split in the park file's proportion,
and the fit says so. Residuals are searched for what the model cannot represent (a weekly
pattern, a within-day shape, a level shift such as a meter change) and each finding becomes a
note in plain words.

The wastewater ratio is the weighted median of wastewater / water over matching readings (the
least-absolute-deviations slope through the origin), capped to [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twin.calibration.read import MeterSeries
from twin.language import say
from twin.model.intervals import DAY, Clock, Intervals
from twin.model.schema import Window

METHOD_LAD = "least absolute deviations: readings on the shift share of their interval"
METHOD_SPLIT = "median of the readings, split as in the park file"
METHOD_RATIO = "weighted median of wastewater / water over matching readings"
METHOD_RATIO_FITTED = "weighted median of wastewater / fitted water flow"
"""How a meter's levels or wastewater ratio were fitted (a fit's ``method``)."""

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class LevelFit:
    """Fitted base and shift levels of one building meter, with the evidence."""

    asset: str
    quantity: str  # power_kw or water_m3h
    n: int
    step_min: float
    base: float
    shift: float
    separable: bool
    method: str
    mape_pct: float  # in-sample, per reading
    r2: float
    scale: float  # robust standard deviation of the residuals
    daily_sd: float  # standard deviation of daily-mean residuals
    daily_n: int  # days behind daily_sd
    notes: tuple[str, ...]


@dataclass(frozen=True)
class RatioFit:
    """A building's wastewater / water ratio."""

    asset: str
    n: int
    ratio: float
    method: str
    mape_pct: float
    notes: tuple[str, ...]


def shift_share(series: MeterSeries, windows: list[Window], clock: Clock) -> np.ndarray:
    """Share of each reading's interval during which one of `windows` runs (0..1)."""
    start = series.t_min - series.interval_min
    if not windows or not len(start):
        return np.zeros(len(start))
    span = (float(start.min()) - DAY, float(series.t_min.max()) + DAY)
    return interval_share(clock.daily(windows, span), start, series.t_min)


def interval_share(on: Intervals, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Share of each ``[start, end)`` covered by `on` (vectorised over the intervals)."""
    points, inverse = np.unique(np.concatenate([start, end]), return_inverse=True)
    covered = np.concatenate([[0.0], np.cumsum(on.coverage(points))])
    n = len(start)
    length = end - start
    out = np.zeros(n)
    np.divide(covered[inverse[n:]] - covered[inverse[:n]], length, out=out, where=length > 0)
    return np.clip(out, 0.0, 1.0)


def fit_levels(
    series: MeterSeries,
    windows: list[Window],
    clock: Clock,
    prior: tuple[float, float],
    date_of: Callable[[float], str] | None = None,
    diagnose: bool = True,
) -> LevelFit | None:
    """Fit ``base`` and ``shift`` of a building meter; None with under a day of readings.

    Args:
        series: The meter's readings (power_kw or water_m3h), already cleaned.
        windows: The building's shifts.
        clock: The park's clock.
        prior: The park file's (base, shift), used to split the total when the two cannot be
            told apart.
        date_of: Names the date of a time in minutes, for the notes.
        diagnose: Look for what the model cannot follow in the residuals (the notes); off
            for the refits of cross-validation and intervals.
    """
    y = series.value
    if len(y) < 2 or float(series.interval_min.sum()) < DAY:
        return None
    x = shift_share(series, windows, clock)
    spread = float(np.percentile(x, 95) - np.percentile(x, 5)) if len(x) else 0.0
    separable = bool(windows) and spread >= 0.5
    notes: list[str] = []
    if separable:
        base, shift = _lad_line(x, y)
        method = METHOD_LAD
    else:
        level = max(float(np.median(y)), 0.0)
        base0, shift0 = prior
        if not windows:
            base, shift = level, shift0
            method = "median of the readings (no shifts: all of it is base)"
        else:
            total = base0 + shift0
            share = shift0 / total if total > 0 else 0.0
            mean_x = float(x.mean())
            # y = base + shift * x with x ≈ mean_x: scale the file's split to match the level
            denom = (1 - share) + share * mean_x
            scale = level / denom if denom > 0 else level
            base, shift = scale * (1 - share), scale * share
            notes.append(say("calibration.note.cannot_split", "en", share=f"{100 * mean_x:.0f}"))
            method = METHOD_SPLIT
    fitted = base + shift * x
    resid = y - fitted
    scale = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    level = float(np.mean(np.abs(y))) or 1.0
    positive = np.abs(y) > 1e-9 * level
    mape = float(np.mean(np.abs(resid[positive] / y[positive]))) * 100 if positive.any() else 0.0
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else math.nan
    days = np.floor((series.t_min - series.interval_min / 2 + clock.start_offset_min) / DAY)
    daily = _group_mean(days, resid)
    daily_sd = float(np.std(daily, ddof=1)) if len(daily) > 2 else math.nan
    every_day = all(w.days is None for w in windows)
    if diagnose:
        notes.extend(_diagnose(series, resid, level, clock, date_of, every_day))
    return LevelFit(
        asset=series.asset,
        quantity=series.quantity,
        n=len(y),
        step_min=series.step_min,
        base=float(base),
        shift=float(shift),
        separable=separable,
        method=method,
        mape_pct=mape,
        r2=r2,
        scale=scale,
        daily_sd=daily_sd,
        daily_n=len(daily),
        notes=tuple(notes),
    )


def predict(fit: LevelFit, series: MeterSeries, windows: list[Window], clock: Clock) -> np.ndarray:
    """The fitted level at each reading of `series`."""
    return fit.base + fit.shift * shift_share(series, windows, clock)


def fit_ratio(
    wastewater: MeterSeries, water: MeterSeries | None, water_model: np.ndarray | None = None
) -> RatioFit | None:
    """Wastewater / water ratio of a building.

    Args:
        wastewater: The building's wastewater meter.
        water: Its water meter, matched reading by reading when the timestamps agree.
        water_model: Otherwise the fitted water flow at each wastewater reading.
    """
    notes: list[str] = []
    if water is not None:
        common, i_w, i_ww = np.intersect1d(water.t_min, wastewater.t_min, return_indices=True)
        if len(common) >= 24:
            w, ww = water.value[i_w], wastewater.value[i_ww]
            method = METHOD_RATIO
        else:
            water = None
    if water is None:
        if water_model is None:
            return None
        w, ww = water_model, wastewater.value
        method = METHOD_RATIO_FITTED
    use = w > 0
    if use.sum() < 24:
        return None
    ratio = weighted_median(ww[use] / w[use], w[use])
    if ratio > 1:
        notes.append(say("calibration.note.ratio_capped", "en", ratio=f"{ratio:.2f}"))
    ratio = min(max(ratio, 0.0), 1.0)
    pos = ww[use] > 0
    mape = float(np.mean(np.abs(ww[use][pos] - ratio * w[use][pos]) / ww[use][pos])) * 100
    return RatioFit(wastewater.asset, int(use.sum()), float(ratio), method, mape, tuple(notes))


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The weighted median: the minimiser of Σ wᵢ |vᵢ − m|."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    k = int(np.searchsorted(cumulative, cumulative[-1] / 2))
    return float(values[order][min(k, len(order) - 1)])


# --------------------------------------------------------------------------- internals


def _lad_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least absolute deviations y ≈ a + b x with a, b ≥ 0.

    For a given slope b the best intercept is the median of y − b x (or 0 if that is
    negative); what is left, Σ |y − b x − a(b)|, is convex in b, so a bounded scalar search
    finds the exact LAD slope without a linear program.
    """
    from scipy import optimize

    def cost(b: float) -> float:
        r = y - b * x
        return float(np.abs(r - max(float(np.median(r)), 0.0)).sum())

    spread = float(x.max() - x.min()) or 1.0
    hi = 2.0 * float(y.max() - min(float(y.min()), 0.0)) / spread + 1e-9
    result = optimize.minimize_scalar(
        cost, bounds=(0.0, hi), method="bounded", options={"xatol": 1e-7 * hi}
    )
    b = float(result.x) if cost(float(result.x)) <= cost(0.0) else 0.0
    return max(float(np.median(y - b * x)), 0.0), b


def _group_mean(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    _, inverse = np.unique(keys, return_inverse=True)
    counts = np.bincount(inverse)
    return np.bincount(inverse, values) / np.maximum(counts, 1)


def _diagnose(
    series: MeterSeries,
    resid: np.ndarray,
    level: float,
    clock: Clock,
    date_of: Callable[[float], str] | None,
    every_day: bool = True,
) -> list[str]:
    """Plain-word notes on patterns in the residuals that the model cannot follow."""
    notes: list[str] = []
    if len(resid) < 8 or level <= 0:
        return notes
    mid = series.t_min - series.interval_min / 2
    local = mid + clock.start_offset_min + clock.start_weekday * DAY
    weekday = (np.floor(local / DAY).astype(np.int64)) % 7
    seen = np.unique(weekday)
    if len(seen) >= 5:
        by_day = {int(d): float(resid[weekday == d].mean()) / level for d in seen}
        centre = float(np.median(list(by_day.values())))
        off = {d: r - centre for d, r in by_day.items() if abs(r - centre) > 0.10}
        if off and len(off) <= len(seen) // 2:
            words = ", ".join(f"{WEEKDAYS[d]} {100 * r:+.0f}%" for d, r in sorted(off.items()))
            how = say(f"calibration.note.how_{'every_day' if every_day else 'workday'}", "en")
            notes.append(say("calibration.note.weekly_pattern", "en", how=how, days=words))
    unit = "kW" if series.quantity == "power_kw" else "m³/h"
    hour = (np.floor((mid + clock.start_offset_min) / 60.0).astype(np.int64)) % 24
    by_hour = np.array([resid[hour == h].mean() if (hour == h).any() else 0.0 for h in range(24)])
    worst = int(np.argmax(np.abs(by_hour)))
    if abs(by_hour[worst]) > 0.15 * level:
        gap = float(by_hour[worst])
        key = "calibration.note.daily_above" if gap > 0 else "calibration.note.daily_below"
        share = f"{100 * abs(gap) / level:.0f}"
        notes.append(say(key, "en", hour=f"{worst:02d}", gap=f"{abs(gap):,.3g}", unit=unit,
                         share=share))  # fmt: skip
    days = np.floor((mid + clock.start_offset_min) / DAY)
    unique = np.unique(days)
    if len(unique) >= 6:
        daily = np.array([np.median(resid[days == d]) for d in unique])
        # one change point, where splitting the daily medians in two fits them best (L1)
        costs = [
            np.abs(daily[:k] - np.median(daily[:k])).sum()
            + np.abs(daily[k:] - np.median(daily[k:])).sum()
            for k in range(3, len(daily) - 2)
        ]
        where = 3 + int(np.argmin(costs)) if costs else -1
        best = float(np.median(daily[where:]) - np.median(daily[:where])) if costs else 0.0
        spread = 1.4826 * float(np.median(np.abs(np.diff(daily)))) / math.sqrt(2)
        if where > 0 and abs(best) > max(4 * spread, 0.10 * level):
            first = unique[where] * DAY - clock.start_offset_min
            size = f"{100 * best / level:+.0f}"
            if date_of:
                notes.append(say("calibration.note.level_shift", "en", at=date_of(first)[:10],
                                 size=size))  # fmt: skip
            else:
                day = str(int(unique[where] - unique[0]) + 1)
                notes.append(say("calibration.note.level_shift_day", "en", day=day, size=size))
    return notes
