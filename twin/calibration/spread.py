"""Is an observed sample of queue times a plausible path of the model?

The times of one day's trucks are not independent draws: a busy hour delays many trucks at
once, so one path of a queue differs from another far more than two samples of independent
draws would. A two-sample Kolmogorov–Smirnov test of the observed times against all simulated
times pooled treats every truck as independent, and rejects a correct model: on the bundled
sample, the true park's own held-out span "fails" it at p ≈ 1e-8 at sevt-p2-docks.

The reference here is the model's own spread instead. Each replication is a path of the model;
its KS distance D to the other replications pooled is one draw of the distance a path of the
model lies from the model, and its mean one draw of a path's mean. The observed sample is
judged by where it lies among these, on two statistics:

- the KS distance D (against all replications pooled): the shape of the distribution;
  one-sided, a larger distance is worse;
- the mean: the tail, which D hardly sees when a few jammed hours hold most of the waiting
  (a mean six times the model's moves D by 0.27 at customs-bays on the bundled sample);
  two-sided.

Each p-value is the Student-t predictive probability on the log scale (the replications' log D,
and log mean, taken as normal; the new value's own uncertainty included; R − 1 degrees of
freedom), so that it reaches past the range of R replications. The quantity's ``p_value`` is the
smaller of the two, doubled (Bonferroni). ``rank_p``, the share of replications at least as far
in D, ``(1 + k) / (R + 1)``, is kept beside it: a Monte Carlo p-value that assumes nothing about
the shape but cannot go below ``1 / (R + 1)``.

``bench/validation_spread.py`` checks that a correct model is flagged at the stated rate: paths
of the true yen-binh park held out in turn against 20 others.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_REPLICATIONS = 3  # for a spread: log D's mean and sd, with at least 2 degrees of freedom
_TINY = 1e-6  # a distance (or mean) of 0 is taken as this on the log scale


@dataclass(frozen=True)
class Distance:
    """The KS distance of an observed sample from the model, and how unusual it is."""

    d: float  # KS D of the observed against all replications pooled
    p_value: float  # the smaller of d_p and mean_p, doubled
    d_p: float  # where d lies in the model's own spread of D (log-t predictive, one-sided)
    mean_p: float  # where the observed mean lies among the paths' means (two-sided)
    rank_p: float  # (1 + replications at least as far in D) / (R + 1)
    spread: tuple[float, float]  # median and 95th percentile of the replications' own D
    means: tuple[float, float]  # 5th and 95th percentile of the replications' means
    iid_p: float  # the plain two-sample KS p-value, which takes the trucks as independent
    observed_mean: float
    simulated_mean: float

    @property
    def judged(self) -> bool:
        """True when there was a sample and a spread to judge it against."""
        return math.isfinite(self.d) and math.isfinite(self.p_value)


_NAN = math.nan
NOT_JUDGED = Distance(_NAN, _NAN, _NAN, _NAN, _NAN, (_NAN, _NAN), (_NAN, _NAN), _NAN, _NAN, _NAN)


def ks_against_spread(observed: np.ndarray, replications: Sequence[np.ndarray]) -> Distance:
    """The KS distance of `observed` from the pooled `replications`, against their own spread.

    Args:
        observed: The observed values (NaN already removed).
        replications: The same quantity in each replication of the model.

    Returns:
        The distance with its p-values; NaN p-values when fewer than three replications
        hold two values or more (no spread to judge against), and all NaN without data.
    """
    from scipy import stats

    runs = [np.asarray(r, dtype=float) for r in replications if len(r) >= 2]
    if len(observed) < 2 or not runs:
        return NOT_JUDGED
    pooled = np.concatenate(runs)
    plain = stats.ks_2samp(observed, pooled)
    d, mean = float(plain.statistic), float(np.mean(observed))
    tail = (float(plain.pvalue), mean, float(pooled.mean()))
    if len(runs) < MIN_REPLICATIONS:
        return Distance(d, _NAN, _NAN, _NAN, _NAN, (_NAN, _NAN), (_NAN, _NAN), *tail)
    own = np.array([_leave_one_out_d(runs, r) for r in range(len(runs))])
    means = np.array([float(r.mean()) for r in runs])
    d_p = _log_t_predictive(d, own, two_sided=False)
    mean_p = _log_t_predictive(mean, means, two_sided=True)
    return Distance(
        d,
        min(1.0, 2.0 * min(d_p, mean_p)),
        d_p,
        mean_p,
        (1.0 + float(np.sum(own >= d))) / (len(own) + 1.0),
        (float(np.median(own)), float(np.quantile(own, 0.95))),
        (float(np.quantile(means, 0.05)), float(np.quantile(means, 0.95))),
        *tail,
    )


def _leave_one_out_d(runs: list[np.ndarray], r: int) -> float:
    """KS D of replication `r` against the other replications pooled."""
    from scipy import stats

    others = np.concatenate(runs[:r] + runs[r + 1 :])
    return float(stats.ks_2samp(runs[r], others).statistic)


def _log_t_predictive(value: float, own: np.ndarray, two_sided: bool) -> float:
    """P(a new path's log statistic lies at least as far out as log `value`).

    The replications' logs are taken as normal with unknown mean and sd: the new path's log
    follows a Student-t with n − 1 degrees of freedom, scaled by sd·√(1 + 1/n). One-sided
    looks above only.
    """
    from scipy import stats

    logs = np.log(np.maximum(own, _TINY))
    n = len(logs)
    sd = float(logs.std(ddof=1))
    if sd <= 0.0:
        inside = value <= own.max() and (not two_sided or value >= own.min())
        return 1.0 if inside else 0.0
    z = (math.log(max(value, _TINY)) - float(logs.mean())) / (sd * math.sqrt(1.0 + 1.0 / n))
    if two_sided:
        return float(min(1.0, 2.0 * stats.t.sf(abs(z), n - 1)))
    return float(stats.t.sf(z, n - 1))
