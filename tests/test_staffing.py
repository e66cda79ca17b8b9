"""Dock staffing schedules: fewer docks in a time window, in the engine and its KPIs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import twin
from twin.calibration.fit_docks import max_concurrency
from twin.io.load import load_park
from twin.model.intervals import Clock
from twin.sim.logistics import staffed_minutes, staffed_steps


def staffed_park(docks: int = 4, night: int = 1) -> Any:
    data = load_park("demo-small").model_dump(mode="json", exclude_none=True)
    group = next(g for g in data["logistics"]["dock_groups"] if g["id"] == "f2-docks")
    group["docks"] = docks
    group["staffing"] = [{"start": "22:00", "end": "06:00", "docks": night}]
    return load_park(data)


def test_schedule_steps_and_staffed_minutes() -> None:
    park = staffed_park()
    group = next(g for g in park.logistics.dock_groups if g.id == "f2-docks")
    clock = Clock.of(park.park.start)  # midnight: the night window is on at time 0
    times, counts = staffed_steps(clock, group, (0.0, 2 * 1440.0))
    assert times == [0.0, 360.0, 1320.0, 1800.0, 2760.0]
    assert counts == [1, 4, 1, 4, 1]
    # per day: 8 h at 1 dock and 16 h at 4
    assert staffed_minutes(clock, group, 1440.0) == pytest.approx(60 * (8 * 1 + 16 * 4))


def test_no_service_starts_beyond_the_staffed_docks() -> None:
    park = staffed_park(4, 1)
    trace = twin.simulate(park, days=5, seed=2)
    t = trace.trucks
    g = trace.names["dock_groups"].index("f2-docks")
    mine = (t["dock_group"] == g) & np.isfinite(t["dock_start"])
    start = t["dock_start"][mine]
    end = np.where(np.isfinite(t["dock_end"][mine]), t["dock_end"][mine], np.inf)
    _, level = max_concurrency(start, end)
    minute = (start + Clock.of(park.park.start).start_offset_min) % 1440.0
    night = (minute >= 22 * 60) | (minute < 6 * 60)
    assert night.any() and (~night).any()
    assert level[night].max() <= 1  # a night start never has another truck in service
    assert level[~night].max() == 4
    kpis = twin.compute_kpis(trace)
    plain = twin.compute_kpis(twin.simulate(staffed_park(4, 4), days=5, seed=2))
    assert kpis["docks.f2-docks.wait_mean_min"] > plain["docks.f2-docks.wait_mean_min"]
    assert 0 < kpis["docks.f2-docks.utilization"] <= 1


def test_a_schedule_of_the_file_count_changes_nothing() -> None:
    same = twin.compute_kpis(twin.simulate(staffed_park(4, 4), days=3, seed=5))
    data = staffed_park(4, 4).model_dump(mode="json", exclude_none=True)
    for group in data["logistics"]["dock_groups"]:
        group.pop("staffing", None)
    plain = twin.compute_kpis(twin.simulate(load_park(data), days=3, seed=5))
    for name in ("docks.f2-docks.wait_mean_min", "docks.f2-docks.utilization"):
        assert same[name] == pytest.approx(plain[name], rel=1e-12)
