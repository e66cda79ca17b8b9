"""The rest of a service already under way: draws of S - a given S > a, for every family.

The reference is independent of the inversion under test: plain draws of the same spec
(`Sampler.sample`, numpy's generators), kept when above `a`, minus `a` (rejection).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from twin.model import schema as s
from twin.model.dist import Sampler

SPECS = [
    s.Exponential(dist="exponential", mean=10),
    s.Lognormal(dist="lognormal", mean=45, sd=15),
    s.Gamma(dist="gamma", mean=40, sd=12),
    s.Normal(dist="normal", mean=20, sd=15),
    s.Triangular(dist="triangular", min=15, mode=25, max=50),
    s.Uniform(dist="uniform", min=10, max=30),
    s.Empirical(dist="empirical", values=[5, 10, 10, 20, 40]),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.dist)
@pytest.mark.parametrize("quantile", [0.0, 0.5, 0.9])
def test_remaining_work_has_the_conditional_distribution(spec, quantile):
    sampler = Sampler(spec)
    plain = sampler.sample(np.random.default_rng(1), 400_000)
    elapsed = float(np.quantile(plain, quantile)) if quantile else 0.0
    if isinstance(spec, s.Empirical):
        elapsed = min(elapsed, 19.0)  # keep values above it
    reference = plain[plain > elapsed] - elapsed
    drawn = sampler.sample_remaining(np.random.default_rng(2), np.full(20_000, elapsed))
    assert drawn.min() >= 0
    assert drawn.mean() == pytest.approx(reference.mean(), rel=0.03)
    if isinstance(spec, s.Empirical):
        values, counts = np.unique(drawn, return_counts=True)
        ref_values, ref_counts = np.unique(reference, return_counts=True)
        np.testing.assert_allclose(values, ref_values)
        np.testing.assert_allclose(counts / counts.sum(), ref_counts / ref_counts.sum(), atol=0.02)
    else:
        assert stats.ks_2samp(drawn, reference).pvalue > 1e-3


def test_exponential_remaining_is_memoryless():
    sampler = Sampler(s.Exponential(dist="exponential", mean=10))
    drawn = sampler.sample_remaining(np.random.default_rng(3), np.full(50_000, 37.0))
    assert drawn.mean() == pytest.approx(10, rel=0.02)


def test_past_the_end_of_a_bounded_range_the_work_is_done():
    sampler = Sampler(s.Triangular(dist="triangular", min=15, mode=25, max=50))
    assert sampler.sample_remaining(np.random.default_rng(0), np.array([50.0, 80.0])).tolist() == [
        0.0,
        0.0,
    ]
    constant = Sampler(s.Constant(dist="constant", value=30))
    rest = constant.sample_remaining(np.random.default_rng(0), np.array([10.0, 45.0]))
    assert rest.tolist() == [20.0, 0.0]
    empirical = Sampler(s.Empirical(dist="empirical", values=[5, 10]))
    assert empirical.sample_remaining(np.random.default_rng(0), np.array([10.0])).tolist() == [0.0]


def test_deep_in_the_tail_stays_finite_and_above_zero():
    # 45 +- 15 lognormal, 200 minutes in: survival ~1e-9, yet the draws are usable.
    sampler = Sampler(s.Lognormal(dist="lognormal", mean=45, sd=15))
    drawn = sampler.sample_remaining(np.random.default_rng(4), np.full(1000, 200.0))
    assert np.all(np.isfinite(drawn)) and np.all(drawn > 0)
    assert drawn.mean() < 60  # a light-ish tail: the rest is short
