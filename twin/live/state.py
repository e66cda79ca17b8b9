"""The park's state at a moment, from truck events and alarms (SPEC.md ``state --json``).

:func:`state_from_events` is pure: events in, :class:`~twin.sim.start_state.StartState` out; it
sees only what was published at or before the moment, which is what a back-test needs.
:func:`state_at`, :func:`live_state` (a :class:`LiveState`, whose ``to_dict`` is the state
document) and :func:`history_document` read a store. How stages
are told from the events (and what cannot be seen) is in :mod:`twin.live.visits`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from twin.errors import UsageError
from twin.live.messages import MAX_EXPECTED_H, Alarm, MeterReading, Record, TruckEvent, Validator
from twin.live.store import Store, to_seconds
from twin.live.visits import MOMENTS, STALE_H, ParkTimings, group_visits, moments, stage_index
from twin.model.schema import Park
from twin.sim.start_state import STAGES, OutageNow, StartState, TruckNow

LOOKBACK_H = 2 * STALE_H
"""Hours of truck events read before a moment to rebuild the visits in progress."""
METER_FRESH_H = 2.0
"""A reading older than this is not shown in a history step."""
MAX_HISTORY_STEPS = 20_000


def state_from_events(
    park: Park, events: Iterable[Record], at: datetime, routes: ParkTimings | None = None
) -> StartState:
    """The trucks in the park and the outages in effect at `at`, from what was published.

    Args:
        park: The park the events belong to.
        events: Truck events and alarms in any order (meter readings are ignored); those
            after `at` are ignored, so a whole recorded history may be passed.
        at: The moment (naive park-local time).
        routes: The park's routes, when the caller keeps them (else computed).

    Returns:
        The state: trucks ordered by arrival, outages by start.
    """
    trucks: list[TruckEvent] = []
    alarms: list[Alarm] = []
    for e in events:
        if e.time > at:
            continue
        if isinstance(e, TruckEvent):
            trucks.append(e)
        elif isinstance(e, Alarm):
            alarms.append(e)
    return StartState(
        time=at,
        trucks=_trucks_now(trucks, at, routes or ParkTimings.of(park)),
        outages=outages_now(park, alarms, at),
    )


def _trucks_now(
    events: list[TruckEvent], at: datetime, routes: ParkTimings
) -> tuple[TruckNow, ...]:
    visits = group_visits(events, [to_seconds(e.time) for e in events])
    if not visits:
        return ()
    bounds = moments(visits, routes)
    last = np.array([v.last_news for v in visits])
    t = to_seconds(at)
    index = stage_index(bounds, last, t)
    present = []
    rows = np.flatnonzero((index > 0) & (index < len(MOMENTS)))
    newest = {visits[row].truck_id: row for row in rows}  # a truck is in one place: its last
    for row in sorted(newest.values()):
        visit, k = visits[row], int(index[row]) - 1
        present.append(
            TruckNow(
                truck_id=visit.truck_id,
                flow=visit.flow,
                stage=STAGES[k],
                in_stage_min=float(t - bounds[row, k]) / 60.0,
                in_park_min=float(t - bounds[row, 0]) / 60.0,
                gate=visit.gate,
                dock_group=visit.dock_group,
            )
        )
    return tuple(present)


def outages_now(park: Park, alarms: Sequence[Alarm], at: datetime) -> tuple[OutageNow, ...]:
    """Outages started and not ended at `at`, by start; the latest start of an asset counts."""
    kinds = Validator(park, max_ahead_h=None)
    open_since: dict[str, Alarm] = {}
    for alarm in sorted(alarms, key=lambda a: (a.time, a.event != "outage_end")):
        if alarm.time > at:
            continue
        if alarm.event == "outage_start":
            open_since.setdefault(alarm.asset, alarm)
        else:
            open_since.pop(alarm.asset, None)
    result = []
    for asset, alarm in sorted(open_since.items(), key=lambda item: item[1].time):
        kind = kinds.outage_kind(asset)
        if kind is None:
            continue
        elapsed = (at - alarm.time).total_seconds() / 60.0
        remaining = None
        if alarm.expected_h is not None:  # bounded: a store written before the range check
            expected_min = min(alarm.expected_h, MAX_EXPECTED_H) * 60.0
            remaining = max(0.0, expected_min - elapsed)
        result.append(OutageNow(asset, kind, elapsed, remaining))
    return tuple(result)


def latest_moment(park: Park, store: Store, clock: datetime | None = None) -> datetime:
    """The twin's present: the newest message time not ahead of `clock` (SPEC.md).

    `clock` defaults to the wall clock in park time. A message dated ahead of it waits for
    its time. A store whose every message is ahead (a recorded history dated later) has its
    newest message as the present; an empty store has the clock.
    """
    now = clock or datetime.now(UTC).astimezone(ZoneInfo(park.park.timezone)).replace(tzinfo=None)
    latest = store.latest(now)
    if latest is not None:
        return latest
    span = store.span()
    return span[1] if span is not None else now


def state_at(park: Park, store: Store, at: datetime | None = None) -> StartState:
    """The state at `at` (default: the newest message) from a store.

    Truck events from :data:`LOOKBACK_H` hours before `at` are read; a truck whose arrival
    lies further back shows a shorter time in the park.
    """
    moment = at or latest_moment(park, store)
    events: list[Record] = [
        *store.truck_events(moment - timedelta(hours=LOOKBACK_H), moment),
        *store.alarms(moment),
    ]
    return state_from_events(park, events, moment)


def known_state(park: Park, store: Store, at: datetime | None = None) -> StartState:
    """:func:`state_at`, refusing a moment the store knows nothing of.

    Raises:
        UsageError: an empty store, `at` before its first message, or more than
            :data:`LOOKBACK_H` hours after its last (every visit the store knows of is gone by
            then: the park would look empty whatever it holds).
    """
    span = store.span()
    if span is None:
        raise UsageError(f"{store.path}: no message in the store yet: nothing to start from")
    problem = unknown_moment(span, at) if at is not None else None
    if problem is not None:
        raise UsageError(f"`at`: {problem}")
    return state_at(park, store, at)


def unknown_moment(span: tuple[datetime, datetime], at: datetime) -> str | None:
    """Why a store holding messages over `span` knows nothing of the park at `at`, or None.

    Before its first message nothing was recorded; more than :data:`LOOKBACK_H` hours after its
    last, every visit it knows of is gone: either way the park would look empty whatever it
    holds.
    """
    if at < span[0]:
        return (
            f"{_iso(at)} is before the store's first message ({_iso(span[0])}): "
            "the state there is unknown"
        )
    if at > span[1] + timedelta(hours=LOOKBACK_H):
        return (
            f"{_iso(at)} is more than {LOOKBACK_H:g} h after the store's last message "
            f"({_iso(span[1])}): the state there is unknown"
        )
    return None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


@dataclass(frozen=True)
class LiveState:
    """The park at a moment as the live twin sees it: SPEC.md's state document as values.

    Attributes:
        time: the moment (naive park-local time).
        trucks: every truck in the park, by arrival.
        outages: the outages in effect, by start.
        counts: trucks by stage: ``in_park``, then per gate (``gate_queue``, ``at_gate``),
            ``on_road``, per dock group (``dock_queue``, ``in_service``) and ``leaving``.
        meters: the latest reading of each meter at the moment.
        messages: the store's message counts.
    """

    time: datetime
    trucks: tuple[TruckNow, ...]
    outages: tuple[OutageNow, ...]
    counts: dict[str, int | dict[str, int]]
    meters: tuple[MeterReading, ...] = ()
    messages: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        park: Park,
        state: StartState,
        meters: Iterable[MeterReading] = (),
        messages: dict[str, int] | None = None,
    ) -> LiveState:
        """The live state of a start state: its trucks counted by stage, gate and dock group."""
        return cls(
            state.time,
            state.trucks,
            state.outages,
            stage_counts(park, state.trucks),
            tuple(meters),
            dict(messages or {}),
        )

    @property
    def start(self) -> StartState:
        """The engine's start state: the trucks and the outages."""
        return StartState(self.time, self.trucks, self.outages)

    def to_dict(self, visits: bool = True) -> dict[str, Any]:
        """SPEC.md's ``parktwin state --json`` document; each truck under ``trucks.visits``."""
        trucks: dict[str, Any] = dict(self.counts)
        if visits:
            trucks["visits"] = [_truck_doc(t) for t in self.trucks]
        return {
            "time": _iso(self.time),
            "trucks": trucks,
            "outages": [_outage_doc(o, self.time) for o in self.outages],
            "meters": _meters_doc(self.meters),
            "messages": self.messages,
        }


