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
from tests.shape_slots import slots_inside
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


@pytest.mark.slow
def test_service_time_changes_are_found_dated_sized_and_the_service_after_them_fitted(
    tmp_path: Path,
) -> None:
    """From Wednesday 14 January, a-docks' services take 40% longer and the gate's 50%
    longer: both changes are reported with their date and size, the fitted services are the
    ones after them (they were a blend), and the other groups report no change."""
    steps = {"a-docks": (9.0, 1.4), "gate": (9.0, 1.5)}
    ind.write_trucks(tmp_path, ind.simulate(14.0, seed=2, service_steps=steps), gate_out=True)
    cal = calibrate(load_park(ind.true_park()), tmp_path, holdout=0.0, search=False)
    found = _changes(cal, "service_min")
    assert sorted(found) == ["a-docks", "g1"]
    for asset, factor in (("a-docks", 1.4), ("g1", 1.5)):
        assert found[asset]["time"][:10] in ("2026-01-13", "2026-01-14")
        assert found[asset]["size_pct"] == pytest.approx(100 * (factor - 1), abs=10.0)
    groups = {g.id: g for g in cal.park.logistics.dock_groups}
    assert Sampler(groups["a-docks"].service).mean == pytest.approx(40.0 * 1.4, rel=0.06)
    gate = cal.park.logistics.gates[0]
    assert Sampler(gate.service).mean == pytest.approx(ind.GATE["mean"] * 1.5, rel=0.08)
    markdown, _ = calibration_report(cal)
    section = markdown.split("## Changes", 1)[1].split("## ", 1)[0]
    assert "| a-docks | service_min |" in section and "| g1 | service_min |" in section


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


def _rows(cal: Any) -> dict[str, dict[str, Any]]:
    return {r["place"]: r for r in calibration_document(cal)["parameters"]}


@pytest.mark.slow
def test_every_hourly_rate_of_a_fitted_flow_has_an_interval_that_covers_the_truth(
    tmp_path: Path,
) -> None:
    """A flow whose volume differs by weekday, fitted over four weeks from a flat file: each
    of the 168 written rates has a 95% interval (there was only one for trucks per day), and
    about 95% of them hold the true rate."""
    truth = (ind.GroupTruth("a-docks", 40, {"dist": "gamma", "mean": 20.0, "sd": 6.0}, 12.0),)
    rates = ind.weekly_rates(12.0)
    covered = total = 0
    for seed in (3, 4):
        times = ind.weekly_arrivals(rates, 28.0, np.random.default_rng(seed))
        visits = ind.simulate(28.0, seed=seed, groups=truth, arrival_times={"a-docks": times})
        ind.write_trucks(tmp_path / str(seed), visits, gate_out=True)
        park = ind.true_park(truth)
        park["logistics"]["flows"][0]["hourly_profile"] = [1.0] * 24
        cal = calibrate(load_park(park), tmp_path / str(seed), holdout=0.0, search=False)
        row = _rows(cal)["logistics.flows[id=in-a-docks]"]
        assert row["field"] == "weekly_profile" and len(row["ci95_each"]) == 168
        for (low, high), rate, fitted in zip(
            row["ci95_each"], rates, row["fitted"]["weekly_profile"], strict=True
        ):
            assert low <= fitted <= high
            covered += low <= rate <= high
            total += 1
    assert 0.90 <= covered / total <= 0.995


@pytest.mark.slow
def test_lanes_get_a_profile_likelihood_interval(tmp_path: Path) -> None:
    """One true lane, two in the file: the lanes' 95% interval is exactly one (it was "one
    and up"); two true lanes and a busy gate: exactly two."""
    for lanes in (1, 2):
        folder = tmp_path / str(lanes)
        ind.write_trucks(folder, ind.simulate(10.0, seed=4, lanes=lanes), gate_out=True)
        cal = calibrate(load_park(ind.true_park(lanes=2)), folder, holdout=0.0, search=False)
        row = _rows(cal)["logistics.gates[id=g1].lanes"]
        assert row["ci95"] == {"lanes": [float(lanes), float(lanes)]}
        assert row["identifiable"] is True


def test_staffing_the_log_refutes_is_replaced_with_a_reason(tmp_path: Path) -> None:
    """The file staffs a-docks with one dock at night; the log shows four at once at night.
    The window is removed with the hours that refute it (it was kept silently); the other
    groups keep their (absent) staffing."""
    ind.write_trucks(tmp_path, ind.simulate(21.0, seed=6), gate_out=True)
    park = ind.true_park()
    park["logistics"]["dock_groups"][0]["staffing"] = [
        {"start": "22:00", "end": "06:00", "docks": 1}
    ]
    cal = calibrate(load_park(park), tmp_path, holdout=0.0, search=False)
    row = _rows(cal)["logistics.dock_groups[id=a-docks].staffing"]
    assert row["changed"] and row["fitted"] is None and not row["kept"]
    quality = cal.park.metadata["calibration"]["values"][row["place"]]["quality"]  # type: ignore[index]
    assert "the log refutes 22:00-06:00" in quality
    assert cal.park.logistics.dock_groups[0].staffing is None


