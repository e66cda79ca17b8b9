"""Online change points in a Poisson rate: the run-length posterior of Adams and MacKay (2007).

Counts n_1..n_T arrive in bins where the park expects e_1..e_T; within a segment the counts are
Poisson with mean ``f * e_t`` for one factor f, and at every bin a new segment starts with
probability `hazard`, its factor drawn afresh from the prior Gamma(`prior`, `prior`) (mean 1:
the park's rate; `prior` pseudo-counts of weight). The posterior over the run length r (how
many bins ago the current segment began) is updated bin by bin, exactly: the counts' predictive
under a run is negative binomial, and the factor's posterior under a run of length r is
Gamma(prior + sum of its counts, prior + sum of its expected counts). The current factor's
posterior is the mixture of those Gammas weighted by the run lengths: right after a step it
holds both the old level and the new one, and moves to the new one as the counts confirm it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_EXPECTED = 1e-9
"""Expected counts are at least this: a truck in an hour the park expects none is a strong
sign of a change, not an impossibility."""
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
    counts: np.ndarray, expected: np.ndarray, prior: float, hazard: float
) -> RunLengths:
    """The run-length posterior after the bins (see the module docstring).

    Args:
        counts: events seen per bin, oldest first.
        expected: events the park expects per bin.
        prior: the prior's weight in pseudo-counts (shape and rate of its Gamma).
        hazard: the probability that a new segment starts at a bin.
    """
    from scipy.special import gammaln

    log_w = np.zeros(1)
    shape = np.array([prior])
    rate = np.array([prior])
    length = np.zeros(1, dtype=np.int64)
    floor = np.maximum(np.asarray(expected, float), MIN_EXPECTED)
    for n, e in zip(np.asarray(counts, float), floor, strict=True):
        p = rate / (rate + e)
        predictive = gammaln(shape + n) - gammaln(shape) - math.lgamma(n + 1.0)
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


def _logsumexp(values: np.ndarray) -> float:
    top = float(values.max())
    return top + math.log(float(np.exp(values - top).sum()))
