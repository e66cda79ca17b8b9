"""The live store: one SQLite file in WAL mode, one writer, readers anywhere.

This is the only module of parktwin that speaks SQL. The schema and its migrations are
documented in ``docs/reference/store.md``; :data:`MIGRATIONS` is the list of scripts, and
SQLite's ``user_version`` says how many of them a file has had. Opening a store applies the
missing ones in one transaction (a writer only); a file from a newer parktwin is refused.

Every write is one transaction that also bumps the ``version`` counter, so
:meth:`Store.version` is a cheap "has anything changed" check for readers that poll. Commits
are durable (``synchronous=FULL``): what :meth:`Store.ingest` returned from is on disk, so a
message acknowledged after it survives ``kill -9`` and a power cut.

A feed that must not grow without bound (a simulated park, which runs for days) passes
``forget_before`` to :meth:`Store.ingest`: the same transaction then deletes what lies before
that park time and can no longer change the present (:func:`_forget`).

Times are park-local; columns ``t`` hold them as seconds from 1970-01-01 00:00 of the local
calendar (no time zone arithmetic), which sorts late and out-of-order messages into place.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
import time as wallclock
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from twin.errors import InputError
from twin.live.messages import (
    REJECT_PAYLOAD_CHARS,
    REJECT_REASON_CHARS,
    Alarm,
    MeterReading,
    Record,
    Reject,
    TruckEvent,
    cut,
)

EPOCH = datetime(1970, 1, 1)
APPLICATION_ID = 0x50544B31  # "PTK1": marks the file as a parktwin store

MIGRATIONS: tuple[str, ...] = (
    # 1: messages by kind, rejects, counters, forecasts and alerts.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO counters VALUES ('version', 0), ('stored', 0), ('rejected', 0),
                                ('duplicates', 0);
    CREATE TABLE truck_events (
        id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, t REAL NOT NULL,
        truck_id TEXT NOT NULL, flow TEXT NOT NULL, event TEXT NOT NULL,
        gate TEXT NOT NULL, dock_group TEXT NOT NULL, received REAL NOT NULL);
    CREATE INDEX truck_events_t ON truck_events (t);
    CREATE TABLE meter_readings (
        id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, t REAL NOT NULL,
        asset TEXT NOT NULL, quantity TEXT NOT NULL, value REAL NOT NULL,
        received REAL NOT NULL);
    CREATE INDEX meter_readings_t ON meter_readings (t);
    CREATE INDEX meter_readings_meter ON meter_readings (asset, quantity, t);
    CREATE TABLE alarms (
        id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, t REAL NOT NULL,
        asset TEXT NOT NULL, event TEXT NOT NULL, expected_h REAL,
        received REAL NOT NULL);
    CREATE INDEX alarms_t ON alarms (t);
    CREATE TABLE rejects (
        id INTEGER PRIMARY KEY, received REAL NOT NULL, topic TEXT NOT NULL,
        payload TEXT NOT NULL, reason TEXT NOT NULL);
    CREATE TABLE forecasts (
        id INTEGER PRIMARY KEY, stored REAL NOT NULL, origin TEXT, doc TEXT NOT NULL);
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY, stored REAL NOT NULL, time TEXT, doc TEXT NOT NULL);
    CREATE INDEX alerts_time ON alerts (time);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
REJECT_ROWS_KEPT = 10_000
"""The rejects table keeps the newest this many rows; older ones are deleted as new come."""
REJECT_TOPIC_CHARS = 200
REJECT_LIMITS = {
    "rows_per_message": 1,
    "payload_chars": REJECT_PAYLOAD_CHARS,
    "reason_chars": REJECT_REASON_CHARS,
    "rows_kept": REJECT_ROWS_KEPT,
}
"""The bounds of the rejects table (reported in the status topic; docs/reference/store.md)."""


def to_seconds(moment: datetime) -> float:
    """A naive park-local time as the store's ``t`` (seconds from 1970-01-01 local)."""
    return (moment - EPOCH).total_seconds()


def from_seconds(seconds: float) -> datetime:
    """The store's ``t`` as a naive park-local datetime (to the microsecond)."""
    return EPOCH + timedelta(microseconds=round(seconds * 1e6))


@dataclass(frozen=True)
class Ingested:
    """What one :meth:`Store.ingest` call did."""

    stored: int
    duplicates: int
    rejected: int


