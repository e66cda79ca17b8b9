"""The MQTT adapter behind ``parktwin live``: broker messages into the store, acknowledged
only once committed.

One thread does everything: it runs paho's network loop, hands each message to the
:class:`~twin.live.ingest.Ingester`, commits in batches and then sends the acknowledgements
(QoS 1 PUBACKs) of that batch. A message is therefore acknowledged only when it is on disk; if
the twin dies before, the broker sends it again and its identity stores it once.

- **Session.** The client connects with ``clean_start=False``, a session expiry of a week and a
  fixed client id (by default derived from the store's path), so the broker keeps the
  subscriptions and queues messages while the twin is away (up to its ``max_queued_messages``).
- **Flow control.** MQTT 5 "receive maximum" tells the broker how many unacknowledged messages
  it may send: twice the batch size, so one batch commits while the next one arrives. A batch
  commits when it is full, when it has waited :data:`~twin.live.ingest.MAX_DELAY_S`, or as soon
  as the stream pauses (:data:`PAUSE_S`), so batches grow with the load and a quiet feed
  commits at once.
- **Reconnect.** When the broker goes away the feed commits what it has (without acknowledging:
  the broker resends it), says so on stderr and reconnects with exponential backoff (1 s up to
  30 s); a broker that drops the twin within :data:`STABLE_S` of connecting (another client
  with the same id, a refused topic) is also retried with that backoff, and the message says
  so. Credentials the broker refuses end the run (bad input).
- **Status.** ``P/status`` (retained) is ``{"state": "online", ...}`` with the ingest counters,
  the rate sustained over the last interval and the bounds of the rejects table
  (``reject_limits``), every 10 s; the last will (retained) says
  ``offline`` when the twin dies; a clean stop publishes ``offline`` itself.
- **Stop.** Setting `stop` (the CLI does on SIGINT/SIGTERM) commits, acknowledges, publishes
  ``offline``, disconnects and returns the counters.
"""

from __future__ import annotations

import hashlib
import json
import select
import sys
import threading
import time as wallclock
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import paho.mqtt.client as paho

from twin.errors import UsageError
from twin.io.inputs import read_park
from twin.live.ingest import BATCH_SIZE, Ingester, IngestStats, Job
from twin.live.messages import TOPICS, Validator
from twin.live.mqtt import (
    Broker,
    connect_properties,
    make_client,
    parse_broker,
    reason_text,
    topic_prefix,
)
from twin.live.run import Setup
from twin.live.store import REJECT_LIMITS, Store
from twin.model.schema import Park

PAUSE_S = 0.002
"""With messages waiting, a stream quiet this long commits them (the broker may be waiting
for our acknowledgements: its in-flight window is full)."""
IDLE_S = 0.05
READ_BURST = 256
"""Packets read per wake-up at most (then acknowledgements go out and the clock is checked)."""
STATUS_EVERY_S = 10.0
LOG_EVERY_S = 60.0
BACKOFF_S = (1.0, 30.0)
STABLE_S = 10.0
"""A connection that lasted less than this counts as dropped at once: the next reconnect
waits (backoff), so a broker that keeps dropping the twin is not hammered."""
SESSION_EXPIRY_S = 7 * 24 * 3600
KEEPALIVE_S = 30
FATAL_REASONS = ("Bad user name or password", "Not authorized", "Client identifier not valid")


def default_client_id(store_path: str | Path) -> str:
    """A client id that is the same every time the twin runs on the same store file."""
    digest = hashlib.sha1(str(Path(store_path).resolve()).encode("utf-8")).hexdigest()
    return f"parktwin-{digest[:12]}"


