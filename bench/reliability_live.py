"""The hostile-input cases of the live twin, its store and the web page (issue #19) as table rows.

Each case runs the real commands as subprocesses (tests/reliability.py: memory and time
limits, peak memory) against a real Mosquitto on a free loopback port, and reports the exit
code of the command under test, its seconds and peak memory, and what ended up in the store.
`bench/reliability_table.py --live` prints them; with ``PARKTWIN_SOURCE`` set it runs another
checkout's code (e.g. main before the fixes) with the same cases.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import sqlite3
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from tests import mosquitto
from tests.reliability import Outcome, Running, parktwin, wait_for

LIMIT_S = 40.0
BUILDING = "f1"


@dataclass
class Row:
    """One line of the table: the command's outcome and what the store holds."""

    outcome: Outcome
    stored: str = "-"


def _counts(path: Path) -> str:
    """``stored/rejected, reject rows, MB`` read with plain sqlite (either code's store)."""
    if not path.exists():
        return "no store"
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
        counters = dict(db.execute("SELECT name, value FROM counters").fetchall())
        rows = db.execute("SELECT COUNT(*) FROM rejects").fetchone()[0]
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1024**2
    stored, rejected = counters["stored"], counters["rejected"]
    return f"{stored} stored, {rejected} rejected, {rows} reject rows, {size:.1f} MB"


def _stored(path: Path) -> int:
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT value FROM counters WHERE name='stored'").fetchone()[0])
    except sqlite3.Error:
        return -1


def _publish(url: str, payloads: list[tuple[str, str]], prefix: str = "parktwin") -> None:
    host, port = url.removeprefix("mqtt://").split(":")
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.connect(host, int(port))
    client.loop_start()
    infos = [client.publish(f"{prefix}/{s}", body, qos=1) for s, body in payloads]
    for info in infos:
        info.wait_for_publish(timeout=60)
    client.disconnect()
    client.loop_stop()


def _reading(k: int, time_text: str | None = None) -> str:
    moment = time_text or (datetime(2026, 1, 5, 8) + timedelta(seconds=k)).isoformat()
    return json.dumps({"time": moment, "asset": BUILDING, "quantity": "power_kw", "value": k})


def _live(url: str, path: Path, *extra: str) -> Running:
    return Running(["live", "demo-small", "--broker", url, "--store", str(path), *extra])


def _feed_then_stop(
    folder: Path, payloads: list[tuple[str, str]], expect: int, *extra: str, first: int = 0
) -> Row:
    """Start the twin, publish (the `first` payloads alone, stored before the others), wait
    for `expect` stored (or the limit), SIGTERM, measure."""
    broker = mosquitto.Mosquitto(folder / "broker").start()
    path = folder / "live.db"
    try:
        twin = _live(broker.url, path, *extra)
        wait_for(lambda: _stored(path) >= 0 or _ended(twin), 20)
        time.sleep(1.0)  # subscribed
        if first:
            _publish(broker.url, payloads[:first])
            wait_for(lambda: _stored(path) >= first or _ended(twin), LIMIT_S)
        _publish(broker.url, payloads[first:])
        wait_for(lambda: _stored(path) >= expect or _ended(twin), LIMIT_S)
        twin.send(signal.SIGTERM)
        return Row(twin.finish(LIMIT_S), _counts(path))
    finally:
        broker.stop()


def _ended(running: Running) -> bool:
    """Whether the command has exited (without reaping it: its outcome is read later)."""
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    return os.waitid(os.P_PID, running.pid, flags) is not None


def poison_digits(folder: Path) -> Row:
    body = _reading(0).replace('"value": 0', '"value": ' + "9" * 400)
    good = [("meters", _reading(k)) for k in range(1, 101)]
    return _feed_then_stop(folder, [("meters", body), *good], 100)


def poison_time(folder: Path) -> Row:
    good = [("meters", _reading(k)) for k in range(1, 101)]
    return _feed_then_stop(folder, [("meters", _reading(0, "0001-01-01T00:00+14:00")), *good], 100)


def flood_arrays(folder: Path) -> Row:
    arrays = [("meters", json.dumps([0] * 349_000)) for _ in range(5)]
    return _feed_then_stop(folder, [*arrays, ("meters", _reading(1))], 1)


def flood_messages(folder: Path) -> Row:
    junk = [("meters", f"{k}:" + "x" * 1000) for k in range(30_000)]
    return _feed_then_stop(folder, [*junk, ("meters", _reading(1))], 1)


def second_live(folder: Path) -> Row:
    broker = mosquitto.Mosquitto(folder / "broker").start()
    path = folder / "live.db"
    try:
        first = _live(broker.url, path)
        wait_for(lambda: _stored(path) >= 0, 20)
        second = _live(broker.url, path).finish(15.0)
        first.send(signal.SIGTERM)
        first.finish(LIMIT_S)
        return Row(second, _counts(path))
    finally:
        broker.stop()


