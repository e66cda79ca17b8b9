"""The network the page shows at a moment (web.grid): switching and restoration as SPEC.md
says, the open points on the plan, and the same line loadings as the engine's run of the same
cable fault given the same demand."""

from __future__ import annotations

import numpy as np
import pytest

from twin.io.load import load_park
from twin.model.schema import Park
from twin.sim.start_state import OutageNow
from web.grid import NetworkModel, network_plan
from web.plan import plan_document

from .networks import ring_data
from .web_helpers import network_park

FAULT, TIE = "l-r7-1", "l-r7-3"


@pytest.fixture(scope="module")
def park() -> Park:
    return network_park()


@pytest.fixture(scope="module")
def model(park: Park) -> NetworkModel:
    found = NetworkModel.of(park)
    assert found is not None
    return found


def demand(park: Park) -> dict[str, float]:
    return {b.id: b.power.base_kw + b.power.shift_kw for b in park.buildings if b.power}


def fault(elapsed: float) -> list[OutageNow]:
    return [OutageNow(FAULT, "line", elapsed_min=elapsed, expected_remaining_min=120.0)]


def test_the_plan_draws_every_line_and_marks_the_open_points(park: Park) -> None:
    plan = network_plan(park)
    assert plan is not None and park.power is not None and park.power.network is not None
    ties = {s.line for s in park.power.network.switches if not s.closed}
    assert {ln["id"] for ln in plan["lines"] if ln["tie"]} == ties
    assert all(len(ln["points"]) == 2 for ln in plan["lines"])
    assert network_plan(park.model_copy(update={"power": None})) is None


def test_in_normal_operation_the_open_points_carry_nothing(park: Park, model: NetworkModel) -> None:
    now = model.status([], demand(park))
    assert now["converged"] and now["unpowered"] == []
    for line, state in now["lines"].items():
        assert state["closed"] == (
            line not in {ln["id"] for ln in network_plan(park)["lines"] if ln["tie"]}
        )  # type: ignore[index]
        if not state["closed"]:
            assert state["loading_pct"] == 0.0
    assert all(v is not None and 0.9 < v < 1.1 for v in now["buses"].values())


def test_a_cable_fault_cuts_the_ring_until_restoration_closes_its_open_point(
    park: Park, model: NetworkModel
) -> None:
    restoration = model.restoration_min
    before = model.status(fault(restoration - 10.0), demand(park))
    after = model.status(fault(restoration + 10.0), demand(park))
    dark = [bus for bus, v in before["buses"].items() if v is None]
    assert dark and before["unpowered"]
    on_dark = {b.id for b in park.buildings if b.power and b.power.bus in dark}
    assert set(before["unpowered"]) == on_dark
    assert not before["lines"][FAULT]["closed"] and not before["lines"][TIE]["closed"]
    assert not after["lines"][FAULT]["closed"] and after["lines"][TIE]["closed"]
    assert after["lines"][TIE]["loading_pct"] > 1.0
    assert all(after["buses"][bus] is not None for bus in dark)
    # At everyone's peak the tie cannot carry the whole ring: SPEC's rule leaves buildings of
    # the lost section off (lowest priority first) until no rating is exceeded.
    assert set(after["unpowered"]) < on_dark
    assert max(state["loading_pct"] for state in after["lines"].values()) <= 100.0 + 1e-6
    assert min(v for v in after["buses"].values() if v is not None) >= 0.9


def test_the_page_and_a_simulated_run_load_the_lines_alike(park: Park, model: NetworkModel) -> None:
    from twin.api import simulate

    trace = simulate(park, "cable-fault", days=3.0, warmup_days=0.0, seed=0)
    start = 2 * 1440 + 600.0
    starts, ends = trace.edges[:-1], trace.edges[1:]
    k = int(np.searchsorted(starts, start + 60.0))
    middle = (starts[k] + ends[k]) / 2.0
    outage = [OutageNow(FAULT, "line", middle - start, start + 480.0 - middle)]
    asked = trace.series["building_power_demand_kw"][k]
    now = model.status(outage, dict(zip(trace.names["buildings"], asked, strict=True)))
    pct = np.array([now["lines"][line]["loading_pct"] for line in trace.names["lines"]])
    np.testing.assert_allclose(pct, trace.series["line_loading_pct"][k], rtol=1e-6, atol=1e-6)


def test_a_line_to_a_bus_without_a_place_is_left_off_the_plan_but_still_solved() -> None:
    data = ring_data()
    data["power"]["network"]["buses"][3].pop("position")  # rmu3, and nobody on it
    for building in data["buildings"]:
        if building["power"]["bus"] == "rmu3":
            building["power"]["bus"] = "rmu2"
    park = load_park(data)
    plan = plan_document(park)["network"]
    drawn = {ln["id"]: bool(ln["points"]) for ln in plan["lines"]}
    assert drawn == {"l1": True, "l2": True, "l3": False, "l4": False}
    model = NetworkModel.of(park)
    assert model is not None
    now = model.status([], demand(park))
    assert now["lines"]["l2"]["loading_pct"] > 1.0 and now["lines"]["l3"]["closed"]
    assert now["buses"]["rmu3"] is not None
