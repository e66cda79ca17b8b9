"""Distributions built from their park-file spec: block sampling and analytic moments.

Every sampler draws a whole block at once (numpy is slow per call) and exposes the analytic
`mean` and `var` that tests compare with samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.model import schema as s


@dataclass(frozen=True)
class Sampler:
    """Samples one distribution spec; values are in the unit of the field holding it."""

    spec: s.Distribution

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` independent draws as a float64 array."""
        spec = self.spec
        match spec:
            case s.Constant():
                return np.full(n, float(spec.value))
            case s.Exponential():
                return rng.exponential(spec.mean, n)
            case s.Lognormal():
                sigma2 = math.log1p((spec.sd / spec.mean) ** 2)
                mu = math.log(spec.mean) - sigma2 / 2
                return rng.lognormal(mu, math.sqrt(sigma2), n)
            case s.Gamma():
                shape = (spec.mean / spec.sd) ** 2
                return rng.gamma(shape, spec.sd**2 / spec.mean, n)
            case s.Normal():
                return _truncated_normal(rng, spec.mean, spec.sd, n)
            case s.Triangular():
                return rng.triangular(spec.min, spec.mode, spec.max, n)
            case s.Uniform():
                return rng.uniform(spec.min, spec.max, n)
            case s.Empirical():
                return rng.choice(np.asarray(spec.values, dtype=float), n)
        raise TypeError(f"unknown distribution {spec!r}")  # pragma: no cover

    def sample_remaining(self, rng: np.random.Generator, elapsed: np.ndarray) -> np.ndarray:
        """Remaining times ``S - a`` of draws conditioned on ``S > a``, one per elapsed `a`.

        For work already under way for `a` minutes (a truck in service when a warm start
        begins). Exact, by inversion of the survival function: ``S = isf(U * sf(a))`` with
        ``U`` uniform, which stays accurate deep in the tail. When the distribution cannot
        exceed `a` (past a bounded range, a constant, every empirical value), the remainder is
        0. Draws one uniform per element, in order.
        """
        elapsed = np.asarray(elapsed, dtype=float)
        spec = self.spec
        uniform = rng.random(len(elapsed))
        if self.var == 0:  # a constant, or a degenerate normal, lognormal or gamma
            return np.maximum(self.mean - elapsed, 0.0)
        if isinstance(spec, s.Empirical):
            values = np.sort(np.asarray(spec.values, dtype=float))
            first_above = np.searchsorted(values, elapsed, side="right")
            left = len(values) - first_above
            pick = first_above + np.floor(uniform * left).astype(np.int64)
            chosen = values[np.minimum(pick, len(values) - 1)]
            return np.where(left > 0, chosen - elapsed, 0.0)
        frozen = self._scipy()
        tail = frozen.sf(elapsed)
        total = np.where(tail > 0, frozen.isf(uniform * tail), elapsed)
        return np.maximum(total - elapsed, 0.0)

    def _scipy(self) -> Any:
        """The distribution as a frozen scipy.stats object (same parameters as `sample`)."""
        from scipy import stats  # heavy: imported only when a warm start needs it

        spec = self.spec
        match spec:
            case s.Exponential():
                return stats.expon(scale=spec.mean)
            case s.Lognormal():
                sigma2 = math.log1p((spec.sd / spec.mean) ** 2)
                mu = math.log(spec.mean) - sigma2 / 2
                return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(mu))
            case s.Gamma():
                shape = (spec.mean / spec.sd) ** 2
                return stats.gamma(shape, scale=spec.sd**2 / spec.mean)
            case s.Normal():
                return stats.truncnorm(-spec.mean / spec.sd, math.inf, spec.mean, spec.sd)
            case s.Triangular():
                width = spec.max - spec.min
                return stats.triang((spec.mode - spec.min) / width, spec.min, width)
            case s.Uniform():
                return stats.uniform(spec.min, spec.max - spec.min)
        raise TypeError(f"no scipy form for {spec!r}")  # pragma: no cover

    @property
    def mean(self) -> float:
        """Analytic mean."""
        spec = self.spec
        match spec:
            case s.Constant():
                return float(spec.value)
            case s.Exponential() | s.Lognormal() | s.Gamma():
                return float(spec.mean)
            case s.Normal():
                return _truncated_normal_moments(spec.mean, spec.sd)[0]
            case s.Triangular():
                return (spec.min + spec.mode + spec.max) / 3
            case s.Uniform():
                return (spec.min + spec.max) / 2
            case s.Empirical():
                return float(np.mean(spec.values))
        raise TypeError(f"unknown distribution {spec!r}")  # pragma: no cover

    @property
    def var(self) -> float:
        """Analytic variance."""
        spec = self.spec
        match spec:
            case s.Constant():
                return 0.0
            case s.Exponential():
                return float(spec.mean) ** 2
            case s.Lognormal() | s.Gamma():
                return float(spec.sd) ** 2
            case s.Normal():
                return _truncated_normal_moments(spec.mean, spec.sd)[1]
            case s.Triangular():
                a, c, b = spec.min, spec.mode, spec.max
                return (a * a + b * b + c * c - a * b - a * c - b * c) / 18
            case s.Uniform():
                return (spec.max - spec.min) ** 2 / 12
            case s.Empirical():
                return float(np.var(spec.values))
        raise TypeError(f"unknown distribution {spec!r}")  # pragma: no cover

    @property
    def is_zero(self) -> bool:
        """True when every draw is 0 (a gate that adds no delay)."""
        return isinstance(self.spec, s.Constant) and self.spec.value == 0


def _truncated_normal(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    """Normal draws conditioned on being >= 0, by redrawing the negative ones."""
    values = rng.normal(mean, sd, n)
    bad = values < 0
    while bad.any():
        values[bad] = rng.normal(mean, sd, int(bad.sum()))
        bad = values < 0
    return values


def _truncated_normal_moments(mean: float, sd: float) -> tuple[float, float]:
    if sd == 0:
        return max(mean, 0.0), 0.0
    alpha = -mean / sd
    pdf = math.exp(-alpha * alpha / 2) / math.sqrt(2 * math.pi)
    tail = 0.5 * math.erfc(alpha / math.sqrt(2))
    ratio = pdf / tail
    return mean + sd * ratio, sd * sd * (1 + alpha * ratio - ratio * ratio)
