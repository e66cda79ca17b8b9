"""The plan's live status: outages black out the right buildings, loads add up, dots sit right.

Expected values are worked out by hand from demo-small's park file (loads, feeders, roads), not
by the code under test.
"""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from twin.io.load import load_park
from twin.live.messages import MeterReading
from twin.live.state import LiveState
from twin.sim.start_state import OutageNow, TruckNow
from web.plan import plan_document
from web.status import STALE_MIN, PlanModel, plan_status, tiles

PARK = load_park("demo-small")
MODEL = PlanModel.of(PARK)


KINDS = {"fd1": "feeder", "sub1": "substation", "g1": "gate"}


def state(
    time: str = "2026-01-05T10:00:00", outages=(), meters=(), counts=None, trucks=()
) -> LiveState:
    return LiveState(
        datetime.fromisoformat(time),
        tuple(trucks),
        tuple(OutageNow(a, KINDS[a], 0.0) for a in outages),  # type: ignore[arg-type]
        counts or {"in_park": 0},
        tuple(meters),
        {"stored": 0, "rejected": 0, "duplicates": 0},
    )


def test_plan_document_has_every_asset() -> None:
    doc = plan_document(PARK)
    assert [b["id"] for b in doc["buildings"]] == [b.id for b in PARK.buildings]
    assert {g["id"] for g in doc["gates"]} == {"g1"}
    assert {d["id"]: d["building"] for d in doc["dock_groups"]} == {
        "f1-docks": "f1",
        "f2-docks": "f2",
        "w1-docks": "w1",
    }
    feeders = {f["id"]: f["buildings"] for f in doc["feeders"]}
    assert feeders == {"fd1": ["f1", "w1"], "fd2": ["f2", "o1", "u1"]}
    x0, y0, x1, y1 = doc["extent"]
    for b in doc["buildings"]:
        assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in b["footprint"])


def test_modelled_loads_in_and_out_of_shift() -> None:
    monday_10 = plan_status(MODEL, state())
    # f1: base 300 + shift 1200 in its 06-14 shift; w1: 60 + 180 (07-17).
    assert monday_10["buildings"]["f1"]["power_kw"] == 1500
    assert monday_10["buildings"]["f1"]["power_source"] == "model"
    assert monday_10["buildings"]["f1"]["share"] == pytest.approx(1.0)
    assert monday_10["feeders"]["fd1"]["load_mw"] == pytest.approx(1.74)
    assert monday_10["feeders"]["fd1"]["share"] == pytest.approx(1.74 / 3)
    # fd2: f2 500+2500 (three shifts), o1 40+160 (08-17), u1 250 (no shifts).
    assert monday_10["feeders"]["fd2"]["load_mw"] == pytest.approx(3.45)
    # demo-small has a network: its substation carries the 5.19 MW and the lines' losses
    sub1 = monday_10["substations"]["sub1"]["load_mw"]
    assert sub1 == pytest.approx(monday_10["network"]["sources_kw"]["sub1"] / 1000.0)
    assert 5.19 < sub1 < 5.19 * 1.05
    night = plan_status(MODEL, state("2026-01-05T03:00:00"))
    assert night["buildings"]["f1"]["power_kw"] == 300
    assert night["buildings"]["o1"]["power_kw"] == 40
    assert night["buildings"]["f2"]["power_kw"] == 3000  # its night shift runs


def test_a_fresh_meter_wins_over_the_model_and_a_stale_one_does_not() -> None:
    fresh = [MeterReading(datetime(2026, 1, 5, 9, 50), "f1", "power_kw", 812.5)]
    status = plan_status(MODEL, state(meters=fresh))
    assert status["buildings"]["f1"]["power_kw"] == 812.5
    assert status["buildings"]["f1"]["power_source"] == "meter"
    assert status["feeders"]["fd1"]["load_mw"] == pytest.approx((812.5 + 240) / 1000)
    old = datetime(2026, 1, 5, 10 - math.ceil(STALE_MIN / 60) - 1)
    stale = [MeterReading(old, "f1", "power_kw", 812.5)]
    assert plan_status(MODEL, state(meters=stale))["buildings"]["f1"]["power_source"] == "model"


def test_a_feeder_outage_blacks_out_its_buildings_only() -> None:
    status = plan_status(MODEL, state(outages=["fd1"]))
    powered = {b: row["powered"] for b, row in status["buildings"].items()}
    assert powered == {"f1": False, "w1": False, "f2": True, "o1": True, "u1": True}
    assert status["buildings"]["f1"]["power_kw"] == 0
    assert status["feeders"]["fd1"] == {
        "load_mw": 0.0,
        "share": 0.0,
        "dead": True,
        "source": "buildings",
    }
    # the network carries the 3.45 MW still served and its losses, not fd1's dark buildings
    assert 3.45 < status["substations"]["sub1"]["load_mw"] < 3.45 * 1.05
    assert status["docks"]["f1-docks"]["powered"] is False
    assert status["totals"]["power.park_mw"] == pytest.approx(3.45)


def test_a_substation_outage_blacks_out_everything_it_feeds() -> None:
    status = plan_status(MODEL, state(outages=["sub1"]))
    assert not any(row["powered"] for row in status["buildings"].values())
    assert all(f["dead"] for f in status["feeders"].values())
    assert status["outages"] == ["sub1"]


def test_a_gate_outage_closes_the_gate() -> None:
    status = plan_status(MODEL, state(outages=["g1"]))
    assert status["gates"]["g1"]["closed"] is True
    assert all(row["powered"] for row in status["buildings"].values())


def test_trucks_are_placed_along_the_route_at_each_roads_speed() -> None:
    # g1 (130,-100) -> (130,-10): 90 m at 30 km/h = 0.18 min; -> (60,-10): 70 m at 20 km/h =
    # 0.21 min. After 0.195 min a truck is 0.015 min = 5 m along the second road.
    driving = TruckNow("t1", "in-f1", "on_road", 0.195, 3.0, "g1", "f1-docks")
    back = TruckNow("t2", "in-f1", "leaving", 0.09, 50.0, "g1", "f1-docks")  # half the 1st leg
    queued = TruckNow("t3", "in-f1", "gate_queue", 1.0, 1.0, "g1", "f1-docks")
    dots = plan_status(MODEL, state(trucks=[driving, back, queued]))["trucks"]
    assert dots[0][:2] == pytest.approx([125.0, -10.0])
    assert dots[0][2] == 2
    # Leaving drives the route backwards: 0.09 min from the building end is 0.30 min from g1.
    assert dots[1][:2] == pytest.approx([60 + 0.09 * 20000 / 60, -10.0])
    assert math.dist(dots[2][:2], (130, -100)) < 60  # lined up by its gate
    assert dots[2][2] == 0


def test_tiles_show_the_change_over_the_hour() -> None:
    now = plan_status(MODEL, state(counts={"in_park": 12, "gate_queue": {"g1": 3}}))
    before = plan_status(MODEL, state("2026-01-05T09:00:00", counts={"in_park": 5}))
    by_kpi = {t["kpi"]: t for t in tiles(now, before)}
    assert by_kpi["trucks.in_park"]["value"] == 12
    assert by_kpi["trucks.in_park"]["change_1h"] == 7
    assert by_kpi["gates.queue"]["change_1h"] == 3
    # Every shift running at 10:00 already ran at 09:00: the park draws the same.
    assert by_kpi["power.park_mw"]["change_1h"] == pytest.approx(0.0)
    assert all(t["change_1h"] is None for t in tiles(now, None))
