"""The "Busiest substation" tile of a park with a network: the substation's load from the load
flow (its source power, losses included, over its rating), as a run's
``power.<sub>.peak_load_pct`` counts it, not a sum over its feeders."""

from __future__ import annotations

import numpy as np
import pytest

from twin.model.schema import Park
from twin.sim.start_state import OutageNow
from web.grid import NetworkModel
from web.status import PlanModel, plan_status

from .web_helpers import network_park


@pytest.fixture(scope="module")
def park() -> Park:
    return network_park()


def test_the_sources_carry_the_demand_and_the_losses(park: Park) -> None:
    model = NetworkModel.of(park)
    assert model is not None
    demand = {b.id: b.power.base_kw + b.power.shift_kw for b in park.buildings if b.power}
    now = model.status([], demand)
    assert now["converged"] and now["unpowered"] == []
    losses = sum(now["sources_kw"].values()) - sum(demand.values())
    assert 0.0 < losses < 0.05 * sum(demand.values())


def test_the_tile_is_the_load_flow_share_a_run_counts_at_its_peak(park: Park) -> None:
    from twin.api import simulate

    trace = simulate(park, "cable-fault", days=3.0, warmup_days=0.0, seed=0)
    model = PlanModel.of(park)
    assert model.grid is not None
    subs = trace.names["substations"]
    capacity = {s.id: s.capacity_mw for s in park.power.substations}  # type: ignore[union-attr]
    asked = trace.series["substation_asked_kw"]
    in_horizon = trace.edges[:-1] < 3 * 1440.0
    for j, sub in enumerate(subs):
        k = int(np.argmax(np.where(in_horizon, asked[:, j], -np.inf)))
        demand = trace.series["building_power_demand_kw"][k]
        outages = _outages_at(trace, k)
        network = model.grid.status(
            outages, dict(zip(trace.names["buildings"], demand, strict=True))
        )
        share = 100.0 * network["sources_kw"][sub] / (capacity[sub] * 1000.0)
        run_peak = 100.0 * asked[k, j] / (capacity[sub] * 1000.0)
        assert share == pytest.approx(run_peak, rel=1e-6)
    status = plan_status(model, None)
    shares = {s: 100.0 * row["share"] for s, row in status["substations"].items()}
    assert status["totals"]["power.busiest_substation_pct"] == pytest.approx(max(shares.values()))
    busiest = status["totals"]["power.busiest_substation"]
    assert shares[busiest] == max(shares.values())
    assert status["substations"][busiest]["source"] == "load flow"


def test_the_tile_counts_the_losses_a_feeder_sum_leaves_out(park: Park) -> None:
    model = PlanModel.of(park)
    status = plan_status(model, None)
    served = sum(row.get("power_kw", 0.0) for row in status["buildings"].values())
    carried = sum(row["load_mw"] for row in status["substations"].values()) * 1000.0
    assert carried > served > 0.0


def _outages_at(trace: object, k: int) -> list[OutageNow]:
    """The cable fault as the page sees it at the middle of step k (none outside the fault)."""
    starts, ends = trace.edges[:-1], trace.edges[1:]  # type: ignore[attr-defined]
    middle = (starts[k] + ends[k]) / 2.0
    fault_start = 2 * 1440 + 600.0
    if not fault_start <= middle < fault_start + 480.0:
        return []
    return [OutageNow("l-r7-1", "line", middle - fault_start, fault_start + 480.0 - middle)]
