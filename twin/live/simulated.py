"""A park simulated as a sensor feed: the live twin of a park with no sensors yet.

:func:`simulated_recording` simulates one replication of the park (under an optional
scenario) and writes what its sensors would have recorded as a sensor folder
(:func:`twin.sim.sensors.write_recorded`, the files of ``--sensors-out``); the scenario's
outages become alarm messages (``outage_start`` with its expected duration, ``outage_end``),
as a control room's SCADA would send them. The replay feeds both into a store in park time
(:class:`twin.live.replay.Replay`), so the page, the state and the nowcasts see a simulated
park exactly as they see a recorded or a live one.

A simulated park does not stop after one horizon: :func:`following_horizons` simulates the
next one, and the next, each written over the last into the same folder and read back, so that
the feed goes on with the memory and disk of one horizon. Its store keeps the last
:data:`KEEP_DAYS` of park time by default (``serve --keep-days``), so that it, too, stays
bounded however long the feed runs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from twin.experiment.runner import check_horizons, simulate_case
from twin.experiment.settings import Case, Settings
from twin.io.inputs import ParkSource, ScenarioSource, resolve_inputs
from twin.live.follow import LOOKBACK_H
from twin.live.replay import Message, sensor_messages
from twin.model.schema import Event, OutageEvent, Park
from twin.sim.sensors import write_recorded

DEMO_DAYS = 7.0
"""Days a simulated feed covers by default (the default horizon)."""
KEEP_DAYS = LOOKBACK_H / 24.0 + 1.0
"""Days of park time the store of a simulated feed keeps by default: a day more than the
nowcast's re-estimation of rates and meter levels reads back (:mod:`twin.live.follow`)."""


def simulated_recording(
    park: ParkSource | None,
    scenario: ScenarioSource | None,
    folder: str | Path,
    days: float = DEMO_DAYS,
    seed: int = 0,
) -> list[Message]:
    """Simulate the park and write its sensors into `folder`; return the scenario's alarms.

    Args:
        park: the park (None: the scenario's base, else the default park).
        scenario: an optional scenario, simulated with its changes and events.
        folder: the sensor folder to write (``meters.csv``, ``trucks.csv``).
        days: the simulated horizon, after a one-day warm-up that is not recorded.
        seed: the base seed.

    Returns:
        The alarm messages of the scenario's outages within the horizon, in time order.

    Raises:
        InputError: a park or scenario that cannot be read or applied, or an event after
            the horizon.
        UsageError: a horizon out of range.
    """
    inputs = resolve_inputs(park, scenario)
    settings = Settings(days=days, seed=seed)
    case = Case(inputs.park, inputs.events, inputs.scenario_name)
    check_horizons([case], settings.days)
    trace = simulate_case(case, case.spec(settings, 0))
    write_recorded(folder, trace, inputs.park)
    return outage_alarms(inputs.park, inputs.events, days)


def following_horizons(
    park: ParkSource | None,
    scenario: ScenarioSource | None,
    folder: str | Path,
    days: float = DEMO_DAYS,
    seed: int = 0,
) -> Iterator[Message]:
    """The sensor messages of the horizons after :func:`simulated_recording`'s, without end.

    Horizon k (from 1) is replication k of the park: its calendar moved k horizons on, after
    its own unrecorded warm-up, the scenario's changes applied and its events left to the
    first horizon. Each is simulated only when the one before has been read, written into
    `folder` over the one before, and read back as :func:`~twin.live.replay.sensor_messages`.

    Args:
        park: as for :func:`simulated_recording`.
        scenario: as for :func:`simulated_recording`.
        folder: the sensor folder each horizon is written into.
        days: the length of a horizon, as given to :func:`simulated_recording`.
        seed: the base seed, as given to :func:`simulated_recording`.

    Yields:
        (topic suffix, message) pairs in time order, all after the first horizon.
    """
    inputs = resolve_inputs(park, scenario)
    settings = Settings(days=days, seed=seed)
    start = datetime.fromisoformat(inputs.park.park.start)
    for k in itertools.count(1):
        moved = start + timedelta(days=k * days)
        info = inputs.park.park.model_copy(update={"start": moved.isoformat(timespec="seconds")})
        horizon = inputs.park.model_copy(update={"park": info})
        case = Case(horizon, (), inputs.scenario_name)
        write_recorded(folder, simulate_case(case, case.spec(settings, k)), horizon)
        yield from sensor_messages(horizon, folder)


def outage_alarms(park: Park, events: tuple[Event, ...], days: float) -> list[Message]:
    """The alarm messages of the outages among `events` that start within `days`."""
    start = datetime.fromisoformat(park.park.start)
    horizon = days * 1440.0
    alarms: list[Message] = []
    for event in events:
        if not isinstance(event, OutageEvent) or event.at.minutes() >= horizon:
            continue
        asset = event.outage
        begin = start + timedelta(minutes=event.at.minutes())
        end_min = event.at.minutes() + event.duration_h * 60.0
        alarms.append(("alarms", _alarm(begin, asset, "outage_start", event.duration_h)))
        if end_min < horizon:
            end = start + timedelta(minutes=end_min)
            alarms.append(("alarms", _alarm(end, asset, "outage_end", None)))
    return sorted(alarms, key=lambda message: message[1]["time"])


def _alarm(moment: datetime, asset: str, event: str, expected_h: float | None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "time": moment.isoformat(timespec="seconds"),
        "asset": asset,
        "event": event,
    }
    if expected_h is not None:
        message["expected_h"] = expected_h
    return message
