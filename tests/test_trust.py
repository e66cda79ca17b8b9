"""Trust when the park changes: honest bands, tests with the right degrees of freedom, holidays.

Every data set here comes from :mod:`tests.independent` (plain numpy and SimPy), never from
parktwin's engine.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests import independent as ind
from twin.calibration.fit_arrivals import fit_arrivals
from twin.live.nowcast import band
from twin.model.intervals import Clock

DRAWS = {
    "normal": lambda rng, shape: rng.normal(5.0, 2.0, shape),
    "exponential": lambda rng, shape: rng.exponential(3.0, shape),
    "poisson": lambda rng, shape: rng.poisson(4.0, shape).astype(float),
}


@pytest.mark.parametrize("replications", [10, 20, 40])
@pytest.mark.parametrize("law", sorted(DRAWS))
def test_the_band_covers_90_percent_of_the_next_draw_at_any_replication_count(
    law: str, replications: int
) -> None:
    """p05/p95 of R replications hold one more draw 90% of the time (the 5-95% sample
    quantiles held 0.9 (R - 1) / (R + 1): 82% at R = 10)."""
    rng = np.random.default_rng(7)
    trials = 40_000
    draws = DRAWS[law](rng, (replications + 1, trials))
    summary = band(draws[:replications])
    low, high = np.array(summary["p05"]), np.array(summary["p95"])
    new = draws[replications]
    coverage = float(np.mean((low <= new) & (new <= high)))
    assert 0.885 <= coverage <= 0.93 + (0.02 if law == "poisson" else 0.0)


def test_a_band_of_one_replication_is_its_value_and_of_none_is_none() -> None:
    values = np.array([[1.0, np.nan], [np.nan, np.nan]])
    summary = band(values)
    assert summary["p05"] == [1.0, None] and summary["p95"] == [1.0, None]


def test_the_daily_dispersion_test_of_true_poisson_weekday_flows_keeps_its_level() -> None:
    """Poisson arrivals that differ by weekday, fitted by the weekday or weekly model: the
    daily test at 1% calls them not Poisson in about 1% of fits (with days - 1 degrees of
    freedom instead of days - 7 it called them "booked" in about 1 in 8)."""
    clock = Clock.of(str(ind.START))
    rates = ind.weekly_rates(6.0)
    flagged = 0
    fits = 200
    for seed in range(fits):
        times = ind.weekly_arrivals(rates, 28.0, np.random.default_rng(seed))
        fit = fit_arrivals("f", times, (0.0, 28 * 1440.0), clock)
        assert fit.choice in ("weekday", "weekly")
        flagged += not fit.daily.poisson
    assert flagged <= 0.04 * fits
