"""The MQTT feed against a real Mosquitto on a free loopback port: validation and duplicates
through the broker, status with last will, kill -9 of the twin, broker killed and restarted
mid-feed, SIGTERM, and `parktwin replay` into `parktwin live`."""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from console.errors import message as cli_message
from tests import mosquitto
from tests.live_helpers import (
    REPO,
    one_day_of_sample,
    publish_all,
    reading,
    retained_status,
    stored,
)
from tests.mosquitto import PARKTWIN, start_live, wait_connected, wait_for
from twin.errors import UsageError
from twin.io.load import load_park
from twin.live.store import Store

paho = pytest.importorskip("paho.mqtt.client")
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

from twin.live.feed import Feed  # noqa: E402
from twin.live.ingest import BATCH_SIZE  # noqa: E402
from twin.live.mqtt import make_client, parse_broker  # noqa: E402

pytestmark = pytest.mark.skipif(not mosquitto.available(), reason="mosquitto is not installed")

PARK = load_park("demo-small")
FLOW = PARK.logistics.flows[0]


class FeedThread:
    """The library feed in a thread, as the CLI runs it in the main one."""

    def __init__(self, url: str, path: Path) -> None:
        self.stop = threading.Event()
        self.store = Store.open(path)
        self.log = io.StringIO()
        self.feed = Feed(PARK, self.store, parse_broker(url), stop=self.stop, log=self.log)
        self.result: dict[str, Any] = {}
        self.thread = threading.Thread(target=lambda: self.result.update(stats=self.feed.run()))

    def __enter__(self) -> FeedThread:
        self.thread.start()
        wait_for(lambda: "connected to" in self.log.getvalue(), 20)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.store.close()


def test_feed_validates_dedupes_and_reports_status(
    broker: mosquitto.Mosquitto, tmp_path: Path
) -> None:
    good = [("meters", json.dumps(reading(k))) for k in range(300)]
    batch = ("meters", json.dumps([reading(k) for k in range(300, 400)]))
    late = ("meters", json.dumps({**reading(-60), "value": 0.5}))  # earlier: placed in time
    again = good[:50]  # redelivered / replayed
    bad = [
        ("meters", "{not json"),
        ("meters", json.dumps({**reading(0), "asset": "nowhere"})),
        (
            "trucks",
            json.dumps(
                {"time": "2026-01-05T08:00", "truck_id": "T1", "flow": "?", "event": "arrive"}
            ),
        ),
        ("meters", json.dumps({**reading(1), "time": "1066-10-14T09:00"})),
        ("meters", json.dumps({**reading(2), "value": "lots"})),
        ("weather", json.dumps({"time": "2026-01-05T08:00"})),
    ]
    path = tmp_path / "live.db"
    with FeedThread(broker.url, path) as running:
        assert retained_status(broker.url)["state"] == "online"
        publish_all(broker.url, [*good, batch, late, *again, *bad])
        wait_for(lambda: running.store.counts()["stored"] == 401)
        wait_for(lambda: running.store.counts()["rejected"] == 5)
        counts = running.store.counts()
        readings = running.store.meter_readings()
    # 'weather' is not subscribed to: the broker never sends it.
    assert counts == {"stored": 401, "rejected": 5, "duplicates": 50}
    assert [r.value for r in readings] == [0.5, *range(400)]  # in time order
    stats = running.result["stats"]
    assert stats.messages == 300 + 1 + 1 + 50 + 5 and stats.stored == 401
    status = retained_status(broker.url)
    assert status["state"] == "offline"  # a clean stop says so itself


