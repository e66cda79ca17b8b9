"""A custom asset plugged into parktwin without editing it: a cold-storage warehouse.

A cold store keeps pallets chilled. Trucks of its inbound flows each unload `pallets_per_truck`
pallets when their dock service ends, trucks of its outbound flows each load as many; the stock
stays between 0 and `capacity_pallets` (pallets that do not fit are refused, counted). The
chiller draws from a feeder

    kW = idle_kw + kw_per_pallet x pallets in store + kw_per_open_dock x trucks at its docks

so its load rises with the occupancy the truck traffic leaves behind. The store is an asset
family (`twin.model.assets.AssetFamily`): its pydantic spec validates `extensions.cold_stores` in
park files, its `finish` step reads the trucks the logistics family recorded, computes the
stock and the chiller's load exactly on the utility grid and puts the load on the feeder (the
power family then serves it, or cuts it in an outage, like a building's), and its KPIs are
named `cold_stores.<id>.<metric>`.

Run it:  python examples/cold_storage.py
(PARKTWIN_EXAMPLE_DAYS shortens it; the tests use it.)
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

import twin
from twin.model.assets import AssetFamily, Recorder, register
from twin.sim.context import SimContext
from twin.sim.trace import Trace, occupancy_integral

Place = tuple[str | int, ...]


class ColdStore(BaseModel):
    """One cold store: its building, the flows that fill and empty it, its chiller."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    id: Annotated[str, Field(min_length=1, max_length=64)]
    building: Annotated[str, Field(description="the warehouse building")]
    feeder: Annotated[str, Field(description="feeder the chiller draws from")]
    inbound: Annotated[list[str], Field(min_length=1, description="flows that deliver pallets")]
    outbound: Annotated[list[str], Field(description="flows that collect pallets")] = []
    pallets_per_truck: Annotated[float, Field(gt=0, le=100)] = 20
    capacity_pallets: Annotated[float, Field(gt=0, le=1_000_000)]
    initial_pallets: Annotated[float, Field(ge=0, le=1_000_000)] = 0
    idle_kw: Annotated[float, Field(ge=0, le=100_000, description="chiller, empty store")]
    kw_per_pallet: Annotated[float, Field(ge=0, le=100, description="extra per pallet stored")]
    kw_per_open_dock: Annotated[
        float, Field(ge=0, le=1000, description="extra per truck being served (door open)")
    ] = 0


def check(park: twin.Park, stores: list[ColdStore]) -> list[tuple[Place, str]]:
    """The building, feeder and flows a store names exist; its flows serve its building."""
    buildings = {b.id for b in park.buildings}
    feeders = {f.id for f in park.power.feeders} if park.power else set()
    group_building = {g.id: g.building for g in park.logistics.dock_groups}
    flows = {f.id: group_building[f.dock_group] for f in park.logistics.flows}
    problems: list[tuple[Place, str]] = []
    for i, store in enumerate(stores):
        if store.building not in buildings:
            problems.append(((i, "building"), f"names building '{store.building}', not in park"))
        if store.feeder not in feeders:
            problems.append(((i, "feeder"), f"names feeder '{store.feeder}', not in the park"))
        if store.initial_pallets > store.capacity_pallets:
            problems.append(((i, "initial_pallets"), "more than capacity_pallets"))
        for field in ("inbound", "outbound"):
            for flow in getattr(store, field):
                if flow not in flows:
                    problems.append(((i, field), f"names flow '{flow}', not in the park"))
                elif flows[flow] != store.building:
                    problems.append(
                        ((i, field), f"flow '{flow}' unloads at '{flows[flow]}', not here")
                    )
    return problems


def stock_levels(
    times: np.ndarray, change: np.ndarray, initial: float, capacity: float
) -> tuple[np.ndarray, np.ndarray]:
    """Walk the stock through its changes in time order, kept within [0, capacity].

    Returns:
        The level after each change, and what each change could not do (pallets refused when
        full, or missing when empty).
    """
    level = np.empty(len(times))
    lost = np.zeros(len(times))
    stock = initial
    for k, delta in enumerate(change.tolist()):
        wanted = stock + delta
        stock = min(max(wanted, 0.0), capacity)
        lost[k] = abs(wanted - stock)
        level[k] = stock
    return level, lost


def step_average(times: np.ndarray, levels: np.ndarray, initial: float, edges: np.ndarray) -> Any:
    """Average over each grid step of a level: `initial`, then `levels[k]` from `times[k]` on."""
    knots = np.concatenate([[edges[0]], times])
    values = np.concatenate([[initial], levels])
    area = np.concatenate([[0.0], np.cumsum(values[:-1] * np.diff(knots))])
    j = np.searchsorted(knots, edges, side="right") - 1
    cumulative = area[j] + values[j] * (edges - knots[j])
    return np.diff(cumulative) / np.diff(edges)


