"""The built-in asset families, declared like plugins.

They are found through the ``parktwin.assets`` entry-point group of pyproject.toml, the path
every plugin takes, so that path runs in every run. Nothing imports this module by name: the
registry (:mod:`twin.model.assets`) loads it from the entry points.
"""

from __future__ import annotations

from typing import Any

from twin.model.assets import AssetFamily, Recorder
from twin.sim.buildings import (
    building_series,
    production_kpi_names,
    production_kpis,
    production_units,
)
from twin.sim.context import SimContext
from twin.sim.logistics import finish_logistics, logistics_kpi_names, start_logistics, truck_kpis
from twin.sim.power import network_notes, power_kpi_names, power_kpis, power_series
from twin.sim.water import WATER_KPIS, water_kpis, water_series


def _finish_logistics(ctx: SimContext, state: Any, record: Recorder) -> None:
    trucks, queues = finish_logistics(ctx, state)
    record.trucks.update(trucks)
    record.series["dock_queue_mean"] = queues
    logi = ctx.park.logistics
    record.names["gates"] = [g.id for g in logi.gates]
    record.names["dock_groups"] = [g.id for g in logi.dock_groups]
    record.names["flows"] = [f.id for f in logi.flows]


def _finish_buildings(ctx: SimContext, state: Any, record: Recorder) -> None:
    record.series.update(building_series(ctx))
    record.meta["production_units"] = production_units(ctx, 0.0, ctx.spec.horizon_min)
    record.names["buildings"] = [b.id for b in ctx.park.buildings]


def _finish_power(ctx: SimContext, state: Any, record: Recorder) -> None:
    record.series.update(power_series(ctx, record.series))
    power = ctx.park.power
    record.names["feeders"] = [f.id for f in power.feeders] if power else []
    record.names["substations"] = [s.id for s in power.substations] if power else []
    if ctx.grid is not None:
        record.names["buses"] = ctx.grid.bus_ids[: ctx.grid.n_park_buses]
        record.names["lines"] = list(ctx.grid.line_ids)
        record.names["transformers"] = list(ctx.grid.trafo_ids)
        record.meta["power_notes"] = []
    if notes := network_notes(ctx):
        record.meta["power_notes"] = notes


def _finish_water(ctx: SimContext, state: Any, record: Recorder) -> None:
    record.series.update(water_series(ctx, record.series))


LOGISTICS = AssetFamily(
    "logistics",
    order=10,
    start=start_logistics,
    finish=_finish_logistics,
    kpis=truck_kpis,
    kpi_names=logistics_kpi_names,
    description="gates, roads, dock groups and truck flows (SimPy processes)",
)
BUILDINGS = AssetFamily(
    "buildings",
    order=20,
    finish=_finish_buildings,
    kpis=production_kpis,
    kpi_names=production_kpi_names,
    description="shifts, power and water demand, production (time grid)",
)
POWER = AssetFamily(
    "power",
    order=80,
    finish=_finish_power,
    kpis=power_kpis,
    kpi_names=power_kpi_names,
    description="feeders and substations: capacity, outages, unserved energy (time grid)",
)
WATER = AssetFamily(
    "water",
    order=90,
    finish=_finish_water,
    kpis=water_kpis,
    kpi_names=lambda park: list(WATER_KPIS),
    description="water supply shortfall and the wastewater plant's buffer (time grid)",
)
