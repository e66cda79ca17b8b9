"""The live status the page colours its plan with, from the twin's state at one moment.

The input is the live layer's :class:`~twin.live.state.LiveState` (trucks one by one, outages,
the latest meter readings, as values: nothing is parsed back from the state document); nothing
here reads the store. What the sensors do not say is filled in from the park model and marked so:

- A building's power is its latest meter reading when one is at most :data:`STALE_MIN` old,
  else the park file's demand at that time of day (``base_kw`` plus ``shift_kw`` in shift),
  with ``source`` ``"meter"`` or ``"model"``. Without power (an outage of its feeder or of the
  feeder's substation) it draws nothing and is drawn black, whatever a stale meter says.
- A feeder's load is its own meter when it has one, else the sum of its buildings; a
  substation's, the sum of its feeders. Shares are of capacity (feeders, substations) or of the
  building's peak demand (buildings), as in the 3D view.
- Trucks are dots: at their gate while queued or served there, at their dock group's building
  while queued or served there, and along the shortest road route in between while driving
  (placed where the time on the road has taken it at each road's speed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from twin.live.messages import MeterReading
from twin.live.state import LiveState
from twin.model.intervals import Clock
from twin.model.roads import RoadNetwork, Route
from twin.model.schema import Park
from twin.sim.start_state import OutageNow, TruckNow
from web.grid import NetworkModel
from web.plan import feeder_of, peak_kw, plan_extent, polygon_centre

STALE_MIN = 120.0
STAGE_CODES = {
    "gate_queue": 0,
    "at_gate": 1,
    "on_road": 2,
    "dock_queue": 3,
    "in_service": 4,
    "leaving": 5,
}
"""Truck stages as the small integers the page's dots carry."""
DOT_SPACING_PER_KM = 16.0
"""Gap between queued trucks' dots, metres per kilometre of the park's extent (the page draws
them 14 m/km wide, so they touch but do not overlap at any park size)."""


@dataclass
class PlanModel:
    """What the status needs of the park, computed once: feeds, peaks, routes and the clock."""

    park: Park
    clock: Clock
    start: datetime
    network: RoadNetwork
    feeds: dict[str, tuple[str | None, str | None]]
    peaks: dict[str, float]
    anchors: dict[str, np.ndarray]
    gates: dict[str, np.ndarray]
    group_building: dict[str, str]
    spacing_m: float
    grid: NetworkModel | None

    @classmethod
    def of(cls, park: Park) -> PlanModel:
        """The model of a park."""
        anchors = {
            b.id: np.asarray(b.entrance if b.entrance else polygon_centre(b.footprint), dtype=float)
            for b in park.buildings
        }
        return cls(
            park=park,
            clock=Clock.of(park.park.start),
            start=datetime.fromisoformat(park.park.start),
            network=RoadNetwork.of(park),
            feeds=feeder_of(park),
            peaks=peak_kw(park),
            anchors=anchors,
            gates={g.id: np.asarray(g.position, dtype=float) for g in park.logistics.gates},
            group_building={d.id: d.building for d in park.logistics.dock_groups},
            spacing_m=DOT_SPACING_PER_KM * _extent_km(park),
            grid=NetworkModel.of(park),
        )

    def minutes(self, moment: datetime) -> float:
        """Minutes from the park's start to `moment`."""
        return (moment - self.start).total_seconds() / 60.0

    def in_shift(self, building: Any, moment: datetime) -> bool:
        """True when one of the building's shifts runs at `moment`."""
        t = self.minutes(moment)
        return bool(self.clock.daily(building.shifts, (t, t + 1e-6)))

    def route(self, gate: str | None, group: str | None) -> Route | None:
        """The road route from a gate to a dock group's building, None when unknown."""
        building = self.group_building.get(group or "")
        if gate not in self.gates or building is None or not len(self.network.nodes):
            return None
        if not self.network.connected(gate, building):
            return None
        return self.network.route(gate, building)


def _extent_km(park: Park) -> float:
    x0, y0, x1, y1 = plan_extent(park)
    return max(x1 - x0, y1 - y0) / 1000.0


Meters = dict[tuple[str, str], MeterReading]
"""The latest reading of each meter, by (asset, quantity)."""


def _reading(meters: Meters, asset: str, quantity: str, now: datetime) -> float | None:
    reading = meters.get((asset, quantity))
    if reading is None:
        return None
    when = reading.time.replace(microsecond=0)  # to the second, as the state document says
    if abs((now - when).total_seconds()) / 60.0 > STALE_MIN:
        return None
    value = float(reading.value)
    return value if math.isfinite(value) else None


def dead_assets(park: Park, outages: Sequence[OutageNow]) -> tuple[set[str], set[str]]:
    """(feeders without supply, assets in outage) from the state's outages."""
    out = {o.asset for o in outages}
    feeders = set()
    if park.power is not None:
        feeders = {f.id for f in park.power.feeders if f.id in out or f.substation in out}
    return feeders, out


