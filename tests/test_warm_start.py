"""Warm start, tier 1: tiny parks started from a state, whose whole log is known by hand."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from tests.parks import AT_0750, EVERY_STAGE, one_dock_group, tiny_park, truck
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.kpi import compute_kpis
from twin.sim.start_state import OutageNow, StartState, TruckNow
from twin.sim.trace import TIME_COLUMNS

ONE_DAY = RunSpec(horizon_days=1, warmup_days=0)


def log_of(trace):
    """The truck log, one row per truck, columns as in TIME_COLUMNS."""
    return np.column_stack([trace.trucks[c] for c in TIME_COLUMNS])


def test_every_stage_from_a_state_full_log():
    # Time 0 is 07:50. A holds the dock for the rest of its 30 min (20), exits at 21 after the
    # 1 min drive. B follows 20-50; C reaches the dock at 0.5 and is served 50-80. D ends its
    # gate service at 0.5 (2 - 1.5), reaches the dock at 1.5, served 80-110. G waited longest,
    # so it takes the lane 0.5-2.5 and the dock 110-140; E takes the lane 2.5-4.5, dock
    # 140-170. F drives out the rest of its minute and exits at 0.75. The new truck N arrives at
    # 08:00 (t=10): gate 10-12, dock at 13, served after E: 170-200, exit 201. Rows: N first
    # (the flows' trucks), then the present ones, furthest along first.
    state = StartState(AT_0750, EVERY_STAGE)
    trace = run_engine(tiny_park(), spec=ONE_DAY, start=state)
    expected = [
        [10, 10, 12, 13, 170, 200, 201],  # N
        [-25, -10, -10, -10, -10, 20, 21],  # A: the unseen past collapses onto -10
        [-12, -5, -5, -5, 20, 50, 51],  # B
        [-3, -0.5, -0.5, 0.5, 50, 80, 81],  # C
        [-1.5, -1.5, 0.5, 1.5, 80, 110, 111],  # D
        [-3, 0.5, 2.5, 3.5, 110, 140, 141],  # G
        [-1, 2.5, 4.5, 5.5, 140, 170, 171],  # E
        [-45, -0.25, -0.25, -0.25, -0.25, -0.25, 0.75],  # F
    ]
    np.testing.assert_allclose(log_of(trace), expected, rtol=0, atol=1e-9)
    assert trace.meta["start"] == "2026-01-05T07:50:00"
    kpis = compute_kpis(trace)
    assert kpis["trucks.arrived"] == 1  # only N arrived inside the horizon
    assert kpis["trucks.completed"] == 8  # everyone left within the day
    # Dock busy 0-200 without a break: 200 of 1440 minutes.
    assert kpis["docks.d1.utilization"] == pytest.approx(200 / 1440)


def test_power_outage_in_effect_suspends_service_until_its_expected_end():
    # The feeder has been out for 30 min and is expected back in 15. A, 10 min into its
    # 30 min service, is suspended until 15 and then does its remaining 20: 15-35, exit 36.
    state = StartState(
        AT_0750,
        (truck("A", "in_service", 10),),
        (OutageNow("fd1", "feeder", elapsed_min=30, expected_remaining_min=15),),
    )
    trace = run_engine(tiny_park(powered=True), spec=ONE_DAY, start=state)
    assert log_of(trace)[1].tolist()[4:] == [-10, 35, 36]
    # N (arrives 10, at the dock 13) waits for A and is served 35-65.
    assert log_of(trace)[0].tolist()[4:] == [35, 65, 66]


def test_outage_without_expected_end_lasts_the_whole_run():
    state = StartState(
        AT_0750,
        (truck("A", "in_service", 10),),
        (OutageNow("s1", "substation", elapsed_min=5),),
    )
    trace = run_engine(tiny_park(powered=True), spec=ONE_DAY, start=state)
    a = log_of(trace)[1]
    assert a[4] == -10 and np.isnan(a[5]) and np.isnan(a[6])  # never finishes
    served = trace.series["feeder_load_kw"]
    assert np.all(served == 0)  # the building has no power at any step of the run


def test_closed_gate_holds_the_queue_until_it_reopens():
    # Gate out for 10 more minutes: G, queued, takes the lane at 10 (and N, arriving at 10,
    # queues behind it: lane 12-14).
    state = StartState(
        AT_0750,
        (truck("G", "gate_queue", 3),),
        (OutageNow("g1", "gate", elapsed_min=20, expected_remaining_min=10),),
    )
    trace = run_engine(tiny_park(), spec=ONE_DAY, start=state)
    log = log_of(trace)
    assert log[1].tolist() == [-3, 10, 12, 13, 13, 43, 44]
    assert log[0].tolist() == [10, 12, 14, 15, 43, 73, 74]


def test_queued_trucks_are_served_longest_waiting_first_whatever_the_listed_order():
    listed = (truck("E", "gate_queue", 1), truck("G", "gate_queue", 3))
    forward = run_engine(tiny_park(), spec=ONE_DAY, start=StartState(AT_0750, listed))
    backward = run_engine(tiny_park(), spec=ONE_DAY, start=StartState(AT_0750, listed[::-1]))
    np.testing.assert_array_equal(log_of(forward), log_of(backward))
    assert log_of(forward)[1][1] == 0  # G (waited 3 min) takes the lane at once


def test_service_beyond_what_the_distribution_allows_ends_at_the_start():
    # A constant 30-minute service that has run 40 minutes: it ends at time 0, the truck exits
    # after its drive, and B takes the dock at once.
    state = StartState(AT_0750, (truck("A", "in_service", 40), truck("B", "dock_queue", 5)))
    trace = run_engine(tiny_park(), spec=ONE_DAY, start=state)
    log = log_of(trace)
    assert log[1].tolist()[4:] == [-40, 0, 1]
    assert log[2].tolist()[4:] == [0, 30, 31]


def test_same_seed_same_numbers_and_replications_differ():
    park = one_dock_group(
        docks=2,
        service={"dist": "lognormal", "mean": 30, "sd": 12},
        rate_per_hour=3,
        gate_service={"dist": "exponential", "mean": 2},
        roads=True,
    )
    state = StartState(AT_0750, EVERY_STAGE)
    spec = RunSpec(horizon_days=0.25, warmup_days=0, seed=7)
    first = run_engine(park, spec=spec, start=state)
    again = run_engine(park, spec=spec, start=state)
    for column in TIME_COLUMNS:
        np.testing.assert_array_equal(first.trucks[column], again.trucks[column])
    other = run_engine(park, spec=RunSpec(0.25, 0, seed=7, replication=1), start=state)
    assert not np.array_equal(first.trucks["dock_end"][-7:], other.trucks["dock_end"][-7:])


def test_cold_start_is_the_same_as_no_start_state():
    # An empty state at the park's own start time simulates exactly what no state does.
    park = tiny_park()
    cold = run_engine(park, spec=ONE_DAY)
    empty = run_engine(park, spec=ONE_DAY, start=StartState(datetime(2026, 1, 5)))
    np.testing.assert_array_equal(log_of(cold), log_of(empty))


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (StartState(AT_0750, (TruckNow("X", "nope", "on_road", 1, 2),)), "trucks[id=X].flow"),
        (StartState(AT_0750, (truck("X", "on_road", 3, 2),)), "in_stage_min <= in_park_min"),
        (StartState(AT_0750, (truck("X", "on_road", 1), truck("X", "on_road", 1))), "twice"),
        (
            StartState(AT_0750, (TruckNow("X", "in", "on_road", 1, 2, dock_group="d9"),)),
            "no dock group 'd9'",
        ),
        (StartState(AT_0750, (), (OutageNow("fd9", "feeder", 1),)), "outages[id=fd9]"),
        (StartState(AT_0750, (truck("X", "on_road", float("nan")),)), "finite"),
    ],
)
def test_a_state_that_does_not_fit_the_park_is_refused_by_name(state, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        run_engine(tiny_park(), spec=ONE_DAY, start=state)


def test_a_warm_start_has_no_warm_up():
    with pytest.raises(ValueError, match="warm-up"):
        run_engine(tiny_park(), spec=RunSpec(1, 1), start=StartState(AT_0750))
