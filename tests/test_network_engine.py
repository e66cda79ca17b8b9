"""The network inside a replication: faults, restoration through ties, curtailment by priority.

Expected numbers come from the demand series and the switching rules of SPEC.md ("Power
network"), worked out by hand for demo-small on a ring (tests/networks.py).
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import numpy as np
import pytest

import twin
from tests.networks import ring_data
from twin.errors import UsageError
from twin.model.schema import OutageEvent, Park
from twin.sim import context, loadflow
from twin.sim.context import RunSpec, SimContext
from twin.sim.engine import prepare_shared
from twin.sim.engine import run_engine as simulate
from twin.sim.kpi import compute_kpis
from twin.sim.supply import forget_plans
from twin.sim.trace import Trace

DAY = RunSpec(horizon_days=1.0, warmup_days=0.0)


def _outage(asset: str, at: str = "10:00", hours: float = 4.0) -> OutageEvent:
    return OutageEvent.model_validate(
        {"outage": asset, "from": {"day": 0, "at": at}, "duration_h": hours}
    )


def _run(data: dict[str, Any], *events: OutageEvent) -> tuple[Trace, dict[str, float]]:
    trace = simulate(Park.model_validate(data), events, DAY)
    return trace, compute_kpis(trace)


def _energy_mwh(trace: Trace, kw: np.ndarray, start_min: float, end_min: float) -> np.ndarray:
    """Energy of a (steps, buildings) kW series over whole grid steps in [start, end)."""
    inside = (trace.edges[:-1] >= start_min) & (trace.edges[1:] <= end_min)
    hours = np.diff(trace.edges)[inside] / 60.0
    return kw[inside].T @ hours / 1000.0


def test_a_cable_fault_loses_the_ring_until_the_tie_closes() -> None:
    """l1 out from 10:00: rmu1-3 are lost for restoration_min (30), then fed through tie l4."""
    trace, kpis = _run(ring_data(), _outage("l1"))
    demand = trace.series["building_power_demand_kw"]
    lost = _energy_mwh(trace, demand, 600.0, 630.0)
    for j, building in enumerate(trace.names["buildings"]):
        assert kpis[f"buildings.{building}.unserved_mwh"] == pytest.approx(lost[j], rel=1e-12)
    assert kpis["power.unserved_mwh"] == pytest.approx(lost.sum(), rel=1e-12)
    loading = trace.series["line_loading_pct"]
    during = (trace.edges[:-1] >= 630) & (trace.edges[:-1] < 840)
    assert (loading[during, 0] == 0).all() and (loading[during, 3] > 0).all()
    assert (loading[~during & (trace.edges[:-1] >= 840), 3] == 0).all()  # the tie opens again
    assert kpis["power.lines.l4.loading_max_pct"] > 0
    assert trace.meta["power_notes"] == []


def test_production_falls_with_the_lost_supply() -> None:
    """f2 (three shifts) loses 30 minutes of supply: 30 minutes of its 1200 units an hour."""
    base = _run(ring_data())[1]
    fault = _run(ring_data(), _outage("l1"))[1]
    assert base["production.f2.units"] - fault["production.f2.units"] == pytest.approx(600.0)


def test_a_restoration_that_would_overload_leaves_the_lowest_priority_off() -> None:
    """With the tie rated for less than the whole ring, the lowest priority is left off."""
    data = ring_data()
    data["power"]["network"]["lines"][3]["max_i_ka"] = 0.06  # about 2.2 MVA on the tie
    priorities = {"f1": 5, "w1": 1, "f2": 2, "o1": 4, "u1": 9}
    for building in data["buildings"]:
        building["power"]["priority"] = priorities[building["id"]]
    trace, kpis = _run(data, _outage("l1"))
    left = trace.series["building_left_off"]
    restored = (trace.edges[:-1] >= 630) & (trace.edges[:-1] < 840)
    names = trace.names["buildings"]
    off = {names[j] for j in np.flatnonzero(left[restored].any(axis=0))}
    assert "w1" in off and "u1" not in off and "f1" not in off
    assert (trace.series["line_loading_pct"][restored, 3] <= 100.0 + 1e-6).all()
    assert (np.nan_to_num(trace.series["bus_v_pu"][restored], nan=1.0) >= 0.9).all()
    kept = left[restored][:, names.index("w1")]
    assert kept[np.argmax(kept > 0) :].all()  # once left off, off until the outage ends
    assert "left off" in " ".join(trace.meta["power_notes"])
    assert kpis["buildings.w1.unserved_mwh"] > kpis["buildings.u1.unserved_mwh"]


def test_overload_in_normal_operation_curtails_and_balances() -> None:
    """A weak first cable: curtailment every shift, demand = served + unserved exactly."""
    data = ring_data()
    data["power"]["network"]["lines"][0]["max_i_ka"] = 0.1
    trace, kpis = _run(data)
    s = trace.series
    demand, served = s["building_power_demand_kw"], s["building_power_served_kw"]
    assert np.allclose(demand, served + s["building_power_unserved_kw"], rtol=0, atol=1e-9)
    assert (s["line_loading_pct"][:, 0] <= 100.0 + 1e-6).all()
    assert kpis["power.unserved_mwh"] > 0
    base = _run(ring_data())[1]
    assert kpis["production.f2.units"] + kpis["production.f1.units"] < (
        base["production.f2.units"] + base["production.f1.units"]
    )


def test_a_load_beyond_voltage_collapse_is_unserved_with_a_note_not_a_crash() -> None:
    data = ring_data(r_ohm_per_km=40.0, x_ohm_per_km=30.0, max_i_ka=5.0)
    trace, kpis = _run(data)
    assert kpis["power.unserved_mwh"] > 0
    assert trace.meta["power_notes"]
    v = trace.series["bus_v_pu"]
    assert (np.nan_to_num(v, nan=1.0) >= 0.9).all()


def _two_substations(data: dict[str, Any]) -> dict[str, Any]:
    data["power"]["substations"] = [
        {"id": "sub1", "capacity_mw": 12, "transformers": [
            {"id": "t1", "sn_mva": 10, "vk_percent": 10, "vkr_percent": 0.5}]},
        {"id": "sub2", "capacity_mw": 12, "transformers": [
            {"id": "t2", "sn_mva": 10, "vk_percent": 10, "vkr_percent": 0.5}]},
    ]  # fmt: skip
    net = data["power"]["network"]
    net["buses"].append({"id": "sub2-mv", "substation": "sub2"})
    net["lines"][3]["to"] = "sub2-mv"
    return data


def test_a_substation_without_transformers_keeps_its_capacity() -> None:
    """sub1 at 4 MW, below the ring's peak of 5.2 MW: the steps above it leave buildings off,
    lowest priority first, until the source supplies at most 4 MW (it supplied 5.2 before)."""
    data = ring_data()
    data["power"]["substations"][0]["capacity_mw"] = 4.0
    trace, kpis = _run(data)
    s = trace.series
    base = _run(ring_data())[0].series["substation_load_kw"][:, 0]
    assert base.max() > 5000.0  # the same park without the limit goes past it
    assert (s["substation_load_kw"][:, 0] <= 4000.0 * (1 + 1e-9)).all()
    assert kpis["power.unserved_mwh"] > 0
    left_off = s["building_left_off"]
    assert left_off.any() and left_off[base <= 4000.0].sum() == 0  # only where it was past
    u1 = trace.names["buildings"].index("u1")  # priority 5: the others (1) go before it
    asked = s["building_power_demand_kw"] > 0
    others = np.arange(left_off.shape[1]) != u1
    for k in np.flatnonzero(left_off[:, u1]):
        assert left_off[k, others & asked[k]].all()
    assert not left_off[:, u1].all()


def test_a_substation_loss_is_transferred_to_the_other_substation() -> None:
    trace, kpis = _run(_two_substations(ring_data()), _outage("sub1"))
    sub = trace.series["substation_load_kw"]
    restored = (trace.edges[:-1] >= 630) & (trace.edges[:-1] < 840)
    assert (sub[restored, 0] == 0).all() and (sub[restored, 1] > 0).all()
    assert kpis["power.transformers.t2.loading_max_pct"] > 0
    demand = trace.series["building_power_demand_kw"]
    assert kpis["power.unserved_mwh"] == pytest.approx(_energy_mwh(trace, demand, 600, 630).sum())


def test_a_transformer_outage_counts_as_an_outage_of_its_substation_feed() -> None:
    trace, kpis = _run(_two_substations(ring_data()), _outage("t1"))
    assert kpis["power.transformers.t1.loading_max_pct"] > 0  # before and after
    during = (trace.edges[:-1] >= 600) & (trace.edges[:-1] < 840)
    assert (trace.series["transformer_loading_pct"][during, 0] == 0).all()


def test_same_seed_same_numbers() -> None:
    first = _run(ring_data(), _outage("l2"))[1]
    second = _run(ring_data(), _outage("l2"))[1]
    assert first == second


def test_without_the_solver_a_network_park_is_a_clear_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "power_grid_model", None)  # the extra not installed
    with pytest.raises(UsageError, match=r"parktwin\[power\]"):
        twin.run(ring_data(), None, twin.Settings(days=1))


def test_an_overloaded_cable_sheds_what_it_feeds_not_the_lowest_priority_elsewhere() -> None:
    """l2 too weak for rmu2 and rmu3: w1 on rmu1 (priority 0) gains nothing from going off."""
    data = ring_data()
    data["power"]["network"]["lines"][1]["max_i_ka"] = 0.05
    for building in data["buildings"]:
        building["power"]["priority"] = 0 if building["id"] == "w1" else 3
    trace, kpis = _run(data)
    left = trace.series["building_left_off"]
    names = trace.names["buildings"]
    assert not left[:, names.index("w1")].any() and kpis["buildings.w1.unserved_mwh"] == 0
    assert left[:, [names.index(b) for b in ("f2", "o1", "u1")]].any()
    assert (trace.series["line_loading_pct"][:, 1] <= 100.0 + 1e-6).all()


def test_the_supply_plan_is_made_once_per_park_and_outages_and_reused_unchanged() -> None:
    """Nothing random goes into a plan: replications share it; other outages make another."""
    park = Park.model_validate(ring_data())
    forget_plans()
    first = SimContext(park, DAY)
    again = SimContext(park, dataclasses.replace(DAY, replication=1))
    assert again.supply is first.supply
    faulted = SimContext(park, DAY, [_outage("l1")])
    assert faulted.supply is not first.supply
    reused = compute_kpis(simulate(park, (), dataclasses.replace(DAY, replication=2)))
    forget_plans()
    made = compute_kpis(simulate(park, (), dataclasses.replace(DAY, replication=2)))
    assert [float(v).hex() for v in reused.values()] == [float(v).hex() for v in made.values()]


def test_the_load_flow_on_two_threads_gives_the_same_plan_bit_for_bit() -> None:
    park = Park.model_validate(ring_data())
    events = [_outage("l1")]
    forget_plans()
    one = SimContext(park, DAY, events).supply
    forget_plans()
    with loadflow.threads(2):
        two = SimContext(park, DAY, events).supply
    assert one is not None and two is not None and one is not two
    for name in ("converged", "bus_v_pu", "line_loading", "trafo_loading", "load_p_w"):
        assert getattr(one.flow, name).tobytes() == getattr(two.flow, name).tobytes(), name
    assert one.shed.tobytes() == two.shed.tobytes()


def test_a_prepared_plan_is_the_one_every_replication_uses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    park = Park.model_validate(ring_data())
    events = (_outage("l1"),)
    forget_plans()
    made = compute_kpis(simulate(park, events, DAY))
    forget_plans()
    prepare_shared(park, events, DAY, threads=2)

    def no_new_plan(*args: object) -> None:
        raise AssertionError("a replication made a plan of its own")

    monkeypatch.setattr(context, "plan_supply", no_new_plan)
    prepared = compute_kpis(simulate(park, events, DAY))
    assert [float(v).hex() for v in prepared.values()] == [float(v).hex() for v in made.values()]


def test_preparing_what_cannot_be_made_leaves_it_to_the_replications(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    park = Park.model_validate(ring_data())
    forget_plans()

    def broken(*args: object) -> None:
        raise RuntimeError("solver failed")

    monkeypatch.setattr(context, "plan_supply", broken)
    prepare_shared(park, (), DAY)  # says nothing
    with pytest.raises(RuntimeError, match="solver failed"):
        simulate(park, (), DAY)
