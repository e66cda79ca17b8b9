"""95% intervals of fitted values: bootstrap, day-block jackknife and exact Poisson limits.

- **Service times** (gates, docks): a nonparametric bootstrap (400 resamples of the complete
  times, from the named random stream ``("bootstrap", asset)``) of the mean and standard
  deviation, percentile intervals. They hold whatever family was chosen.
- **Arrivals**: the exact Poisson interval of the count (χ² limits) over the exposure, as
  trucks per day; when the daily counts are over-dispersed, widened by the square root of the
  index of dispersion (quasi-Poisson).
- **Meter levels, ratios**: a jackknife over blocks of whole days (up to seven
  consecutive blocks, refitting without each): readings of one day are not independent, the
  days nearly are. ``θ ± t(k − 1) × √((k − 1)/k × Σ(θᵢ − θ̄)²)``.
- **Load-shape slots** (each the median of one cell's readings, one reading per day, over the
  shape's weekly level): a residual bootstrap. A cell holds a few readings (3 Saturdays in
  three weeks), too few for a jackknife of medians or an order-statistic interval; the
  relative deviations from the cell means are pooled over cells (scaled by √(n/(n − 1))),
  each cell's median is redrawn from n of them, the level recomputed, percentile intervals.
  The readings of a cell come from different days, so the pooled spread is the day-to-day
  spread.
- **Road speed**: the bootstrap of the median drive ratio.

Intervals are never narrower than the data's resolution: meter intervals are widened by the
step the readings were rounded to, drive factors by the timestamps' resolution over the
shortest route (deterministic drives logged to the second otherwise give a zero-width
interval around a rounding error).

Every interval is ``[low, high]``; ``None`` for a bound the data do not give (a dock count
seen only from below). Intervals are reported at 95% (:data:`REPORTED`); a file's value is
*replaced* only when it lies outside the 99.9% interval (:data:`GUARD`), a Bonferroni guard:
starting from the true park, a park with 50 fitted values keeps every one of them with
probability of at least 95%, so calibration does not move values the data support.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from twin.rng import Streams

RESAMPLES = 400
BLOCKS = 7
REPORTED = 0.95
GUARD = 0.999

Interval = list[float | None]


def bootstrap_moments(
    times: np.ndarray, asset: str, levels: tuple[float, ...] = (REPORTED, GUARD)
) -> list[dict[str, Interval]]:
    """Normal bootstrap intervals of the mean and sd of service times, one dict per level."""
    x = np.asarray(times, dtype=float)
    if len(x) < 2:
        return [{} for _ in levels]
    rng = Streams(0, 0).get("bootstrap", asset)
    means = np.empty(RESAMPLES)
    sds = np.empty(RESAMPLES)
    chunk = max(1, 4_000_000 // len(x))  # resamples per block, to bound memory
    for lo in range(0, RESAMPLES, chunk):
        hi = min(lo + chunk, RESAMPLES)
        draws = x[rng.integers(0, len(x), size=(hi - lo, len(x)))]
        means[lo:hi] = draws.mean(axis=1)
        sds[lo:hi] = draws.std(axis=1, ddof=1)
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    se_mean, se_sd = float(means.std(ddof=1)), float(sds.std(ddof=1))
    return [
        {"mean": _normal(mean, se_mean, level), "sd": _normal(sd, se_sd, level)} for level in levels
    ]


def bootstrap_median(
    values: np.ndarray, asset: str, levels: tuple[float, ...] = (REPORTED, GUARD)
) -> list[Interval]:
    """Normal bootstrap intervals of the median, one per level."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return [[None, None] for _ in levels]
    rng = Streams(0, 0).get("bootstrap", asset)
    chunk = max(1, 4_000_000 // len(x))
    medians = np.empty(RESAMPLES)
    for lo in range(0, RESAMPLES, chunk):
        hi = min(lo + chunk, RESAMPLES)
        medians[lo:hi] = np.median(x[rng.integers(0, len(x), size=(hi - lo, len(x)))], axis=1)
    centre, se = float(np.median(x)), float(medians.std(ddof=1))
    return [_normal(centre, se, level) for level in levels]


def poisson_rate(
    count: int,
    exposure_days: float,
    dispersion: float = 1.0,
    levels: tuple[float, ...] = (REPORTED, GUARD),
) -> list[Interval]:
    """Exact intervals of a Poisson rate per day, widened by √dispersion when above 1."""
    from scipy import stats

    if exposure_days <= 0:
        return [[None, None] for _ in levels]
    rate = count / exposure_days
    widen = math.sqrt(max(dispersion, 1.0)) if math.isfinite(dispersion) else 1.0
    out: list[Interval] = []
    for level in levels:
        tail = (1 - level) / 2
        low = 0.0 if count == 0 else float(stats.chi2.ppf(tail, 2 * count)) / 2
        high = float(stats.chi2.ppf(1 - tail, 2 * count + 2)) / 2
        out.append(
            [
                rounded(max(rate - widen * (rate - low / exposure_days), 0.0)),
                rounded(rate + widen * (high / exposure_days - rate)),
            ]
        )
    return out


def day_blocks(day: np.ndarray, blocks: int = BLOCKS) -> np.ndarray:
    """Block of each reading: up to `blocks` runs of consecutive days."""
    index = np.unique(day, return_inverse=True)[1]
    days = int(index.max()) + 1 if len(index) else 1
    k = min(blocks, days)
    return (index * k) // days


def jackknife(
    blocks: np.ndarray,
    estimate: Callable[[np.ndarray], tuple[float, ...]],
    levels: tuple[float, ...] = (REPORTED, GUARD),
) -> list[list[Interval]]:
    """Block-jackknife intervals of the values `estimate` returns for a mask of readings.

    Returns, per level, one interval per value.
    """
    from scipy import stats

    full = estimate(np.ones(len(blocks), dtype=bool))
    labels = np.unique(blocks)
    k = len(labels)
    unknown: Interval = [None, None]
    if k < 3:
        return [[list(unknown) for _ in full] for _ in levels]
    leave_out = np.array([estimate(blocks != b) for b in labels.tolist()], dtype=float)
    centre = leave_out.mean(axis=0)
    se = np.sqrt((k - 1) / k * ((leave_out - centre) ** 2).sum(axis=0))
    out: list[list[Interval]] = []
    for level in levels:
        t = float(stats.t.ppf(0.5 + level / 2, k - 1))
        row: list[Interval] = []
        for f, e in zip(full, se.tolist(), strict=True):
            row.append([rounded(f - t * e), rounded(f + t * e)] if math.isfinite(e) else unknown)
        out.append(row)
    return out


def cell_median_draws(
    y: np.ndarray, cell: np.ndarray, centre: np.ndarray, key: str, resamples: int = RESAMPLES
) -> np.ndarray:
    """Residual-bootstrap draws of every cell's median reading: (resamples, cells).

    `centre` is each cell's median reading. Each is redrawn as ``centre × (1 + median of n
    pooled relative deviations)``, n the cell's number of readings; NaN for a cell without
    readings or with a median of zero or less (no relative deviation to scale).
    """
    count = len(centre)
    n = np.bincount(cell, minlength=count)[:count]
    sums = np.bincount(cell, weights=y, minlength=count)[:count]
    means = np.divide(sums, n, out=np.full(count, math.nan), where=n > 0)
    usable = (n >= 2) & (means > 0)
    pick = usable[cell]
    scale = np.sqrt(n / np.maximum(n - 1, 1))
    pool = ((y - means[cell]) / means[cell] * scale[cell])[pick]
    draws = np.full((resamples, count), math.nan)
    if not len(pool):
        return draws
    rng = Streams(0, 0).get("bootstrap", key)
    for size in sorted(set(n[centre > 0].tolist())):
        cells = np.flatnonzero((n == size) & (centre > 0))
        drawn = pool[rng.integers(0, len(pool), size=(resamples, len(cells), size))]
        draws[:, cells] = centre[cells] * (1.0 + np.median(drawn, axis=2))
    return draws


def percentile(draws: np.ndarray, level: float = REPORTED) -> list[Interval]:
    """Percentile intervals of each column of bootstrap draws (None bounds where NaN)."""
    tail = 100 * (1 - level) / 2
    out: list[Interval] = []
    for column in draws.T:
        if not np.isfinite(column).all():
            out.append([None, None])
            continue
        low, high = np.percentile(column, [tail, 100 - tail])
        out.append([rounded(float(low)), rounded(float(high))])
    return out


def quantum(values: np.ndarray) -> float:
    """The step the readings were rounded to (0.01 for two decimals), or 0 when finer."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if not len(x):
        return 0.0
    for digits in range(-3, 7):
        step = 10.0**-digits
        if np.allclose(x / step, np.round(x / step), atol=1e-6, rtol=0):
            return step
    return 0.0


def widen(interval: Interval, by: float) -> Interval:
    """An interval widened by `by` on both sides (a resolution the data cannot beat)."""
    low, high = interval
    return [
        None if low is None else rounded(low - by),
        None if high is None else rounded(high + by),
    ]


def inside(value: float, interval: Interval) -> bool:
    """Whether a value lies in an interval (a None bound is open)."""
    low, high = interval
    return (low is None or value >= low) and (high is None or value <= high)


def _normal(centre: float, se: float, level: float) -> Interval:
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + level / 2))
    return [rounded(centre - z * se), rounded(centre + z * se)]


def rounded(value: float) -> float | None:
    """Four significant digits; None for a value that is not finite."""
    if not math.isfinite(value):
        return None
    if value == 0:
        return 0.0
    return round(value, 3 - math.floor(math.log10(abs(value))))
