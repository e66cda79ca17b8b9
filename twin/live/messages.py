"""Live messages (SPEC.md "Live twin (MQTT)"): validate a payload against the park.

A payload is UTF-8 JSON: one object, or an array of objects (a batch). Each object becomes a
record (:class:`TruckEvent`, :class:`MeterReading` or :class:`Alarm`) or a :class:`Reject` with
the reason; a bad object in a batch rejects only itself. Nothing here raises on bad input.

Times are ISO 8601; without an offset they are park-local time, with one they are converted to
the park's time zone. Records hold naive park-local datetimes.

Message identity: a record's :attr:`key` is a 16-byte BLAKE2b digest of its canonical form
(kind, time to the microsecond, then every field in a fixed order, with a truck's gate and dock
group filled in from its flow). The same fact delivered twice (QoS 1 redelivery, a replayed
batch, ``10:00`` against ``10:00:00``, another key order or extra fields) has the same key and
is stored once; two readings of one meter at one time with different values are two facts.
"""

from __future__ import annotations

import hashlib
import json
import math
import time as wallclock
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from twin.errors import InputError, ParktwinError
from twin.model.clock import BadTime, park_time
from twin.model.schema import Park, PowerSection
from twin.sim.start_state import OutageKind

TRUCK_EVENTS = ("arrive", "gate_out", "dock_start", "dock_end", "depart")
"""Truck events in the order a visit goes through them."""
ALARM_EVENTS = ("outage_start", "outage_end")
QUANTITIES = ("power_kw", "water_m3h", "wastewater_m3h")
TOPICS = ("trucks", "meters", "alarms")
"""Topic suffixes the twin listens to (under the prefix)."""
MAX_PAYLOAD_BYTES = 1 << 20
"""Larger payloads are rejected unread (memory stays bounded)."""
REJECT_PAYLOAD_CHARS = 1000
"""A rejected payload is kept up to this many characters."""
EARLIEST = datetime(1990, 1, 1)
LATEST = datetime(2100, 1, 1)
SUPPLY = "water.supply"
"""The asset name of the park's water supply in alarms (``supply`` is accepted too)."""


@dataclass(frozen=True, slots=True)
class TruckEvent:
    """A truck passed a point of its visit: `event` is one of :data:`TRUCK_EVENTS`."""

    time: datetime
    truck_id: str
    flow: str
    event: str
    gate: str
    dock_group: str

    @property
    def key(self) -> bytes:
        """The message identity (see the module docstring)."""
        return _digest(
            "truck", self.time, self.truck_id, self.flow, self.event, self.gate, self.dock_group
        )


@dataclass(frozen=True, slots=True)
class MeterReading:
    """A meter reading: `quantity` of `asset` averaged over the interval ending at `time`."""

    time: datetime
    asset: str
    quantity: str
    value: float

    @property
    def key(self) -> bytes:
        """The message identity (see the module docstring)."""
        return _digest("meter", self.time, self.asset, self.quantity, repr(self.value))


@dataclass(frozen=True, slots=True)
class Alarm:
    """An outage started or ended; `expected_h` is the announced duration, when given."""

    time: datetime
    asset: str
    event: str
    expected_h: float | None = None

    @property
    def key(self) -> bytes:
        """The message identity (see the module docstring)."""
        return _digest("alarm", self.time, self.asset, self.event, repr(self.expected_h))


Record = TruckEvent | MeterReading | Alarm


@dataclass(frozen=True, slots=True)
class Reject:
    """A message, or one object of a batch, that cannot be used, and why."""

    topic: str
    payload: str
    reason: str


def _digest(kind: str, time: datetime, *fields: str) -> bytes:
    text = "\x1f".join((kind, time.isoformat(timespec="microseconds"), *fields))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class BadMessage(ParktwinError, ValueError):
    """One object cannot be used; the text is the reason stored with the reject."""