def stage_counts(park: Park, trucks: Iterable[TruckNow]) -> dict[str, int | dict[str, int]]:
    """Trucks by stage: in the park, per gate, on the road, per dock group, leaving."""
    logi = park.logistics
    by_gate = {s: dict.fromkeys((g.id for g in logi.gates), 0) for s in ("gate_queue", "at_gate")}
    by_group: dict[str, dict[str, int]] = {
        s: dict.fromkeys((d.id for d in logi.dock_groups), 0) for s in STAGES[3:5]
    }
    in_park = on_road = leaving = 0
    for truck in trucks:
        in_park += 1
        if truck.stage in by_gate and truck.gate in by_gate[truck.stage]:
            by_gate[truck.stage][truck.gate] += 1
        elif truck.stage in by_group and truck.dock_group in by_group[truck.stage]:
            by_group[truck.stage][truck.dock_group] += 1
        on_road += truck.stage == "on_road"
        leaving += truck.stage == "leaving"
    return {"in_park": in_park, **by_gate, "on_road": on_road, **by_group, "leaving": leaving}


def live_state(park: Park, store: Store, at: datetime | None = None) -> LiveState:
    """The live state at `at` (default: the newest message) from a store."""
    state = state_at(park, store, at)
    return LiveState.of(park, state, store.latest_readings(state.time), store.counts())


