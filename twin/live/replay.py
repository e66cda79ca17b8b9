"""Recorded sensor data as live messages: into a store without a broker, or onto a broker.

:func:`sensor_messages` turns a sensor folder (``meters.csv``, ``trucks.csv``, read by the
calibration reader, so rows it drops are not replayed) into the messages SPEC.md fixes, in time
order: one reading per meter row, and one truck event per time of a visit (``arrive``,
``gate_out`` when the file has it, ``dock_start``, ``dock_end``, ``depart``). It yields them
lazily from the reader's arrays, so a long recording needs no more memory than the reader does.

:class:`Replay` pushes them through the same :class:`~twin.live.ingest.Ingester` as the MQTT
feed (``parktwin live --replay``); :func:`publish_recording` publishes them to a broker
(``parktwin replay``). `speed` is park time per wall-clock time (600: ten minutes a second);
None is as fast as it goes.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time as wallclock
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from twin.calibration.read import TRUCK_TIMES, read_sensors
from twin.errors import UsageError
from twin.live.ingest import Ingester, IngestStats, Job
from twin.live.messages import Validator
from twin.live.store import Store, to_seconds
from twin.model.schema import Park

Message = tuple[str, dict[str, Any]]
"""A topic suffix and a message object."""


def sensor_messages(park: Park, sensor_dir: str | Path) -> Iterator[Message]:
    """The recording in `sensor_dir` as (topic suffix, message) pairs in time order.

    Args:
        park: The park the data belong to (ids are checked against it).
        sensor_dir: A sensor folder (SPEC.md "Sensor data").

    Raises:
        InputError: The folder cannot be read (as for ``parktwin calibrate``).
    """
    data = read_sensors(sensor_dir, park)
    base = data.timebase
    meters = list(data.meters.values())
    times, source, row = [], [], []
    for i, series in enumerate(meters):
        times.append(series.t_min)
        source.append(np.full(len(series.t_min), i))
        row.append(np.arange(len(series.t_min)))
    trucks = data.trucks
    if trucks is not None:
        for c, column in enumerate(TRUCK_TIMES):
            minutes = getattr(trucks, column)
            rows = np.flatnonzero(~np.isnan(minutes))
            times.append(minutes[rows])
            source.append(np.full(len(rows), len(meters) + c))
            row.append(rows)
    if not times:
        return
    t, src, idx = np.concatenate(times), np.concatenate(source), np.concatenate(row)
    for k in np.argsort(t, kind="stable"):
        moment = base.local(float(t[k])).isoformat(timespec="seconds")
        s, i = int(src[k]), int(idx[k])
        if s < len(meters):
            m = meters[s]
            yield (
                "meters",
                {
                    "time": moment,
                    "asset": m.asset,
                    "quantity": m.quantity,
                    "value": float(m.value[i]),
                },
            )
        else:
            assert trucks is not None
            yield (
                "trucks",
                {
                    "time": moment,
                    "truck_id": str(trucks.truck_id[i]) or f"line-{int(trucks.lines[i])}",
                    "flow": str(trucks.flow[i]),
                    "event": TRUCK_TIMES[s - len(meters)],
                    "gate": str(trucks.gate[i]),
                    "dock_group": str(trucks.dock_group[i]),
                },
            )


@dataclass
class Pacer:
    """Holds back messages so park time runs `speed` times faster than the wall clock."""

    speed: float | None
    stop: threading.Event = field(default_factory=threading.Event)
    _origin: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.speed is not None and not self.speed > 0:
            raise UsageError(f"`speed` must be above 0 (or 'max'), got {self.speed:g}")

    def wait_s(self, park_seconds: float) -> float:
        """Wall-clock seconds to wait before a message at `park_seconds` is due."""
        if self.speed is None:
            return 0.0
        if self._origin is None:
            self._origin = (park_seconds, wallclock.monotonic())
        sim0, wall0 = self._origin
        return wall0 + (park_seconds - sim0) / self.speed - wallclock.monotonic()

    def sleep(self, seconds: float, step: Callable[[], None] | None = None) -> None:
        """Sleep up to `seconds` in short slices, returning early when stopped."""
        end = wallclock.monotonic() + seconds
        while not self.stop.is_set():
            left = end - wallclock.monotonic()
            if left <= 0:
                return
            if step is not None:
                step()
            self.stop.wait(min(left, 0.05))


def _park_seconds(message: Message) -> float:
    return to_seconds(datetime.fromisoformat(message[1]["time"]))


class Replay:
    """A recording fed into a store through the live ingester, without a broker.

    `alarms` (``alarms`` messages, e.g. a simulated scenario's outages) join the recording in
    time order; `then` (messages later than the recording, e.g. the simulation going on) follow
    it, read as they are fed. With `keep`, the store keeps only that much park time before the
    latest message (:class:`~twin.live.ingest.Ingester`). It offers the same hooks as the MQTT
    feed: :meth:`every` for periodic jobs on park time and :meth:`publish`, which here has no
    broker to publish to and only counts.
    """

    def __init__(
        self,
        park: Park,
        sensor_dir: str | Path,
        store: Store,
        *,
        speed: float | None = None,
        stop: threading.Event | None = None,
        alarms: Sequence[Message] = (),
        then: Iterable[Message] = (),
        keep: timedelta | None = None,
    ) -> None:
        self.park = park
        self.sensor_dir = sensor_dir
        self.alarms = sorted(alarms, key=_park_seconds)
        self.then = then
        self.store = store
        self.ingester = Ingester(store, Validator(park, max_ahead_h=None), keep=keep)
        self.pacer = Pacer(speed, stop or threading.Event())
        self.published = 0

    def every(self, minutes: float, job: Job) -> None:
        """Run `job(at)` every `minutes` of park time (see :meth:`Ingester.every`)."""
        self.ingester.every(minutes, job)

    def publish(self, suffix: str, doc: Any, retain: bool = False) -> None:
        """No broker in a replay: counted only (jobs may call it as in a live feed)."""
        self.published += 1

    def run(self) -> IngestStats:
        """Feed the whole recording, then `then` (or until stopped); commit and return the
        counters."""
        ingester, pacer = self.ingester, self.pacer
        recording = sensor_messages(self.park, self.sensor_dir)
        merged = heapq.merge(recording, self.alarms, key=_park_seconds)
        for message in itertools.chain(merged, self.then):
            if pacer.stop.is_set():
                break
            wait = pacer.wait_s(_park_seconds(message))
            if wait > 0:
                ingester.flush()
                pacer.sleep(wait)
                if pacer.stop.is_set():
                    break
            ingester.add_item(*message)
            if ingester.due():
                ingester.flush()
        ingester.flush()
        return ingester.stats


def replay_into_store(
    park: Park,
    sensor_dir: str | Path,
    store_path: str | Path,
    *,
    speed: float | None = None,
    stop: threading.Event | None = None,
) -> IngestStats:
    """Replay a recording into the store at `store_path` (created when missing).

    Args:
        park: The park the data belong to.
        sensor_dir: The recording (a sensor folder).
        store_path: The store file.
        speed: Park time per wall-clock time; None: as fast as it goes.
        stop: Set it (from another thread) to end the replay early; what came is committed.

    Returns:
        The counters of this replay (messages, stored, duplicates, rejected, rate).
    """
    with Store.open(store_path) as store:
        return Replay(park, sensor_dir, store, speed=speed, stop=stop).run()
