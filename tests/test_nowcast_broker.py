"""`parktwin live --broker ... --nowcast-every`: forecasts on the forecast topic of a real broker.

Mosquitto runs on a free loopback port; the twin runs as the command a user starts; a history
of the known park (tests/history.py) is published by `parktwin replay`; a subscriber then gets
the retained forecast and the alerts, and the store holds what was published.
"""

from __future__ import annotations

import json
import signal
import subprocess
from typing import Any

import pytest

from tests import mosquitto
from tests.history import known_park, write_history
from tests.mosquitto import PARKTWIN, REPO, start_live, wait_connected, wait_for
from twin.live.store import Store

paho = pytest.importorskip("paho.mqtt.client")
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from twin.live.mqtt import parse_broker  # noqa: E402

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(not mosquitto.available(), reason="mosquitto is not installed"),
]


def subscribe(url: str, topics: list[str]) -> tuple[Any, list[tuple[str, dict[str, Any], bool]]]:
    """A subscriber collecting (topic, message, retained) of `topics`."""
    got: list[tuple[str, dict[str, Any], bool]] = []
    c = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    c.on_message = lambda cl, u, m: got.append((m.topic, json.loads(m.payload), m.retain))
    address = parse_broker(url)
    c.connect(address.host, address.port)
    for topic in topics:
        c.subscribe(topic, qos=1)
    c.loop_start()
    return c, got


def test_live_feed_publishes_retained_forecasts_and_alerts(broker, tmp_path):
    park = tmp_path / "known.json"
    park.write_text(known_park().model_dump_json(by_alias=True, exclude_none=True))
    sensors = write_history(tmp_path / "sensors", days=1, seed=21)
    path = tmp_path / "live.db"
    twin = start_live(
        broker.url, path, "--nowcast-every", "120", "--hours", "1", "-r", "2",
        "--alert", "trucks.in_park=0", park=str(park),
    )  # fmt: skip
    try:
        wait_connected(twin)
        listener, got = subscribe(broker.url, ["parktwin/forecast", "parktwin/alerts"])
        done = subprocess.run(
            [*PARKTWIN, "replay", str(sensors), "--broker", broker.url, "--park", str(park),
             "--speed", "20000"],
            cwd=REPO, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        wait_for(lambda: any(t == "parktwin/forecast" for t, _, _ in got), 60)
        wait_for(lambda: any(t == "parktwin/alerts" for t, _, _ in got), 60)
        listener.disconnect()
        listener.loop_stop()
    finally:
        twin.send_signal(signal.SIGINT)
        twin.communicate(timeout=60)
    assert twin.returncode == 0
    forecasts = [m for t, m, _ in got if t == "parktwin/forecast"]
    assert all(f["park"] == "known" and f["replications"] == 2 for f in forecasts)
    alerts = [m for t, m, _ in got if t == "parktwin/alerts"]
    assert all(a["series"] == "trucks.in_park" for a in alerts)
    # A subscriber that comes later gets the newest forecast at once: it is retained.
    late, retained = subscribe(broker.url, ["parktwin/forecast"])
    wait_for(lambda: bool(retained), 20)
    late.disconnect()
    late.loop_stop()
    with Store.open(path, read_only=True) as store:
        assert store.latest_forecast() == retained[0][1] and retained[0][2]
        assert len(store.alerts()) >= len(alerts)