def state_document(park: Park, store: Store, at: datetime | None = None) -> dict[str, Any]:
    """SPEC.md's ``parktwin state --json`` document, plus each truck (``trucks.visits``)."""
    return live_state(park, store, at).to_dict()


def _truck_doc(truck: TruckNow) -> dict[str, Any]:
    return {
        "truck_id": truck.truck_id,
        "flow": truck.flow,
        "stage": truck.stage,
        "in_stage_min": round(truck.in_stage_min, 3),
        "in_park_min": round(truck.in_park_min, 3),
        "gate": truck.gate,
        "dock_group": truck.dock_group,
    }


def _outage_doc(outage: OutageNow, at: datetime) -> dict[str, Any]:
    since = at - timedelta(minutes=outage.elapsed_min)
    end = (
        None
        if outage.expected_remaining_min is None
        else _iso(at + timedelta(minutes=outage.expected_remaining_min))
    )
    return {"asset": outage.asset, "kind": outage.kind, "since": _iso(since), "expected_end": end}


def _meters_doc(readings: Iterable[MeterReading]) -> dict[str, dict[str, Any]]:
    doc: dict[str, dict[str, Any]] = {}
    for r in readings:
        doc.setdefault(r.asset, {})[r.quantity] = {"value": r.value, "time": _iso(r.time)}
    return doc


