"""Messages and the store: every kind of bad message rejected with its reason, duplicates and
reordering stored exactly once, the schema guarded."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import cli
from twin.errors import InputError
from twin.io.load import load_park
from twin.live.messages import MAX_PAYLOAD_BYTES, MeterReading, TruckEvent, Validator
from twin.live.store import SCHEMA_VERSION, Store, to_seconds

PARK = load_park("demo-small")
FLOW = PARK.logistics.flows[0]
BUILDING = next(b.id for b in PARK.buildings if b.power is not None)
FEEDER = PARK.power.feeders[0].id
NOW = datetime(2026, 1, 6, 12, 0)


def validator() -> Validator:
    return Validator(PARK, now=NOW)


def truck_msg(minute: float, truck_id: str = "T1", event: str = "arrive") -> dict[str, Any]:
    time = datetime(2026, 1, 5, 8, 0) + timedelta(minutes=minute)
    return {"time": time.isoformat(), "truck_id": truck_id, "flow": FLOW.id, "event": event}


def meter_msg(minute: float, value: float = 100.0) -> dict[str, Any]:
    time = datetime(2026, 1, 5, 8, 0) + timedelta(minutes=minute)
    return {"time": time.isoformat(), "asset": BUILDING, "quantity": "power_kw", "value": value}


def reason(suffix: str, payload: Any) -> str:
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    records, rejects = validator().parse(suffix, body)
    assert not records and len(rejects) == 1
    return rejects[0].reason


@pytest.mark.parametrize(
    ("suffix", "payload", "says"),
    [
        ("trucks", b"{not json", "not JSON"),
        ("trucks", b"\xff\xfe{}", "not UTF-8"),
        ("trucks", b"x" * (MAX_PAYLOAD_BYTES + 1), "exceeds"),
        ("weather", {"time": "2026-01-05T08:00"}, "unknown topic"),
        ("trucks", ["not an object"], "expected a JSON object"),
        ("trucks", {**truck_msg(0), "flow": "nope"}, "unknown flow 'nope'"),
        ("trucks", {**truck_msg(0), "event": "teleport"}, "event: 'teleport' is not one of"),
        ("trucks", {**truck_msg(0), "gate": "elsewhere"}, "gate: 'elsewhere' is not flow"),
        ("trucks", {**truck_msg(0), "truck_id": ["T1"]}, "truck_id: expected a non-empty text"),
        ("trucks", {**truck_msg(0), "time": 1767600000}, "time: expected an ISO 8601 text"),
        ("trucks", {**truck_msg(0), "time": "yesterday"}, "is not an ISO 8601 time"),
        ("trucks", {**truck_msg(0), "time": "2026-02-30T08:00"}, "is not an ISO 8601 time"),
        ("trucks", {**truck_msg(0), "time": "1900-01-01T00:00"}, "impossible time"),
        ("trucks", {**truck_msg(0), "time": "2026-01-08T08:00"}, "ahead of the clock"),
        ("meters", {**meter_msg(0), "asset": "f99"}, "unknown meter asset 'f99'"),
        ("meters", {**meter_msg(0), "value": "812.5"}, "value: expected a number, got a text"),
        ("meters", {**meter_msg(0), "value": True}, "value: expected a number, got true/false"),
        ("meters", {**meter_msg(0), "value": -1}, "must be a number from 0 to"),
        ("meters", {**meter_msg(0), "quantity": "volts"}, "quantity: 'volts' is not one of"),
        ("meters", {**meter_msg(0), "asset": FEEDER, "quantity": "water_m3h"}, "power only"),
        (
            "alarms",
            {"time": "2026-01-05T08:00", "asset": "x", "event": "outage_start"},
            "unknown asset 'x'",
        ),
        (
            "alarms",
            {
                "time": "2026-01-05T08:00",
                "asset": FEEDER,
                "event": "outage_start",
                "expected_h": "soon",
            },
            "expected_h: expected a number",
        ),
    ],
)
def test_each_kind_of_bad_message_is_rejected_with_its_reason(
    suffix: str, payload: Any, says: str
) -> None:
    assert says in reason(suffix, payload)


def test_nan_is_not_a_reading() -> None:
    body = json.dumps({**meter_msg(0), "value": float("nan")})
    assert "not a finite number" in reason("meters", body.encode())


def test_a_bad_item_in_a_batch_rejects_only_itself() -> None:
    batch = [truck_msg(0), {**truck_msg(1), "flow": "nope"}, meter_msg(0)]
    records, rejects = validator().parse("trucks", json.dumps(batch[:2]))
    assert len(records) == 1 and len(rejects) == 1
    assert rejects[0].reason.startswith("batch item 1: flow")


def test_time_offsets_are_converted_to_park_time() -> None:
    # demo-small runs on Asia/Ho_Chi_Minh (UTC+7).
    zone = PARK.park.timezone
    assert zone == "Asia/Ho_Chi_Minh"
    (utc,), _ = validator().parse(
        "trucks", json.dumps({**truck_msg(0), "time": "2026-01-05T01:00:00Z"})
    )
    (local,), _ = validator().parse("trucks", json.dumps(truck_msg(0)))
    assert utc.time == local.time == datetime(2026, 1, 5, 8, 0)
    assert utc.key == local.key


def test_message_identity_ignores_spelling_not_meaning() -> None:
    v = validator()
    a = v.record("trucks", truck_msg(0))
    b = v.record(
        "trucks",
        {**truck_msg(0), "time": "2026-01-05T08:00:00.000", "gate": FLOW.gate, "plate": "29C-123"},
    )
    c = v.record("trucks", truck_msg(0, event="gate_out"))
    assert a.key == b.key != c.key
    assert v.record("meters", meter_msg(0, 5)).key == v.record("meters", meter_msg(0, 5.0)).key
    assert v.record("meters", meter_msg(0, 5)).key != v.record("meters", meter_msg(0, 6)).key


def test_duplicates_and_reordering_are_stored_exactly_once(tmp_path: Path) -> None:
    v = validator()
    records = [v.record("trucks", truck_msg(m, f"T{m}")) for m in range(200)]
    records += [v.record("meters", meter_msg(m, 100 + m)) for m in range(100)]
    delivered = records + random.Random(1).sample(records, 120)  # redeliveries
    random.Random(2).shuffle(delivered)
    with Store.open(tmp_path / "s.db") as store:
        first = store.ingest(delivered[:150])
        second = store.ingest(delivered[150:])
        again = store.ingest(records[:10])  # a replayed batch
        assert first.stored + second.stored == 300
        assert first.duplicates + second.duplicates == 120
        assert again.stored == 0 and again.duplicates == 10
        assert store.counts() == {"stored": 300, "rejected": 0, "duplicates": 130}
        stored = store.truck_events()
    assert [e.time for e in stored] == sorted(e.time for e in records if isinstance(e, TruckEvent))
    assert {e.truck_id for e in stored} == {f"T{m}" for m in range(200)}


def test_version_grows_with_every_commit_and_readers_see_it(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    v = validator()
    with Store.open(path) as writer, Store.open(path, read_only=True) as reader:
        before = reader.version()
        writer.ingest([v.record("meters", meter_msg(0))])
        assert reader.version() == before + 1
        writer.put_forecast({"origin": "2026-01-05T08:00", "series": {}})
        writer.put_alerts(
            [
                {"series": "docks.x.queue", "time": "2026-01-05T09:00"},
                {"series": "docks.y.queue", "time": "2026-01-05T11:00"},
            ]
        )
        assert reader.version() == before + 3
        assert reader.latest_forecast() == {"origin": "2026-01-05T08:00", "series": {}}
        assert [a["series"] for a in reader.alerts(since="2026-01-05T10:00")] == ["docks.y.queue"]
        assert len(reader.alerts()) == 2
        with pytest.raises(InputError, match="read-only"):
            reader.ingest([v.record("meters", meter_msg(1))])


def test_rejects_are_kept_with_their_reason_and_counted(tmp_path: Path) -> None:
    v = validator()
    records, rejects = v.parse("meters", json.dumps([meter_msg(0), {**meter_msg(1), "value": "x"}]))
    with Store.open(tmp_path / "s.db") as store:
        store.ingest(records, rejects)
        assert store.counts() == {"stored": 1, "rejected": 1, "duplicates": 0}
        (kept,) = store.rejects()
    assert kept["topic"] == "meters" and "value: expected a number" in kept["reason"]
    assert json.loads(kept["payload"])["value"] == "x"


def test_span_and_latest_readings(tmp_path: Path) -> None:
    v = validator()
    with Store.open(tmp_path / "s.db") as store:
        assert store.span() is None
        store.ingest([v.record("meters", meter_msg(m, m)) for m in (30, 0, 15)])
        assert store.span() == (datetime(2026, 1, 5, 8, 0), datetime(2026, 1, 5, 8, 30))
        (last,) = store.latest_readings()
        assert last == MeterReading(datetime(2026, 1, 5, 8, 30), BUILDING, "power_kw", 30.0)
        (then,) = store.latest_readings(datetime(2026, 1, 5, 8, 20))
        assert then.value == 15.0


def test_a_store_keeps_what_was_committed_across_reopening(tmp_path: Path) -> None:
    v = validator()
    with Store.open(tmp_path / "s.db") as store:
        store.ingest([v.record("trucks", truck_msg(0))])
    with Store.open(tmp_path / "s.db", read_only=True) as store:
        assert store.counts()["stored"] == 1


def test_bad_store_files_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no store here"):
        Store.open(tmp_path / "missing.db", read_only=True)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(InputError, match="not a parktwin store"):
        Store.open(junk)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(InputError, match="not a parktwin store"):
        Store.open(other)
    with pytest.raises(InputError, match="is a folder"):
        Store.open(tmp_path)


def test_schema_versions_are_explicit(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store.open(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(InputError, match="newer than this parktwin"):
        Store.open(path)
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    Store.open(path, read_only=True).close()


def test_state_command_prints_the_spec_document(tmp_path: Path) -> None:
    v = validator()
    gate = FLOW.gate
    feeder_alarm = {
        "time": "2026-01-05T08:10",
        "asset": FEEDER,
        "event": "outage_start",
        "expected_h": 2,
    }
    records = [
        v.record("trucks", truck_msg(0, "T1")),
        v.record("trucks", truck_msg(1, "T2")),
        v.record("trucks", truck_msg(2, "T1", "dock_start")),
        v.record("meters", meter_msg(5, 812.5)),
        v.record("alarms", feeder_alarm),
    ]
    with Store.open(tmp_path / "s.db") as store:
        store.ingest(records)
    result = CliRunner().invoke(
        cli.app,
        [
            "state",
            "demo-small",
            "--store",
            str(tmp_path / "s.db"),
            "--at",
            "2026-01-05T08:20",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["time"] == "2026-01-05T08:20:00"
    trucks = doc["trucks"]
    assert trucks["in_park"] == 2
    assert trucks["in_service"][FLOW.dock_group] == 1
    assert (
        sum(trucks["gate_queue"].values())
        + sum(trucks["at_gate"].values())
        + trucks["on_road"]
        + sum(trucks["dock_queue"].values())
        == 1
    )
    assert (
        set(trucks["gate_queue"]) == {g.id for g in PARK.logistics.gates}
        and gate in trucks["at_gate"]
    )
    assert doc["outages"] == [
        {
            "asset": FEEDER,
            "kind": "feeder",
            "since": "2026-01-05T08:10:00",
            "expected_end": "2026-01-05T10:10:00",
        }
    ]
    assert doc["meters"] == {
        BUILDING: {"power_kw": {"value": 812.5, "time": "2026-01-05T08:05:00"}}
    }
    assert doc["messages"] == {"stored": 5, "rejected": 0, "duplicates": 0}
    text = CliRunner().invoke(cli.app, ["state", "demo-small", "--store", str(tmp_path / "s.db")])
    assert text.exit_code == 0 and "2 trucks in the park" in text.output


def test_arrivals_are_the_arrive_events_of_a_half_open_span_each_once(tmp_path):
    v = validator()
    messages = [
        truck_msg(0, "T1"),
        truck_msg(0, "T1"),  # the same event delivered twice
        truck_msg(5, "T1", "dock_start"),
        truck_msg(10, "T2"),
        truck_msg(60, "T3"),  # the end of the span: left out
    ]
    with Store.open(tmp_path / "s.db") as store:
        store.ingest([v.record("trucks", m) for m in messages])
        start = datetime(2026, 1, 5, 8, 0)
        arrivals = store.arrivals(start, start + timedelta(minutes=60))
    seconds = [to_seconds(start + timedelta(minutes=m)) for m in (0, 10)]
    assert arrivals == [(seconds[0], FLOW.id), (seconds[1], FLOW.id)]
