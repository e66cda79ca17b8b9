"""A custom asset plugged into parktwin without editing it: an EV charging hub for trucks.

Electric trucks of some flows, after unloading, drive to the hub and queue for a charger;
charging draws `charge_kw` per busy charger from a feeder. The hub is an asset family
(`twin.model.assets.AssetFamily`): its pydantic spec validates `extensions.ev_hubs` in park files,
its `finish` step simulates the hub with SimPy on the trucks the logistics family recorded and
puts its load on the feeder, and its KPIs are named `ev_hubs.<id>.<metric>`.

Run it:  python examples/ev_hub.py
(PARKTWIN_EXAMPLE_DAYS shortens it; the tests use it.)
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from twin.io.load import load_park
from twin.model.assets import AssetFamily, Recorder, register
from twin.model.dist import Sampler
from twin.model.schema import Distribution, Park
from twin.sim.context import RunSpec, SimContext
from twin.sim.engine import run_engine
from twin.sim.kpi import compute_kpis
from twin.sim.trace import Trace, occupancy_integral


class EvHub(BaseModel):
    """One charging hub: which trucks charge there, how many chargers, how much power."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    id: str
    feeder: str
    chargers: Annotated[int, Field(ge=1, le=500)]
    charge_kw: Annotated[float, Field(gt=0, le=2000, description="per busy charger")]
    flows: Annotated[list[str], Field(min_length=1, description="flows whose EVs charge here")]
    electric_share: Annotated[float, Field(ge=0, le=1)] = 0.3
    charge_min: Distribution = Field(
        default_factory=lambda: {"dist": "uniform", "min": 20, "max": 40},  # type: ignore[arg-type]
        description="charging time per truck, minutes",
        validate_default=True,
    )
    drive_min: Annotated[float, Field(ge=0, le=120)] = 2.0


def check(park: Park, hubs: list[EvHub]) -> list[tuple[tuple[str | int, ...], str]]:
    """Feeders and flows a hub names must exist."""
    feeders = {f.id for f in park.power.feeders} if park.power else set()
    flows = {f.id for f in park.logistics.flows}
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for i, hub in enumerate(hubs):
        if hub.feeder not in feeders:
            problems.append(((i, "feeder"), f"names feeder '{hub.feeder}', which does not exist"))
        problems.extend(
            ((i, "flows"), f"names flow '{flow}', which does not exist")
            for flow in hub.flows
            if flow not in flows
        )
    return problems


def finish(ctx: SimContext, state: Any, record: Recorder) -> None:
    """Simulate each hub on the recorded trucks; put its load on its feeder."""
    hubs = EV_HUBS.items(ctx.park)
    flows = [f.id for f in ctx.park.logistics.flows]
    trucks = record.trucks
    edges = ctx.edges
    power = np.zeros((len(edges) - 1, len(hubs)))
    for j, hub in enumerate(hubs):
        rng = ctx.streams.get("ev_hub", hub.id)
        mine = np.isin(trucks["flow"], [flows.index(f) for f in hub.flows])
        electric = mine & (rng.random(len(mine)) < hub.electric_share)
        electric &= ~np.isnan(trucks["dock_end"])
        rows = np.flatnonzero(electric)
        arrive = trucks["dock_end"][rows] + hub.drive_min
        order = np.argsort(arrive, kind="stable")
        rows, arrive = rows[order], arrive[order]
        charge = Sampler(hub.charge_min).sample(rng, len(rows))
        start, end = _charge(ctx, hub.chargers, arrive, charge)
        # Charged trucks leave later: the drive back to the gate starts at the hub.
        exit_ = trucks["exit"]
        travel_back = exit_[rows] - trucks["dock_end"][rows]
        exit_[rows] = np.where(end <= ctx.span[1], end + travel_back, np.nan)
        power[:, j] = hub.charge_kw * occupancy_integral(start, end, edges) / np.diff(edges)
        ctx.add_feeder_load(hub.feeder, power[:, j])
        for name, values in (("arrive", arrive), ("start", start), ("end", end)):
            record.extra[f"ev_hubs/{hub.id}/{name}"] = values
    record.series["ev_hub_power_kw"] = power
    record.names["ev_hubs"] = [hub.id for hub in hubs]