class Feed:
    """Follows a park from an MQTT broker into a store.

    Args:
        park: The park whose messages these are.
        store: The store, opened for writing.
        broker: Where to connect (:func:`twin.live.mqtt.parse_broker`).
        prefix: The topic prefix (SPEC.md: ``parktwin``).
        client_id: The MQTT client id; the broker keeps the session under it.
        stop: Set it to end :meth:`run`.
        batch_size: Messages per commit at most.
        log: Where connection changes and the ingest rate are reported.
    """

    def __init__(
        self,
        park: Park,
        store: Store,
        broker: Broker,
        *,
        prefix: str = "parktwin",
        client_id: str | None = None,
        stop: threading.Event | None = None,
        batch_size: int = BATCH_SIZE,
        log: TextIO | None = None,
    ) -> None:
        self.park = park
        self.store = store
        self.broker = broker
        self.prefix = topic_prefix(prefix)
        self.stop = stop or threading.Event()
        self.log = log or sys.stderr
        self.ingester = Ingester(store, Validator(park), batch_size=batch_size, log=self.log)
        self.client_id = client_id or default_client_id(store.path)
        self.client = make_client(broker, self.client_id, manual_ack=True)
        self._zone = ZoneInfo(park.park.timezone)
        self._since = self._now()
        self._fatal: str | None = None
        self._connected = False
        self._resumed = False
        self._connected_at = 0.0
        self._drop_delay = 0.0
        self._received = 0
        self._last_status = (wallclock.monotonic(), 0)
        self._last_log = wallclock.monotonic()
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.will_set(self.topic("status"), self._status("offline"), qos=1, retain=True)

    # ----------------------------------------------------------------------- hooks

    def topic(self, suffix: str) -> str:
        """The full topic of a suffix, e.g. ``parktwin/forecast``."""
        return f"{self.prefix}/{suffix}"

    def every(self, minutes: float, job: Job) -> None:
        """Run `job(at)` every `minutes` of park time (see :meth:`Ingester.every`)."""
        self.ingester.every(minutes, job)

    def publish(self, suffix: str, doc: Any, retain: bool = False) -> None:
        """Publish a JSON document on ``PREFIX/suffix`` at QoS 1 (queued while offline)."""
        payload = json.dumps(doc, ensure_ascii=False)
        self.client.publish(self.topic(suffix), payload, qos=1, retain=retain)

    # ----------------------------------------------------------------------- running

    def run(self) -> IngestStats:
        """Follow the broker until `stop` is set; the counters of the run.

        Raises:
            UsageError: The broker refused the credentials or the client id.
        """
        try:
            self._connect(first=True)
            while not self.stop.is_set():
                pending = self.ingester.pending
                rc = self._pump(PAUSE_S if pending else IDLE_S)
                if self._fatal is not None:
                    raise UsageError(f"`broker` {self.broker.url}: refused: {self._fatal}")
                if rc != paho.MQTT_ERR_SUCCESS:
                    self._commit(acknowledge=False)
                    self._after_drop(reason_text(rc))
                    self._connect(first=False)
                    continue
                paused = pending and self.ingester.pending == pending
                if paused or self.ingester.due():
                    self._commit()
                self._report()
        finally:
            self._close()
        return self.ingester.stats

    def _pump(self, timeout: float) -> paho.MQTTErrorCode:
        """One round of network work through paho's external-loop calls: wait up to `timeout`
        for data, read up to :data:`READ_BURST` packets while messages keep coming, write what
        is queued (acknowledgements), and keep the connection alive.

        paho's own ``loop()`` reads one packet per ``select``; reading a burst per wake-up is
        what lets one core keep up with a busy broker.
        """
        sock = self.client.socket()
        if sock is None:
            return paho.MQTT_ERR_NO_CONN
        buffered = getattr(sock, "pending", None)  # TLS: bytes already decrypted
        if not (buffered is not None and buffered() > 0):
            try:
                readable, _, _ = select.select([sock], [], [], timeout)
            except (OSError, ValueError):
                return paho.MQTT_ERR_CONN_LOST
            if not readable:
                return self._write_and_tick()
        for _ in range(READ_BURST):
            before = self._received
            rc = self.client.loop_read()
            if rc != paho.MQTT_ERR_SUCCESS:
                return rc
            if self._received == before:
                break
        return self._write_and_tick()

    def _write_and_tick(self) -> paho.MQTTErrorCode:
        if self.client.want_write():
            rc = self.client.loop_write()
            if rc != paho.MQTT_ERR_SUCCESS:
                return rc
        return self.client.loop_misc()

    def _connect(self, first: bool) -> None:
        delay = BACKOFF_S[0]
        properties = connect_properties(2 * self.ingester.batch_size, SESSION_EXPIRY_S)
        while not self.stop.is_set():
            try:
                if first:
                    self.client.connect(
                        self.broker.host,
                        self.broker.port,
                        KEEPALIVE_S,
                        clean_start=False,
                        properties=properties,
                    )
                else:
                    self.client.reconnect()
                return
            except (OSError, ValueError) as exc:
                self._say(
                    f"broker {self.broker.url} unreachable ({exc}); reconnecting in {delay:g} s"
                )
                self.stop.wait(delay)
                delay = min(2 * delay, BACKOFF_S[1])

    def _after_drop(self, reason: str) -> None:
        """Say the broker was lost; wait before reconnecting when it dropped us soon after
        connecting (1 s, doubling up to 30 s; a stable connection resets the wait)."""
        lasted = wallclock.monotonic() - self._connected_at
        if lasted >= STABLE_S:
            self._drop_delay = 0.0
            self._say(f"lost the broker {self.broker.url} ({reason})")
            return
        self._drop_delay = min(max(2 * self._drop_delay, BACKOFF_S[0]), BACKOFF_S[1])
        self._say(
            f"the broker {self.broker.url} dropped the twin {lasted:.1f} s after connecting "
            f"({reason}); is another client using the client id {self.client_id}? "
            f"reconnecting in {self._drop_delay:g} s"
        )
        self.stop.wait(self._drop_delay)

    def _commit(self, acknowledge: bool = True) -> None:
        tokens = self.ingester.flush()
        if not acknowledge:
            return
        for mid, qos in tokens:
            if qos > 0:
                self.client.ack(mid, qos)

    def _close(self) -> None:
        try:
            self._commit(acknowledge=self._connected)
        finally:
            if self._connected:
                info = self.client.publish(
                    self.topic("status"), self._status("offline"), qos=1, retain=True
                )
                deadline = wallclock.monotonic() + 2.0
                while not info.is_published() and wallclock.monotonic() < deadline:
                    if self.client.loop(timeout=0.05) != paho.MQTT_ERR_SUCCESS:
                        break
                self.client.disconnect()
            self._say(f"stopped: {self.ingester.stats.summary()}")

    # ----------------------------------------------------------------------- callbacks

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            text = reason_text(reason)
            if text in FATAL_REASONS:
                self._fatal = text
            self._say(f"broker {self.broker.url} refused the connection: {text}")
            return
        self._connected = True
        self._connected_at = wallclock.monotonic()
        self._resumed = bool(flags.session_present)
        client.subscribe([(self.topic(s), 1) for s in TOPICS])
        self.client.publish(self.topic("status"), self._status("online"), qos=1, retain=True)

    def _on_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        """Say the twin is connected once the broker has taken its subscription (SUBACK).

        Only from then on does every message published on its topics reach it, so a sender
        that waits for this line loses nothing.
        """
        refused = [reason_text(r) for r in reasons if r.is_failure]
        if refused:
            self._say(f"broker {self.broker.url} refused the subscription: {refused[0]}")
            return
        resumed = " (session resumed)" if self._resumed else ""
        self._say(f"connected to {self.broker.url}{resumed}, topics {self.prefix}/#")

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if self._connected and not self.stop.is_set():
            self._say(f"disconnected from {self.broker.url}: {reason_text(reason)}")
        self._connected = False

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        self._received += 1
        suffix = message.topic[len(self.prefix) + 1 :]
        self.ingester.add_payload(suffix, bytes(message.payload), (message.mid, message.qos))
        if self.ingester.due():
            self._commit()

    # ----------------------------------------------------------------------- reporting

    def _now(self) -> str:
        now = datetime.now(UTC).astimezone(self._zone).replace(tzinfo=None)
        return now.isoformat(timespec="seconds")

    def _status(self, state: str) -> str:
        doc: dict[str, Any] = {"state": state, "time": self._now(), "since": self._since}
        if state == "online":
            doc.update(self.ingester.stats.to_dict())
            doc["rate_per_s"] = self._recent_rate()
            doc["reject_limits"] = REJECT_LIMITS
        return json.dumps(doc)

    def _recent_rate(self) -> float | None:
        then, count = self._last_status
        now, messages = wallclock.monotonic(), self.ingester.stats.messages
        self._last_status = (now, messages)
        return round((messages - count) / (now - then), 1) if now > then else None

    def _report(self) -> None:
        now = wallclock.monotonic()
        if self._connected and now - self._last_status[0] >= STATUS_EVERY_S:
            status = self._status("online")
            self.client.publish(self.topic("status"), status, qos=1, retain=True)
            if now - self._last_log >= LOG_EVERY_S:
                self._last_log = now
                doc = json.loads(status)
                self._say(
                    f"{doc['messages']} messages so far, {doc['rate_per_s']} messages/s "
                    f"lately, latest {doc['latest']}"
                )

    def _say(self, text: str) -> None:
        print(f"parktwin: {text}", file=self.log, flush=True)