def test_night_staffing_found_in_the_log_has_its_docks_interval(tmp_path: Path) -> None:
    """a-docks staffs 2 of its 4 docks at night: the staffing row carries each window's
    docks as an interval (the docks were in the data but not in calibration.json)."""
    visits = ind.simulate(21.0, seed=7, night_docks={"a-docks": 2})
    ind.write_trucks(tmp_path, visits, gate_out=True)
    cal = calibrate(load_park(ind.true_park()), tmp_path, holdout=0.0, search=False)
    row = _rows(cal)["logistics.dock_groups[id=a-docks].staffing"]
    assert row["ci95"] and all(v == [2, 2] for v in row["ci95"].values())


def test_a_fitted_load_shape_has_an_interval_for_every_slot(tmp_path: Path) -> None:
    """Every value of a written load shape has a 95% interval (a residual bootstrap of the
    cell medians; there was one for the level only), and most hold the true shape."""
    assert np.mean(slots_inside(tmp_path, 9)) >= 0.9


@pytest.mark.slow
def test_the_load_shape_slot_intervals_cover_95_percent(tmp_path: Path) -> None:
    """Over 10 seeds, 93-97% of the slots' 95% intervals hold the true shape (a day-block
    jackknife of the medians held 89-91%; measured 94.4%)."""
    inside = [x for seed in range(10) for x in slots_inside(tmp_path / str(seed), seed)]
    assert 0.93 <= np.mean(inside) <= 0.97, np.mean(inside)


@pytest.mark.parametrize("days", [(0, 1, 2, 3, 4), (0, 1, 2, 3, 4, 5, 6)])
def test_shifts_have_a_row_that_says_their_times_are_not_fitted(
    tmp_path: Path, days: tuple[int, ...]
) -> None:
    """f1's shifts (Mon-Fri, inferred; or every day, as the file has them): the shifts row
    exists either way and says that start and end are the file's, not fitted (there was no
    row when the days stayed, and no word on the times)."""
    truth = ind.LoadTruth("f1", 360.0, 1000.0, ((6, 14), (14, 22)), days)
    rng = np.random.default_rng(4)
    ind.write_meters(tmp_path, {("f1", "power_kw"): ind.meter_values(truth, 21.0, 15.0, rng)})
    cal = calibrate(load_park("demo-small"), tmp_path, holdout=0.0, search=False)
    row = _rows(cal)["buildings[id=f1].shifts"]
    assert row["kept"] == (len(days) == 7)
    assert "start and end times are the park file's, not fitted" in row["identifiability"]


@pytest.mark.parametrize("off", [2, -1])
def test_dock_counts_the_log_contradicts_are_corrected_with_a_row(tmp_path: Path, off: int) -> None:
    """Every group's file count is two too many (the log never shows more than the true
    count at once, and trucks waited with all of them busy) or one too few (the log shows
    more services at once): each count is corrected in a row with the occupancy's reason."""
    ind.write_trucks(tmp_path, ind.simulate(10.0, seed=8), gate_out=True)
    park = ind.true_park()
    for group in park["logistics"]["dock_groups"]:
        group["docks"] += off
    cal = calibrate(load_park(park), tmp_path, holdout=0.0, search=False)
    rows = _rows(cal)
    values = cal.park.metadata["calibration"]["values"]  # type: ignore[index]
    for truth in ind.GROUPS:
        place = f"logistics.dock_groups[id={truth.group}].docks"
        row = rows[place]
        expected = (truth.docks + off, truth.docks, False)
        assert (row["before"], row["fitted"], row["kept"]) == expected
        assert row["ci95"] == {"docks": [truth.docks, truth.docks]}
        assert f"{truth.docks} services ran at once" in values[place]["quality"]


def test_a_scaled_file_profile_has_each_rate_interval_from_the_factor(tmp_path: Path) -> None:
    """The file's hourly profile is right in shape but 30% low: the written profile is the
    file's × the fitted factor, and each of its 24 rates has the factor's interval times the
    file's rate, holding the true rate."""
    ind.write_trucks(tmp_path, ind.simulate(10.0, seed=3), gate_out=True)
    park = ind.true_park()
    for flow in park["logistics"]["flows"]:
        flow["hourly_profile"] = [round(x * 0.7, 4) for x in flow["hourly_profile"]]
    cal = calibrate(load_park(park), tmp_path, holdout=0.0, search=False)
    row = _rows(cal)["logistics.flows[id=in-a-docks]"]
    assert "the file's rates ×" in row["method"]
    truth = ind.GROUPS[0].peak_per_hour * ind.SHAPE
    each = row["ci95_each"]
    assert len(each) == 24
    ratios = {round(high / low, 3) for low, high in each}
    assert max(ratios) - min(ratios) < 0.01  # one factor's interval on every hour
    assert all(low <= t <= high for (low, high), t in zip(each, truth, strict=True))
