"""Tier 2: invariants that hold for every valid park, checked on random small parks."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.io.load import load_park
from twin.model.schema import OutageEvent
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.kpi import compute_kpis

DISTS = st.sampled_from(
    [
        {"dist": "constant", "value": 12},
        {"dist": "exponential", "mean": 20},
        {"dist": "lognormal", "mean": 30, "sd": 10},
        {"dist": "gamma", "mean": 25, "sd": 20},
        {"dist": "normal", "mean": 15, "sd": 10},
        {"dist": "triangular", "min": 5, "mode": 10, "max": 40},
        {"dist": "uniform", "min": 1, "max": 9},
        {"dist": "empirical", "values": [3, 8, 21]},
    ]
)
TIMES = st.sampled_from(["00:00", "06:00", "08:30", "14:00", "22:00"])


@st.composite
def small_parks(draw: st.DrawFn) -> tuple[dict[str, Any], list[OutageEvent]]:
    """A park of 1-3 buildings on one feeder, 1-2 gates, a dock group per building."""
    n = draw(st.integers(1, 3))
    buildings, groups, flows = [], [], []
    for i in range(n):
        x = i * 200
        building: dict[str, Any] = {
            "id": f"b{i}",
            "kind": "factory",
            "footprint": [[x, 0], [x + 100, 0], [x + 100, 60], [x, 60]],
            "height_m": 10,
            "power": {"feeder": "fd1", "base_kw": draw(st.floats(0, 500)),
                      "shift_kw": draw(st.floats(0, 3000))},
            "shifts": [{"start": draw(TIMES), "end": draw(TIMES)}],
            "production": {"units_per_hour": 10},
        }  # fmt: skip
        if building["shifts"][0]["start"] == building["shifts"][0]["end"]:
            building["shifts"] = []
        buildings.append(building)
        group: dict[str, Any] = {
            "id": f"d{i}",
            "building": f"b{i}",
            "docks": draw(st.integers(1, 4)),
            "service": draw(DISTS),
        }
        if draw(st.booleans()):
            group["hours"] = [{"start": "06:00", "end": "18:00"}]
        groups.append(group)
        flows.append({"id": f"f{i}", "gate": f"g{i % 2}", "dock_group": f"d{i}",
                      "rate_per_hour": draw(st.floats(0, 12))})  # fmt: skip
    gates = [
        {"id": f"g{k}", "lanes": draw(st.integers(1, 3)), "service": draw(DISTS),
         "position": [k * 300, -100]}
        for k in range(2)
    ]  # fmt: skip
    park = {
        "park": {"name": "random"},
        "buildings": buildings,
        "power": {
            "substations": [{"id": "s1", "capacity_mw": draw(st.floats(0.5, 10))}],
            "feeders": [{"id": "fd1", "substation": "s1", "capacity_mw": draw(st.floats(0.5, 5))}],
        },
        "logistics": {"gates": gates, "dock_groups": groups, "flows": flows},
    }
    events = [
        OutageEvent.model_validate(
            {"outage": draw(st.sampled_from(["s1", "fd1", "g0", "g1"])),
             "from": {"day": 0, "at": draw(TIMES)}, "duration_h": draw(st.floats(0.1, 30))}
        )
        for _ in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    return park, events


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(small_parks(), st.integers(0, 1000))
def test_random_parks_keep_every_invariant(park_and_events, seed):
    data, events = park_and_events
    trace = run_engine(
        load_park(data), events, RunSpec(horizon_days=1.5, warmup_days=0.5, seed=seed)
    )
    kpis = compute_kpis(trace)
    t = trace.trucks
    # No truck is lost: each one has left or is still inside at the end.
    assert trace.n_trucks == int((~np.isnan(t["exit"])).sum() + kpis["trucks.in_park_end"])
    # Times along a visit never go backwards; a later step never happens without the earlier.
    columns = ["arrive", "gate_start", "gate_end", "dock_arrive", "dock_start", "dock_end", "exit"]
    times = np.vstack([t[c] for c in columns])
    for earlier, later in itertools.pairwise(times):
        both = ~np.isnan(earlier) & ~np.isnan(later)
        assert (later[both] >= earlier[both]).all()
        assert not (np.isnan(earlier) & ~np.isnan(later)).any()
    for name, value in kpis.items():
        if name.endswith(".utilization"):
            assert 0.0 <= value <= 1.0 + 1e-9, (name, value)
        if name.endswith(("_mwh", "_m3", ".units", "queue_mean", "wait_mean_min")):
            assert np.isnan(value) or value >= -1e-9, (name, value)
    assert kpis["power.energy_mwh"] >= 0
