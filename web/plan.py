"""The park's plan for the page: geometry in metres, what feeds what, and the colour scales.

Built once per served park and sent as ``GET /api/park``; the page draws it as SVG and colours
it from the live status (:mod:`web.status`). The colour scales are the 3D view's
(:mod:`viz.palette`), so the plan, the 3D park and ``parktwin render`` read the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.model.geometry import centroid, extent
from twin.model.schema import Park
from viz import palette
from viz.network import LIVE_LOADING_PCT
from web.grid import network_plan


def polygon_centre(points: Any) -> list[float]:
    """The area centroid of a footprint, as a plain ``[x, y]``."""
    return [float(v) for v in centroid(np.asarray(points, dtype=float))]


def feeder_of(park: Park) -> dict[str, tuple[str | None, str | None]]:
    """Building id -> (feeder id, substation id), None where it draws no power."""
    substation = {f.id: f.substation for f in park.power.feeders} if park.power else {}
    out: dict[str, tuple[str | None, str | None]] = {}
    for b in park.buildings:
        feeder = b.power.feeder if b.power is not None else None
        out[b.id] = (feeder, substation.get(feeder) if feeder else None)
    return out


def peak_kw(park: Park) -> dict[str, float]:
    """Each building's peak modelled demand, kW (base plus shift load), for load shares."""
    return {
        b.id: (b.power.base_kw + b.power.shift_kw) if b.power is not None else 0.0
        for b in park.buildings
    }


def plan_extent(park: Park) -> list[float]:
    """``[x0, y0, x1, y1]`` around everything drawn, in park metres, with a margin."""
    points: list[Any] = [p for b in park.buildings for p in b.footprint]
    points += [p for r in park.logistics.roads for p in r.points]
    points += [g.position for g in park.logistics.gates]
    if park.power:
        points += [s.position for s in park.power.substations if s.position is not None]
    lo, hi = extent(points)
    pad = 0.04 * float(max(hi - lo)) + 20.0
    return [float(lo[0] - pad), float(lo[1] - pad), float(hi[0] + pad), float(hi[1] + pad)]


def _anchor(building: Any) -> list[float]:
    return (
        [float(v) for v in building.entrance]
        if building.entrance
        else polygon_centre(building.footprint)
    )


def _buildings(park: Park) -> list[dict[str, Any]]:
    feeds = feeder_of(park)
    peaks = peak_kw(park)
    groups: dict[str, list[str]] = {}
    for g in park.logistics.dock_groups:
        groups.setdefault(g.building, []).append(g.id)
    return [
        {
            "id": b.id,
            "name": b.name or b.id,
            "label": b.short_name or b.name or b.id,
            "kind": b.kind,
            "tenant": b.tenant,
            "footprint": [[float(x), float(y)] for x, y in b.footprint],
            "centre": polygon_centre(b.footprint),
            "anchor": _anchor(b),
            "feeder": feeds[b.id][0],
            "substation": feeds[b.id][1],
            "peak_kw": peaks[b.id],
            "dock_groups": groups.get(b.id, []),
        }
        for b in park.buildings
    ]


def _power(park: Park) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if park.power is None:
        return [], []
    centres = {b.id: polygon_centre(b.footprint) for b in park.buildings}
    position = {s.id: list(s.position) if s.position else None for s in park.power.substations}
    substations = [
        {
            "id": s.id,
            "name": s.name or s.id,
            "capacity_mw": s.capacity_mw,
            "position": position[s.id],
        }
        for s in park.power.substations
    ]
    feeders = []
    for f in park.power.feeders:
        served = [b.id for b in park.buildings if b.power is not None and b.power.feeder == f.id]
        feeders.append(
            {
                "id": f.id,
                "substation": f.substation,
                "capacity_mw": f.capacity_mw,
                "buildings": served,
                "lines": [[position[f.substation], centres[b]] for b in served]
                if position.get(f.substation)
                else [],
            }
        )
    return substations, feeders


def plan_document(park: Park) -> dict[str, Any]:
    """Everything the page draws that does not change: ``GET /api/park``.

    Returns:
        ``{"name", "language", "start", "extent": [x0, y0, x1, y1], "buildings", "roads", "gates",
        "dock_groups", "substations", "feeders", "network", "water", "colours"}`` in park
        metres (x east, y north); ``network`` is :func:`web.grid.network_plan` (None without
        `power.network`); each building has ``label``, its short name (else name, else id).
    """
    buildings = _buildings(park)
    anchors = {b["id"]: b["anchor"] for b in buildings}
    substations, feeders = _power(park)
    water = park.water
    return {
        "name": park.park.name,
        "language": park.park.language,
        "start": park.park.start,
        "extent": plan_extent(park),
        "buildings": buildings,
        "roads": [
            {"id": r.id, "points": [list(p) for p in r.points]} for r in park.logistics.roads
        ],
        "gates": [
            {"id": g.id, "name": g.name or g.id, "lanes": g.lanes, "position": list(g.position)}
            for g in park.logistics.gates
        ],
        "dock_groups": [
            {"id": d.id, "building": d.building, "docks": d.docks, "position": anchors[d.building]}
            for d in park.logistics.dock_groups
        ],
        "substations": substations,
        "feeders": feeders,
        "network": network_plan(park),
        "water": {
            "supply": list(water.supply.position)
            if water and water.supply and water.supply.position
            else None,
            "wastewater": list(water.wastewater.position)
            if water and water.wastewater and water.wastewater.position
            else None,
        },
        "colours": {
            "kinds": palette.KIND_COLORS,
            "load": [list(s) for s in palette.LOAD_STOPS],
            "no_power": palette.NO_POWER,
            "feeder": [list(s) for s in palette.FEEDER_STOPS],
            "feeder_dead": palette.FEEDER_DEAD,
            "trucks": palette.TRUCK_COLORS,
            "loading": [[bound, colour] for bound, colour in palette.LOADING_BANDS[:-1]]
            + [[None, palette.LOADING_BANDS[-1][1]]],
            "line_dead": palette.LINE_DEAD,
            "line_live_pct": LIVE_LOADING_PCT,
        },
    }
