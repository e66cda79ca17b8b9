"""Tier 1: tiny parks whose whole event log is known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tests.parks import one_dock_group
from twin.model.schema import OutageEvent
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.kpi import compute_kpis
from twin.sim.trace import TIME_COLUMNS

ONE_DAY = RunSpec(horizon_days=1, warmup_days=0)
CONSTANT_30 = {"dist": "constant", "value": 30}


def log_of(trace):
    """The truck log as a list of rows of times (rounded to 1e-9 min)."""
    return [
        [round(float(trace.trucks[c][i]), 9) for c in TIME_COLUMNS] for i in range(trace.n_trucks)
    ]


def two_trucks(**kwargs):
    return one_dock_group(
        docks=1,
        service=CONSTANT_30,
        timetable=["08:00", "08:01"],
        gate_service={"dist": "constant", "value": 2},
        roads=True,
        **kwargs,
    )


def test_two_trucks_one_dock_full_log():
    # A: gate 480-482, drive 1 min, dock 483-513, drive back, exit 514.
    # B: arrives 481, waits for the lane until 482, gate 482-484, drive, reaches the dock at
    #    485, waits for A until 513, served 513-543, exit 544.
    trace = run_engine(two_trucks(), spec=ONE_DAY)
    assert log_of(trace) == [
        [480, 480, 482, 483, 483, 513, 514],
        [481, 482, 484, 485, 513, 543, 544],
    ]
    kpis = compute_kpis(trace)
    assert kpis["trucks.arrived"] == 2
    assert kpis["trucks.completed"] == 2
    assert kpis["gates.g1.wait_mean_min"] == pytest.approx(0.5)
    assert kpis["docks.d1.wait_mean_min"] == pytest.approx(14)
    assert kpis["trucks.wait_mean_min"] == pytest.approx(14.5)
    assert kpis["trucks.turnaround_mean_min"] == pytest.approx((34 + 63) / 2)
    assert kpis["docks.d1.utilization"] == pytest.approx(60 / 1440)
    assert kpis["docks.d1.queue_mean"] == pytest.approx(28 / 1440)


def test_power_cut_suspends_service_and_holds_the_queue():
    # Feeder out 08:10-09:10. A is served 483-490, then waits out the cut, and does its
    # remaining 23 minutes 550-573. B starts when A leaves: 573-603.
    park = two_trucks(powered=True)
    cut = OutageEvent.model_validate(
        {"outage": "fd1", "from": {"day": 0, "at": "08:10"}, "duration_h": 1}
    )
    trace = run_engine(park, [cut], spec=ONE_DAY)
    assert log_of(trace) == [
        [480, 480, 482, 483, 483, 573, 574],
        [481, 482, 484, 485, 573, 603, 604],
    ]
    # Production stops for exactly the hour of shift time without power: 16 h - 1 h.
    assert compute_kpis(trace)["production.f1.units"] == pytest.approx(60 * 15)


def test_dock_hours_delay_the_start_but_not_a_started_service():
    # Docks open 08:30-09:00: A waits until 510 and is served to 540 (past closing);
    # B cannot start before the next opening, the next day at 08:30 = 1950, beyond the run.
    park = two_trucks(hours=[{"start": "08:30", "end": "09:00"}])
    trace = run_engine(park, spec=ONE_DAY)
    rows = log_of(trace)
    assert rows[0] == [480, 480, 482, 483, 510, 540, 541]
    assert rows[1][:4] == [481, 482, 484, 485]
    assert np.isnan(rows[1][4:]).all()
    kpis = compute_kpis(trace)
    assert kpis["trucks.in_park_end"] == 1
    assert kpis["docks.d1.wait_mean_min"] == pytest.approx(27)  # only A's wait is known


def test_gate_outage_closes_entry_and_exit():
    # Gate closed 07:00-08:30: both trucks queue until 510; A leaves the dock at 543 and exits.
    park = two_trucks()
    closed = OutageEvent.model_validate(
        {"outage": "g1", "from": {"day": 0, "at": "07:00"}, "duration_h": 1.5}
    )
    trace = run_engine(park, [closed], spec=ONE_DAY)
    assert log_of(trace) == [
        [480, 510, 512, 513, 513, 543, 544],
        [481, 512, 514, 515, 543, 573, 574],
    ]


def test_zero_gate_and_no_roads_add_no_time():
    park = one_dock_group(docks=1, service=CONSTANT_30, timetable=["10:00"])
    trace = run_engine(park, spec=ONE_DAY)
    assert log_of(trace) == [[600, 600, 600, 600, 600, 630, 630]]


def test_same_seed_same_trace_bit_for_bit():
    park = one_dock_group(docks=2, service={"dist": "exponential", "mean": 20}, rate_per_hour=5)
    a = run_engine(park, spec=RunSpec(2, 1, seed=7))
    b = run_engine(park, spec=RunSpec(2, 1, seed=7))
    c = run_engine(park, spec=RunSpec(2, 1, seed=8))
    for name in TIME_COLUMNS:
        assert np.array_equal(a.trucks[name], b.trucks[name], equal_nan=True)
    assert not np.array_equal(a.trucks["arrive"], c.trucks["arrive"])


def test_weekday_shifts_run_only_on_their_days():
    # demo week starts Monday 2026-01-05; a Mon-Fri 06:00-14:00 shift and a Friday night shift
    # 22:00-06:00 (into Saturday): 5 x 8 h + 8 h = 48 h of production in the week.
    from twin.io.load import load_park

    data = one_dock_group(docks=1, service=CONSTANT_30, timetable=["10:00"], powered=True)
    raw = data.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["buildings"][0]["shifts"] = [
        {"start": "06:00", "end": "14:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
        {"start": "22:00", "end": "06:00", "days": ["fri"]},
    ]
    trace = run_engine(load_park(raw), spec=RunSpec(horizon_days=7, warmup_days=0))
    assert compute_kpis(trace)["production.f1.units"] == pytest.approx(60 * 48)
    saturday = (trace.edges[:-1] >= 5 * 1440) & (trace.edges[:-1] < 6 * 1440)
    share = trace.series["building_shift_share"][saturday, 0]
    assert share.sum() * 15 / 60 == pytest.approx(6)  # Saturday 00:00-06:00 only
