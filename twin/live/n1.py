"""N-1 from the live state: the loads the meters read and the trucks in the park at a moment.

:func:`live_n1` takes the state at the moment from a store the way a nowcast does
(:func:`twin.live.state.state_at`: the trucks by stage and the outages in effect, a
:class:`~twin.sim.start_state.StartState`), sets each building whose power meter has a fresh
reading to that reading, and runs :func:`twin.experiment.n1.n1_analysis` from the state: every
contingency from the moment on, the base run and each outage's run warm-started from the trucks
present (so `trucks_delayed` counts those already in the park as well as those to come).

A reading is fresh when it is at most :data:`~twin.live.state.METER_FRESH_H` hours old at the
moment; a metered building draws its reading, constant, over the hours studied (the load at the
moment), and one without a fresh reading the park's demand for the time of day.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from twin.experiment.n1 import TAIL_MIN, n1_analysis
from twin.live.state import METER_FRESH_H, known_state
from twin.live.store import Store
from twin.model.schema import Park
from twin.sim.context import RunSpec

MAX_KW = 1_000_000.0
"""The largest load a building's power may have in the park format (kW)."""


def metered_loads(park: Park, store: Store, at: datetime) -> dict[str, float]:
    """Each building's latest fresh power reading at `at` (kW), by id; others are absent."""
    fresh = at - timedelta(hours=METER_FRESH_H)
    powered = {b.id for b in park.buildings if b.power is not None}
    return {
        r.asset: float(r.value)
        for r in store.latest_readings(at)
        if r.quantity == "power_kw" and r.asset in powered and r.time >= fresh
        and math.isfinite(r.value) and 0.0 <= r.value <= MAX_KW
    }  # fmt: skip


def with_loads(park: Park, loads_kw: dict[str, float]) -> Park:
    """The park with each building of `loads_kw` drawing that load at every moment."""
    buildings = []
    for building in park.buildings:
        if building.id in loads_kw and building.power is not None:
            constant = {"base_kw": loads_kw[building.id], "shift_kw": 0.0}
            power = building.power.model_copy(update={**constant, "shape": None, "level_kw": None})
            building = building.model_copy(update={"power": power})
        buildings.append(building)
    return park.model_copy(update={"buildings": buildings})


def live_n1(
    park: Park, store: Store, at: datetime | None = None, hours: float = 4.0, seed: int = 0
) -> dict[str, Any]:
    """n1.json at `at` (default: the store's latest moment) from the live state.

    ``at`` is the moment as an ISO time; ``state`` says what the study started from: the trucks
    in the park, the outages in effect and the buildings whose meters gave their load.

    Raises:
        UsageError: an empty store, `at` before its first message, a park without a network.
    """
    state = known_state(park, store, at)
    loads = metered_loads(park, store, state.time)
    days = math.ceil((hours * 60.0 + TAIL_MIN) / 1440.0)
    spec = RunSpec(horizon_days=float(days), warmup_days=0.0, seed=seed)
    doc = n1_analysis(with_loads(park, loads), [], 0.0, hours, spec, start=state)
    doc["at"] = state.time.isoformat(timespec="seconds")
    doc["state"] = {
        "trucks": len(state.trucks),
        "outages": [o.asset for o in state.outages],
        "metered_buildings": sorted(loads),
    }
    return doc
