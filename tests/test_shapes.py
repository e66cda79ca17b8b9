"""Load shapes in the park format: exact averages, the engine's demand, KPIs and scenarios."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import twin
from twin.errors import InputError
from twin.io.load import load_park, load_scenario
from twin.model.intervals import Clock
from twin.model.scenario import apply_scenario
from twin.model.schema import LoadShape
from twin.model.shapes import shape_average

MONDAY = Clock.of("2026-01-05T00:00")


def test_average_over_any_interval_is_exact() -> None:
    day = [1.0] * 6 + [4.0] * 12 + [1.0] * 6  # mean 2.5 over the day
    shape = LoadShape(daily=day)
    start = np.array([0.0, 5 * 60 + 30, 17 * 60 + 45, 1440.0 + 6 * 60])
    end = np.array([1440.0, 6 * 60 + 30, 18 * 60 + 15, 1440.0 + 6 * 60 + 15])
    got = shape_average(shape, MONDAY, start, end)
    # by hand: the whole day averages 1; 05:30-06:30 half 1/2.5, half 4/2.5; and so on
    expected = [1.0, (0.5 * 1 + 0.5 * 4) / 2.5, (0.25 * 4 + 0.25 * 1) / 0.5 / 2.5, 4 / 2.5]
    assert got == pytest.approx(expected, rel=1e-12)


def test_quarter_hours_and_hours_agree_and_day_types_pick_the_weekday() -> None:
    hourly = list(np.linspace(1, 3, 24))
    quarters = [v for v in hourly for _ in range(4)]
    edges = np.arange(0, 7 * 1440 + 1, 15.0)
    a = shape_average(LoadShape(daily=hourly), MONDAY, edges[:-1], edges[1:])
    b = shape_average(LoadShape(daily=quarters), MONDAY, edges[:-1], edges[1:])
    assert np.allclose(a, b, rtol=1e-12)
    typed = LoadShape(weekday=[2.0] * 24, saturday=[1.0] * 24, sunday=[0.0] * 24)
    days = shape_average(typed, MONDAY, np.arange(7) * 1440.0, np.arange(1, 8) * 1440.0)
    assert days == pytest.approx([2 / (11 / 7)] * 5 + [1 / (11 / 7), 0.0])
    # a park starting on a Saturday evening sees Saturday first
    saturday = Clock.of("2026-01-10T18:00")
    first = shape_average(typed, saturday, np.array([0.0, 360.0]), np.array([360.0, 720.0]))
    assert first == pytest.approx([1 / (11 / 7), 0.0])


def test_holiday_takes_sundays_day() -> None:
    typed = LoadShape(weekday=[2.0] * 24, saturday=[2.0] * 24, sunday=[0.5] * 24)
    days = np.arange(3) * 1440.0
    got = shape_average(typed, MONDAY, days, days + 1440.0, "2026-01-05T00:00", ["2026-01-06"])
    assert got[1] == pytest.approx(got[0] / 4) and got[2] == pytest.approx(got[0])


def shaped_park(level: float = 1000.0, **shape: Any) -> Any:
    data = load_park("demo-small").model_dump(mode="json", exclude_none=True)
    data["buildings"][0]["power"] = {
        "feeder": "fd1",
        "bus": "rmu1",
        "level_kw": level,
        "shape": shape,
    }
    return load_park(data)


def test_engine_energy_is_the_level_times_the_hours() -> None:
    park = shaped_park(1000.0, weekday=[1] * 8 + [3] * 10 + [1] * 6, sunday=[0.5] * 24)
    trace = twin.simulate(park, days=7, seed=3)
    demand = trace.series["building_power_demand_kw"][:, 0]
    step_h = np.diff(trace.edges) / 60.0
    week = trace.edges[:-1] >= 0
    # a whole week of the shape averages its level exactly
    assert float((demand[week] * step_h[week]).sum()) == pytest.approx(1000.0 * 168, rel=1e-9)
    by_hour = demand[week].reshape(7, 24, 4).mean(axis=2)
    assert by_hour[0, 9] / by_hour[0, 3] == pytest.approx(3.0)  # Monday 09:00 vs 03:00
    assert by_hour[6, 12] / by_hour[0, 3] == pytest.approx(0.5)  # Sunday


def test_scenario_scales_a_shaped_load_and_still_adds_a_base_shift_factory() -> None:
    park = shaped_park(1000.0, daily=[1.0] * 12 + [2.0] * 12)
    scenario = load_scenario(
        {
            "scenario": {"name": "grow"},
            "changes": [
                {"scale": "buildings[id=f1].power.level_kw", "by": 1.5},
                {
                    "add": "buildings",
                    "value": {
                        "id": "f9",
                        "kind": "factory",
                        "footprint": [[500, 500], [600, 500], [600, 600], [500, 600]],
                        "height_m": 12,
                        "shifts": [{"start": "06:00", "end": "14:00"}],
                        "power": {"feeder": "fd1", "bus": "rmu1", "base_kw": 800, "shift_kw": 3000},
                    },
                },
            ],
        }
    )
    grown = apply_scenario(park, scenario)
    assert grown.buildings[0].power is not None and grown.buildings[0].power.level_kw == 1500.0
    base = twin.simulate(park, days=2, seed=1).series["building_power_demand_kw"]
    more = twin.simulate(grown, days=2, seed=1).series["building_power_demand_kw"]
    assert np.allclose(more[:, 0], 1.5 * base[:, 0])
    f9 = more[:, -1]
    assert f9.min() == pytest.approx(800.0) and f9.max() == pytest.approx(3800.0)


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        ({"daily": [1.0] * 25}, "25 values"),
        ({"daily": [1.0] * 24, "weekly": [1.0] * 168}, "exactly one"),
        ({"saturday": [1.0] * 24}, "exactly one"),
        ({"daily": [0.0] * 24}, "zero everywhere"),
    ],
)
def test_bad_shapes_are_named(shape: dict[str, Any], words: str) -> None:
    with pytest.raises(InputError) as caught:
        shaped_park(1000.0, **shape)
    assert words in str(caught.value) and "buildings[0].power.shape" in str(caught.value)


def test_level_without_shape_is_refused() -> None:
    data = load_park("demo-small").model_dump(mode="json", exclude_none=True)
    data["buildings"][0]["power"]["level_kw"] = 10.0
    with pytest.raises(InputError, match="needs a shape"):
        load_park(data)


def test_a_holiday_that_is_not_a_date_is_named() -> None:
    data = load_park("demo-small").model_dump(mode="json", exclude_none=True)
    data["park"]["holidays"] = ["2026-02-30"]
    with pytest.raises(InputError) as caught:
        load_park(data)
    assert "park.holidays" in str(caught.value) and "not a real date" in str(caught.value)
