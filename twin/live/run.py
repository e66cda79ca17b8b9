"""The library calls behind ``parktwin live``, ``parktwin replay`` and ``parktwin state``.

Each takes plain values (a park source, paths, texts such as the time `at` and the `speed`),
checks them with messages that name the parameter, and makes the one library call. A live run
ends when its `stop` event is set (the command line sets it on SIGINT and SIGTERM): what was
received is committed, then the call returns normally.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from twin.errors import UsageError
from twin.io.inputs import read_park
from twin.live.ingest import IngestStats
from twin.live.messages import out_of_range
from twin.live.replay import Message, Replay
from twin.live.state import LOOKBACK_H, state_document, unknown_moment
from twin.live.store import Store
from twin.model.clock import BadTime, park_time
from twin.model.schema import Park

MAX_KEEP_DAYS = 3660.0
"""The most days a store can be asked to keep (the longest horizon of a run)."""

Setup = Callable[[Any], None]
"""Called with a live run (a :class:`~twin.live.replay.Replay` or a
:class:`~twin.live.feed.Feed`: ``.park``, ``.store``, ``.every(minutes, job)``,
``.publish(suffix, doc, retain)``) before its first message."""


def parse_moment(text: str | None, park: Park, option: str = "at") -> datetime | None:
    """An ISO 8601 time given by a caller as naive park time (None stays None).

    Args:
        text: the time; an offset such as ``+02:00`` is converted to the park's zone.
        park: the park whose clock the time is read on.
        option: the name of the parameter, for the message (``at``, ``start``, ``end``).

    Raises:
        UsageError: Not an ISO 8601 time, or one outside the years the live twin knows.
    """
    if text is None:
        return None
    try:
        moment = park_time(text, park.park.timezone)
    except BadTime as exc:
        raise UsageError(f"`{option}`: {exc}") from None
    problem = out_of_range(moment)
    if problem is not None:
        raise UsageError(f"`{option}`: {problem}")
    return moment


def parse_speed(text: str | None) -> float | None:
    """`speed`: park time per wall-clock time, or ``max`` (None: as fast as it goes).

    Raises:
        UsageError: Not a positive number nor ``max``.
    """
    if text is None or text.strip().lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = float("nan")
    if not speed > 0 or speed == float("inf"):
        raise UsageError(f"`speed`: expected a number above 0 or 'max', got '{text}'")
    return speed


def keep_span(keep_days: float | None) -> timedelta | None:
    """`keep_days` as the park time a store keeps before its latest message (None: all).

    Raises:
        UsageError: Fewer days than the state reads back (:data:`~twin.live.state.LOOKBACK_H`)
            or more than 3660.
    """
    if keep_days is None:
        return None
    least = LOOKBACK_H / 24.0
    if not least <= keep_days <= MAX_KEEP_DAYS:
        raise UsageError(
            f"`keep_days` must be from {least:g} (the state reads back {LOOKBACK_H:g} hours) "
            f"to {MAX_KEEP_DAYS:g}, got {keep_days:g}"
        )
    return timedelta(days=keep_days)


def state(
    park: str | Path | Park | None, store_path: str | Path, at: str | None = None
) -> dict[str, Any]:
    """``parktwin state --json``: the state document at `at` (default: the latest)."""
    source = read_park(park)
    moment = parse_moment(at, source)
    with Store.open(store_path, read_only=True) as store:
        span = store.span()
        problem = unknown_moment(span, moment) if moment is not None and span else None
        if problem is not None:
            raise UsageError(f"`at`: {problem}")
        return state_document(source, store, moment)


def live_replay(
    park: str | Path | Park | None,
    sensor_dir: str | Path,
    store_path: str | Path,
    speed: str | None = None,
    stop: threading.Event | None = None,
    setup: Setup | None = None,
    alarms: Sequence[Message] = (),
    then: Iterable[Message] = (),
    keep_days: float | None = None,
) -> IngestStats:
    """``parktwin live --replay``: feed a recording into the store until it ends or `stop` is set.

    Args:
        park: Park source.
        sensor_dir: The recording (a sensor folder).
        store_path: The store (created when missing).
        speed: ``--speed`` text: a number, or ``max``/None for as fast as it goes.
        stop: An event that ends the run early when set (the command line sets it on SIGINT
            and SIGTERM).
        setup: Called with the run (its store, ``every`` and ``publish``) before the first
            message: where periodic jobs such as the nowcast are registered.
        alarms: alarm messages fed in time order with the recording.
        then: messages fed after the recording, all later than it (read as they are fed).
        keep_days: keep only this many days of park time before the latest message in the
            store (:func:`keep_span`); None keeps everything.

    Returns:
        The counters of the run.

    Raises:
        UsageError: A bad `speed` or `keep_days`.
    """
    source = read_park(park)
    pace = parse_speed(speed)
    keep = keep_span(keep_days)
    halt = stop or threading.Event()
    with Store.open(store_path) as store:
        replay = Replay(
            source, sensor_dir, store, speed=pace, stop=halt, alarms=alarms, then=then, keep=keep
        )
        if setup is not None:
            setup(replay)
        return replay.run()
