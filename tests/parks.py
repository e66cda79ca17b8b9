"""Small parks built in code for engine tests, and start states of the tiny one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from twin.io.load import load_park
from twin.model.schema import Park
from twin.sim.start_state import TruckNow

SQUARE = [[0, 0], [100, 0], [100, 50], [0, 50]]
AT_0750 = datetime(2026, 1, 5, 7, 50)


def one_dock_group(
    docks: int,
    service: dict[str, Any],
    rate_per_hour: float | None = None,
    timetable: list[str] | None = None,
    gate_service: dict[str, Any] | None = None,
    lanes: int = 1,
    roads: bool = False,
    powered: bool = False,
    hours: list[dict[str, str]] | None = None,
) -> Park:
    """A park with one building, one gate, one dock group and one flow."""
    flow: dict[str, Any] = {"id": "in", "gate": "g1", "dock_group": "d1"}
    if timetable is not None:
        flow["timetable"] = timetable
    else:
        flow["rate_per_hour"] = rate_per_hour
    building: dict[str, Any] = {"id": "f1", "kind": "factory", "footprint": SQUARE, "height_m": 10}
    data: dict[str, Any] = {
        "park": {"name": "test", "start": "2026-01-05T00:00"},
        "buildings": [building],
        "logistics": {
            "gates": [
                {
                    "id": "g1",
                    "lanes": lanes,
                    "service": gate_service or {"dist": "constant", "value": 0},
                    "position": [0, -110],
                }
            ],
            "dock_groups": [{"id": "d1", "building": "f1", "docks": docks, "service": service}],
            "flows": [flow],
        },
    }
    if hours is not None:
        data["logistics"]["dock_groups"][0]["hours"] = hours
    if roads:
        # 100 m at 6 km/h: exactly one minute each way.
        data["logistics"]["roads"] = [{"id": "r1", "points": [[0, -110], [0, -10]], "speed_kmh": 6}]
    if powered:
        building["shifts"] = [
            {"start": "06:00", "end": "14:00"},
            {"start": "14:00", "end": "22:00"},
        ]
        building["power"] = {"feeder": "fd1", "base_kw": 100, "shift_kw": 900}
        building["production"] = {"units_per_hour": 60}
        data["power"] = {
            "substations": [{"id": "s1", "capacity_mw": 10, "position": [200, 0]}],
            "feeders": [{"id": "fd1", "substation": "s1", "capacity_mw": 5}],
        }
    return load_park(data)


def tiny_park(**kwargs):
    """One lane (2 min), one dock (30 min), 1 min drive each way, one truck at 08:00 daily."""
    return one_dock_group(
        docks=1,
        service={"dist": "constant", "value": 30},
        timetable=["08:00"],
        gate_service={"dist": "constant", "value": 2},
        roads=True,
        **kwargs,
    )


def truck(truck_id, stage, in_stage, in_park=None):
    in_park = in_stage if in_park is None else in_park
    return TruckNow(truck_id, "in", stage, in_stage_min=in_stage, in_park_min=in_park)


# One truck in every stage; G and E queue at the gate, G longer, though listed after E.
EVERY_STAGE = (
    truck("A", "in_service", 10, 25),
    truck("B", "dock_queue", 5, 12),
    truck("C", "on_road", 0.5, 3),
    truck("D", "at_gate", 1.5),
    truck("E", "gate_queue", 1),
    truck("F", "leaving", 0.25, 45),
    truck("G", "gate_queue", 3),
)