def _demand_kw(model: PlanModel, meters: Meters, now: datetime) -> dict[str, float]:
    """Each powered building's demand now: its meter when fresh, else the park file's."""
    out = {}
    for b in model.park.buildings:
        if b.power is not None:
            metered = _reading(meters, b.id, "power_kw", now)
            shift = b.power.shift_kw if model.in_shift(b, now) else 0.0
            out[b.id] = metered if metered is not None else b.power.base_kw + shift
    return out


def _live_demand_kw(
    model: PlanModel, meters: Meters, now: datetime, dead_feeders: set[str]
) -> dict[str, float]:
    """What each building asks of the network now: nothing on a feeder in outage."""
    demand = _demand_kw(model, meters, now)
    return {b: kw for b, kw in demand.items() if model.feeds[b][0] not in dead_feeders}


def _building_rows(
    model: PlanModel, meters: Meters, now: datetime, dead: set[str], unpowered: set[str]
) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    demand = _demand_kw(model, meters, now)
    for b in model.park.buildings:
        feeder = model.feeds[b.id][0]
        powered = (feeder is None or feeder not in dead) and b.id not in unpowered
        shift = model.in_shift(b, now)
        row: dict[str, Any] = {"powered": powered, "in_shift": shift}
        if b.power is not None:
            metered = _reading(meters, b.id, "power_kw", now)
            kw = demand[b.id] if powered else 0.0
            row.update(power_kw=kw, power_source="meter" if metered is not None else "model")
            row["share"] = kw / model.peaks[b.id] if model.peaks[b.id] > 0 else 0.0
        if b.water is not None:
            metered = _reading(meters, b.id, "water_m3h", now)
            modelled = b.water.base_m3h + (b.water.shift_m3h if shift and powered else 0.0)
            water = metered if metered is not None else modelled
            waste = _reading(meters, b.id, "wastewater_m3h", now)
            row.update(
                water_m3h=water,
                water_source="meter" if metered is not None else "model",
                wastewater_m3h=waste if waste is not None else water * b.water.wastewater_ratio,
            )
        rows[b.id] = row
    return rows


