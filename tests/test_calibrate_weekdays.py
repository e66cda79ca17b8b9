"""Shift weekdays inferred from meters: a Mon-Fri building is fitted back to ``days: mon..fri``,
an every-day building keeps its shifts, and the bundled sample's sup-k shows its Sunday pattern."""

from __future__ import annotations

from typing import Any

import pytest

from twin.calibration import Calibration, calibrate, split_time
from twin.calibration.fit_meters import fit_levels
from twin.calibration.fit_weekdays import OFF_SHARE, infer_weekdays
from twin.calibration.read import read_sensors
from twin.calibration.sample import sensor_tables, write_sensors
from twin.io.bundled import data_root
from twin.io.load import load_park
from twin.model.intervals import Clock
from twin.model.schema import Park
from twin.reports.calibration import calibration_report

SAMPLE = data_root() / "assets" / "sensors" / "yen-binh"
WORKDAYS = ["mon", "tue", "wed", "thu", "fri"]
TRUE_F1 = (360.0, 1000.0)  # f1 power base_kw, shift_kw; file: 300, 1200
F1_WATER = (2.0, 12.0)  # as in the file


def truth_of(park: Park) -> Park:
    data = park.model_dump(mode="json", by_alias=True, exclude_none=True)
    f1 = next(b for b in data["buildings"] if b["id"] == "f1")
    f1["power"]["base_kw"], f1["power"]["shift_kw"] = TRUE_F1
    for window in f1["shifts"]:
        window["days"] = WORKDAYS
    return load_park(data)


@pytest.fixture(scope="module")
def cal(tmp_path_factory: pytest.TempPathFactory) -> Calibration:
    park = load_park("demo-small")
    meters = {("f1", "power_kw"): 15.0, ("f1", "water_m3h"): 60.0, ("w1", "power_kw"): 15.0}
    tables = sensor_tables(truth_of(park), meters, [], 21.0, seed=3, noise=0.02)
    folder = tmp_path_factory.mktemp("weekday-sensors")
    write_sensors(folder, park, tables)
    return calibrate("demo-small", folder, replications=1, search=False)


def building(park: Park, bid: str) -> Any:
    return next(b for b in park.buildings if b.id == bid)


def test_workday_shifts_are_inferred_and_levels_refitted(cal: Calibration) -> None:
    f1 = building(cal.park, "f1")
    assert [w.days for w in f1.shifts] == [WORKDAYS, WORKDAYS]
    assert [(w.start, w.end) for w in f1.shifts] == [("06:00", "14:00"), ("14:00", "22:00")]
    assert f1.power.base_kw == pytest.approx(TRUE_F1[0], rel=0.03)
    assert f1.power.shift_kw == pytest.approx(TRUE_F1[1], rel=0.03)
    assert f1.water.base_m3h == pytest.approx(F1_WATER[0], rel=0.03)
    assert f1.water.shift_m3h == pytest.approx(F1_WATER[1], rel=0.03)
    found = cal.weekdays["f1"]
    assert found.off == (5, 6) and set(found.shares) == {"power_kw", "water_m3h"}
    for shares in found.shares.values():
        assert all(max(shares.shares[d]) < OFF_SHARE for d in (5, 6))
        assert all(min(shares.shares[d]) > 0.9 for d in range(5))
    for before, after in found.mae.values():
        assert after < 0.5 * before
    assert not cal.levels[("f1", "power_kw")].notes  # no weekly pattern left over


def test_every_day_building_gets_no_days(cal: Calibration) -> None:
    w1 = building(cal.park, "w1")
    assert all(w.days is None for w in w1.shifts)
    assert not cal.weekdays["w1"].inferred and not cal.weekdays["w1"].note
    assert cal.levels[("w1", "power_kw")].shift == pytest.approx(180.0, rel=0.03)


def test_inference_is_recorded_and_reported(cal: Calibration) -> None:
    assert [b.id for b in cal.park.buildings] == [b.id for b in cal.source.buildings]
    record = cal.park.metadata["calibration"]["values"]["buildings[id=f1].shifts"]  # type: ignore[index]
    assert record["days"] == WORKDAYS
    assert record["was_days"] == "every day" and "value" not in record  # the park has the list
    assert set(record["evidence"]["power_kw"]) == {"sat", "sun"}
    assert "25%" in record["method"]
    text = "f1: shifts run mon-fri (Saturday and Sunday off inferred from power and water meters)"
    markdown, _ = calibration_report(cal)
    assert text in markdown
    assert "| f1 | shifts | run mon-fri |" in markdown
    assert "buildings[id=w1].shifts" not in cal.park.metadata["calibration"]["values"]  # type: ignore[index]


def test_too_little_data_infers_nothing(cal: Calibration) -> None:
    park = truth_of(cal.source)
    clock = Clock.of(park.park.start)
    series = cal.data.meters[("f1", "power_kw")].window(0.0, 10 * 1440.0)
    shifts = building(cal.source, "f1").shifts
    fit = fit_levels(series, shifts, clock, (300.0, 1200.0))
    assert fit is not None
    assert infer_weekdays("f1", {"power_kw": (series, fit, (300.0, 1200.0))}, shifts, clock) is None


def test_sample_sup_k_sunday_pattern_is_found_but_water_disagrees() -> None:
    park = load_park("yen-binh")
    data = read_sensors(SAMPLE, park)
    clock = Clock.of(park.park.start)
    split = split_time(data.period, 0.2, clock)
    sup_k = building(park, "sup-k")
    meters: dict[str, Any] = {}
    for quantity, prior in (("power_kw", (1000.0, 4000.0)), ("water_m3h", (10.0, 30.0))):
        series = data.meters[("sup-k", quantity)].window(data.period[0], split)
        fit = fit_levels(series, sup_k.shifts, clock, prior)
        assert fit is not None
        meters[quantity] = (series, fit, prior)
    found = infer_weekdays("sup-k", meters, sup_k.shifts, clock)
    assert found is not None
    # planted (sample.py): on Sundays only a fifth of shift_kw on the power meter
    power, water = found.shares["power_kw"], found.shares["water_m3h"]
    assert power.off == (6,) and all(s == pytest.approx(0.2, abs=0.03) for s in power.shares[6])
    # ... and nothing on the water meter: its shifts run on Sundays, so nothing is changed
    assert water.off == () and min(water.shares[6]) > 0.9
    assert not found.inferred and "disagree" in found.note and "Sunday" in found.note
