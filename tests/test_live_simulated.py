"""A simulated park as a sensor feed (``serve --simulate``): its recording and its alarms.

The recording is the one ``--sensors-out`` writes; a scenario's outage arrives as alarms at its
start and end, the meters show the building without power while it lasts, and the replay puts
the outage into the store's state exactly for its duration. The feed then goes on, one horizon
after another, with the memory of one horizon.
"""

from __future__ import annotations

import csv
import itertools
import tracemalloc
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.parks import one_dock_group
from twin import api
from twin.experiment.settings import Settings
from twin.live.replay import Message, sensor_messages
from twin.live.run import live_replay
from twin.live.simulated import following_horizons, simulated_recording
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


HALF_DAY = timedelta(days=0.5)
START = datetime(2026, 1, 5)


def horizons(messages: Iterator[Message], count: int) -> list[list[Message]]:
    """The next `count` half-day horizons of `messages` (from the second), split by time."""
    taken = itertools.takewhile(lambda m: at(m) <= START + (count + 1) * HALF_DAY, messages)
    split: list[list[Message]] = [[] for _ in range(count + 2)]
    for message in taken:
        split[horizon_of(message)].append(message)
    return split[1 : count + 1]


def at(message: Message) -> datetime:
    return datetime.fromisoformat(message[1]["time"])


def horizon_of(message: Message) -> int:
    """The half-day a message belongs to: a meter reading is stamped at the end of its 15
    minutes, so one stamped at a horizon's end is of that horizon."""
    moment = at(message) - (timedelta(seconds=1) if message[0] == "meters" else timedelta(0))
    return int((moment - START) / HALF_DAY)


def offsets(horizon: list[Message], index: int, topic: str) -> list[tuple[str, timedelta]]:
    """Each meter reading or truck arrival of a horizon: the asset or flow, and when after the
    horizon's start."""
    origin = START + index * HALF_DAY
    return [
        (m[1].get("asset") or m[1]["flow"], at(m) - origin)
        for m in horizon
        if m[0] == topic and m[1].get("event", "arrive") == "arrive"
    ]


def test_the_simulation_goes_on_horizon_after_horizon(tmp_path: Path) -> None:
    folder = tmp_path / "simulated"
    simulated_recording(PARK, None, folder, days=0.5)
    first = list(sensor_messages(PARK, folder))
    following = horizons(following_horizons(PARK, None, folder, days=0.5), 3)
    times = [at(m) for m in itertools.chain(first, *following)]
    assert times == sorted(times) and times[-1] > START + 3.5 * HALF_DAY
    split = [first, *following]
    meters = [sorted(offsets(h, i, "meters")) for i, h in enumerate(split)]
    assert meters[0] and all(m == meters[0] for m in meters)  # every meter on the same grid
    arrivals = [offsets(h, i, "trucks") for i, h in enumerate(split)]
    assert all(len(a) > 10 for a in arrivals)  # 3 trucks an hour
    assert len({tuple(a) for a in arrivals}) == 4  # each horizon its own replication
    again = horizons(following_horizons(PARK, None, tmp_path / "again", days=0.5), 3)
    assert again == following  # same seed, same feed


def test_the_feed_replays_the_following_horizons_into_the_store(tmp_path: Path) -> None:
    folder = tmp_path / "simulated"
    alarms = simulated_recording(PARK, outage("09:00", 1.0), folder, days=0.5)
    later = following_horizons(PARK, outage("09:00", 1.0), folder, days=0.5)
    then = itertools.takewhile(lambda m: at(m) < START + 3 * HALF_DAY, later)
    store = tmp_path / "live.db"
    stats = live_replay(PARK, folder, store, None, alarms=alarms, then=then)
    assert stats.rejected == 0
    with Store.open(store, read_only=True) as opened:
        span = opened.span()
    assert span is not None and span[1] > START + 2.5 * HALF_DAY
    assert outages_at(PARK, store, "2026-01-05T09:30:00") == ["s1"]
    assert outages_at(PARK, store, "2026-01-05T21:30:00") == []  # the outage is the first's


def test_the_following_horizons_need_the_memory_of_one(tmp_path: Path) -> None:
    peaks = []
    for count in (2, 8):
        end = START + (count + 1) * HALF_DAY
        tracemalloc.start()
        feed = following_horizons(PARK, None, tmp_path / f"{count}", days=0.5)
        read = sum(1 for _ in itertools.takewhile(lambda m, end=end: at(m) < end, feed))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert read > count * 250
    assert peaks[1] < 1.5 * peaks[0], peaks
