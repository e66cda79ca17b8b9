"""95% intervals of every hourly arrival rate a flow's fit writes.

- ``hourly`` (24 rates) and ``weekly`` (168 rates): each rate is a count over an exposure, so
  its interval is the exact Poisson one (χ² limits), widened by √(index of dispersion) when
  the daily counts are over-dispersed (:func:`.uncertainty.poisson_rate`).
- ``weekday`` (hour × weekday, a Poisson log-linear model): the delta method on the log
  scale, ``var log r_dh ≈ 1/N_h + 1/N_d − 1/N`` (N_h the trucks in hour h of any day, N_d on
  weekday d, N all), as for a two-way table of independent margins; ``exp(log r ± 1.96 se)``.
- ``scaled`` (the file's profile × one factor): the factor's exact interval times each of the
  file's rates: the profile's shape is the file's, only its level is fitted.
"""

from __future__ import annotations

import math

import numpy as np

from twin.calibration.fit_arrivals import WEEK_HOURS, ArrivalFit, Exposure
from twin.calibration.uncertainty import Interval, poisson_rate, rounded
from twin.model.intervals import Clock


def week_counts(
    times: np.ndarray, window: tuple[float, float], clock: Clock
) -> tuple[np.ndarray, np.ndarray]:
    """Arrivals and hours of data in each hour of the week, inside `window`."""
    lo, hi = window
    inside = times[(times >= lo) & (times < hi)]
    counts = np.bincount(clock.week_hour(inside), minlength=WEEK_HOURS).astype(float)
    return counts, Exposure.of(window, clock).per_week_hour()


def model_intervals(
    fit: ArrivalFit, model: str, counts_w: np.ndarray, expo_w: np.ndarray
) -> list[Interval]:
    """The 95% interval of each rate per hour of a fitted model (24 or 168 values)."""
    dispersion = fit.daily.index if math.isfinite(fit.daily.index) else 1.0
    if model == "hourly":
        counts, expo = counts_w.reshape(7, 24).sum(axis=0), expo_w.reshape(7, 24).sum(axis=0)
        return _per_hour(counts, expo, dispersion)
    if model == "weekly":
        return _per_hour(counts_w, expo_w, dispersion)
    rates = fit.weekday_or_weekly("weekday")
    table = counts_w.reshape(7, 24)
    total = max(float(table.sum()), 1.0)
    by_hour, by_day = table.sum(axis=0), table.sum(axis=1)
    widen = math.sqrt(max(dispersion, 1.0))
    out: list[Interval] = []
    for index, rate in enumerate(rates.tolist()):
        day, hour = divmod(index, 24)
        if rate <= 0 or by_hour[hour] <= 0 or by_day[day] <= 0:
            out.append([0.0, None] if rate <= 0 else [None, None])
            continue
        se = widen * math.sqrt(max(1 / by_hour[hour] + 1 / by_day[day] - 1 / total, 0.0))
        out.append([rounded(rate * math.exp(-1.96 * se)), rounded(rate * math.exp(1.96 * se))])
    return out


def scaled_intervals(
    file_rates: np.ndarray, counts_w: np.ndarray, expo_w: np.ndarray, dispersion: float
) -> list[Interval]:
    """The file's rates × the 95% interval of the factor (trucks seen / trucks expected)."""
    expected = float((np.asarray(file_rates) * expo_w).sum())
    if expected <= 0:
        return [[None, None] for _ in np.atleast_1d(file_rates)]
    count = int(counts_w.sum())
    low, high = poisson_rate(count, expected, float(dispersion), levels=(0.95,))[0]
    return [
        [_scale(r, low), _scale(r, high)] for r in np.atleast_1d(np.asarray(file_rates)).tolist()
    ]


def _per_hour(counts: np.ndarray, exposure_h: np.ndarray, dispersion: float) -> list[Interval]:
    """Exact intervals of rates per hour, as :func:`.uncertainty.poisson_rate` gives them
    (vectorised); None bounds for an hour never observed."""
    from scipy import stats

    n = np.asarray(counts, dtype=float)
    hours = np.asarray(exposure_h, dtype=float)
    seen = hours > 0
    span = np.where(seen, hours, 1.0)
    rate = n / span
    low = np.where(n > 0, stats.chi2.ppf(0.025, 2 * np.maximum(n, 1)) / 2, 0.0) / span
    high = stats.chi2.ppf(0.975, 2 * n + 2) / 2 / span
    widen = math.sqrt(max(dispersion, 1.0)) if math.isfinite(dispersion) else 1.0
    lows = np.maximum(rate - widen * (rate - low), 0.0).tolist()
    highs = (rate + widen * (high - rate)).tolist()
    return [
        [rounded(a), rounded(b)] if ok else [None, None]
        for a, b, ok in zip(lows, highs, seen.tolist(), strict=True)
    ]


def _scale(value: float, by: float | None) -> float | None:
    return None if by is None else rounded(value * by)
