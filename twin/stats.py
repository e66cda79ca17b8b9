"""Statistics over replications: Student-t intervals and paired differences.

Intervals respect a KPI's range: the Student-t interval of a mean is intersected with the range
the KPI can take (``bounds``, e.g. ``(0, inf)`` for a wait, ``(0, 1)`` for a utilisation).
The true mean lies in that range, so the intersection holds it exactly when the t interval
does: the coverage is the t interval's, and no bound is one the KPI cannot have (a wait's
interval of -42 to 55 minutes at two replications becomes 0 to 55). A paired difference is
bounded the same way by the range of a difference, ``(lo - hi, hi - lo)``: a utilisation's
change stays within -1..1, while a change of a wait may be negative and is not cut at 0.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twin.t_quantiles import MAX_DOF, QUANTILES


@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation and 95% Student-t interval of replication values."""

    mean: float
    std: float
    ci95: tuple[float, float]
    values: tuple[float, ...]

    @property
    def half_width(self) -> float:
        """Half the width of the 95% interval."""
        return (self.ci95[1] - self.ci95[0]) / 2


@functools.lru_cache(maxsize=256)
def t_quantile(dof: int, level: float = 0.95) -> float:
    """Two-sided Student-t quantile for `dof` degrees of freedom.

    scipy.special's inverse of the t distribution function is what ``scipy.stats.t.ppf``
    computes, without importing scipy.stats. Importing scipy.special still takes about 0.2 s,
    a large share of a short run, so the values runs need most (95% and 90% for up to
    :data:`~twin.t_quantiles.MAX_DOF` degrees of freedom) come from a table of scipy's own
    values, the same to the bit (scripts/gen_t_quantiles.py writes and checks it).
    """
    table = QUANTILES.get(level)
    if table is not None and 1 <= dof <= MAX_DOF:
        return table[dof - 1]
    from scipy.special import stdtrit

    return float(stdtrit(dof, 0.5 + level / 2))


UNBOUNDED = (-math.inf, math.inf)


def summarize(values: Sequence[float], bounds: tuple[float, float] = UNBOUNDED) -> Summary:
    """Summary of one KPI over replications (NaN replications are left out of the stats).

    Args:
        values: one value per replication, NaN where a replication did not finish.
        bounds: the range the KPI can take; the interval is kept within it.
    """
    data = np.asarray(values, dtype=float)
    finite = data[~np.isnan(data)]
    if len(finite) == 0:
        return Summary(math.nan, math.nan, (math.nan, math.nan), tuple(data.tolist()))
    mean = float(finite.mean())
    if len(finite) == 1:
        return Summary(mean, 0.0, (mean, mean), tuple(data.tolist()))
    std = float(finite.std(ddof=1))
    half = t_quantile(len(finite) - 1) * std / math.sqrt(len(finite))
    low, high = max(bounds[0], mean - half), min(bounds[1], mean + half)
    return Summary(mean, std, (low, high), tuple(data.tolist()))


@dataclass(frozen=True)
class PairedDelta:
    """Scenario minus baseline over paired replications."""

    delta: float
    delta_pct: float
    ci95: tuple[float, float]

    @property
    def significant(self) -> bool:
        """True when the 95% interval of the difference excludes 0."""
        lo, hi = self.ci95
        return bool(lo > 0 or hi < 0)


def paired_delta(
    scenario: Sequence[float], baseline: Sequence[float], bounds: tuple[float, float] = UNBOUNDED
) -> PairedDelta:
    """Paired difference of two KPIs replicated with common random numbers.

    Args:
        scenario: the scenario's values, in replication order.
        baseline: the baseline's values, paired with them.
        bounds: the range of the KPI itself; the difference's interval is kept within
            ``(lo - hi, hi - lo)``.
    """
    a = np.asarray(scenario, dtype=float)
    b = np.asarray(baseline, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    span = bounds[1] - bounds[0]
    diff = summarize((a[keep] - b[keep]).tolist(), (-span, span))
    base = float(b[keep].mean()) if keep.any() else math.nan
    pct = 100.0 * diff.mean / abs(base) if base not in (0.0,) and not math.isnan(base) else math.nan
    return PairedDelta(diff.mean, pct, diff.ci95)


def few_replications_note(replications: int) -> str | None:
    """Why the intervals are wide at 2 or 3 replications (None otherwise)."""
    if replications not in (2, 3):
        return None
    factor = t_quantile(replications - 1)
    freedom = "1 degree" if replications == 2 else "2 degrees"
    return (
        f"only {replications} replications: each 95% interval is {factor:.1f} standard errors "
        f"either side of the mean (Student t with {freedom} of freedom), so intervals are "
        "wide; run 10 or more replications (-r 10) for tight ones"
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of p-values for a family of tests (any dependence).

    The i-th smallest of m p-values is multiplied by m − i + 1, the results are made
    non-decreasing in that order and capped at 1. Rejecting where the adjusted value is below α
    keeps the chance of any false rejection in the family at most α. NaN (a test not made)
    stays NaN and does not count towards m.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(len(p), math.nan)
    made = np.flatnonzero(~np.isnan(p))
    order = made[np.argsort(p[made], kind="stable")]
    m = len(order)
    running = 0.0
    for i, k in enumerate(order.tolist()):
        running = max(running, min(1.0, (m - i) * float(p[k])))
        out[k] = running
    return out.tolist()


def prediction_bounds(values: np.ndarray, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of a `level` prediction interval for one more draw, per column of `values`.

    `values` holds replications along axis 0 (NaN: no value). Of n exchangeable draws, the
    k-th smallest X_(k) is above one more draw with probability k / (n + 1), so each bound
    sits at the rank r = q (n + 1) of its tail q = (1 - level) / 2 from its end (Hyndman and
    Fan's type 6 positions), interpolated between order statistics. Below n = 19 for 90%
    (r < 1), no order statistic is far enough out: the bound is widened past the extreme
    value by σ log(1 / r), the distance to the q tail quantile under an exponential tail
    whose scale σ is estimated from the outer half of the spacings (Rényi: i × (X_(n-i+1) −
    X_(n-i)) has mean σ). A column with one value has both bounds at it, one without any
    value NaN.
    """
    data = np.sort(np.asarray(values, dtype=float), axis=0)  # NaN sorts last
    if data.ndim == 1:
        data = data[:, None]
    counts = (~np.isnan(data)).sum(axis=0)
    tail = (1.0 - level) / 2.0
    low = np.full(data.shape[1], np.nan)
    high = np.full(data.shape[1], np.nan)
    for n in np.unique(counts[counts > 0]).tolist():
        cols = counts == n
        column = data[:n, cols]
        low[cols] = -_upper_bound(-column[::-1], tail)
        high[cols] = _upper_bound(column, tail)
    return low, high


def _upper_bound(ordered: np.ndarray, tail: float) -> np.ndarray:
    """The upper `tail` prediction bound of each column of ascending values (no NaN)."""
    n = ordered.shape[0]
    if n == 1:
        return ordered[0]
    rank_from_top = tail * (n + 1)
    if rank_from_top >= 1.0:
        position = n - rank_from_top  # 0-based, fractional
        below = min(int(np.floor(position)), n - 2)
        share = position - below
        return ordered[below] + share * (ordered[below + 1] - ordered[below])
    k = max(1, (n - 1) // 2)
    top = ordered[n - 1 - k :][::-1]  # X_(n), X_(n-1), ..., X_(n-k)
    spacings = top[:-1] - top[1:]
    scale = (np.arange(1, k + 1)[:, None] * spacings).mean(axis=0)
    return ordered[n - 1] + scale * math.log(1.0 / rank_from_top)
