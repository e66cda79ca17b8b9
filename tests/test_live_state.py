"""The state from truck events: exact hand-made cases, and a plain-SimPy park as the truth.

The SimPy generator below is written for these tests only (it shares no code with the twin):
trucks queue for gate lanes, drive, queue for docks, are served, drive back and leave; it
records the moment each truck entered each stage. The twin sees only the published events
and must tell every truck's stage and time in stage from them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
import simpy

from tests.parks import one_dock_group
from twin.io.load import load_park
from twin.live.messages import Alarm, TruckEvent
from twin.live.state import outages_now, state_from_events
from twin.live.visits import STALE_H
from twin.sim.start_state import STAGES

T0 = datetime(2026, 1, 5, 6, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def truck(minutes: float, truck_id: str, event: str) -> TruckEvent:
    return TruckEvent(at(minutes), truck_id, "in", event, "g1", "d1")


def park(lanes: int = 1, gate_min: float = 2.0, docks: int = 2) -> Any:
    return one_dock_group(
        docks,
        {"dist": "exponential", "mean": 20},
        rate_per_hour=6,
        gate_service={"dist": "constant", "value": gate_min},
        lanes=lanes,
        roads=True,  # one minute each way
    )


def stages(state: Any) -> dict[str, tuple[str, float, float]]:
    return {
        t.truck_id: (t.stage, round(t.in_stage_min, 6), round(t.in_park_min, 6))
        for t in state.trucks
    }


# --------------------------------------------------------------------------- exact, by hand


def test_every_stage_from_published_events_with_gate_out() -> None:
    events = [
        truck(0, "A", "arrive"),
        truck(1, "B", "arrive"),
        truck(2, "C", "arrive"),
        truck(3, "A", "gate_out"),  # A: lane 0-3; B takes the lane at 3
        truck(4, "A", "dock_start"),
        truck(30, "A", "dock_end"),
    ]
    got = stages(state_from_events(park(), events, at(3.5)))
    assert got == {
        "A": ("on_road", 0.5, 3.5),
        "B": ("at_gate", 0.5, 2.5),
        "C": ("gate_queue", 1.5, 1.5),
    }
    got = stages(state_from_events(park(), events, at(10)))
    assert got["A"] == ("in_service", 6.0, 10.0)
    assert got["B"] == ("at_gate", 7.0, 9.0)  # no gate_out yet: still at the gate
    got = stages(state_from_events(park(), events, at(30.5)))
    assert got["A"] == ("leaving", 0.5, 30.5)
    # No depart published anywhere: A leaves after the one-minute drive back.
    assert "A" not in stages(state_from_events(park(), events, at(31.5)))


def test_gate_without_gate_out_uses_the_mean_service_and_the_drive() -> None:
    events = [truck(0, "A", "arrive"), truck(1, "B", "arrive")]
    p = park(lanes=1, gate_min=2.0)
    assert stages(state_from_events(p, events, at(1.5))) == {
        "A": ("at_gate", 1.5, 1.5),
        "B": ("gate_queue", 0.5, 0.5),
    }
    assert stages(state_from_events(p, events, at(2.5))) == {
        "A": ("on_road", 0.5, 2.5),  # gate out at 2, drive 1 min
        "B": ("at_gate", 0.5, 1.5),  # lane free at 2
    }
    assert stages(state_from_events(p, events, at(3.5)))["A"] == ("dock_queue", 0.5, 3.5)


def test_later_events_win_over_inferred_moments() -> None:
    # The mean gate service is 2 min, but A's dock start says it was through sooner.
    events = [truck(0, "A", "arrive"), truck(1.5, "A", "dock_start")]
    got = stages(state_from_events(park(gate_min=2.0), events, at(1.6)))
    assert got == {"A": ("in_service", pytest.approx(0.1), 1.6)}


def test_events_after_the_moment_are_not_seen_and_order_does_not_matter() -> None:
    events = [truck(5, "A", "dock_start"), truck(0, "A", "arrive"), truck(3, "A", "gate_out")]
    before = state_from_events(park(), events, at(4))
    assert stages(before) == {"A": ("dock_queue", 0.0, 4.0)}
    shuffled = list(reversed(events)) + events  # duplicates too
    assert stages(state_from_events(park(), shuffled, at(4))) == stages(before)


def test_visit_seen_first_at_its_dock_counts_from_there() -> None:
    got = stages(state_from_events(park(), [truck(10, "X", "dock_start")], at(12)))
    assert got == {"X": ("in_service", 2.0, 2.0)}


def test_depart_ends_a_visit_and_a_second_arrive_is_a_new_visit() -> None:
    events = [
        truck(0, "A", "arrive"),
        truck(40, "A", "depart"),
        truck(100, "A", "arrive"),
    ]
    assert stages(state_from_events(park(), events, at(50))) == {}
    assert stages(state_from_events(park(), events, at(100.5))) == {"A": ("at_gate", 0.5, 0.5)}


def test_a_visit_without_news_goes_stale() -> None:
    events = [truck(0, "A", "arrive"), truck(3, "A", "gate_out"), truck(4, "A", "dock_start")]
    assert stages(state_from_events(park(), events, at(4 + STALE_H * 60 - 1)))
    assert not stages(state_from_events(park(), events, at(4 + STALE_H * 60 + 1)))


def test_missing_depart_at_a_gate_that_publishes_departures() -> None:
    events = [
        truck(0, "B", "arrive"),
        truck(30, "B", "dock_end"),
        truck(31, "B", "depart"),  # the gate publishes departures...
        truck(0, "A", "arrive"),
        truck(30, "A", "dock_end"),  # ...but A's was lost
    ]
    assert stages(state_from_events(park(), events, at(60)))["A"][0] == "leaving"
    assert "A" not in stages(state_from_events(park(), events, at(30 + 1 + 61)))


def test_outages_in_effect() -> None:
    p = load_park("demo-small")
    feeder = p.power.feeders[0].id
    gate = p.logistics.gates[0].id
    alarms = [
        Alarm(at(0), feeder, "outage_start", 2.0),
        Alarm(at(10), gate, "outage_start"),
        Alarm(at(20), gate, "outage_end"),
        Alarm(at(200), feeder, "outage_end"),
    ]
    now = outages_now(p, alarms, at(30))
    assert [(o.asset, o.kind, o.elapsed_min, o.expected_remaining_min) for o in now] == [
        (feeder, "feeder", 30.0, 90.0)
    ]
    overdue = outages_now(p, alarms, at(150))
    assert overdue[0].expected_remaining_min == 0.0
    assert outages_now(p, alarms, at(15))[1].asset == gate
    assert outages_now(p, alarms, at(250)) == ()


# --------------------------------------------------------------------------- independent truth


def simulate_truth(
    lanes: int, gate_min: float, docks: int, hours: float, seed: int
) -> tuple[list[TruckEvent], dict[str, dict[str, float]]]:
    """A plain SimPy park: the published events and each truck's true stage entry times."""
    rng = random.Random(seed)
    env = simpy.Environment()
    gate = simpy.Resource(env, lanes)
    dock = simpy.Resource(env, docks)
    events: list[TruckEvent] = []
    truth: dict[str, dict[str, float]] = {}

    def publish(name: str, event: str) -> None:
        events.append(truck(env.now, name, event))

    def visit(name: str) -> Any:
        moments = truth.setdefault(name, {})
        moments["gate_queue"] = env.now
        publish(name, "arrive")
        with gate.request() as lane:
            yield lane
            moments["at_gate"] = env.now
            yield env.timeout(gate_min)
        moments["on_road"] = env.now
        publish(name, "gate_out")
        yield env.timeout(1.0)
        moments["dock_queue"] = env.now
        with dock.request() as bay:
            yield bay
            moments["in_service"] = env.now
            publish(name, "dock_start")
            yield env.timeout(rng.expovariate(1 / 20.0))
        moments["leaving"] = env.now
        publish(name, "dock_end")
        yield env.timeout(1.0)
        moments["gone"] = env.now
        publish(name, "depart")

    def arrivals() -> Any:
        k = 0
        while True:
            yield env.timeout(rng.expovariate(8 / 60.0))
            k += 1
            env.process(visit(f"T{k}"))

    env.process(arrivals())
    env.run(until=hours * 60)
    return events, truth


