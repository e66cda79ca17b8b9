"""`-r auto` (the sequential stop rule) and `--warmup auto` (MSER-5), against known answers."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from console.experiment import ExperimentOptions
from tests.parks import one_dock_group
from twin import api
from twin.errors import UsageError
from twin.experiment.replication import check_precision, next_round
from twin.experiment.results import describe_choices
from twin.experiment.runner import run_cases
from twin.experiment.settings import Case, Settings
from twin.experiment.warmup import mser_truncation
from twin.model.schema import OutageEvent
from twin.rng import Streams
from twin.stats import t_quantile

# --------------------------------------------------------------------------- the stop rule

MU, SIGMA, TARGET = 100.0, 20.0, 0.05


def normal_batch(case: Case, settings: Settings, reps: list[int], keep: int):
    """A 'replication' whose KPI is N(100, 20^2), from the replication's own stream."""
    return [
        (
            i,
            {
                "trucks.wait_mean_min": float(Streams(settings.seed, i).get("x").normal(MU, SIGMA)),
                "trucks.turnaround_mean_min": 1.0,  # does not vary: always precise
            },
            None,
        )
        for i in reps
    ]


def test_the_stop_rule_stops_near_the_replications_theory_asks_for():
    """With sigma/mu = 0.2 and a target of ±5%, theory needs n = (t * 0.2 / 0.05)^2 ≈ 63.

    The procedure estimates sigma as it goes, so it stops at a random n near that: the rule
    holds where it stops, the median over seeds is near 63, and none stops absurdly early.
    """
    park = one_dock_group(1, {"dist": "exponential", "mean": 10}, rate_per_hour=3)
    n_theory = (t_quantile(62) * SIGMA / (TARGET * MU)) ** 2
    stops = []
    for seed in range(20):
        settings = Settings(precision=TARGET, seed=seed, max_replications=1000)
        experiment = run_cases([Case(park)], settings, batch_fn=normal_batch)[0]
        s = experiment.summary("trucks.wait_mean_min")
        assert s.half_width <= TARGET * abs(s.mean)
        rule = experiment.extra["replication_rule"]
        assert rule["reached"] and rule["replications"] == experiment.replications
        stops.append(experiment.replications)
    assert 0.8 * n_theory <= statistics.median(stops) <= 1.3 * n_theory, stops
    assert min(stops) >= 30, stops


def test_poisson_arrivals_need_the_replications_their_variance_implies():
    """trucks.arrived in one day at 6 trucks/h is Poisson(144): sd 12, so ±2% needs n ≈ 67."""
    park = one_dock_group(1, {"dist": "exponential", "mean": 5}, rate_per_hour=6)
    settings = Settings(
        days=1, warmup_days=0, precision=0.02, precision_kpis=("trucks.arrived",), seed=0
    )
    experiment = run_cases([Case(park)], settings)[0]
    s = experiment.summary("trucks.arrived")
    assert s.mean == pytest.approx(144, rel=0.03)
    assert s.std == pytest.approx(12, rel=0.2)
    assert s.half_width <= 0.02 * s.mean
    assert 45 <= experiment.replications <= 110


def test_the_cap_stops_the_procedure_and_says_so():
    park = one_dock_group(1, {"dist": "exponential", "mean": 10}, rate_per_hour=3)
    settings = Settings(precision=0.001, max_replications=12)
    experiment = run_cases([Case(park)], settings, batch_fn=normal_batch)[0]
    assert experiment.replications == 12
    rule = experiment.extra["replication_rule"]
    assert rule["reached"] is False
    assert "NOT reached" in describe_choices(experiment.to_dict())[0]


def test_check_precision_and_rounds():
    constant = {"k": [5.0] * 4}
    assert check_precision([constant], ["k"], 0.05, 100).reached
    zero_mean = {"k": [-1.0, 1.0, -1.0, 1.0]}
    check = check_precision([zero_mean], ["k"], 0.05, 100)
    assert not check.reached and check.needed == 100 and math.isinf(check.relative["k"])
    assert check_precision([{"other": [1.0, 2.0]}], ["k"], 0.05, 100).reached  # not in case
    nothing = check_precision([{"k": [math.nan] * 4}, {"k": [math.nan] * 4}], ["k"], 0.05, 100)
    assert not nothing.reached and not nothing.measured and math.isnan(nothing.relative["k"])
    one_of_two = check_precision([{"k": [math.nan] * 4, "j": [5.0] * 4}], ["k", "j"], 0.05, 100)
    assert one_of_two.reached and math.isnan(one_of_two.relative["k"])
    assert next_round(10, 11, 200) == 5  # at least a round of 5
    assert next_round(10, 500, 200) == 10  # at most doubling
    assert next_round(190, 500, 200) == 10  # never past the cap


