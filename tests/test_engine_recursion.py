"""The exact recursion gives the SimPy processes' truck log bit for bit, and falls back on ties."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.parks import one_dock_group
from twin.io.load import load_park
from twin.model.schema import OutageEvent, RateEvent
from twin.sim import logistics
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.trace import TIME_COLUMNS

TWO_DAYS = RunSpec(horizon_days=2, warmup_days=1, seed=3)


def outage(asset: str, day: int, at: str, hours: float) -> OutageEvent:
    return OutageEvent.model_validate(
        {"outage": asset, "from": {"day": day, "at": at}, "duration_h": hours}
    )


def both_ways(park: Any, events: Any = (), spec: RunSpec = TWO_DAYS) -> tuple[Any, Any, list]:
    """The run by the recursion and by SimPy processes, and what the recursion returned."""
    returned: list = []

    def spy(ctx: Any, plans: Any) -> Any:
        columns = advance(ctx, plans)
        returned.append(columns)
        return columns

    advance = logistics.advance_trucks
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(logistics, "advance_trucks", spy)
        fast = run_engine(park, events, spec)
        patch.setattr(logistics, "EXACT_RECURSION", False)
        slow = run_engine(park, events, spec)
    return fast, slow, returned


def assert_same_log(fast: Any, slow: Any) -> None:
    assert fast.n_trucks == slow.n_trucks > 0
    for name in (*TIME_COLUMNS, "flow", "gate", "dock_group"):
        assert fast.trucks[name].tobytes() == slow.trucks[name].tobytes(), name
    assert fast.series["dock_queue_mean"].tobytes() == slow.series["dock_queue_mean"].tobytes()


YEN_BINH_EVENTS = [
    outage("sub1", 0, "08:00", 4),  # docks without power: service suspended
    outage("g-main", 1, "05:00", 3),  # a gate closed: its queue grows, exits wait
    outage("wh-1-docks", 1, "12:00", 2),  # a dock group out inside its hours
]


@pytest.mark.parametrize(
    ("name", "events"),
    [("demo-small", []), ("yen-binh", []), ("yen-binh", YEN_BINH_EVENTS)],
)
def test_bundled_parks_bit_identical(name: str, events: list) -> None:
    fast, slow, returned = both_ways(load_park(name), events)
    assert returned and returned[0] is not None  # the recursion ran, it did not fall back
    assert_same_log(fast, slow)


def test_gate_closed_with_service_and_roads() -> None:
    park = one_dock_group(
        docks=2,
        service={"dist": "exponential", "mean": 20},
        rate_per_hour=5,
        gate_service={"dist": "exponential", "mean": 3},
        roads=True,
        powered=True,
        hours=[{"start": "06:00", "end": "20:00"}],
    )
    events = [outage("g1", 0, "10:00", 5), outage("fd1", 1, "07:30", 2.5)]
    fast, slow, returned = both_ways(park, events, RunSpec(horizon_days=3, warmup_days=0))
    assert returned[0] is not None
    assert_same_log(fast, slow)


def test_the_end_of_the_run_cuts_the_same_steps() -> None:
    """A horizon that ends inside a busy hour: trucks in the queue, in service, on the road."""
    park = one_dock_group(
        docks=1, service={"dist": "exponential", "mean": 25}, rate_per_hour=3, roads=True
    )
    spec = RunSpec(horizon_days=0.4321, warmup_days=0, seed=5)
    fast, slow, returned = both_ways(park, spec=spec)
    assert returned[0] is not None
    assert np.isnan(fast.trucks["exit"]).any()  # the cut falls inside some visits
    assert_same_log(fast, slow)


def test_simultaneous_trucks_fall_back_to_simpy() -> None:
    """A gate that adds no delay, closed: trucks pass together when it opens (a tie)."""
    park = one_dock_group(docks=2, service={"dist": "exponential", "mean": 20}, rate_per_hour=6)
    events = [outage("g1", 0, "08:00", 3)]
    fast, slow, returned = both_ways(park, events, RunSpec(horizon_days=1, warmup_days=0))
    assert returned == [None]
    assert_same_log(fast, slow)


def test_staffing_uses_simpy() -> None:
    data = load_park("demo-small").model_dump(mode="json", exclude_none=True)
    data["logistics"]["dock_groups"][0]["staffing"] = [
        {"start": "22:00", "end": "06:00", "docks": 1}
    ]
    _, _, returned = both_ways(load_park(data))
    assert returned == []


@pytest.mark.parametrize("seed", range(8))
def test_random_outages_and_rate_changes_bit_identical(seed: int) -> None:
    """demo-small under random outages of any asset and rate changes, cut at a random time."""
    rng = np.random.default_rng(seed)
    park = load_park("demo-small")
    logi = park.logistics
    assets = [g.id for g in logi.gates] + [g.id for g in logi.dock_groups]
    assets += [f.id for f in park.power.feeders] + [s.id for s in park.power.substations]
    events: list[Any] = []
    for _ in range(int(rng.integers(1, 6))):
        at = f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}"
        day, hours = int(rng.integers(0, 2)), float(rng.uniform(0.2, 9))
        events.append(outage(str(rng.choice(assets)), day, at, hours))
    flow = str(rng.choice([f.id for f in logi.flows]))
    change = {"flow": flow, "from": {"day": 1, "at": "12:00"}, "factor": float(rng.uniform(0.5, 3))}
    events.append(RateEvent.model_validate(change))
    spec = RunSpec(horizon_days=float(rng.uniform(0.5, 2.5)), warmup_days=0.5, seed=seed)
    fast, slow, returned = both_ways(park, events, spec)
    assert returned  # a gate with service: no ties, the recursion ran
    assert returned[0] is not None
    assert_same_log(fast, slow)