@pytest.mark.system
def test_status_has_a_last_will(broker: mosquitto.Mosquitto, tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    twin = start_live(broker.url, path, "--client-id", "will-test")
    try:
        wait_for(lambda: retained_status(broker.url)["state"] == "online", 20)
    finally:
        twin.kill()
        twin.communicate(timeout=10)
    wait_for(lambda: retained_status(broker.url)["state"] == "offline", 20)


@pytest.mark.system
def test_kill_9_loses_nothing_acknowledged(broker: mosquitto.Mosquitto, tmp_path: Path) -> None:
    """Every message is in the store or still held by the broker for the twin's session."""
    n = 30_000
    path = tmp_path / "live.db"
    twin = start_live(broker.url, path, "--client-id", "kill-test")
    wait_connected(twin)
    publisher = threading.Thread(
        target=publish_all,
        args=(broker.url, [("meters", json.dumps(reading(k))) for k in range(n)]),
    )
    publisher.start()
    wait_for(lambda: path.exists() and stored(path) > n // 10)
    twin.kill()  # SIGKILL, mid-feed
    twin.communicate(timeout=10)
    publisher.join(timeout=120)
    in_store = stored(path)
    assert 0 < in_store < n, "the kill did not land mid-feed"
    # Take over the twin's session: the broker sends what it still holds for it, i.e. every
    # message the twin did not acknowledge (in flight when it died, or queued since).
    held: list[float] = []
    taker = paho.Client(CallbackAPIVersion.VERSION2, client_id="kill-test", protocol=paho.MQTTv5)
    taker.on_message = lambda c, u, m: held.append(json.loads(m.payload)["value"])
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 3600
    address = parse_broker(broker.url)
    taker.connect(address.host, address.port, clean_start=False, properties=properties)
    taker.loop_start()
    quiet = 0
    while quiet < 20:  # two seconds without a new message
        before = len(held)
        time.sleep(0.1)
        quiet = quiet + 1 if len(held) == before else 0
    taker.disconnect()
    taker.loop_stop()
    acknowledged = n - len(held)
    print(
        f"kill -9: published {n}, stored {in_store}, redelivered {len(held)}, "
        f"acknowledged {acknowledged}"
    )
    with Store.open(path, read_only=True) as store:
        values = {r.value for r in store.meter_readings()}
    assert len(values) == in_store  # each stored once
    assert values | set(held) == set(range(n))  # nothing lost
    assert in_store >= acknowledged  # everything acknowledged is in the store
    # ... and what is in the store but was not acknowledged is at most the batch in hand.
    assert in_store - acknowledged == len(values & set(held)) <= BATCH_SIZE


@pytest.mark.system
def test_broker_killed_and_restarted_mid_feed(broker: mosquitto.Mosquitto, tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    with FeedThread(broker.url, path) as running:
        publish_all(broker.url, [("meters", json.dumps(reading(k))) for k in range(2000)])
        wait_for(lambda: running.store.counts()["stored"] == 2000)
        broker.kill()
        wait_for(
            lambda: (
                "lost the broker" in running.log.getvalue()
                or "disconnected" in running.log.getvalue()
            ),
            20,
        )
        time.sleep(1.5)  # the feed retries with backoff while the broker is down
        broker.start()
        wait_for(lambda: running.log.getvalue().count("connected to") >= 2, 60)
        publish_all(broker.url, [("meters", json.dumps(reading(k))) for k in range(2000, 5000)])
        wait_for(lambda: running.store.counts()["stored"] == 5000)
        log = running.log.getvalue()
    assert "unreachable" in log and "reconnecting in" in log, log
    assert running.result["stats"].stored == 5000


@pytest.mark.system
def test_sigterm_flushes_and_exits_0(broker: mosquitto.Mosquitto, tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    twin = start_live(broker.url, path, "--client-id", "term-test")
    wait_connected(twin)
    publish_all(broker.url, [("meters", json.dumps(reading(k))) for k in range(3000)])
    wait_for(lambda: stored(path) == 3000)
    twin.send_signal(signal.SIGTERM)
    _, err = twin.communicate(timeout=30)
    assert twin.returncode == 0, err
    assert "3000 stored" in err and "messages/s" in err
    assert retained_status(broker.url)["state"] == "offline"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mqtt://[::1", "is not mqtt://HOST"),  # urlsplit's own ValueError, not an internal error
        ("mqtts://user@[fe80::1%eth0:8883", "is not mqtt://HOST"),
        ("mqtt://127.0.0.1:99999", "bad port"),
    ],
)
def test_a_broker_url_that_does_not_parse_is_a_usage_error(url: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_broker(url)
    assert cli_message(caught.value).startswith("--broker: ") and says in str(caught.value)


@pytest.mark.system
def test_bad_broker_options_exit_2(tmp_path: Path) -> None:
    for args, says in (
        (["--broker", "http://x"], "is not mqtt://HOST"),
        (["--broker", "mqtt://h:1", "--replay", "x"], "either --broker URL or --replay"),
        ([], "either --broker URL or --replay"),
        (["--broker", "mqtt://127.0.0.1:1", "--speed", "5"], "--speed goes with --replay"),
        (["--broker", "mqtt://127.0.0.1:1", "--tls-ca", "/nonexistent"], "does not exist"),
    ):
        done = subprocess.run(
            [*PARKTWIN, "live", "--store", str(tmp_path / "s.db"), *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, (args, done.stderr)
        assert says in done.stderr and "Traceback" not in done.stderr


@pytest.mark.system
def test_replay_command_into_live_command(broker: mosquitto.Mosquitto, tmp_path: Path) -> None:
    sensors = one_day_of_sample(tmp_path / "day")
    path = tmp_path / "live.db"
    twin = start_live(broker.url, path, park="yen-binh")
    wait_connected(twin)
    done = subprocess.run(
        [*PARKTWIN, "replay", str(sensors), "--broker", broker.url, "--batch", "7"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    published = int(done.stdout.split()[1])
    wait_for(lambda: stored(path) == published)
    twin.send_signal(signal.SIGINT)
    twin.communicate(timeout=30)
    assert twin.returncode == 0
    # The same messages as a broker-free replay of the folder.
    direct = subprocess.run(
        [
            *PARKTWIN,
            "live",
            "yen-binh",
            "--replay",
            str(sensors),
            "--store",
            str(tmp_path / "d.db"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert direct.returncode == 0, direct.stderr
    with Store.open(path, read_only=True) as a, Store.open(tmp_path / "d.db", read_only=True) as b:
        assert a.truck_events() == b.truck_events()
        assert a.meter_readings() == b.meter_readings()
    assert published > 1000


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
@pytest.mark.system
def test_feed_over_tls(tmp_path: Path) -> None:
    """mqtts:// with a CA file: the burst reads also drain what TLS has already decrypted."""
    server = mosquitto.Mosquitto(tmp_path / "tls", tls=True).start()
    try:
        address = parse_broker(server.url, ca_file=str(server.ca_file))
        store = Store.open(tmp_path / "live.db")
        stop = threading.Event()
        log = io.StringIO()
        feed = Feed(PARK, store, address, stop=stop, log=log)
        worker = threading.Thread(target=feed.run)
        worker.start()
        wait_for(lambda: "connected to mqtts://" in log.getvalue(), 20)
        sender = make_client(address, "tls-publisher")
        sender.connect(address.host, address.port)
        sender.loop_start()
        infos = [
            sender.publish("parktwin/meters", json.dumps(reading(k)), qos=1) for k in range(5000)
        ]
        for info in infos:
            info.wait_for_publish(timeout=30)
        sender.disconnect()
        sender.loop_stop()
        wait_for(lambda: store.counts()["stored"] == 5000)
        stop.set()
        worker.join(timeout=30)
        store.close()
    finally:
        server.stop()
    assert not worker.is_alive()