def history_document(
    park: Park,
    store: Store,
    start: datetime,
    end: datetime,
    step_min: float = 15,
    routes: ParkTimings | None = None,
) -> dict[str, Any]:
    """Counts and meter readings every `step_min` from `start` to `end`, with hindsight.

    Unlike :func:`state_at`, each step uses every event stored up to `end` (a dock start
    published later still tells when the queue ended), so the history is the best account.
    `routes` tells the unpublished moments (default: the park's, :meth:`ParkTimings.of`).

    Returns:
        ``{"time": [ISO...], "series": {"trucks.in_park": [...], "gates.<id>.queue": [...],
        "docks.<id>.queue": [...], "meters.<asset>.<quantity>": [value or None, ...]}}``.

    Raises:
        UsageError: `end` before `start`, `step_min` not positive, or too many steps.
    """
    steps = _steps(start, end, step_min)
    seconds = np.array([to_seconds(s) for s in steps])
    events = store.truck_events(start - timedelta(hours=LOOKBACK_H), end)
    series: dict[str, list[Any]] = {}
    counts = _stage_counts(park, events, seconds, routes or ParkTimings.of(park))
    series["trucks.in_park"] = counts.pop("in_park")
    series.update(counts)
    series.update(_meter_series(store, start, end, seconds))
    return {"time": [_iso(s) for s in steps], "series": series}


def _steps(start: datetime, end: datetime, step_min: float) -> list[datetime]:
    if not step_min > 0:
        raise UsageError(f"step_min must be above 0, got {step_min}")
    if end < start:
        raise UsageError(f"history end {_iso(end)} is before its start {_iso(start)}")
    n = math.floor((end - start).total_seconds() / 60.0 / step_min + 1e-9) + 1
    if n > MAX_HISTORY_STEPS:
        raise UsageError(
            f"history of {n:,} steps is too long (at most {MAX_HISTORY_STEPS:,}): "
            "a shorter span or a longer step"
        )
    return [start + timedelta(minutes=step_min * i) for i in range(n)]


def _stage_counts(
    park: Park, events: list[TruckEvent], seconds: np.ndarray, routes: ParkTimings
) -> dict[str, list[int]]:
    logi = park.logistics
    visits = group_visits(events, [to_seconds(e.time) for e in events])
    names = ["in_park"]
    names += [f"gates.{g.id}.queue" for g in logi.gates]
    names += [f"docks.{d.id}.queue" for d in logi.dock_groups]
    counts = {name: [0] * len(seconds) for name in names}
    if not visits:
        return counts
    bounds = moments(visits, routes)
    last = np.array([v.last_news for v in visits])
    gates = np.array([v.gate for v in visits])
    groups = np.array([v.dock_group for v in visits])
    for i, t in enumerate(seconds):
        index = stage_index(bounds, last, float(t))
        counts["in_park"][i] = int(((index > 0) & (index < len(MOMENTS))).sum())
        queued_gate = gates[index == 1 + STAGES.index("gate_queue")]
        queued_dock = groups[index == 1 + STAGES.index("dock_queue")]
        for g in logi.gates:
            counts[f"gates.{g.id}.queue"][i] = int((queued_gate == g.id).sum())
        for d in logi.dock_groups:
            counts[f"docks.{d.id}.queue"][i] = int((queued_dock == d.id).sum())
    return counts


def _meter_series(
    store: Store, start: datetime, end: datetime, seconds: np.ndarray
) -> dict[str, list[float | None]]:
    readings = store.meter_readings(start - timedelta(hours=METER_FRESH_H), end)
    by_meter: dict[tuple[str, str], list[MeterReading]] = {}
    for r in readings:
        by_meter.setdefault((r.asset, r.quantity), []).append(r)
    series: dict[str, list[float | None]] = {}
    for (asset, quantity), rows in sorted(by_meter.items()):
        t = np.array([to_seconds(r.time) for r in rows])
        values = np.array([r.value for r in rows])
        at = np.searchsorted(t, seconds, side="right") - 1
        fresh = (at >= 0) & (seconds - t[np.maximum(at, 0)] <= METER_FRESH_H * 3600.0)
        series[f"meters.{asset}.{quantity}"] = [
            float(values[k]) if ok else None for k, ok in zip(at, fresh, strict=True)
        ]
    return series
