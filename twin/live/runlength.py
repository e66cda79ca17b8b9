"""Online change points in a rate of counts: the run-length posterior of Adams and MacKay (2007).

Counts n_1..n_T arrive in bins where the park expects e_1..e_T; within a segment the counts
have mean ``f * e_t`` for one factor f, and at every bin a new segment starts with probability
`hazard`, its factor drawn afresh from the prior Gamma(`prior`, `prior`) (mean 1: the park's
rate; `prior` pseudo-counts of weight). The posterior over the run length r (how many bins ago
the current segment began) is updated bin by bin, exactly: under a run, the factor's posterior
is a Gamma and the counts' predictive a negative binomial. The current factor's posterior is
the mixture of those Gammas weighted by the run lengths: right after a step it holds both the
old level and the new one, and moves to the new one as the counts confirm it.

Counts that vary more than Poisson counts do (a factor that comes and goes from day to day)
are allowed for by a dispersion D >= 1: the Poisson likelihood of every bin is raised to the
power 1/D, so each bin weighs as 1/D of its events and expected events. The conjugate algebra
is unchanged (a run's factor posterior is Gamma(prior + sum n / D, prior + sum e / D), its
predictive the negative binomial of n / D, up to terms in n alone that every run shares), so
the update stays exact for this tempered likelihood; D = 1 is the Poisson model. With D the
variance of a day's count over its mean (:func:`day_dispersion`), a whole day carries the
information about f that it carries under a day factor of that variance (the composite
likelihood's magnitude adjustment); what is approximated is the day's shape: its hours count
as independent, each 1/D of its weight, not as hours sharing one factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_EXPECTED = 1e-9
"""Expected counts are at least this: a truck in an hour the park expects none is a strong
sign of a change, not an impossibility."""
MIN_DAY_PAIRS = 4
"""Pairs of consecutive whole days the dispersion needs (:func:`day_dispersion`): from fewer,
a step in the level, which moves one pair, cannot be told from days that vary."""
WEIGHT_FLOOR = 1e-12
"""Run lengths below this posterior weight are dropped (they cannot come back)."""


@dataclass(frozen=True)
class RunLengths:
    """The factor's posterior after the last bin: a mixture of Gammas, one per run length.

    Attributes:
        length: run lengths kept, in bins (0: a segment starting after the last bin).
        weight: their posterior probabilities (summing to 1).
        shape, rate: the Gamma posterior of the factor under each run length.
    """

    length: np.ndarray
    weight: np.ndarray
    shape: np.ndarray
    rate: np.ndarray

    def mean(self) -> float:
        """The posterior mean of the current factor."""
        return float((self.weight * self.shape / self.rate).sum())

    def likeliest(self) -> int:
        """The run length of highest posterior probability, in bins."""
        return int(self.length[int(np.argmax(self.weight))])

    def median(self, below: int | None = None) -> int:
        """The posterior median of the run length in bins (of those under `below`)."""
        keep = self.length < below if below is not None else np.ones(len(self.length), bool)
        if not keep.any():
            return int(self.length.max())
        order = np.argsort(self.length[keep])
        cumulative = np.cumsum(self.weight[keep][order])
        at = int(np.searchsorted(cumulative, 0.5 * cumulative[-1]))
        return int(self.length[keep][order][at])

    def changed(self, bins: int) -> float:
        """The posterior probability that the current segment began after the first of
        `bins` bins: that the rate changed since."""
        return float(self.weight[self.length < bins].sum())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` draws of the current factor from the mixture."""
        pick = rng.choice(len(self.weight), size=n, p=self.weight)
        return rng.gamma(self.shape[pick], 1.0 / self.rate[pick])