def true_stage(moments: dict[str, float], t: float) -> tuple[str, float, float] | None:
    order = [*STAGES, "gone"]
    entered = [(s, moments[s]) for s in order if s in moments and moments[s] <= t]
    if not entered or entered[-1][0] == "gone":
        return None
    stage, since = max(entered, key=lambda item: (item[1], order.index(item[0])))
    return stage, round(t - since, 6), round(t - moments["gate_queue"], 6)


@pytest.mark.parametrize(
    ("lanes", "unpublished"),
    [(1, ()), (2, ()), (1, ("gate_out",)), (2, ("depart",)), (1, ("gate_out", "depart"))],
)
def test_every_truck_in_its_true_stage(lanes: int, unpublished: tuple[str, ...]) -> None:
    events, truth = simulate_truth(lanes, gate_min=6.0, docks=2, hours=12, seed=lanes)
    # Constant gate service and road drives: the mean gate time and the drive back are exact.
    events = [e for e in events if e.event not in unpublished]
    p = park(lanes=lanes, gate_min=6.0)
    checked = 0
    for minute in range(30, 12 * 60, 17):
        t = minute + 0.25
        want = {k: s for k, m in truth.items() if (s := true_stage(m, t)) is not None}
        got = stages(state_from_events(p, events, at(t)))
        assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in want.items()}, t
        for name, (_, in_stage, in_park) in want.items():
            assert got[name][1:] == pytest.approx((in_stage, in_park), abs=1e-5), (name, t)
        checked += len(want)
    assert checked > 300  # the park was busy: queues at the gate and the docks
