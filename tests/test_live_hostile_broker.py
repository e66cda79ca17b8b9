"""The live twin under hostile input through a real Mosquitto: poison messages, floods, a second
twin on the same store, bad topic prefixes, large replay batches and a nowcast schedule that
must catch up in one step. Each runs `parktwin` as a subprocess, as an operator would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests import mosquitto
from tests.live_helpers import (
    BUILDING,
    POISON,
    REPO,
    one_day_of_sample,
    publish_all,
    reading,
    retained_status,
    stored,
)
from tests.mosquitto import PARKTWIN, start_live, wait_connected, wait_for
from tests.reliability import in_small_filesystem
from twin.io.bundled import data_root
from twin.live.store import REJECT_LIMITS, Store

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(not mosquitto.available(), reason="mosquitto is not installed"),
]


def stop(twin: subprocess.Popen[str]) -> str:
    twin.send_signal(signal.SIGTERM)
    _, err = twin.communicate(timeout=60)
    assert twin.returncode == 0, err[-3000:]
    return err


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PARKTWIN, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    for word in words:
        assert word in done.stderr, (word, done.stderr[-3000:])


# --------------------------------------------------------------------------- 1, 2: poison


def test_poison_messages_cost_one_reject_each_and_the_feed_goes_on(
    broker: mosquitto.Mosquitto,
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.db"
    twin = start_live(broker.url, path)
    wait_connected(twin)
    poison = [payload for payload in POISON.values()]
    after = [("meters", json.dumps(reading(k))) for k in range(100)]
    publish_all(broker.url, [*poison, *after])
    wait_for(lambda: stored(path) == 100, 60)
    assert twin.poll() is None, "the twin stopped"
    err = stop(twin)
    assert "Traceback" not in err
    with Store.open(path, read_only=True) as store:
        assert store.counts() == {"stored": 100, "rejected": len(poison), "duplicates": 0}
        assert len(store.rejects(limit=1000)) == len(poison)
    assert run("state", "demo-small", "--store", str(path), "--json").returncode == 0


def test_the_largest_values_the_feed_accepts_are_read_by_every_reader(
    broker: mosquitto.Mosquitto,
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.db"
    twin = start_live(broker.url, path)
    wait_connected(twin)
    now = datetime.now().replace(microsecond=0).isoformat()
    alarm = {"time": now, "asset": "fd1", "event": "outage_start", "expected_h": 87600}
    big = [{"time": now, "asset": a, "quantity": "power_kw", "value": 1e9} for a in ("f1", "f2")]
    publish_all(broker.url, [("alarms", json.dumps(alarm)), ("meters", json.dumps(big))])
    wait_for(lambda: stored(path) == 3, 60)
    stop(twin)
    state = run("state", "demo-small", "--store", str(path), "--json")
    assert state.returncode == 0, state.stderr
    assert json.loads(state.stdout)["outages"][0]["asset"] == "fd1"
    nowcast = run("nowcast", "demo-small", "--store", str(path), "-r", "1", "--hours", "0.5")
    assert nowcast.returncode == 0, nowcast.stderr


# --------------------------------------------------------------------------- 3: floods


def test_a_flood_of_bad_messages_keeps_the_store_small(
    broker: mosquitto.Mosquitto,
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.db"
    twin = start_live(broker.url, path)
    wait_connected(twin)
    zeros = json.dumps([0] * 500_000)  # 1.5 MB: refused unread; then just under 1 MiB
    arrays = [("meters", zeros), *[("meters", json.dumps([0] * 349_000)) for _ in range(5)]]
    junk = [("meters", f"{k}:" + "x" * 2000) for k in range(12_000)]
    publish_all(broker.url, [*arrays, *junk, ("meters", json.dumps(reading(1)))])
    wait_for(lambda: stored(path) == 1, 120)
    status = retained_status(broker.url)
    stop(twin)
    with Store.open(path, read_only=True) as store:
        counts = store.counts()
        kept = store.rejects(limit=100_000)
    assert counts["rejected"] == 1 + 5 * 349_000 + 12_000
    assert len(kept) == REJECT_LIMITS["rows_kept"]
    size_mb = sum(p.stat().st_size for p in tmp_path.glob("live.db*")) / 1024**2
    assert size_mb < 30, size_mb
    assert status["reject_limits"] == REJECT_LIMITS


# --------------------------------------------------------------------------- 4: one writer


def test_a_second_live_on_the_same_store_is_refused(
    broker: mosquitto.Mosquitto,
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.db"
    first = start_live(broker.url, path)
    wait_connected(first)
    second = run("live", "demo-small", "--broker", broker.url, "--store", str(path))
    refused(second, str(path), "one writer")
    publish_all(broker.url, [("meters", json.dumps(reading(k))) for k in range(50)])
    wait_for(lambda: stored(path) == 50, 60)
    err = stop(first)
    assert "dropped" not in err and "disconnected" not in err, err


def test_two_twins_with_one_client_id_back_off(
    broker: mosquitto.Mosquitto,
    tmp_path: Path,
) -> None:
    """Two stores, one --client-id: the broker drops each when the other connects. Backoff
    keeps the fight to a few reconnects, and the message says why."""
    twins = [start_live(broker.url, tmp_path / f"{n}.db", "--client-id", "same") for n in "ab"]
    time.sleep(15)
    errs = [stop(twin) for twin in twins]
    reconnects = sum(err.count("connected to") for err in errs)
    assert reconnects < 30, reconnects
    assert any("another client using the client id same" in err for err in errs), errs


# --------------------------------------------------------------------------- 6: prefixes


@pytest.mark.parametrize(
    ("prefix", "says"),
    [("#", "wildcard"), ("+", "wildcard"), ("a/+/b", "wildcard"), ("x" * 70_000, "at most")],
)
def test_a_bad_topic_prefix_is_refused(
    broker: mosquitto.Mosquitto,
    tmp_path: Path,
    prefix: str,
    says: str,
) -> None:
    path = tmp_path / "live.db"
    done = run("live", "--broker", broker.url, "--store", str(path), "--topic-prefix", prefix)
    refused(done, "--topic-prefix", says)
    assert not path.exists()
    sensors = one_day_of_sample(tmp_path / "day")
    refused(run("replay", str(sensors), "--broker", broker.url, "--topic-prefix", prefix), says)


# --------------------------------------------------------------------------- 7: replay batches


def test_replay_with_a_huge_batch_loses_nothing(
    broker: mosquitto.Mosquitto,
    tmp_path: Path,
) -> None:
    sensors = data_root() / "assets" / "sensors" / "yen-binh"  # 56,078 messages: 4 arrays
    path = tmp_path / "live.db"
    twin = start_live(broker.url, path, park="yen-binh")
    wait_connected(twin)
    done = run("replay", str(sensors), "--broker", broker.url, "--batch", "20000", timeout=300)
    assert done.returncode == 0, done.stderr
    published = int(done.stdout.split()[1])
    wait_for(lambda: stored(path) == published, 300)
    stop(twin)
    with Store.open(path, read_only=True) as store:
        assert store.counts()["rejected"] == 0
    assert published > 50_000


# --------------------------------------------------------------------------- 8: catch-up


def test_nowcast_every_has_a_lower_bound(tmp_path: Path) -> None:
    for every in ("1", "0.001", "-5", "nan"):
        done = run("live", "--broker", "mqtt://127.0.0.1:1", "--store", str(tmp_path / "s.db"),
                   "--nowcast-every", every)  # fmt: skip
        refused(done, "--nowcast-every")


def test_a_1990_message_then_a_current_one_does_not_freeze_the_feed(
    broker: mosquitto.Mosquitto,
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.db"
    twin = start_live(broker.url, path, "--nowcast-every", "5", "-r", "1", "--hours", "0.25")
    wait_connected(twin)
    now = datetime.now().replace(microsecond=0)
    old = {"time": "1990-01-01T00:00", "asset": BUILDING, "quantity": "power_kw", "value": 1}
    publish_all(broker.url, [("meters", json.dumps(old))])
    wait_for(lambda: stored(path) == 1, 30)
    fresh = {**old, "time": now.isoformat()}
    started = time.monotonic()
    publish_all(broker.url, [("meters", json.dumps(fresh))])
    wait_for(lambda: stored(path) == 2, 30)
    publish_all(broker.url, [("meters", json.dumps(reading(k))) for k in range(20)])
    wait_for(lambda: stored(path) == 22, 60)
    seconds = time.monotonic() - started
    stopping = time.monotonic()
    stop(twin)
    assert seconds < 30 and time.monotonic() - stopping < 30


# --------------------------------------------------------------------------- 11: stores


def test_live_on_a_damaged_store_is_refused_naming_it(
    broker: mosquitto.Mosquitto,
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.db"
    with Store.open(path) as store:
        store.ingest([])
    data = bytearray(path.read_bytes())
    for i in range(4096, len(data), 5):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    refused(run("live", "--broker", broker.url, "--store", str(path)), str(path))
    refused(run("state", "--store", str(path)), str(path))


@pytest.mark.parametrize("content", [b"notes\n", None])
def test_serve_refuses_a_file_that_is_no_store(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "other.db"
    if content is None:
        import sqlite3

        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE t (x)")
    else:
        path.write_bytes(content)
    refused(run("serve", "--store", str(path), "--port", "0"), str(path), "not a parktwin store")


def test_a_store_on_read_only_media_is_read(tmp_path: Path) -> None:
    """A store written, then its disk remounted read-only: `state` reads it (no -shm file)."""
    prefix = in_small_filesystem("8m")
    if prefix is None:
        pytest.skip("needs user namespaces to mount a private tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    store = disk / "live.db"
    command = " ".join(PARKTWIN)
    script = (
        f'{command} live yen-binh --replay "$SENSORS" --store "$SCRATCH/live.db" >/dev/null 2>&1'
        ' && mount -o remount,ro "$SCRATCH" && '
        f'{command} state yen-binh --store "$SCRATCH/live.db" --json'
    )
    sensors = one_day_of_sample(tmp_path / "day")
    done = subprocess.run(
        [*prefix, "sh", "-c", script],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "SCRATCH": str(disk), "SENSORS": str(sensors)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["messages"]["stored"] > 0
    assert not store.exists()  # the disk was private to the command
