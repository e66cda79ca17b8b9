"""A park without a network: a feeder short of capacity leaves its lowest priority off.

demo-small without its ring (feeders as capacities): feeder fd1 (3 MW) feeds f1 (300 kW, plus
1,200 kW in its shifts 06:00-22:00) and w1 (60 kW, plus 180 kW 07:00-17:00). A new factory of
600 + 2,400 kW on the same shifts takes fd1 past its capacity from 06:00 to 22:00. Expected
numbers are worked out by hand from SPEC.md's rule (the lowest `priority` first, then the
largest load).
"""

from __future__ import annotations

import copy

import pytest

from tests.networks import feeder_only_data
from twin.model.schema import Park
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.kpi import compute_kpis

DAYS = 2.0
SPEC = RunSpec(horizon_days=DAYS, warmup_days=0.0)
NEW_FACTORY = {
    "id": "f9",
    "kind": "factory",
    "footprint": [[0, 200], [100, 200], [100, 260], [0, 260]],
    "height_m": 12,
    "shifts": [{"start": "06:00", "end": "14:00"}, {"start": "14:00", "end": "22:00"}],
    "power": {"feeder": "fd1", "base_kw": 600, "shift_kw": 2400},
    "production": {"units_per_hour": 100},
}


def _feeder_only(new_factory_priority: int | None = None) -> Park:
    data = feeder_only_data()
    if new_factory_priority is not None:
        factory = copy.deepcopy(NEW_FACTORY)
        factory["power"]["priority"] = new_factory_priority
        data["buildings"].append(factory)
    return Park.model_validate(data)


def _run(park: Park) -> dict[str, float]:
    return compute_kpis(run_engine(park, (), SPEC))


def test_the_lowest_priority_on_the_overloaded_feeder_is_left_off_and_produces_less() -> None:
    """f9 (priority 2) stays on; f1 and w1 (priority 1) are left off 06:00-22:00 each day:
    f1 first (the larger load), and w1 too, since f9 and w1 still ask 3,060 kW or more."""
    base = _run(_feeder_only())
    grown = _run(_feeder_only(new_factory_priority=2))
    assert base["production.f1.units"] == 500 * 16 * DAYS
    assert grown["production.f1.units"] == 0.0  # f1 works only 06:00-22:00, all of it off
    assert grown["production.f9.units"] == 100 * 16 * DAYS
    assert grown["production.f2.units"] == base["production.f2.units"]  # another feeder
    f1_mwh = 1.5 * 16  # 300 + 1,200 kW over 16 h
    w1_mwh = 0.06 * 6 + 0.24 * 10  # 06-07 and 17-22 at 60 kW, 07-17 at 240 kW
    assert grown["power.unserved_mwh"] == pytest.approx((f1_mwh + w1_mwh) * DAYS, rel=1e-12)
    assert grown["trucks.completed"] < base["trucks.completed"]  # w1's docks stop too


def test_a_new_factory_of_lower_priority_is_the_one_left_off() -> None:
    """f9 at priority 0: leaving it off is enough (f1 and w1 ask at most 1,740 kW)."""
    base = _run(_feeder_only())
    grown = _run(_feeder_only(new_factory_priority=0))
    assert grown["production.f9.units"] == 0.0
    assert grown["production.f1.units"] == base["production.f1.units"]
    f9_mwh = 3.0 * 16
    assert grown["power.unserved_mwh"] == pytest.approx(f9_mwh * DAYS, rel=1e-12)


def test_a_substation_short_of_capacity_leaves_off_across_its_feeders() -> None:
    """sub1 cut to 4 MW: fd2's f2 (3 MW in shift, the largest of priority 1) goes first, then
    as much as it takes; production falls where the building is left off, nowhere else."""
    data = _feeder_only().model_dump(mode="json", by_alias=True, exclude_none=True)
    data["power"]["substations"][0]["capacity_mw"] = 4.0
    kpis = _run(Park.model_validate(data))
    base = _run(_feeder_only())
    assert kpis["production.f2.units"] < base["production.f2.units"]
    assert kpis["production.f1.units"] == base["production.f1.units"]
    assert kpis["power.unserved_mwh"] > 0