def _power_rows(
    model: PlanModel,
    meters: Meters,
    now: datetime,
    buildings: dict[str, Any],
    dead: set[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    power = model.park.power
    if power is None:
        return {}, {}
    feeders: dict[str, Any] = {}
    for f in power.feeders:
        summed = sum(
            buildings[b].get("power_kw", 0.0) for b, (fd, _) in model.feeds.items() if fd == f.id
        )
        metered = None if f.id in dead else _reading(meters, f.id, "power_kw", now)
        mw = (metered if metered is not None else summed) / 1000.0
        feeders[f.id] = {
            "load_mw": mw,
            "share": mw / f.capacity_mw,
            "dead": f.id in dead,
            "source": "meter" if metered is not None else "buildings",
        }
    substations: dict[str, Any] = {}
    for s in power.substations:
        mw = sum(v["load_mw"] for k, v in feeders.items() if _substation(power, k) == s.id)
        substations[s.id] = {"load_mw": mw, "share": mw / s.capacity_mw}
    return feeders, substations


def _network_substations(park: Park, sources_kw: dict[str, float]) -> dict[str, Any]:
    """Each substation's load from the load flow: its source power (loads and losses) over
    its rating, as the engine's ``power.<sub>.peak_load_pct`` counts it at its peak."""
    power = park.power
    assert power is not None
    rows = {}
    for s in power.substations:
        mw = sources_kw.get(s.id, 0.0) / 1000.0
        rows[s.id] = {"load_mw": mw, "share": mw / s.capacity_mw, "source": "load flow"}
    return rows


def _substation(power: Any, feeder: str) -> str:
    return next(f.substation for f in power.feeders if f.id == feeder)


def truck_dots(model: PlanModel, trucks: Sequence[TruckNow]) -> list[list[float]]:
    """``[x, y, stage code]`` per truck: queues lined up at their gate or building."""
    dots: list[list[float]] = []
    lined: dict[tuple[str, str], int] = {}
    for truck in trucks:
        code = STAGE_CODES[truck.stage]
        if truck.stage in ("on_road", "leaving"):
            route = model.route(truck.gate, truck.dock_group)
            if route is not None and route.minutes > 0:
                share = min(1.0, truck.in_stage_min / route.minutes)
                point = _along(route, share if truck.stage == "on_road" else 1.0 - share)
                dots.append([float(point[0]), float(point[1]), code])
                continue
        at_gate = truck.stage in ("gate_queue", "at_gate") or truck.dock_group is None
        key = truck.gate if at_gate else model.group_building.get(truck.dock_group or "")
        anchor = (model.gates if at_gate else model.anchors).get(key or "")
        if anchor is None:
            continue
        slot = lined.get((key or "", truck.stage), 0)
        lined[(key or "", truck.stage)] = slot + 1
        row, col = divmod(slot, 8)
        gap = model.spacing_m
        offset = (2 if at_gate else 1) * (1 + code % 3) * gap
        dots.append(
            [float(anchor[0] + (col - 3.5) * gap), float(anchor[1] - offset - row * gap), code]
        )
    return dots


def _along(route: Route, share: float) -> np.ndarray:
    """Where a truck is after `share` of the route's driving time (speeds differ by road)."""
    target = share * route.minutes
    times = route.cumulative_min
    k = int(np.searchsorted(times, target, side="right"))
    if k <= 0:
        return route.points[0]
    if k >= len(route.points):
        return route.points[-1]
    a, b = times[k - 1], times[k]
    w = 0.0 if b <= a else (target - a) / (b - a)
    return route.points[k - 1] * (1 - w) + route.points[k] * w


def plan_status(model: PlanModel, state: LiveState | None) -> dict[str, Any]:
    """Colours and values of every asset at the state's moment, and the truck dots.

    Args:
        model: the park's :class:`PlanModel`.
        state: the live state; None before the store has any (the park's start, all quiet).

    Returns:
        ``{"time", "buildings", "feeders", "substations", "gates", "docks", "outages",
        "trucks", "totals", "network"}``; totals are the KPI tiles' values; ``network`` is
        :meth:`web.grid.NetworkModel.status` (None without `power.network`).
    """
    now = state.time.replace(microsecond=0) if state is not None else model.start
    meters = {(r.asset, r.quantity): r for r in state.meters} if state is not None else {}
    outages = state.outages if state is not None else ()
    dead_feeders, out = dead_assets(model.park, outages)
    network = (
        model.grid.status(outages, _live_demand_kw(model, meters, now, dead_feeders))
        if model.grid is not None
        else None
    )
    unpowered = set(network["unpowered"]) if network is not None else set()
    buildings = _building_rows(model, meters, now, dead_feeders, unpowered)
    feeders, substations = _power_rows(model, meters, now, buildings, dead_feeders)
    if network is not None:
        substations = _network_substations(model.park, network["sources_kw"])
    counts = state.counts if state is not None else {}
    gates = {
        g.id: {
            "queue": _count(counts, "gate_queue", g.id),
            "at_gate": _count(counts, "at_gate", g.id),
            "closed": g.id in out,
        }
        for g in model.park.logistics.gates
    }
    docks = {
        d.id: {
            "queue": _count(counts, "dock_queue", d.id),
            "in_service": _count(counts, "in_service", d.id),
            "docks": d.docks,
            "powered": buildings[d.building]["powered"],
        }
        for d in model.park.logistics.dock_groups
    }
    busiest = max(substations.items(), key=lambda kv: kv[1]["share"], default=None)
    totals = {
        "trucks.in_park": counts.get("in_park", 0),
        "gates.queue": sum(g["queue"] for g in gates.values()),
        "docks.queue": sum(d["queue"] for d in docks.values()),
        "power.park_mw": sum(b.get("power_kw", 0.0) for b in buildings.values()) / 1000.0,
        "power.busiest_substation": busiest[0] if busiest else None,
        "power.busiest_substation_pct": 100.0 * busiest[1]["share"] if busiest else None,
        "water.demand_m3h": sum(b.get("water_m3h", 0.0) for b in buildings.values()),
        "wastewater.inflow_m3h": sum(b.get("wastewater_m3h", 0.0) for b in buildings.values()),
    }
    return {
        "time": now.isoformat(timespec="seconds"),
        "buildings": buildings,
        "feeders": feeders,
        "substations": substations,
        "gates": gates,
        "docks": docks,
        "outages": sorted(out),
        "trucks": truck_dots(model, state.trucks if state is not None else ()),
        "totals": totals,
        "network": network,
    }


def _count(counts: dict[str, int | dict[str, int]], stage: str, asset: str) -> int:
    """Trucks in one stage at one gate or dock group."""
    by_asset = counts.get(stage, {})
    return by_asset.get(asset, 0) if isinstance(by_asset, dict) else 0


def tiles(now: dict[str, Any], hour_ago: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The KPI tiles: each total with its change since an hour earlier (None when unknown)."""
    out = []
    for key, value in now["totals"].items():
        if key == "power.busiest_substation":
            continue
        before = hour_ago["totals"].get(key) if hour_ago else None
        change = None
        if isinstance(value, int | float) and isinstance(before, int | float):
            change = value - before
        out.append({"kpi": key, "value": value, "change_1h": change})
    return out
