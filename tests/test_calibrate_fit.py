"""Fits recover known parameters: service families, censoring, arrival rates, meter levels."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter

from twin.calibration.fit_arrivals import fit_arrivals
from twin.calibration.fit_meters import fit_levels, fit_ratio, interval_share
from twin.calibration.fit_service import fit_service
from twin.calibration.read import MeterSeries, reading_intervals
from twin.calibration.sample import sensor_tables
from twin.io.load import load_park
from twin.model.dist import Sampler
from twin.model.intervals import Clock, Intervals
from twin.model.schema import Distribution, Moment, Park, RateEvent

DAY = 1440.0
SPEC = TypeAdapter(Distribution)


def draws(spec: dict[str, Any], n: int, seed: int) -> np.ndarray:
    return Sampler(SPEC.validate_python(spec)).sample(np.random.default_rng(seed), n)


def mean_of(spec: dict[str, Any]) -> float:
    return Sampler(SPEC.validate_python(spec)).mean


# --------------------------------------------------------------------------- service times

FAMILIES = [
    {"dist": "lognormal", "mean": 35.0, "sd": 10.0},
    {"dist": "gamma", "mean": 40.0, "sd": 15.0},
    {"dist": "normal", "mean": 30.0, "sd": 8.0},
    {"dist": "triangular", "min": 15.0, "mode": 25.0, "max": 50.0},
    {"dist": "uniform", "min": 10.0, "max": 30.0},
    {"dist": "exponential", "mean": 20.0},
]


@pytest.mark.parametrize("spec", FAMILIES, ids=[f["dist"] for f in FAMILIES])
def test_each_family_is_recovered(spec: dict[str, Any]) -> None:
    fit = fit_service("g", draws(spec, 3000, seed=7))
    assert fit is not None
    assert fit.best.family == spec["dist"]
    assert mean_of(fit.best.spec) == pytest.approx(mean_of(spec), rel=0.05)
    assert fit.best.ks_p > 0.01
    assert [f.aic for f in fit.fits] == sorted(f.aic for f in fit.fits)
    assert {f.family for f in fit.fits} == {f["dist"] for f in FAMILIES}


def test_censored_services_are_used_not_dropped() -> None:
    spec = {"dist": "lognormal", "mean": 40.0, "sd": 20.0}
    x = draws(spec, 3000, seed=3)
    limit = np.random.default_rng(4).uniform(0, 90, len(x))  # the record ends mid-service
    cut = x > limit
    fit = fit_service("g", x[~cut], limit[cut])
    assert fit is not None and fit.n_censored == int(cut.sum()) > 500
    assert fit.best.family == "lognormal"
    assert mean_of(fit.best.spec) == pytest.approx(40.0, rel=0.05)
    naive = fit_service("g", x[~cut])
    assert naive is not None
    assert mean_of(naive.best.spec) < 0.9 * 40.0  # dropping them biases the mean low


def test_too_few_services_are_not_fitted() -> None:
    assert fit_service("g", np.arange(1.0, 19.0)) is None


# --------------------------------------------------------------------------- arrivals


def flow_arrivals(park: Park, flow: str, days: float, events: Any = ()) -> np.ndarray:
    tables = sensor_tables(park, {}, [flow], days, events, seed=11)
    return np.asarray(tables.trucks["arrive"])


def test_hourly_rates_within_sampling_error(park: Park) -> None:
    days = 28.0
    times = flow_arrivals(park, "in-f2", days)
    fit = fit_arrivals("in-f2", times, (0.0, days * DAY), Clock.of(park.park.start))
    truth = np.array(next(f for f in park.logistics.flows if f.id == "in-f2").hourly_profile)
    exposure = days  # hours of data in each hour of the day
    z = (fit.hourly - truth) / np.sqrt(truth / exposure)
    assert np.abs(z).max() < 4.0  # 24 rates, each within 4 standard errors
    assert abs(z.mean()) < 3.0 / math.sqrt(24)
    assert fit.choice == "hourly" and fit.daily.poisson
    assert fit.n == len(times)


def test_weekday_pattern_is_found_with_two_weeks(park: Park) -> None:
    factors = [1.2, 1.2, 1.2, 1.2, 1.2, 0.6, 0.2]
    data = park.model_dump(mode="json", by_alias=True, exclude_none=True)
    flow = data["logistics"]["flows"][0]  # in-f1, 3 trucks/h
    flow["weekly_profile"] = [3.0 * k for k in factors for _ in range(24)]
    del flow["rate_per_hour"]
    park = load_park(data)
    times = flow_arrivals(park, "in-f1", 21.0)
    fit = fit_arrivals("in-f1", times, (0.0, 21 * DAY), Clock.of(park.park.start))
    assert fit.choice in ("weekday", "weekly")
    assert fit.factors is not None
    expected = np.array(factors) / np.mean(factors)
    assert fit.factors == pytest.approx(expected, rel=0.12)
    short = fit_arrivals("in-f1", times, (0.0, 10 * DAY), Clock.of(park.park.start))
    assert short.choice == "hourly" and "weekly" not in short.aic  # under two weeks


def test_dispersion_check_flags_day_to_day_variation(park: Park) -> None:
    rng = np.random.default_rng(5)
    events = [
        RateEvent(flow="in-f1", at=Moment(day=d), factor=float(np.exp(0.4 * rng.normal())))
        for d in range(21)
    ]
    times = flow_arrivals(park, "in-f1", 21.0, events)
    fit = fit_arrivals("in-f1", times, (0.0, 21 * DAY), Clock.of(park.park.start))
    assert not fit.daily.poisson and fit.daily.p_over < 0.01
    assert "not Poisson" in fit.daily.verdict()
    plain = fit_arrivals(
        "in-f1", flow_arrivals(park, "in-f1", 21.0), (0.0, 21 * DAY), Clock.of(park.park.start)
    )
    assert plain.daily.poisson


# --------------------------------------------------------------------------- meters


def test_interval_share_is_exact() -> None:
    on = Intervals.of([(60.0, 120.0), (180.0, 190.0)])
    share = interval_share(
        on, np.array([0.0, 50.0, 100.0, 170.0]), np.array([60.0, 70.0, 130.0, 200.0])
    )
    assert share.tolist() == pytest.approx([0.0, 0.5, 20 / 30, 10 / 30])


def meter(tables: Any, asset: str, quantity: str) -> MeterSeries:
    mine = np.array(
        [
            a == asset and q == quantity
            for a, q in zip(tables.meter_asset, tables.meter_quantity, strict=True)
        ]
    )
    t = tables.meter_t[mine]
    return MeterSeries(
        asset,
        "building",
        quantity,
        t,
        tables.meter_value[mine],
        reading_intervals(t),
        np.arange(len(t)),
    )


@pytest.fixture(scope="module")
def metered(park: Park) -> Any:
    plan = {
        ("f1", "power_kw"): 15.0,
        ("w1", "power_kw"): 60.0,
        ("o1", "water_m3h"): 15.0,
        ("f2", "power_kw"): 15.0,
        ("f1", "water_m3h"): 60.0,
        ("f1", "wastewater_m3h"): 60.0,
    }
    return sensor_tables(park, plan, [], 14.0, seed=2, noise=0.02)


@pytest.mark.parametrize(
    ("asset", "quantity", "base", "shift"),
    [("f1", "power_kw", 300, 1200), ("w1", "power_kw", 60, 180), ("o1", "water_m3h", 0.3, 2)],
)
def test_base_and_shift_are_recovered(
    park: Park, metered: Any, asset: str, quantity: str, base: float, shift: float
) -> None:
    building = next(b for b in park.buildings if b.id == asset)
    fit = fit_levels(
        meter(metered, asset, quantity), building.shifts, Clock.of(park.park.start), (1.0, 1.0)
    )
    assert fit is not None and fit.separable
    assert fit.base == pytest.approx(base, rel=0.03)
    assert fit.shift == pytest.approx(shift, rel=0.03)
    assert fit.mape_pct < 2.5 and not fit.notes


def test_round_the_clock_building_fits_the_sum_only(park: Park, metered: Any) -> None:
    f2 = next(b for b in park.buildings if b.id == "f2")  # three shifts: always in shift
    fit = fit_levels(
        meter(metered, "f2", "power_kw"), f2.shifts, Clock.of(park.park.start), (500.0, 2500.0)
    )
    assert fit is not None and not fit.separable
    assert fit.base + fit.shift == pytest.approx(3000, rel=0.01)
    assert fit.shift / fit.base == pytest.approx(5.0)  # split as in the park file
    assert "cannot be told apart" in fit.notes[0]


def test_wastewater_ratio(metered: Any) -> None:
    fit = fit_ratio(meter(metered, "f1", "wastewater_m3h"), meter(metered, "f1", "water_m3h"))
    assert fit is not None and fit.ratio == pytest.approx(0.8, abs=0.01)