class Store:
    """A live store file. Use as ``with Store.open(path) as store: ...``.

    One process writes (the feed or a replay); any number read, each with its own
    :class:`Store` (``read_only=True``). An instance may be shared by threads: calls are
    serialised by a lock.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        read_only: bool,
        writer_lock: int | None = None,
    ) -> None:
        self._db = connection
        self.path = path
        self.read_only = read_only
        self._lock = threading.Lock()
        self._writer_lock = writer_lock

    # ----------------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> Store:
        """Open (a writer creates it when missing) and migrate the store at `path`.

        Args:
            path: The store file.
            read_only: Open for reading only: the file must exist and be up to date.

        Raises:
            InputError: No such store (reading), not a parktwin store, a store from a newer
                parktwin, or a read-only open of a store that needs migrating.
        """
        target = Path(path)
        if target.is_dir():
            raise InputError(str(target), "is a folder; expected a store file (SQLite)")
        if read_only and not target.exists():
            raise InputError(str(target), "no store here (run 'parktwin live' or a replay first)")
        if target.exists() and not target.is_file():
            raise InputError(str(target), "is not a regular file; expected a store file (SQLite)")
        lock = None if read_only else _lock_writer(target)
        try:
            db = _connect_reading(target) if read_only else _connect_writing(target)
        except BaseException:
            if lock is not None:
                os.close(lock)
            raise
        return cls(db, target, read_only, lock)

    def close(self) -> None:
        """Close the file (a writer checkpoints the WAL into it and lets the next writer in)."""
        with self._lock:
            self._db.close()
            if self._writer_lock is not None:
                os.close(self._writer_lock)  # after SQLite's own descriptors are closed
                self._writer_lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------- writing

    def ingest(
        self,
        records: Sequence[Record],
        rejects: Sequence[Reject] = (),
        forget_before: datetime | None = None,
    ) -> Ingested:
        """Store records (each at most once, by key) and rejects, in one durable commit.

        Args:
            records: Validated records; those already stored count as duplicates.
            rejects: Unusable messages with their reasons.
            forget_before: In the same commit, delete the messages, forecasts and alerts
                before this park time, keeping the alarms of an outage still open then
                (docs/reference/store.md); None keeps everything.

        Returns:
            How many records were new, how many were duplicates, how many rejects were kept.
        """
        received = wallclock.time()
        trucks, meters, alarms = _split(records, received)
        with self._damage(), self._writing() as db:
            stored = _insert(
                db,
                "truck_events (key, t, truck_id, flow, event, gate, dock_group, received)",
                trucks,
            )
            stored += _insert(
                db, "meter_readings (key, t, asset, quantity, value, received)", meters
            )
            stored += _insert(db, "alarms (key, t, asset, event, expected_h, received)", alarms)
            _insert_rejects(db, received, rejects)
            if forget_before is not None:
                _forget(db, forget_before)
            duplicates = len(records) - stored
            rejected = sum(r.count for r in rejects)
            for name, add in (
                ("stored", stored),
                ("duplicates", duplicates),
                ("rejected", rejected),
            ):
                if add:
                    db.execute("UPDATE counters SET value = value + ? WHERE name = ?", (add, name))
        return Ingested(stored, duplicates, rejected)

    def put_forecast(self, doc: dict[str, Any]) -> None:
        """Keep a forecast document (forecast.json); the newest is :meth:`latest_forecast`."""
        text = json.dumps(doc, ensure_ascii=False)
        with self._writing() as db:
            db.execute(
                "INSERT INTO forecasts (stored, origin, doc) VALUES (?, ?, ?)",
                (wallclock.time(), doc.get("origin"), text),
            )

    def put_alerts(self, alerts: Iterable[dict[str, Any]]) -> None:
        """Keep alert objects (as in forecast.json's ``alerts``), in the order given."""
        rows = [
            (wallclock.time(), a.get("time"), json.dumps(a, ensure_ascii=False)) for a in alerts
        ]
        with self._writing() as db:
            db.executemany("INSERT INTO alerts (stored, time, doc) VALUES (?, ?, ?)", rows)

    # ----------------------------------------------------------------------- reading

    def version(self) -> int:
        """A number that grows with every commit of anything (cheap: one row)."""
        return self._counter("version")

    def counts(self) -> dict[str, int]:
        """Messages ``stored``, ``rejected`` and ``duplicates`` (delivered again) so far."""
        with self._lock, self._damage():
            rows = self._db.execute("SELECT name, value FROM counters").fetchall()
        values = dict(rows)
        return {name: int(values[name]) for name in ("stored", "rejected", "duplicates")}

    def span(self) -> tuple[datetime, datetime] | None:
        """The first and last time of any stored message, or None for an empty store."""
        lows, highs = [], []
        with self._lock, self._damage():
            for table in ("truck_events", "meter_readings", "alarms"):
                lo, hi = self._db.execute(f"SELECT MIN(t), MAX(t) FROM {table}").fetchone()
                if lo is not None:
                    lows.append(lo)
                    highs.append(hi)
        if not lows:
            return None
        return from_seconds(min(lows)), from_seconds(max(highs))

    def latest(self, until: datetime) -> datetime | None:
        """The time of the newest stored message at or before `until` (None: there is none)."""
        limit = to_seconds(until)
        highs = []
        with self._lock:
            for table in ("truck_events", "meter_readings", "alarms"):
                query = f"SELECT MAX(t) FROM {table} WHERE t <= ?"
                (hi,) = self._db.execute(query, (limit,)).fetchone()
                if hi is not None:
                    highs.append(hi)
        return from_seconds(max(highs)) if highs else None

    def truck_events(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[TruckEvent]:
        """Truck events with ``start <= time <= end`` (either open), in time order."""
        where, args = _between(start, end)
        rows = self._rows(
            "SELECT t, truck_id, flow, event, gate, dock_group FROM truck_events"
            f"{where} ORDER BY t, id",
            args,
        )
        return [TruckEvent(from_seconds(t), *rest) for t, *rest in rows]

    def arrivals(self, start: datetime, end: datetime) -> list[tuple[float, str]]:
        """The ``arrive`` events with ``start <= time < end`` as (store seconds, flow), in
        time order; an event repeated (same truck, same time) once."""
        rows = self._rows(
            "SELECT DISTINCT t, truck_id, flow FROM truck_events"
            " WHERE event = 'arrive' AND t >= ? AND t < ? ORDER BY t",
            (to_seconds(start), to_seconds(end)),
        )
        return [(t, flow) for t, _, flow in rows]

    def alarms(self, end: datetime | None = None) -> list[Alarm]:
        """Alarms up to `end` (all when None), in time order."""
        where, args = _between(None, end)
        rows = self._rows(
            f"SELECT t, asset, event, expected_h FROM alarms{where} ORDER BY t, id", args
        )
        return [Alarm(from_seconds(t), *rest) for t, *rest in rows]

    def meter_readings(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[MeterReading]:
        """Meter readings with ``start <= time <= end``, by meter, then time."""
        where, args = _between(start, end)
        rows = self._rows(
            f"SELECT t, asset, quantity, value FROM meter_readings{where} "
            "ORDER BY asset, quantity, t, id",
            args,
        )
        return [MeterReading(from_seconds(t), *rest) for t, *rest in rows]

    def latest_readings(self, at: datetime | None = None) -> list[MeterReading]:
        """The last reading of each meter at or before `at` (the newest when None)."""
        where, args = _between(None, at)
        # SQLite takes the bare columns from the row holding MAX(t).
        rows = self._rows(
            f"SELECT MAX(t), asset, quantity, value FROM meter_readings{where} "
            "GROUP BY asset, quantity ORDER BY asset, quantity",
            args,
        )
        return [MeterReading(from_seconds(t), *rest) for t, *rest in rows]

    def rejects(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest `limit` rejects: received (wall-clock epoch), topic, payload, reason."""
        rows = self._rows(
            "SELECT received, topic, payload, reason FROM rejects ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [dict(zip(("received", "topic", "payload", "reason"), r, strict=True)) for r in rows]

    def latest_forecast(self) -> dict[str, Any] | None:
        """The forecast document stored last, or None."""
        rows = self._rows("SELECT doc FROM forecasts ORDER BY id DESC LIMIT 1", ())
        return json.loads(rows[0][0]) if rows else None

    def alerts(self, since: datetime | str | None = None) -> list[dict[str, Any]]:
        """Alerts in the order stored; with `since`, those whose ``time`` is not before it."""
        if since is None:
            rows = self._rows("SELECT doc FROM alerts ORDER BY id", ())
        else:
            text = since.isoformat() if isinstance(since, datetime) else str(since)
            rows = self._rows("SELECT doc FROM alerts WHERE time >= ? ORDER BY id", (text,))
        return [json.loads(doc) for (doc,) in rows]

    # ----------------------------------------------------------------------- internals

    def _counter(self, name: str) -> int:
        with self._lock, self._damage():
            row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row[0])

    def _rows(self, sql: str, args: Sequence[Any]) -> list[Any]:
        with self._lock, self._damage():
            self._db.execute("BEGIN")  # one snapshot for the whole read
            try:
                return self._db.execute(sql, args).fetchall()
            finally:
                self._db.execute("COMMIT")

    @contextlib.contextmanager
    def _damage(self) -> Iterator[None]:
        """A damaged file (not a locked one) as bad input naming it."""
        try:
            yield
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:
            raise InputError(str(self.path), f"the store is damaged ({exc})") from None

    def _writing(self) -> _Transaction:
        if self.read_only:
            raise InputError(str(self.path), "opened read-only; cannot write")
        return _Transaction(self._db, self._lock)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error), bumping ``version``."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self.db = db
        self.lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.db

    def __exit__(self, kind: object, *rest: object) -> None:
        try:
            if kind is None:
                self.db.execute("UPDATE counters SET value = value + 1 WHERE name = 'version'")
                self.db.execute("COMMIT")
            else:
                self.db.execute("ROLLBACK")
        finally:
            self.lock.release()


def _lock_writer(target: Path) -> int:
    """Take the store's writer lock (``flock`` on the file itself), or refuse: one writer.

    The descriptor stays open until :meth:`Store.close` has closed SQLite's, since closing
    any descriptor of a file drops the process's POSIX locks on it (SQLite's own).
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(target, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        why = f"cannot open the store for writing ({exc.strerror})"
        raise InputError(str(target), why) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        raise InputError(
            str(target),
            "is already written by another parktwin (a live twin or a replay); "
            "a store has one writer: stop that one or use another store file",
        ) from None
    return handle


def _connect_writing(target: Path) -> sqlite3.Connection:
    """A writing connection to the store, created or migrated as needed."""
    try:
        db = sqlite3.connect(target, check_same_thread=False)
        db.isolation_level = None  # explicit transactions only
        db.execute("PRAGMA busy_timeout = 10000")
        _migrate(db, target, read_only=False)
        problem = db.execute("PRAGMA quick_check(1)").fetchone()[0]
        if problem != "ok":
            raise sqlite3.DatabaseError(f"damaged: {problem}")
    except sqlite3.DatabaseError as exc:
        raise _not_a_store(target, exc) from None
    return db


def _connect_reading(target: Path) -> sqlite3.Connection:
    """A read-only connection; on read-only media (no ``-shm`` can be made), an immutable one."""
    uri = target.resolve().as_uri()
    try:
        return _reader(f"{uri}?mode=ro", target)
    except sqlite3.OperationalError:
        if os.access(target.parent, os.W_OK):
            raise InputError(str(target), "cannot be read (locked or unreadable)") from None
    try:
        return _reader(f"{uri}?immutable=1", target)
    except sqlite3.DatabaseError as exc:
        raise _not_a_store(target, exc) from None


def _reader(uri: str, target: Path) -> sqlite3.Connection:
    """A reading connection at `uri`; OperationalError when it cannot be opened there."""
    db = sqlite3.connect(uri, uri=True, check_same_thread=False)
    try:
        db.isolation_level = None
        db.execute("PRAGMA busy_timeout = 10000")
        _migrate(db, target, read_only=True)
        db.execute("SELECT COUNT(*) FROM counters").fetchone()
    except sqlite3.OperationalError:
        db.close()
        raise
    except sqlite3.DatabaseError as exc:
        db.close()
        raise _not_a_store(target, exc) from None
    return db


def _not_a_store(target: Path, exc: sqlite3.DatabaseError) -> InputError:
    return InputError(str(target), f"not a parktwin store, or a damaged one ({exc})")


def _insert_rejects(db: sqlite3.Connection, received: float, rejects: Sequence[Reject]) -> None:
    """Keep rejects, each cut to its bounds, and only the newest :data:`REJECT_ROWS_KEPT`."""
    if not rejects:
        return
    db.executemany(
        "INSERT INTO rejects (received, topic, payload, reason) VALUES (?, ?, ?, ?)",
        [
            (
                received,
                cut(r.topic, REJECT_TOPIC_CHARS),
                cut(r.payload),
                cut(r.reason, REJECT_REASON_CHARS),
            )
            for r in rejects
        ],
    )
    db.execute(
        "DELETE FROM rejects WHERE id <= (SELECT MAX(id) FROM rejects) - ?", (REJECT_ROWS_KEPT,)
    )


def _forget(db: sqlite3.Connection, before: datetime) -> None:
    """Delete what lies before `before` and cannot change the state at or after it.

    Truck events and meter readings before it go, and so do forecasts and alerts dated before
    it (the newest forecast stays, whatever its origin). An alarm before it goes only when an
    ``outage_end`` of its asset, also before it, closes it (:func:`twin.live.state.outages_now`
    orders an end before a start at the same time): an outage still open at `before` keeps
    its alarms. The ``stored`` counter keeps counting the messages whose rows are gone.
    """
    t = to_seconds(before)
    text = before.isoformat(timespec="seconds")
    db.execute("DELETE FROM truck_events WHERE t < ?", (t,))
    db.execute("DELETE FROM meter_readings WHERE t < ?", (t,))
    db.execute(
        """
        DELETE FROM alarms WHERE t < :t AND id IN (
            SELECT a.id FROM alarms AS a
            JOIN (SELECT asset, MAX(t) AS closed FROM alarms
                  WHERE event = 'outage_end' AND t < :t GROUP BY asset) AS e
              ON a.asset = e.asset
            WHERE a.t < e.closed OR (a.t = e.closed AND a.event = 'outage_end'))
        """,
        {"t": t},
    )
    db.execute(
        "DELETE FROM forecasts WHERE origin < ? AND id < (SELECT MAX(id) FROM forecasts)", (text,)
    )
    db.execute("DELETE FROM alerts WHERE time < ?", (text,))


def _migrate(db: sqlite3.Connection, path: Path, read_only: bool) -> None:
    """Bring the file to :data:`SCHEMA_VERSION`, or refuse it."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    app = db.execute("PRAGMA application_id").fetchone()[0]
    tables = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    if tables and app != APPLICATION_ID:
        raise InputError(str(path), "is an SQLite file but not a parktwin store")
    if version > SCHEMA_VERSION:
        raise InputError(
            str(path),
            f"store schema version {version} is newer than this parktwin's "
            f"({SCHEMA_VERSION}); upgrade parktwin",
        )
    if version < SCHEMA_VERSION:
        if read_only:
            raise InputError(
                str(path),
                f"store schema version {version} needs migrating to {SCHEMA_VERSION}; "
                "open it once for writing (e.g. parktwin live) first",
            )
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            for script in MIGRATIONS[version:]:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    if not read_only:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")


def _split(records: Sequence[Record], received: float) -> tuple[list, list, list]:
    trucks, meters, alarms = [], [], []
    for r in records:
        if isinstance(r, TruckEvent):
            trucks.append(
                (
                    r.key,
                    to_seconds(r.time),
                    r.truck_id,
                    r.flow,
                    r.event,
                    r.gate,
                    r.dock_group,
                    received,
                )
            )
        elif isinstance(r, MeterReading):
            meters.append((r.key, to_seconds(r.time), r.asset, r.quantity, r.value, received))
        else:
            alarms.append((r.key, to_seconds(r.time), r.asset, r.event, r.expected_h, received))
    return trucks, meters, alarms


def _insert(db: sqlite3.Connection, into: str, rows: list[tuple[Any, ...]]) -> int:
    """Insert rows whose key is new; the number inserted."""
    if not rows:
        return 0
    before = db.total_changes
    marks = ", ".join("?" * len(rows[0]))
    db.executemany(f"INSERT OR IGNORE INTO {into} VALUES ({marks})", rows)
    return db.total_changes - before


def _between(start: datetime | None, end: datetime | None) -> tuple[str, tuple[float, ...]]:
    clauses, args = [], []
    if start is not None:
        clauses.append("t >= ?")
        args.append(to_seconds(start))
    if end is not None:
        clauses.append("t <= ?")
        args.append(to_seconds(end))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(args)