def _charge(
    ctx: SimContext, chargers: int, arrive: np.ndarray, charge: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Queue the trucks for the chargers with SimPy; return start and end of each charge."""
    env = simpy.Environment(initial_time=ctx.span[0])
    bays = simpy.Resource(env, capacity=chargers)
    start = np.full(len(arrive), np.nan)
    end = np.full(len(arrive), np.nan)

    def truck(k: int):
        with bays.request() as request:
            yield request
            start[k] = env.now
            yield env.timeout(charge[k])
            end[k] = env.now

    def source():
        for k, t in enumerate(arrive.tolist()):
            if t > env.now:
                yield env.timeout(t - env.now)
            env.process(truck(k))

    env.process(source())
    env.run(until=ctx.span[1])
    return start, end


def kpis(trace: Trace) -> dict[str, float]:
    """Charging sessions, wait for a charger, energy and peak power of each hub."""
    out: dict[str, float] = {}
    inside = trace.edges[:-1] >= 0
    hours = np.diff(trace.edges) / 60
    for j, hub in enumerate(trace.names.get("ev_hubs", [])):
        arrive = trace.extra[f"ev_hubs/{hub}/arrive"]
        start = trace.extra[f"ev_hubs/{hub}/start"]
        counted = (arrive >= 0) & (arrive < trace.horizon_min) & ~np.isnan(start)
        waits = (start - arrive)[counted]
        kw = trace.series["ev_hub_power_kw"][:, j]
        out[f"ev_hubs.{hub}.sessions"] = float(counted.sum())
        out[f"ev_hubs.{hub}.wait_mean_min"] = float(waits.mean()) if len(waits) else 0.0
        out[f"ev_hubs.{hub}.energy_mwh"] = float(kw[inside] @ hours[inside]) / 1000
        out[f"ev_hubs.{hub}.peak_kw"] = float(kw[inside].max(initial=0.0))
    return out


EV_HUBS = register(
    AssetFamily(
        "ev_hubs",
        spec=EvHub,
        order=50,  # after logistics (its trucks), before power (its load)
        finish=finish,
        kpis=kpis,
        check=check,
        units={"sessions": "trucks", "peak_kw": "kW"},
        description="EV charging hubs for electric trucks",
    ),
    replace=True,
)


def demo_park_with_hub() -> Park:
    """demo-small with a 4-charger hub on feeder fd1 for the electric trucks of two flows."""
    data = load_park("demo-small").model_dump(mode="json", by_alias=True, exclude_none=True)
    data["extensions"] = {
        "ev_hubs": [
            {"id": "hub1", "feeder": "fd1", "chargers": 4, "charge_kw": 150,
             "flows": ["in-f1", "in-f2"], "electric_share": 0.4}
        ]
    }  # fmt: skip
    return load_park(data)


if __name__ == "__main__":
    park = demo_park_with_hub()
    days = float(os.environ.get("PARKTWIN_EXAMPLE_DAYS", "7"))
    spec = RunSpec(horizon_days=days, warmup_days=1, seed=0)
    with_hub = compute_kpis(run_engine(park, spec=spec))
    without = compute_kpis(run_engine(load_park("demo-small"), spec=spec))
    for name in ("sessions", "wait_mean_min", "energy_mwh", "peak_kw"):
        print(f"ev_hubs.hub1.{name:<14} {with_hub[f'ev_hubs.hub1.{name}']:10.2f}")
    extra = with_hub["power.energy_mwh"] - without["power.energy_mwh"]
    print(f"result: park energy with the hub: +{extra:.2f} MWh (the hub drew "
          f"{with_hub['ev_hubs.hub1.energy_mwh']:.2f} MWh)")  # fmt: skip
