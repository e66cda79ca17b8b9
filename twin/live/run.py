"""The calls behind ``parktwin live``, ``parktwin replay`` and ``parktwin state``.

Each takes command-line values (park source, paths, texts such as ``--at`` and ``--speed``),
checks them with clear messages, and makes the one library call; the CLI maps errors to exit
codes. SIGINT and SIGTERM end a live run cleanly: what was received is committed, then the call
returns normally (exit 0).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from twin.errors import UsageError
from twin.io.inputs import read_park
from twin.live.ingest import IngestStats
from twin.live.replay import Replay
from twin.live.state import state_document
from twin.live.store import Store
from twin.model.schema import Park

Setup = Callable[[Any], None]
"""Called with a live run (a :class:`~twin.live.replay.Replay` or a
:class:`~twin.live.feed.Feed`: ``.park``, ``.store``, ``.every(minutes, job)``,
``.publish(suffix, doc, retain)``) before its first message."""


def parse_moment(text: str | None, park: Park, option: str = "--at") -> datetime | None:
    """An ISO 8601 time from the command line as naive park time (None stays None).

    Raises:
        UsageError: Not an ISO 8601 time.
    """
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{option}: '{text}' is not an ISO 8601 time (e.g. 2026-01-07T10:00)"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(park.park.timezone)).replace(tzinfo=None)
    return moment


def parse_speed(text: str | None) -> float | None:
    """``--speed``: park time per wall-clock time, or ``max`` (None: as fast as it goes).

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
        raise UsageError(f"--speed: expected a number above 0 or 'max', got '{text}'")
    return speed


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """Set `stop` on SIGINT or SIGTERM while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def state(
    park: str | Path | Park | None, store_path: str | Path, at: str | None = None
) -> dict[str, Any]:
    """``parktwin state --json``: the state document at `at` (default: the latest)."""
    source = read_park(park)
    moment = parse_moment(at, source)
    with Store.open(store_path, read_only=True) as store:
        return state_document(source, store, moment)


def live_replay(
    park: str | Path | Park | None,
    sensor_dir: str | Path,
    store_path: str | Path,
    speed: str | None = None,
    stop: threading.Event | None = None,
    setup: Setup | None = None,
) -> IngestStats:
    """``parktwin live --replay``: feed a recording into the store until it ends or a signal.

    Args:
        park: Park source.
        sensor_dir: The recording (a sensor folder).
        store_path: The store (created when missing).
        speed: ``--speed`` text: a number, or ``max``/None for as fast as it goes.
        stop: An event that ends the run early when set (signals set it too).
        setup: Called with the run (its store, ``every`` and ``publish``) before the first
            message: where periodic jobs such as the nowcast are registered.

    Returns:
        The counters of the run.
    """
    source = read_park(park)
    pace = parse_speed(speed)
    with Store.open(store_path) as store, stop_on_signals(stop or threading.Event()) as halt:
        replay = Replay(source, sensor_dir, store, speed=pace, stop=halt)
        if setup is not None:
            setup(replay)
        return replay.run()
