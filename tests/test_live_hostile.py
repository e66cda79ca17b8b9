"""Hostile messages and stores, without a broker: the parser, the store and the state builder.

The principle (docs/howto/live.md): a bad message costs at most one bounded reject row and
never the feed; nothing the feed accepts can break a reader; every number and time is
range-checked where it enters. The broker-level cases are in tests/test_live_hostile_broker.py.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.live_helpers import BUILDING, FEEDER, FLOW, PARK, POISON, alarm, meter
from twin.errors import InputError
from twin.live.ingest import Ingester
from twin.live.messages import (
    MAX_EXPECTED_H,
    MAX_VALUE,
    REJECT_PAYLOAD_CHARS,
    REJECT_REASON_CHARS,
    Alarm,
    MeterReading,
    Validator,
)
from twin.live.state import state_document
from twin.live.store import REJECT_ROWS_KEPT, Store

NOW = datetime(2026, 1, 5, 12, 0)
VALIDATOR = Validator(PARK, now=NOW)


# --------------------------------------------------------------------------- case 1: poison


@pytest.mark.parametrize("name", list(POISON))
def test_a_poison_message_is_one_reject_and_the_next_is_stored(name: str, tmp_path: Path) -> None:
    suffix, payload = POISON[name]
    with Store.open(tmp_path / "live.db") as store:
        ingester = Ingester(store, VALIDATOR)
        ingester.add_payload(suffix, payload, 1)
        ingester.add_payload("meters", json.dumps(meter(5.0, "2026-01-05T08:01")), 2)
        assert ingester.flush() == [1, 2]
        assert store.counts() == {"stored": 1, "rejected": 1, "duplicates": 0}
        (row,) = store.rejects()
        document = state_document(PARK, store)
    assert len(row["payload"]) <= REJECT_PAYLOAD_CHARS + 1
    assert 0 < len(row["reason"]) <= REJECT_REASON_CHARS + 1
    json.dumps(document, allow_nan=False)


def test_the_range_checks_name_the_field_and_the_bounds() -> None:
    for item, says in (
        (meter(MAX_VALUE * 2), f"value: must be a number from 0 to {MAX_VALUE:g}"),
        (meter(-1), "value: must be a number from 0"),
        (meter(10**400), "value: must be a number from 0"),
        (meter(1.0, "0001-01-01T00:00+14:00"), "is outside the years 1 to 9999"),
        (meter(1.0, "1989-12-31T23:59"), "impossible time (outside 1990-2100)"),
    ):
        with pytest.raises(ValueError, match=re.escape(says)):
            VALIDATOR.record("meters", item)
    says = f"expected_h: must be a number from 0 to {MAX_EXPECTED_H:g}"
    with pytest.raises(ValueError, match=re.escape(says)):
        VALIDATOR.record("alarms", alarm(1e308))
    assert VALIDATOR.record("meters", meter(MAX_VALUE)) == MeterReading(
        datetime(2026, 1, 5, 8), BUILDING, "power_kw", MAX_VALUE
    )
    assert VALIDATOR.record("alarms", alarm(MAX_EXPECTED_H)) == Alarm(
        datetime(2026, 1, 5, 8), FEEDER, "outage_start", MAX_EXPECTED_H
    )


def test_the_largest_accepted_values_do_not_break_the_readers(tmp_path: Path) -> None:
    """An alarm announced at the longest duration and two meters at the largest value."""
    recorded = Validator(PARK, max_ahead_h=None)
    with Store.open(tmp_path / "live.db") as store:
        records = [
            recorded.record("alarms", alarm(MAX_EXPECTED_H, "2099-12-31T20:00")),
            recorded.record("meters", meter(MAX_VALUE)),
            recorded.record("meters", {**meter(MAX_VALUE), "asset": FEEDER}),
        ]
        store.ingest(records)
        document = state_document(PARK, store, datetime(2099, 12, 31, 23, 59))
    (outage,) = document["outages"]
    assert outage["asset"] == FEEDER
    json.dumps(document, allow_nan=False)


# --------------------------------------------------------------------------- case 3: bounded


def test_a_batch_of_bad_items_is_one_reject_row(tmp_path: Path) -> None:
    payload = json.dumps([0] * 200_000)  # 600 kB of items that are not objects
    with Store.open(tmp_path / "live.db") as store:
        done = store.ingest(*VALIDATOR.parse("meters", payload))
        rows = store.rejects(limit=10)
        counts = store.counts()
    assert done.rejected == 200_000 and counts["rejected"] == 200_000
    assert len(rows) == 1
    assert rows[0]["reason"].startswith("200000 of 200000 batch items rejected; first, item 0")


def test_the_rejects_table_keeps_the_newest_rows_only(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    total = REJECT_ROWS_KEPT + 2500
    with Store.open(path) as store:
        for start in range(0, total, 500):
            batch = [f"{k}:" + "x" * 5000 for k in range(start, start + 500)]
            store.ingest([], [VALIDATOR.parse("meters", text)[1][0] for text in batch])
        kept = store.rejects(limit=total)
        counts = store.counts()
    assert counts["rejected"] == total  # the counter counts them all
    assert len(kept) == REJECT_ROWS_KEPT
    assert kept[0]["payload"].startswith(f"{total - 1}:")  # the newest first ...
    assert kept[-1]["payload"].startswith(f"{total - REJECT_ROWS_KEPT}:")  # ... to the oldest kept
    assert all(len(row["payload"]) == REJECT_PAYLOAD_CHARS + 1 for row in kept)  # cut, with …
    assert path.stat().st_size < 30 * 1024**2


# --------------------------------------------------------------------------- case 4, 11: stores


def test_a_second_writer_is_refused_and_a_reader_is_not(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    with Store.open(path) as first:
        with pytest.raises(InputError, match="one writer"):
            Store.open(path)
        with Store.open(path, read_only=True) as reader:
            assert reader.counts()["stored"] == 0
        first.ingest([VALIDATOR.record("meters", meter(1.0))])
    with Store.open(path) as again:  # the lock goes with the first writer
        assert again.counts()["stored"] == 1


@pytest.mark.parametrize("read_only", [True, False])
def test_a_damaged_store_is_refused_naming_the_file(tmp_path: Path, read_only: bool) -> None:
    path = tmp_path / "live.db"
    with Store.open(path) as store:
        store.ingest([VALIDATOR.record("meters", meter(float(k))) for k in range(3000)])
    data = bytearray(path.read_bytes())
    for i in range(3 * 4096, len(data), 7):  # the header and the schema page intact
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as caught, Store.open(path, read_only=read_only) as store:
        store.counts()
        store.span()
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("content", [b"just some text\n", b""])
def test_a_file_that_is_no_store_is_refused_by_a_reader(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with (
        pytest.raises(InputError, match=re.escape(str(path))),
        Store.open(path, read_only=True) as store,
    ):
        store.counts()


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    for read_only in (True, False):
        with pytest.raises(InputError, match="not a parktwin store"):
            Store.open(path, read_only=read_only)


def test_a_store_on_read_only_media_is_read(tmp_path: Path) -> None:
    """A folder that cannot be written holds no ``-shm`` file: the store opens immutable."""
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; tests/test_live_hostile_broker.py "
                    "mounts a read-only disk instead")  # fmt: skip
    folder = tmp_path / "media"
    folder.mkdir()
    with Store.open(folder / "live.db") as store:
        store.ingest([VALIDATOR.record("meters", meter(3.0))])
    folder.chmod(0o555)
    try:
        with Store.open(folder / "live.db", read_only=True) as store:
            assert store.counts()["stored"] == 1
    finally:
        folder.chmod(0o755)


# --------------------------------------------------------------------------- case 8: catch-up


def test_a_job_catches_up_in_one_step_from_a_1990_message(tmp_path: Path) -> None:
    runs: list[datetime] = []
    with Store.open(tmp_path / "live.db") as store:
        ingester = Ingester(store, Validator(PARK, max_ahead_h=None))
        ingester.every(0.001, runs.append)  # a thousandth of a minute: 2e10 periods to 2026
        ingester.add_payload("meters", json.dumps(meter(1.0, "1990-01-01T00:00:30")))
        ingester.flush()
        ingester.add_payload("meters", json.dumps(meter(1.0, "2026-01-05T08:00:00.0301")))
        ingester.flush()
    assert runs[0] == datetime(1990, 1, 1, 0, 0, 30)
    assert len(runs) == 2
    assert timedelta(0) <= datetime(2026, 1, 5, 8, 0, 0, 30100) - runs[1] < timedelta(minutes=0.001)


# --------------------------------------------------------------------------- property-based


NUMBERS = st.one_of(
    st.integers(min_value=-(10**500), max_value=10**500),
    st.floats(allow_nan=False),
    st.sampled_from([0, 1e308, -1e308, 5e-324, MAX_VALUE, MAX_EXPECTED_H]),
)
TIMES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        datetime.isoformat
    ),
    st.sampled_from(
        ["0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00", "1990-01-01T00:00", "2099-12-31T23:59",
         "2026-01-05T08:00", "2026-01-05T08:00+07:00", "2026-13-01", "", "now"]
    ),
    st.text(max_size=30),
)  # fmt: skip
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=20))
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def message(suffix: str) -> st.SearchStrategy[dict[str, Any]]:
    """Objects that look like messages of `suffix`, with any field swapped for junk."""
    fields: dict[str, st.SearchStrategy[Any]] = {"time": TIMES}
    if suffix == "meters":
        fields |= {
            "asset": st.sampled_from([BUILDING, FEEDER, "nowhere"]),
            "quantity": st.sampled_from(["power_kw", "water_m3h", "volts"]),
            "value": NUMBERS,
        }
    elif suffix == "alarms":
        fields |= {
            "asset": st.sampled_from([FEEDER, "supply", "nowhere"]),
            "event": st.sampled_from(["outage_start", "outage_end", "party"]),
            "expected_h": st.one_of(st.none(), NUMBERS),
        }
    else:
        fields |= {
            "truck_id": st.one_of(st.text(max_size=12), NUMBERS),
            "flow": st.sampled_from([FLOW, "nowhere"]),
            "event": st.sampled_from(["arrive", "dock_start", "depart", "fly"]),
        }
    junk = st.dictionaries(st.sampled_from(sorted(fields)), JSON, max_size=2)
    return st.tuples(st.fixed_dictionaries(fields), junk).map(lambda pair: pair[0] | pair[1])


def payloads_of(suffix: str) -> st.SearchStrategy[tuple[str, str]]:
    """(suffix, payload text): objects, batches, deep nesting and text that is no JSON."""
    items = st.one_of(message(suffix), JSON)
    return st.one_of(
        items.map(lambda i: (suffix, json.dumps(i))),
        st.lists(items, min_size=1, max_size=5).map(lambda b: (suffix, json.dumps(b))),
        st.integers(2, 3000).map(lambda n: (suffix, "[" * n + "]" * n)),
        st.text(max_size=40).map(lambda t: (suffix, t)),
    )


PAYLOADS = st.lists(
    st.one_of(payloads_of("meters"), payloads_of("alarms"), payloads_of("trucks")),
    min_size=1,
    max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(payloads=PAYLOADS)
def test_generated_messages_are_records_or_one_reject_with_a_reason(
    payloads: list[tuple[str, str]],
) -> None:
    validator = Validator(PARK, now=NOW)
    for suffix, text in payloads:
        records, rejects = validator.parse(suffix, text)
        assert len(rejects) <= 1
        assert all(r.reason for r in rejects)
        assert len(records) + sum(r.count for r in rejects) == _objects(text)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads=PAYLOADS)
def test_generated_messages_are_stored_or_rejected_and_readers_hold(
    payloads: list[tuple[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    validator = Validator(PARK, now=NOW)
    path = tmp_path_factory.mktemp("prop") / "live.db"
    with Store.open(path) as store:
        ingester = Ingester(store, validator)
        for token, (suffix, text) in enumerate(payloads):
            ingester.add_payload(suffix, text, token)
        assert ingester.flush() == list(range(len(payloads)))
        counts = store.counts()
        objects = sum(_objects(text) for _, text in payloads)
        assert counts["stored"] + counts["duplicates"] + counts["rejected"] == objects
        assert len(store.rejects(limit=100)) <= len(payloads)
        for moment in (None, NOW, datetime(1990, 1, 1), datetime(2099, 12, 31, 23, 59)):
            json.dumps(state_document(PARK, store, moment), allow_nan=False)


def _objects(text: str) -> int:
    document = _loads(text)
    return len(document) if isinstance(document, list) else 1


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