def test_auto_on_a_kpi_never_measured_says_so_and_stops():
    """No truck reaches w1-docks in a quarter hour: its wait is never measured, so -r auto
    cannot call ±10% reached (it said '±0%') nor gain by running to the cap."""
    settings = Settings(days=0.01, warmup_days=0, precision=0.1, max_replications=50,
                        precision_kpis=("docks.w1-docks.wait_mean_min",))  # fmt: skip
    rule = api.run("demo-small", settings=settings).to_dict()["replication_rule"]
    assert rule["reached"] is False and rule["replications"] < 50
    assert rule["relative_half_width"] == {"docks.w1-docks.wait_mean_min": None}
    assert "cannot be judged" in describe_choices({"replication_rule": rule})[0]


def test_auto_options_are_checked():
    with pytest.raises(UsageError, match="-r auto"):
        ExperimentOptions(precision=0.05).settings()
    with pytest.raises(UsageError, match="between 0 and 1"):
        ExperimentOptions(replications="auto", precision=5).settings()
    with pytest.raises(UsageError, match="whole number or 'auto'"):
        ExperimentOptions(replications="many").settings()
    with pytest.raises(UsageError, match=r"no such KPI; did you mean trucks\.wait_mean_min"):
        api.run("demo-small", settings=Settings(precision=0.1, precision_kpis=("trucks.wait",)))
    settings = ExperimentOptions(replications="auto", warmup="auto").settings()
    assert settings.precision == 0.05 and settings.warmup_auto


# --------------------------------------------------------------------------- MSER-5


def test_mser_cuts_a_known_exponential_transient():
    """20 exp(-t/40) on unit noise: the bias is below the noise from t ≈ 120 on."""
    rng = np.random.default_rng(1)
    t = np.arange(1000)
    cut = mser_truncation(20 * np.exp(-t / 40) + rng.normal(0, 1, 1000))
    assert 100 <= cut <= 250
    assert cut % 5 == 0


def test_mser_cuts_a_step_exactly_and_leaves_a_stationary_series_alone():
    rng = np.random.default_rng(2)
    step = np.r_[np.full(100, 10.0), rng.normal(0, 1, 900)]
    assert 100 <= mser_truncation(step) <= 110
    assert mser_truncation(rng.normal(0, 1, 1000)) <= 50
    assert mser_truncation(np.full(100, 3.0)) == 0


def test_warmup_auto_finds_the_ramp_up_of_an_empty_park():
    """M/D/inf: trucks arrive at 3/h for 10-hour (constant) services at 50 docks, so from an
    empty start the trucks at docks grow as 3 t until t = 10 h and then fluctuate around 30
    (ample docks: nobody queues). The warm-up must cover most of that ramp, and no more than
    a few hours beyond it."""
    park = one_dock_group(50, {"dist": "constant", "value": 600}, rate_per_hour=3)
    settings = Settings(days=2, warmup_auto=True, replications=2)
    experiment = run_cases([Case(park)], settings)[0]
    choice = experiment.extra["warmup_choice"]
    assert 7 <= 24 * choice["warmup_days"] <= 14
    assert choice["pilot_days"] == 7  # pilots run at least a week, whatever the horizon
    assert experiment.settings.warmup_days == choice["warmup_days"]
    doc = experiment.to_dict()
    assert (
        doc["warmup_days"] == choice["warmup_days"] and doc["warmup_choice"]["method"] == "MSER-5"
    )
    assert "chosen by MSER-5" in describe_choices(doc)[0]


def test_warmup_auto_leaves_timed_events_to_the_horizon():
    """An outage at day 0 is in the horizon, after any warm-up: it does not lengthen it."""
    park = one_dock_group(3, {"dist": "exponential", "mean": 10}, rate_per_hour=9, powered=True)
    outage = OutageEvent.model_validate(
        {"outage": "s1", "from": {"day": 0, "at": "00:00"}, "duration_h": 6}
    )
    settings = Settings(days=2, warmup_auto=True)
    with_outage = run_cases([Case(park, (outage,), "outage")], settings)[0]
    without = run_cases([Case(park)], settings)[0]
    assert with_outage.settings.warmup_days == without.settings.warmup_days < 0.5
    assert with_outage.values["power.unserved_mwh"][0] > 0  # the outage did happen


def test_warmup_auto_needs_grid_steps_to_choose_from():
    with pytest.raises(UsageError, match="warmup_auto needs at least 50 grid steps"):
        Settings(days=0.25, warmup_auto=True, step_min=240)
    with pytest.raises(UsageError, match="--warmup auto needs at least 50 grid steps"):
        ExperimentOptions(days=0.25, warmup="auto", step_min=240).settings()
