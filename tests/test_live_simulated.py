"""A simulated park as a sensor feed (``serve --simulate``): its recording and its alarms.

The recording is the one ``--sensors-out`` writes; a scenario's outage arrives as alarms at its
start and end, the meters show the building without power while it lasts, and the replay puts
the outage into the store's state exactly for its duration.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.parks import one_dock_group
from twin import api
from twin.experiment.settings import Settings
from twin.live.run import live_replay
from twin.live.simulated import simulated_recording
from twin.live.state import state_document
from twin.live.store import Store
from twin.model.schema import Park

PARK = one_dock_group(
    docks=2,
    service={"dist": "exponential", "mean": 20.0},
    rate_per_hour=3.0,
    roads=True,
    powered=True,
)


def outage(at: str, hours: float, day: int = 0) -> dict[str, Any]:
    return {
        "scenario": {"name": "s1-out"},
        "events": [{"outage": "s1", "from": {"day": day, "at": at}, "duration_h": hours}],
    }


def power_of(folder: Path, asset: str) -> dict[str, float]:
    with (folder / "meters.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["timestamp"]: float(row["value"])
            for row in csv.DictReader(handle)
            if row["asset"] == asset and row["quantity"] == "power_kw"
        }


def outages_at(park: Park, store_path: Path, moment: str) -> list[str]:
    with Store.open(store_path, read_only=True) as store:
        doc = state_document(park, store, datetime.fromisoformat(moment))
    return [o["asset"] for o in doc["outages"]]


def test_an_outage_is_two_alarms_and_the_meters_show_it(tmp_path: Path) -> None:
    folder = tmp_path / "sensors"
    alarms = simulated_recording(PARK, outage("09:00", 5.0), folder, days=1.0)
    assert alarms == [
        ("alarms", {"time": "2026-01-05T09:00:00", "asset": "s1", "event": "outage_start",
                    "expected_h": 5.0}),
        ("alarms", {"time": "2026-01-05T14:00:00", "asset": "s1", "event": "outage_end"}),
    ]  # fmt: skip
    power = power_of(folder, "f1")
    assert power["2026-01-05T09:15"] == 0.0 and power["2026-01-05T14:00"] == 0.0
    assert power["2026-01-05T09:00"] > 100.0 and power["2026-01-05T14:15"] > 100.0
    store = tmp_path / "live.db"
    stats = live_replay(PARK, folder, store, None, alarms=alarms)
    assert stats.rejected == 0
    assert outages_at(PARK, store, "2026-01-05T08:59:00") == []
    assert outages_at(PARK, store, "2026-01-05T10:00:00") == ["s1"]
    assert outages_at(PARK, store, "2026-01-05T14:01:00") == []


def test_an_outage_past_the_horizon_has_no_end_and_one_beyond_it_no_alarm(tmp_path: Path) -> None:
    running = simulated_recording(PARK, outage("20:00", 10.0), tmp_path / "a", days=1.0)
    assert [message["event"] for _, message in running] == ["outage_start"]
    assert simulated_recording(PARK, None, tmp_path / "b", days=1.0) == []


def test_the_recording_is_that_of_sensors_out(tmp_path: Path) -> None:
    simulated_recording(PARK, None, tmp_path / "simulated", days=1.0, seed=4)
    api.run(PARK, settings=Settings(days=1.0, seed=4), sensors_out=tmp_path / "recorded")
    for name in ("meters.csv", "trucks.csv"):
        simulated = (tmp_path / "simulated" / name).read_bytes()
        assert simulated == (tmp_path / "recorded" / name).read_bytes()
