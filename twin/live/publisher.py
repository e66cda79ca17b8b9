"""``parktwin replay``: publish a recording to a broker as live messages, in time order.

Messages go out at QoS 1, one object each (or in arrays of `batch` objects), paced by `speed`
(park time per wall-clock time; None as fast as the broker takes them). At most
:data:`WINDOW` messages wait for the broker's acknowledgement at a time, so memory stays
bounded whatever the recording's length; while the broker is away paho reconnects (1 s up to
30 s) and the publisher waits, saying so on stderr.
"""

from __future__ import annotations

import json
import sys
import threading
import time as wallclock
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import paho.mqtt.client as paho

from twin.errors import UsageError
from twin.io.inputs import read_park
from twin.live.mqtt import Broker, make_client, parse_broker, reason_text
from twin.live.replay import Message, Pacer, sensor_messages
from twin.live.run import parse_speed
from twin.live.store import to_seconds
from twin.model.schema import Park

WINDOW = 1000
"""Messages published and not yet acknowledged by the broker, at most."""
CONNECT_TIMEOUT_S = 30.0


@dataclass
class Published:
    """What a replay to a broker sent."""

    messages: int = 0
    payloads: int = 0
    seconds: float = 0.0

    @property
    def rate_per_s(self) -> float:
        """Messages per wall-clock second."""
        return self.messages / self.seconds if self.seconds > 0 else float("nan")


class Publisher:
    """A paho client that publishes messages under a prefix and waits for their PUBACKs."""

    def __init__(self, broker: Broker, prefix: str, client_id: str, log: TextIO) -> None:
        self.broker = broker
        self.prefix = prefix.strip("/")
        self.log = log
        self.client = make_client(broker, client_id)
        self.client.max_inflight_messages_set(100)
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.connected = threading.Event()
        self.refused: str | None = None
        self.waiting: deque[paho.MQTTMessageInfo] = deque()

    def __enter__(self) -> Publisher:
        try:
            self.client.connect(self.broker.host, self.broker.port, 30)
        except OSError as exc:
            raise UsageError(f"`broker` {self.broker.url}: cannot connect ({exc})") from None
        self.client.loop_start()
        if not self.connected.wait(CONNECT_TIMEOUT_S) or self.refused:
            self.client.loop_stop()
            why = self.refused or f"no answer in {CONNECT_TIMEOUT_S:g} s"
            raise UsageError(f"`broker` {self.broker.url}: {why}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def send(self, suffix: str, payload: str, stop: threading.Event) -> None:
        """Publish one payload; waits while too many are unacknowledged."""
        info = self.client.publish(f"{self.prefix}/{suffix}", payload, qos=1)
        self.waiting.append(info)
        while len(self.waiting) > WINDOW and not stop.is_set():
            self._wait_oldest(stop)

    def drain(self, stop: threading.Event) -> None:
        """Wait until the broker has acknowledged everything sent."""
        while self.waiting and not stop.is_set():
            self._wait_oldest(stop)

    def _wait_oldest(self, stop: threading.Event) -> None:
        oldest = self.waiting[0]
        try:
            oldest.wait_for_publish(timeout=0.5)
        except (RuntimeError, ValueError):  # paho: not queued (the connection was lost)
            stop.wait(0.1)
            return
        if oldest.is_published():
            self.waiting.popleft()

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            self.refused = reason_text(reason)
        elif self.connected.is_set():
            print(f"parktwin: reconnected to {self.broker.url}", file=self.log, flush=True)
        self.connected.set()

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            print(
                f"parktwin: lost the broker {self.broker.url} ({reason_text(reason)}); "
                "reconnecting",
                file=self.log,
                flush=True,
            )


def publish_recording(
    messages: Iterable[Message],
    broker: Broker,
    *,
    prefix: str = "parktwin",
    speed: float | None = None,
    batch: int = 1,
    stop: threading.Event | None = None,
    client_id: str = "",
    log: TextIO | None = None,
) -> Published:
    """Publish (topic suffix, message) pairs to the broker in order.

    Args:
        messages: The messages, in time order (e.g. :func:`twin.live.replay.sensor_messages`).
        broker: Where to publish.
        prefix: The topic prefix.
        speed: Park time per wall-clock time; None as fast as it goes.
        batch: Objects per MQTT message (1: single objects; more: JSON arrays of one topic).
        stop: Set it to end early (what was sent is still drained).
        client_id: The MQTT client id ("" lets the broker choose).
        log: Where connection changes are reported.

    Returns:
        How many messages and payloads were published, and how long it took.
    """
    if batch < 1:
        raise UsageError(f"`batch` must be at least 1, got {batch}")
    halt = stop or threading.Event()
    pacer = Pacer(speed, halt)
    done = Published()
    started = wallclock.monotonic()
    pending: dict[str, list[dict[str, Any]]] = {}
    with Publisher(broker, prefix, client_id, log or sys.stderr) as publisher:

        def send(suffix: str) -> None:
            items = pending.pop(suffix, [])
            if items:
                body = items[0] if batch == 1 else items
                publisher.send(suffix, json.dumps(body, ensure_ascii=False), halt)
                done.payloads += 1
                done.messages += len(items)

        for suffix, item in messages:
            if halt.is_set():
                break
            wait = pacer.wait_s(to_seconds(datetime.fromisoformat(item["time"])))
            if wait > 0:
                for name in list(pending):
                    send(name)
                pacer.sleep(wait)
            pending.setdefault(suffix, []).append(item)
            if len(pending[suffix]) >= batch:
                send(suffix)
        for name in list(pending):
            send(name)
        publisher.drain(halt)
    done.seconds = wallclock.monotonic() - started
    return done


def replay_to_broker(
    park: str | Path | Park | None,
    sensor_dir: str | Path,
    broker: str,
    *,
    speed: str | None = None,
    prefix: str = "parktwin",
    batch: int = 1,
    username: str | None = None,
    password: str | None = None,
    tls_ca: str | None = None,
    stop: threading.Event | None = None,
) -> Published:
    """``parktwin replay``: publish a sensor folder to a broker, in time order.

    Args:
        park: Park source whose ids the recording uses (default: the bundled park).
        sensor_dir: The recording (a sensor folder).
        broker: ``mqtt://HOST:PORT`` or ``mqtts://HOST:PORT``.
        speed: ``--speed`` text: park time per wall time, or ``max``/None.
        prefix: ``--topic-prefix``.
        batch: Objects per MQTT message.
        username: ``--username``.
        password: ``--password`` (else ``PARKTWIN_MQTT_PASSWORD``).
        tls_ca: ``--tls-ca``.
        stop: Ends the replay when set (the command line sets it on SIGINT and SIGTERM).
    """
    source = read_park(park)
    address = parse_broker(broker, username, password, tls_ca)
    pace = parse_speed(speed)
    messages = sensor_messages(source, sensor_dir)
    halt = stop or threading.Event()
    return publish_recording(messages, address, prefix=prefix, speed=pace, batch=batch, stop=halt)