@dataclass
class Validator:
    """Checks messages against one park: ids, types, quantities and plausible times.

    Args:
        park: The park the messages come from.
        max_ahead_h: A message more than this many hours after the wall clock (in park time)
            is rejected as an impossible time; None turns the check off (recorded data).
        now: The wall clock, as park-local naive time (for tests); the real one by default.
    """

    park: Park
    max_ahead_h: float | None = 24.0
    now: datetime | None = None
    _zone: ZoneInfo = field(init=False)
    _flows: dict[str, tuple[str, str]] = field(init=False)
    _meters: dict[str, str] = field(init=False)
    _outage_kinds: dict[str, OutageKind] = field(init=False)
    _clock_read: tuple[float, datetime] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        try:
            self._zone = ZoneInfo(self.park.park.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(
                "park", f"unknown time zone '{self.park.park.timezone}'", "park.timezone"
            ) from None
        logi = self.park.logistics
        self._flows = {f.id: (f.gate, f.dock_group) for f in logi.flows}
        self._meters = {b.id: "building" for b in self.park.buildings}
        self._outage_kinds = {g.id: "gate" for g in logi.gates}
        if self.park.power is not None:
            self._meters.update({f.id: "feeder" for f in self.park.power.feeders})
            self._meters.update({s.id: "substation" for s in self.park.power.substations})
            self._outage_kinds.update({f.id: "feeder" for f in self.park.power.feeders})
            self._outage_kinds.update({s.id: "substation" for s in self.park.power.substations})
            self._outage_kinds.update(network_outage_kinds(self.park.power))
        if self.park.water is not None and self.park.water.supply is not None:
            self._outage_kinds[SUPPLY] = "supply"

    def _clock(self) -> datetime:
        """The wall clock in park time, read at most once a second (it is only a bound)."""
        tick = wallclock.monotonic()
        if self._clock_read is None or tick - self._clock_read[0] > 1.0:
            now = datetime.now(UTC).astimezone(self._zone).replace(tzinfo=None)
            self._clock_read = (tick, now)
        return self._clock_read[1]

    def present_limit(self) -> datetime | None:
        """The clock the twin's present may not pass: the wall clock in park time when live
        (times are checked), None for recorded data (every message time may be the present)."""
        if self.max_ahead_h is None:
            return None
        return self.now or self._clock()

    def outage_kind(self, asset: str) -> OutageKind | None:
        """What an alarm's asset is (substation, feeder, supply or gate), None if unknown."""
        return self._outage_kinds.get(asset)

    def parse(self, suffix: str, payload: bytes | str) -> tuple[list[Record], list[Reject]]:
        """The records of one payload on topic ``PREFIX/suffix``, and what was rejected.

        Args:
            suffix: The topic after the prefix: ``trucks``, ``meters`` or ``alarms``.
            payload: The message body, UTF-8 JSON (bytes as received, or text).

        Returns:
            The usable records in message order, and one reject per unusable object (or one
            for the whole payload when it is not JSON, too large, or on an unknown topic).
        """
        text, problem = _decode(payload)
        if problem is not None:
            return [], [Reject(suffix, text, problem)]
        if suffix not in TOPICS:
            return [], [
                Reject(
                    suffix, text, f"unknown topic '{suffix}' (expected trucks, meters or alarms)"
                )
            ]
        try:
            document = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            return [], [Reject(suffix, text, f"not JSON: {exc}")]
        items = document if isinstance(document, list) else [document]
        records: list[Record] = []
        rejects: list[Reject] = []
        for index, item in enumerate(items):
            try:
                records.append(self.record(suffix, item))
            except BadMessage as exc:
                where = f"batch item {index}: " if isinstance(document, list) else ""
                rejects.append(Reject(suffix, _short(item), f"{where}{exc}"))
        return records, rejects

    def record(self, suffix: str, item: Any) -> Record:
        """One message object as a record.

        Raises:
            BadMessage: The object cannot be used (the text says why).
        """
        if not isinstance(item, dict):
            raise BadMessage(f"expected a JSON object, got {_json_type(item)}")
        if suffix == "trucks":
            return self._truck(item)
        if suffix == "meters":
            return self._meter(item)
        return self._alarm(item)

    def _truck(self, item: dict[str, Any]) -> TruckEvent:
        time = self.time(item)
        truck_id = _identifier(item, "truck_id")
        flow = _text(item, "flow")
        event = _choice(item, "event", TRUCK_EVENTS)
        if flow not in self._flows:
            raise BadMessage(f"flow: unknown flow '{flow}'")
        gate, group = self._flows[flow]
        for name, expected in (("gate", gate), ("dock_group", group)):
            given = item.get(name)
            if given is not None and given != expected:
                raise BadMessage(
                    f"{name}: '{given}' is not flow '{flow}''s {name.replace('_', ' ')} "
                    f"'{expected}'"
                )
        return TruckEvent(time, truck_id, flow, event, gate, group)

    def _meter(self, item: dict[str, Any]) -> MeterReading:
        time = self.time(item)
        asset = _text(item, "asset")
        quantity = _choice(item, "quantity", QUANTITIES)
        value = _number(item, "value")
        kind = self._meters.get(asset)
        if kind is None:
            raise BadMessage(
                f"asset: unknown meter asset '{asset}' (a building, feeder or substation id)"
            )
        if kind != "building" and quantity != "power_kw":
            raise BadMessage(f"quantity: {kind} '{asset}' has power only, not {quantity}")
        if value is None or value < 0:
            raise BadMessage("value: must be a number of at least 0")
        return MeterReading(time, asset, quantity, value)

    def _alarm(self, item: dict[str, Any]) -> Alarm:
        time = self.time(item)
        asset = _text(item, "asset")
        asset = SUPPLY if asset == "supply" else asset
        event = _choice(item, "event", ALARM_EVENTS)
        expected = _number(item, "expected_h", required=False)
        if self.outage_kind(asset) is None:
            raise BadMessage(
                f"asset: unknown asset '{asset}' (a substation, feeder, line, transformer, "
                f"gate id or {SUPPLY})"
            )
        if expected is not None and expected < 0:
            raise BadMessage("expected_h: must be at least 0")
        return Alarm(time, asset, event, expected)

    def time(self, item: dict[str, Any]) -> datetime:
        """The message's `time` as naive park-local time.

        Raises:
            BadMessage: Missing, not ISO 8601, outside 1990-2100, or too far ahead.
        """
        raw = item.get("time")
        if not isinstance(raw, str):
            raise BadMessage(f"time: expected an ISO 8601 text, got {_json_type(raw)}")
        try:
            moment = park_time(raw, self._zone)
        except BadTime as exc:
            raise BadMessage(f"time: {exc}") from None
        if not EARLIEST <= moment < LATEST:
            raise BadMessage(f"time: {raw} is an impossible time (outside 1990-2100)")
        if self.max_ahead_h is not None:
            now = self.now or self._clock()
            if moment > now + timedelta(hours=self.max_ahead_h):
                raise BadMessage(
                    f"time: {raw} is more than {self.max_ahead_h:g} h ahead of the "
                    f"clock ({now:%Y-%m-%dT%H:%M} park time)"
                )
        return moment


def _decode(payload: bytes | str) -> tuple[str, str | None]:
    """The payload as text (cut for storage when bad), or a reason it cannot be read."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8", errors="surrogatepass")
    if len(payload) > MAX_PAYLOAD_BYTES:
        head = payload[:REJECT_PAYLOAD_CHARS].decode("utf-8", errors="replace")
        return head, f"payload of {len(payload):,} bytes exceeds {MAX_PAYLOAD_BYTES:,}"
    try:
        return payload.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return payload[:REJECT_PAYLOAD_CHARS].decode("utf-8", errors="replace"), (
            f"not UTF-8: {exc.reason} at byte {exc.start}"
        )


def cut(text: str) -> str:
    """A payload cut to :data:`REJECT_PAYLOAD_CHARS` for the rejects table."""
    return text if len(text) <= REJECT_PAYLOAD_CHARS else text[:REJECT_PAYLOAD_CHARS] + "…"


def _short(item: Any) -> str:
    try:
        return cut(json.dumps(item, ensure_ascii=False))
    except (TypeError, ValueError):
        return cut(repr(item))


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a text", bool: "true/false"}
    if value is None:
        return "nothing (null or missing)"
    if isinstance(value, bool):
        return names[bool]
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    return names.get(type(value), type(value).__name__)


def _text(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise BadMessage(f"{name}: expected a non-empty text, got {_json_type(value)}")
    return value


def _identifier(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(item, name)


def _choice(item: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = _text(item, name)
    if value not in allowed:
        raise BadMessage(f"{name}: '{value}' is not one of {', '.join(allowed)}")
    return value


def _number(item: dict[str, Any], name: str, required: bool = True) -> float | None:
    value = item.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadMessage(f"{name}: expected a number, got {_json_type(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise BadMessage(f"{name}: {value} is not a finite number")
    return number


def network_outage_kinds(power: PowerSection) -> dict[str, OutageKind]:
    """The network's lines and transformers, which an alarm may name too."""
    kinds: dict[str, OutageKind] = {
        t.id: "transformer" for s in power.substations for t in s.transformers or []
    }
    if power.network is not None:
        kinds.update({line.id: "line" for line in power.network.lines})
    return kinds