def follow(
    park: str | Path | Park | None,
    broker: str,
    store_path: str | Path,
    *,
    prefix: str = "parktwin",
    client_id: str | None = None,
    username: str | None = None,
    password: str | None = None,
    tls_ca: str | None = None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    stop: threading.Event | None = None,
    setup: Setup | None = None,
) -> IngestStats:
    """``parktwin live --broker``: follow the broker into the store until `stop` is set.

    Args:
        park: Park source (path, bundled name, Park, or None for the default park).
        broker: ``mqtt://HOST:PORT`` or ``mqtts://HOST:PORT`` (user and password may be in it).
        store_path: The store (created when missing).
        prefix: ``--topic-prefix``.
        client_id: ``--client-id`` (default: derived from the store's path).
        username: ``--username`` (overrides the URL's).
        password: ``--password`` (else the URL's, else ``PARKTWIN_MQTT_PASSWORD``).
        tls_ca: ``--tls-ca``: CA certificate file (turns TLS on).
        tls_cert: ``--tls-cert``: client certificate file.
        tls_key: ``--tls-key``: client key file.
        stop: Ends the run when set (the command line sets it on SIGINT and SIGTERM).
        setup: Called with the feed before it connects, e.g. to register ``every`` jobs.

    Returns:
        The counters of the run.
    """
    prefix = topic_prefix(prefix)
    source = read_park(park)
    address = parse_broker(broker, username, password, tls_ca, tls_cert, tls_key)
    halt = stop or threading.Event()
    with Store.open(store_path) as store:
        feed = Feed(source, store, address, prefix=prefix, client_id=client_id, stop=halt)
        if setup is not None:
            setup(feed)
        return feed.run()
