"""The live twin follows change: arrival rates re-estimated from the trucks of the last day.

A windowed Gamma-Poisson estimate. For each flow, the trucks that arrived in the
:data:`WINDOW_H` hours before the moment (n) are set against the trucks the park's rates
expect there (E, holidays run as Sundays); the flow's rates are scaled by
``(n + PRIOR) / (E + PRIOR)``, the posterior mean of the factor under a Gamma prior worth
:data:`PRIOR` trucks centred on 1, so a quiet hour does not swing the rates and a step in the
rates shows in full once a day of trucks has come after it. Timetabled flows keep their
timetable. Building loads are not followed here (the nowcast's power series run on the park's
levels).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from twin.live.store import Store, to_seconds
from twin.live.visits import group_visits
from twin.model.intervals import Clock
from twin.model.schema import Park

WINDOW_H = 24.0
PRIOR = 10.0
"""Pseudo-trucks of the prior: the factor moves half-way to the data's once E reaches it."""


def expected_arrivals(park: Park, flow_rates: np.ndarray, start: datetime, end: datetime) -> float:
    """Trucks a flow's 168 weekly rates (per hour) expect between `start` and `end`."""
    clock = Clock.of(park.park.start, park.park.holidays)
    origin = datetime.fromisoformat(park.park.start)
    lo = (start - origin).total_seconds() / 60.0
    hi = (end - origin).total_seconds() / 60.0
    knots = np.unique(np.concatenate([[lo, hi], clock.hour_edges((lo, hi))]))
    rates = np.asarray(flow_rates, dtype=float)[clock.week_hour(knots[:-1])]
    return float((rates * np.diff(knots) / 60.0).sum())


def rate_factors(park: Park, store: Store, at: datetime) -> dict[str, float]:
    """Each Poisson flow's factor on its rates at `at` (see the module docstring)."""
    since = at - timedelta(hours=WINDOW_H)
    events = store.truck_events(since, at)
    visits = group_visits(events, [to_seconds(e.time) for e in events])
    low, high = to_seconds(since), to_seconds(at)
    seen: dict[str, int] = {}
    for visit in visits:
        arrived = visit.seen.get("arrive")
        if arrived is not None and low <= arrived < high:
            seen[visit.flow] = seen.get(visit.flow, 0) + 1
    factors = {}
    for flow in park.logistics.flows:
        if flow.timetable is not None:
            continue
        expected = expected_arrivals(park, np.asarray(flow.weekly_rates()), since, at)
        factors[flow.id] = (seen.get(flow.id, 0) + PRIOR) / (expected + PRIOR)
    return factors


def followed_park(park: Park, store: Store, at: datetime) -> Park:
    """The park with each Poisson flow's rates scaled by its :func:`rate_factors` at `at`."""
    factors = rate_factors(park, store, at)
    flows = []
    for flow in park.logistics.flows:
        if flow.id not in factors:
            flows.append(flow)
            continue
        rates = [r * factors[flow.id] for r in flow.weekly_rates()]
        cleared = dict.fromkeys(("rate_per_hour", "hourly_profile", "timetable"))
        flows.append(flow.model_copy(update={**cleared, "weekly_profile": rates}))
    logistics = park.logistics.model_copy(update={"flows": flows})
    return park.model_copy(update={"logistics": logistics})
