"""Distributions built from their park-file spec: block sampling and analytic moments.

Every sampler draws a whole block at once (numpy is slow per call) and exposes the analytic
`mean` and `var` that tests compare with samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twin import schema as s


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
