"""Replay without a broker: the sample recording into a store, checked against the CSVs read
directly here (not through the twin's reader)."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from twin.io.bundled import data_root
from twin.io.load import load_park
from twin.live.replay import replay_into_store, sensor_messages
from twin.live.state import history_document, state_document
from twin.live.store import Store

SAMPLE = data_root() / "assets" / "sensors" / "yen-binh"
PARK = load_park("yen-binh")
TIMES = ("arrive", "dock_start", "dock_end", "depart")


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replay") / "store.db"
    replay_into_store(PARK, SAMPLE, path)
    return path


def csv_rows(name: str) -> list[dict[str, str]]:
    with open(SAMPLE / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def local(text: str) -> np.datetime64:
    """A CSV time as naive park time (the sample has a few rows with a +07:00 offset)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(PARK.park.timezone)).replace(tzinfo=None)
    return np.datetime64(moment)


def test_messages_come_in_time_order_one_per_reading_and_truck_time() -> None:
    messages = list(sensor_messages(PARK, SAMPLE))
    times = [datetime.fromisoformat(m["time"]) for _, m in messages]
    assert times == sorted(times)
    trucks = csv_rows("trucks.csv")
    meters = csv_rows("meters.csv")
    truck_times = sum(1 for row in trucks for c in TIMES if row[c])
    meter_values = sum(1 for row in meters if row["value"])
    n_trucks = sum(1 for s, _ in messages if s == "trucks")
    n_meters = sum(1 for s, _ in messages if s == "meters")
    # The calibration reader drops a few bad rows (spikes, repeats); nothing else is lost.
    assert truck_times * 0.99 <= n_trucks <= truck_times
    assert meter_values * 0.99 <= n_meters <= meter_values


def test_replay_stores_everything_once_and_a_second_replay_only_duplicates(
    replayed: Path, tmp_path: Path
) -> None:
    n = sum(1 for _ in sensor_messages(PARK, SAMPLE))
    with Store.open(replayed, read_only=True) as store:
        assert store.counts() == {"stored": n, "rejected": 0, "duplicates": 0}
    copy = tmp_path / "copy.db"
    copy.write_bytes(replayed.read_bytes())
    again = replay_into_store(PARK, SAMPLE, copy)
    assert (again.stored, again.duplicates, again.messages) == (0, n, n)


def test_trucks_in_park_match_the_recording(replayed: Path) -> None:
    """Trucks between arrive and depart in trucks.csv, counted here with numpy."""
    rows = [r for r in csv_rows("trucks.csv") if r["arrive"] and r["depart"]]
    arrive = np.array([local(r["arrive"]) for r in rows])
    depart = np.array([local(r["depart"]) for r in rows])
    start, end = datetime(2026, 1, 8, 0, 0), datetime(2026, 1, 9, 0, 0)
    with Store.open(replayed, read_only=True) as store:
        history = history_document(PARK, store, start, end, step_min=15)
        for k, (moment, got) in enumerate(
            zip(history["time"], history["series"]["trucks.in_park"], strict=True)
        ):
            t = np.datetime64(moment)
            want = int(((arrive <= t) & (t < depart)).sum())
            assert got == want, moment
            if k % 24 == 0:  # the live view (no hindsight) agrees too
                assert (
                    state_document(PARK, store, datetime.fromisoformat(moment))["trucks"]["in_park"]
                    == want
                )
    assert len(history["time"]) == 97
    assert max(history["series"]["trucks.in_park"]) > 20


def test_history_has_dock_queues_and_meters(replayed: Path) -> None:
    start = datetime(2026, 1, 8, 6, 0)
    with Store.open(replayed, read_only=True) as store:
        history = history_document(PARK, store, start, start + timedelta(hours=6), 30)
    series = history["series"]
    groups = [d.id for d in PARK.logistics.dock_groups]
    assert all(f"docks.{g}.queue" in series for g in groups)
    assert sum(sum(series[f"docks.{g}.queue"]) for g in groups) > 0
    quantities = ("power_kw", "water_m3h", "wastewater_m3h")
    meters = {
        (r["asset"], r["quantity"]) for r in csv_rows("meters.csv") if r["quantity"] in quantities
    }  # the sample has a few bad rows
    assert {f"meters.{a}.{q}" for a, q in meters} <= set(series)
    first = next(
        r
        for r in csv_rows("meters.csv")
        if r["timestamp"] == "2026-01-08T06:00" and r["quantity"] == "power_kw"
    )
    assert series[f"meters.{first['asset']}.power_kw"][0] == pytest.approx(float(first["value"]))


@pytest.mark.serial
def test_paced_replay_runs_at_speed_and_stops_when_told(tmp_path: Path) -> None:
    stop = threading.Event()
    result: dict[str, object] = {}

    def run() -> None:
        # 3 hours of park time a second: the first 4 seconds cover about half a day.
        result["stats"] = replay_into_store(
            PARK, SAMPLE, tmp_path / "s.db", speed=3 * 3600, stop=stop
        )

    worker = threading.Thread(target=run)
    started = time.monotonic()
    worker.start()
    time.sleep(4.0)
    stop.set()
    worker.join(timeout=30)
    assert not worker.is_alive() and time.monotonic() - started < 10
    stats = result["stats"]
    with Store.open(tmp_path / "s.db", read_only=True) as store:
        span = store.span()
        stored = store.counts()["stored"]
    assert span is not None
    covered_h = (span[1] - span[0]).total_seconds() / 3600
    assert 4 <= covered_h <= 18, covered_h  # paced, not as fast as it goes (3 weeks)
    assert stats.messages == stored > 0  # type: ignore[attr-defined]


@pytest.mark.system
def test_live_replay_command_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "parktwin"
    store = tmp_path / "live.db"
    twin = subprocess.Popen(
        [
            str(script),
            "live",
            "yen-binh",
            "--replay",
            str(SAMPLE),
            "--speed",
            "3600",
            "--store",
            str(store),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4.0)
    twin.send_signal(signal.SIGINT)
    _, err = twin.communicate(timeout=30)
    assert twin.returncode == 0, err
    with Store.open(store, read_only=True) as s:
        stored = s.counts()["stored"]
    assert 0 < stored < sum(1 for _ in sensor_messages(PARK, SAMPLE))
    assert f"{stored} messages: {stored} stored" in err


def test_state_documents_stay_byte_for_byte_the_stored_ones(replayed: Path) -> None:
    """SPEC's state document, made from the typed LiveState, equals the stored copy exactly."""
    golden = Path(__file__).parent / "data" / "golden" / "yen-binh.state.json"
    expected = golden.read_text(encoding="utf-8")
    with Store.open(replayed, read_only=True) as store:
        docs = {
            moment: state_document(PARK, store, datetime.fromisoformat(moment))
            for moment in json.loads(expected)
        }
    assert json.dumps(docs, indent=1, ensure_ascii=False) + "\n" == expected