def run_lengths(
    counts: np.ndarray,
    expected: np.ndarray,
    prior: float,
    hazard: float,
    dispersion: float = 1.0,
) -> RunLengths:
    """The run-length posterior after the bins (see the module docstring).

    Args:
        counts: events seen per bin, oldest first.
        expected: events the park expects per bin.
        prior: the prior's weight in pseudo-counts (shape and rate of its Gamma).
        hazard: the probability that a new segment starts at a bin.
        dispersion: the counts' likelihood is raised to the power 1 / `dispersion` (at least
            1; 1 is Poisson): each bin weighs as that many fewer events
            (:func:`day_dispersion`).
    """
    from scipy.special import gammaln

    if not dispersion >= 1.0:
        raise ValueError(f"dispersion must be at least 1, not {dispersion}")
    log_w = np.zeros(1)
    shape = np.array([prior])
    rate = np.array([prior])
    length = np.zeros(1, dtype=np.int64)
    floor = np.maximum(np.asarray(expected, float), MIN_EXPECTED) / dispersion
    for n, e in zip(np.asarray(counts, float) / dispersion, floor, strict=True):
        p = rate / (rate + e)
        # the same for every run length, so the terms in n alone (n!) are left out
        predictive = gammaln(shape + n) - gammaln(shape)
        predictive += shape * np.log(p) + (n * np.log1p(-p) if n > 0 else 0.0)
        joint = log_w + predictive
        fresh = _logsumexp(joint) + math.log(hazard)
        log_w = np.concatenate([[fresh], joint + math.log1p(-hazard)])
        log_w -= _logsumexp(log_w)
        shape = np.concatenate([[prior], shape + n])
        rate = np.concatenate([[prior], rate + e])
        length = np.concatenate([[0], length + 1])
        keep = log_w > math.log(WEIGHT_FLOOR)
        log_w, shape, rate, length = log_w[keep], shape[keep], rate[keep], length[keep]
    weight = np.exp(log_w - log_w.max())
    return RunLengths(length, weight / weight.sum(), shape, rate)


def day_dispersion(
    counts: np.ndarray, expected: np.ndarray, day: np.ndarray, per_day: int = 24
) -> float:
    """How much more a day's events vary than Poisson counts do, from consecutive whole days.

    For consecutive whole days d-1, d (every bin of both in `day`, the park expecting events
    on both), the squared difference of their ratios r = N / E (events seen over expected) is
    set against its Poisson variance: t = (r_d - r_{d-1})² / (f (1/E_d + 1/E_{d-1})), f the
    pair's pooled ratio. Under a day factor of variance s² (mean 1) on a level f, t has mean
    1 + s² f E: the variance of a day's count over its mean, the dispersion. A step in the
    level moves one difference only. Of the n differences, the sum beyond what Poisson counts
    reach in 95% of cases (the chi-square quantile of n degrees of freedom) is taken:
    ``1 + max(0, sum t - q95(n)) / n``, at most the mean events of a whole day (a day never
    weighs less than one event). With fewer than :data:`MIN_DAY_PAIRS` pairs, 1 (Poisson).

    Args:
        counts: events seen per bin.
        expected: events the park expects per bin.
        day: each bin's day (whole numbers, consecutive days consecutive).
        per_day: the bins of a whole day.
    """
    from scipy.special import chdtri

    if not len(day):
        return 1.0
    index = np.asarray(day, np.int64) - int(np.min(day))
    seen = np.bincount(index, np.asarray(counts, float))
    due = np.bincount(index, np.asarray(expected, float))
    bins = np.bincount(index)
    whole = (bins == per_day) & (due > MIN_EXPECTED)
    pair = whole[1:] & whole[:-1]
    if pair.sum() < MIN_DAY_PAIRS:
        return 1.0
    due = np.where(whole, due, 1.0)
    ratio = seen / due
    pooled = (seen[1:] + seen[:-1])[pair] / (due[1:] + due[:-1])[pair]
    spread = pooled * (1.0 / due[1:] + 1.0 / due[:-1])[pair]
    step = np.diff(ratio)[pair]
    t = np.divide(step**2, spread, out=np.zeros_like(step), where=spread > 0)
    n = len(t)
    excess = max(0.0, float(t.sum()) - float(chdtri(n, 0.05)))
    cap = max(1.0, float(seen[whole].mean()))
    return min(1.0 + excess / n, cap)


def _logsumexp(values: np.ndarray) -> float:
    top = float(values.max())
    return top + math.log(float(np.exp(values - top).sum()))