def wildcard_prefix(folder: Path) -> Row:
    broker = mosquitto.Mosquitto(folder / "broker").start()
    try:
        path = folder / "live.db"
        outcome = _live(broker.url, path, "--topic-prefix", "a/+/b").finish(15.0)
        return Row(outcome, _counts(path))
    finally:
        broker.stop()


def replay_batch(folder: Path) -> Row:
    from twin.io.bundled import data_root

    sensors = data_root() / "assets" / "sensors" / "yen-binh"
    broker = mosquitto.Mosquitto(folder / "broker").start()
    path = folder / "live.db"
    try:
        twin = Running(["live", "yen-binh", "--broker", broker.url, "--store", str(path)])
        wait_for(lambda: _stored(path) >= 0, 20)
        time.sleep(1.0)
        done = parktwin("replay", sensors, "--broker", broker.url, "--batch", "20000", timeout=120)
        published = int(done.stdout.split()[1]) if done.code == 0 else -1
        wait_for(lambda: _stored(path) >= published, LIMIT_S)
        twin.send(signal.SIGTERM)
        twin.finish(LIMIT_S)
        return Row(done, f"published {published}; " + _counts(path))
    finally:
        broker.stop()


def nowcast_catch_up(folder: Path, every: str = "1") -> Row:
    old = _reading(1, "1990-01-01T00:00")
    now = _reading(2, datetime.now().replace(microsecond=0).isoformat())
    good = [("meters", _reading(k)) for k in range(3, 23)]
    return _feed_then_stop(
        folder, [("meters", old), ("meters", now), *good], 22,
        "--nowcast-every", every, "-r", "1", "--hours", "0.25", first=1,
    )  # fmt: skip


def _store_with_alarm(folder: Path, expected_h: float) -> Path:
    from twin.live.store import Store  # the current code writes it: the same format as before

    path = folder / "live.db"
    Store.open(path).close()
    with sqlite3.connect(path) as db:  # as the old feed stored it (it accepted any number)
        db.execute(
            "INSERT INTO alarms (key, t, asset, event, expected_h, received) "
            "VALUES (x'00', 1767600000, 'fd1', 'outage_start', ?, 0)",
            (expected_h,),
        )
    return path


def state_huge_alarm(folder: Path) -> Row:
    path = _store_with_alarm(folder, 1e308)
    return Row(parktwin("state", "demo-small", "--store", path, timeout=LIMIT_S))


def state_year_1(folder: Path) -> Row:
    path = _store_with_alarm(folder, 1.0)
    return Row(parktwin("state", "demo-small", "--store", path, "--at", "0001-01-01T00:00"))


def serve_text_store(folder: Path) -> Row:
    (folder / "notes.db").write_text("notes\n")
    outcome = parktwin("serve", "--store", folder / "notes.db", "--port", "0", timeout=15.0)
    return Row(outcome)


def health_under_idle(folder: Path) -> Row:
    """``serve`` at a 1024 open-file limit; 1,100 connections send half a request each."""
    port = mosquitto.free_port()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))
    prefix = ["prlimit", "--nofile=1024:1024"]
    server = Running(["serve", "--port", str(port), "--token", "a-long-token-here"], prefix=prefix)
    wait_for(lambda: _connects(port), 30)
    crowd = [socket.create_connection(("127.0.0.1", port)) for _ in range(1100)]
    for idle in crowd:
        idle.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    started, answer = time.monotonic(), "no answer"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/health",
        headers={"Authorization": "Bearer a-long-token-here"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as reply:
            answer = f"health {reply.status}"
    except OSError as exc:
        answer = f"health: {type(exc).__name__}"
    answer += f" after {time.monotonic() - started:.1f} s"
    for idle in crowd:
        idle.close()
    server.send(signal.SIGTERM)
    outcome = server.finish(LIMIT_S)
    return Row(outcome, f"{answer}; stderr {len(outcome.stderr) / 1024:.0f} kB")


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


LIVE_CASES: dict[str, Callable[[Path], Row]] = {
    "1. 400-digit value, then 100 good": poison_digits,
    "1. time 0001-01-01T00:00+14:00, then 100 good": poison_time,
    "2. state with an alarm of expected_h 1e308": state_huge_alarm,
    "3. five 1 MiB arrays of zeros": flood_arrays,
    "3. 30,000 bad messages of 1 kB": flood_messages,
    "4. second live on the same store": second_live,
    "5. /api/health under 1,100 idle connections": health_under_idle,
    "6. --topic-prefix a/+/b": wildcard_prefix,
    "7. replay --batch 20000": replay_batch,
    "8. --nowcast-every 1, a 1990 message then now": nowcast_catch_up,
    "8. --nowcast-every 5, a 1990 message then now": lambda f: nowcast_catch_up(f, "5"),
    "10. state --at 0001-01-01T00:00": state_year_1,
    "11. serve --store on a text file": serve_text_store,
}