def finish(ctx: SimContext, state: Any, record: Recorder) -> None:
    """Stock, chiller load and refusals of every store from the recorded trucks."""
    stores = COLD_STORES.items(ctx.park)
    flows = [f.id for f in ctx.park.logistics.flows]
    trucks, edges = record.trucks, ctx.edges
    shape = (len(edges) - 1, len(stores))
    kw, pallets, refused = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for j, store in enumerate(stores):
        inbound = np.isin(trucks["flow"], [flows.index(f) for f in store.inbound])
        outbound = np.isin(trucks["flow"], [flows.index(f) for f in store.outbound])
        done = ~np.isnan(trucks["dock_end"])
        times = trucks["dock_end"][(inbound | outbound) & done]
        sign = np.where(inbound[(inbound | outbound) & done], 1.0, -1.0)
        order = np.argsort(times, kind="stable")
        times, change = times[order], sign[order] * store.pallets_per_truck
        level, lost = stock_levels(times, change, store.initial_pallets, store.capacity_pallets)
        pallets[:, j] = step_average(times, level, store.initial_pallets, edges)
        step = np.searchsorted(edges, times, side="right") - 1
        np.add.at(refused[:, j], step[change > 0], lost[change > 0])
        mine = inbound | outbound
        docked = occupancy_integral(trucks["dock_start"][mine], trucks["dock_end"][mine], edges)
        kw[:, j] = (
            store.idle_kw
            + store.kw_per_pallet * pallets[:, j]
            + store.kw_per_open_dock * docked / np.diff(edges)
        )
        ctx.add_feeder_load(store.feeder, kw[:, j])
    record.series["cold_store_kw"] = kw
    record.series["cold_store_pallets"] = pallets
    record.series["cold_store_refused_pallets"] = refused
    record.names["cold_stores"] = [store.id for store in stores]


def kpis(trace: Trace) -> dict[str, float]:
    """Mean stock, pallets refused, chiller energy and peak of each store, in the horizon."""
    out: dict[str, float] = {}
    inside = trace.edges[:-1] >= 0
    hours = np.diff(trace.edges)[inside] / 60
    for j, store in enumerate(trace.names.get("cold_stores", [])):
        kw = trace.series["cold_store_kw"][inside, j]
        pallets = trace.series["cold_store_pallets"][inside, j]
        out[f"cold_stores.{store}.pallets_mean"] = float(pallets @ hours / hours.sum())
        out[f"cold_stores.{store}.refused_pallets"] = float(
            trace.series["cold_store_refused_pallets"][inside, j].sum()
        )
        out[f"cold_stores.{store}.energy_mwh"] = float(kw @ hours) / 1000
        out[f"cold_stores.{store}.peak_kw"] = float(kw.max(initial=0.0))
    return out


COLD_STORES = register(
    AssetFamily(
        "cold_stores",
        spec=ColdStore,
        order=50,  # after logistics (its trucks), before power (its load)
        finish=finish,
        kpis=kpis,
        check=check,
        units={"pallets_mean": "pallets", "refused_pallets": "pallets", "peak_kw": "kW"},
        description="cold-storage warehouses: stock from truck traffic, chiller load on a feeder",
    ),
    replace=True,
)


def demo_park_with_cold_store() -> twin.Park:
    """demo-small with warehouse w1 as a cold store, filled by in-w1 and emptied by out-w1."""
    data = twin.load_park("demo-small").model_dump(mode="json", by_alias=True, exclude_none=True)
    for group in data["logistics"]["dock_groups"]:
        if group["id"] == "w1-docks":
            group["docks"] = 4
    data["logistics"]["flows"].append(
        {"id": "out-w1", "gate": "g1", "dock_group": "w1-docks",
         "hourly_profile": [0] * 7 + [3] * 10 + [0] * 7}
    )  # fmt: skip
    data["extensions"] = {
        "cold_stores": [
            {"id": "cs1", "building": "w1", "feeder": "fd1", "inbound": ["in-w1"],
             "outbound": ["out-w1"], "pallets_per_truck": 20, "capacity_pallets": 2000,
             "initial_pallets": 1000, "idle_kw": 120, "kw_per_pallet": 0.1,
             "kw_per_open_dock": 15}
        ]
    }  # fmt: skip
    return twin.load_park(data)


BUSIER = {
    "scenario": {"name": "busier", "description": "30% more inbound trucks at the cold store"},
    "changes": [{"scale": "logistics.flows[id=in-w1].hourly_profile", "by": 1.3}],
}


def main() -> None:
    days = float(os.environ.get("PARKTWIN_EXAMPLE_DAYS", "7"))
    park = demo_park_with_cold_store()
    runs = {
        "as is": twin.compute_kpis(twin.simulate(park, days=days)),
        "+30% inbound": twin.compute_kpis(twin.simulate(park, BUSIER, days=days)),
    }
    print(f"cold store cs1 in warehouse w1 of the demo park, {days:g} days")
    print(f"{'':22}" + "".join(f"{name:>14}" for name in runs))
    for metric, label in (
        ("pallets_mean", "pallets, mean"),
        ("refused_pallets", "pallets refused"),
        ("energy_mwh", "chiller energy, MWh"),
        ("peak_kw", "chiller peak, kW"),
    ):
        values = [kpis[f"cold_stores.cs1.{metric}"] for kpis in runs.values()]
        print(f"{label:22}" + "".join(f"{v:>14.1f}" for v in values))
    base, busy = runs.values()
    chiller = busy["cold_stores.cs1.energy_mwh"] - base["cold_stores.cs1.energy_mwh"]
    park_energy = busy["power.energy_mwh"] - base["power.energy_mwh"]
    print(
        f"\nresult: 30% more inbound trucks make the chiller draw {chiller:+.2f} MWh, "
        f"and the whole park {park_energy:+.2f} MWh"
    )


if __name__ == "__main__":
    main()
