"""Change in service times, changes in the held-out span, intervals of every fitted value.

Every data set here comes from :mod:`tests.independent` (plain numpy and SimPy), never from
parktwin's engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests import independent as ind
from twin.calibration import calibrate
from twin.calibration.changes import service_change
from twin.calibration.document import calibration_document
from twin.io.load import load_park
from twin.model.dist import Sampler
from twin.reports.calibration import calibration_report


def _changes(cal: Any, quantity: str) -> dict[str, dict[str, Any]]:
    return {
        c["asset"]: c for c in calibration_document(cal)["changes"] if c["quantity"] == quantity
    }


def test_service_time_changes_are_found_dated_sized_and_the_service_after_them_fitted(
    tmp_path: Path,
) -> None:
    """From Monday 19 January, a-docks' services take 40% longer and the gate's 50% longer:
    both changes are reported with their date and size, the fitted services are the ones
    after them (they were a blend), and the other groups report no change."""
    steps = {"a-docks": (14.0, 1.4), "gate": (14.0, 1.5)}
    ind.write_trucks(tmp_path, ind.simulate(21.0, seed=2, service_steps=steps), gate_out=True)
    cal = calibrate(load_park(ind.true_park()), tmp_path, holdout=0.0, search=False)
    found = _changes(cal, "service_min")
    assert sorted(found) == ["a-docks", "g1"]
    for asset, factor in (("a-docks", 1.4), ("g1", 1.5)):
        assert found[asset]["time"][:10] in ("2026-01-18", "2026-01-19")
        assert found[asset]["size_pct"] == pytest.approx(100 * (factor - 1), abs=10.0)
    groups = {g.id: g for g in cal.park.logistics.dock_groups}
    assert Sampler(groups["a-docks"].service).mean == pytest.approx(40.0 * 1.4, rel=0.06)
    gate = cal.park.logistics.gates[0]
    assert Sampler(gate.service).mean == pytest.approx(ind.GATE["mean"] * 1.5, rel=0.08)


@pytest.mark.parametrize("law", ["gamma", "lognormal", "normal"])
def test_service_times_without_change_seldom_report_one(law: str) -> None:
    """Independent service times (500 a series, 200 series): a change is reported in at
    most 3% of the series (the penalty is a strengthened BIC; measured about 0-1%)."""
    spec = {"dist": law, "mean": 30.0, "sd": 10.0}
    alarms = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        times = np.array([ind.draw(spec, rng) for _ in range(500)])
        starts = np.sort(rng.uniform(0.0, 21 * 1440.0, 500))
        alarms += service_change("d", starts, times) is not None
    assert alarms <= 6


def test_a_right_truck_park_reports_no_change(tmp_path: Path) -> None:
    ind.write_trucks(tmp_path, ind.simulate(21.0, seed=5), gate_out=True)
    cal = calibrate(load_park(ind.true_park()), tmp_path, holdout=0.0, search=False)
    assert calibration_document(cal)["changes"] == []


def test_a_level_change_in_the_validation_span_is_named_in_the_verdict(tmp_path: Path) -> None:
    """f1's load steps up 40% on Thursday 29 January, inside the held-out span (from 27
    January): its validation row says "changed in validation span on 2026-01-29" (it read a
    plain "poor"), and the report says so; w1, unchanged, is not marked."""
    stepped = ind.LoadTruth(
        "f1", 360.0, 1000.0, ((6, 14), (14, 22)), (0, 1, 2, 3, 4), step_day=24.0, step=1.4
    )
    steady = ind.LoadTruth("w1", 60.0, 180.0, ((7, 17),), (0, 1, 2, 3, 4, 5))
    rng = np.random.default_rng(8)
    series = {
        (t.building, "power_kw"): ind.meter_values(t, 28.0, 15.0, rng) for t in (stepped, steady)
    }
    ind.write_meters(tmp_path, series)
    cal = calibrate(load_park("demo-small"), tmp_path, holdout=0.2, search=False, replications=2)
    doc = calibration_document(cal)
    rows = {r["asset"]: r for r in doc["validation"] if r["quantity"] == "power_kw"}
    assert rows["f1"]["changed"].startswith("changed in validation span on 2026-01-29 (+4")
    assert rows["f1"]["verdict"] in ("good", "fair", "poor")
    assert "changed" not in rows["w1"]
    (change,) = doc["validation_changes"]
    assert change["asset"] == "f1" and change["size_pct"] == pytest.approx(40.0, abs=8.0)
    markdown, _ = calibration_report(cal)
    assert "changed in validation span on 2026-01-29" in markdown


def test_rate_and_service_changes_in_the_validation_span_are_named(tmp_path: Path) -> None:
    """From day 18 of 21 (the held-out span starts on day 17), a-docks' services take 50%
    longer and b-docks' trucks come 60% more often: the dock group's and the flow's
    validation rows name the change; c-docks, unchanged, is not marked."""
    rates = np.tile(ind.GROUPS[1].peak_per_hour * ind.SHAPE, 7)
    rng = np.random.default_rng(31)
    old, new = ind.weekly_arrivals(rates, 21.0, rng), ind.weekly_arrivals(rates * 1.6, 21.0, rng)
    times = np.concatenate([old[old < 18 * 1440.0], new[new >= 18 * 1440.0]])
    visits = ind.simulate(
        21.0, seed=31, arrival_times={"b-docks": times}, service_steps={"a-docks": (18.0, 1.5)}
    )
    ind.write_trucks(tmp_path, visits, gate_out=True)
    cal = calibrate(load_park(ind.true_park()), tmp_path, holdout=0.2, search=False, replications=3)
    doc = calibration_document(cal)
    rows = doc["validation"]
    marked = {(r["asset"], r["quantity"]): r.get("changed", "") for r in rows}
    on_day = "changed in validation span on 2026-01-23"
    assert marked[("in-b-docks", "arrivals_per_hour")].startswith(on_day)
    service = next(c for c in doc["validation_changes"] if c["asset"] == "a-docks")
    moment = np.datetime64(service["time"])  # a change point of single services: hours off
    assert abs(moment - np.datetime64("2026-01-23T00:00")) <= np.timedelta64(12, "h")
    assert marked[("a-docks", "gate_to_dock_min")].startswith(
        f"changed in validation span on {service['time'][:10]} (+5"
    )
    assert marked[("c-docks", "gate_to_dock_min")] == ""
    assert marked[("in-c-docks", "arrivals_per_hour")] == ""
