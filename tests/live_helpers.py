"""Shared by the live-twin tests: sensor messages, hostile payloads and broker helpers.

The broker helpers import paho when called, so that tests without a broker can use the rest.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.mosquitto import wait_for
from twin.io.bundled import data_root
from twin.io.load import load_park
from twin.live.store import Store

PARK = load_park("demo-small")
FLOW = PARK.logistics.flows[0].id
BUILDING = next(b.id for b in PARK.buildings if b.power is not None)
FEEDER = PARK.power.feeders[0].id if PARK.power is not None else None
REPO = Path(__file__).resolve().parent.parent


def reading(k: int) -> dict[str, Any]:
    """The k-th of a meter's readings, one a second (each one a different fact)."""
    time_k = datetime(2026, 1, 5, 8, 0) + timedelta(seconds=k)
    return {"time": time_k.isoformat(), "asset": BUILDING, "quantity": "power_kw", "value": k}


def meter(value: Any, time: str = "2026-01-05T08:00") -> dict[str, Any]:
    return {"time": time, "asset": BUILDING, "quantity": "power_kw", "value": value}


def alarm(expected_h: Any, time: str = "2026-01-05T08:00") -> dict[str, Any]:
    return {"time": time, "asset": FEEDER, "event": "outage_start", "expected_h": expected_h}


def truck(truck_id: str) -> str:
    """A truck message with `truck_id` written into the JSON as given."""
    head = '{"time": "2026-01-05T08:00", "truck_id": '
    return head + truck_id + f', "flow": "{FLOW}", "event": "arrive"}}'


def digits(n: int) -> str:
    return json.dumps(meter(0)).replace('"value": 0', '"value": ' + "9" * n)


POISON = {
    "400-digit value": ("meters", digits(400)),
    "5000-digit value": ("meters", digits(5000)),
    "year 1 at +14:00": ("meters", json.dumps(meter(1.0, "0001-01-01T00:00+14:00"))),
    "year 9999 at -12:00": ("meters", json.dumps(meter(1.0, "9999-12-31T23:59-12:00"))),
    "lone surrogate id": ("trucks", truck('"\\ud800"')),
    "expected_h 1e308": ("alarms", json.dumps(alarm(1e308))),
    "expected_h 99999999": ("alarms", json.dumps(alarm(99999999))),
    "value 1e308": ("meters", json.dumps(meter(1e308))),
    "1 MB truck id": ("trucks", truck('"' + "x" * 10**6 + '"')),
    "deep nesting": ("meters", "[" * 100_000 + "]" * 100_000),
}


def client(url: str, client_id: str = "") -> Any:
    """A paho MQTT v5 client connected to the broker at `url`, its loop running."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    from twin.live.mqtt import parse_broker

    address = parse_broker(url)
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    c.connect(address.host, address.port)
    c.loop_start()
    return c


def publish_all(url: str, payloads: list[tuple[str, str]], retain: bool = False) -> None:
    """Publish at QoS 1 and wait until the broker has every one."""
    c = client(url)
    infos = [
        c.publish(f"parktwin/{suffix}", body, qos=1, retain=retain) for suffix, body in payloads
    ]
    for info in infos:
        info.wait_for_publish(timeout=30)
    c.disconnect()
    c.loop_stop()


def stored(path: Path) -> int:
    """How many messages the store holds."""
    with Store.open(path, read_only=True) as store:
        return store.counts()["stored"]


def retained_status(url: str) -> dict[str, Any]:
    """The status message the twin left retained on the broker."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    from twin.live.mqtt import parse_broker

    got: list[dict[str, Any]] = []
    c = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    c.on_message = lambda cl, u, m: got.append(json.loads(m.payload))
    address = parse_broker(url)
    c.connect(address.host, address.port)
    c.subscribe("parktwin/status", qos=1)
    c.loop_start()
    wait_for(lambda: bool(got), 10)
    c.disconnect()
    c.loop_stop()
    return got[-1]


def one_day_of_sample(folder: Path) -> Path:
    """The sample's first day, as a sensor folder (written here with the csv module)."""
    folder.mkdir()
    for name, column in (("meters.csv", "timestamp"), ("trucks.csv", "depart")):
        with open(data_root() / "assets" / "sensors" / "yen-binh" / name, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        keep = [r for r in rows if (r[column] or "9")[:10] <= "2026-01-05"]
        with open(folder / name, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(keep)
    return folder
