"""Figures a park may have but probably does not mean: warnings, not errors.

A park that passes validation can still hold a number in the wrong unit (kW written where MW was
meant, hours where minutes were), and the simulation would then answer a question nobody asked
without a word. :func:`sanity_warnings` names such figures; the commands show each as a
``warning:`` line (on stderr) and in their JSON documents and reports, and still run (exit 0).

The limits are deliberately loose, so that a real park never trips them:

- a feeder rated above the substation that feeds it;
- a factory whose load never reaches :data:`MIN_FACTORY_KW`;
- a dock group whose mean service is under :data:`MIN_DOCK_SERVICE_MIN`;
- a flow of more than :data:`MAX_TRUCKS_PER_HOUR` trucks in some hour;
- a road faster than :data:`MAX_ROAD_KMH`;
- a building, gate or substation more than :data:`MAX_DISTANCE_M` from the middle of the plan.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator

from twin.model.dist import Sampler
from twin.model.schema import Park

MIN_FACTORY_KW = 10.0
"""A factory's load (base + shift + level) below this is more likely watts or MW gone astray."""
MIN_DOCK_SERVICE_MIN = 1.0
"""Loading or unloading a truck in under a minute: more likely hours or seconds."""
MAX_TRUCKS_PER_HOUR = 1000.0
"""One flow's busiest hour: a thousand trucks an hour is more than a motorway lane carries."""
MAX_ROAD_KMH = 130.0
"""No road inside an industrial park is driven faster than a motorway."""
MAX_DISTANCE_M = 20_000.0
"""Positions are metres on the park's plan: 20 km from its middle is outside any park."""


def sanity_warnings(park: Park) -> list[str]:
    """Every implausible figure of the park, each naming its place, value and likely cause."""
    return [
        *_feeders(park),
        *_factories(park),
        *_docks(park),
        *_flows(park),
        *_roads(park),
        *_far_away(park),
    ]


def _feeders(park: Park) -> Iterator[str]:
    if park.power is None:
        return
    rated = {s.id: s.capacity_mw for s in park.power.substations}
    for i, feeder in enumerate(park.power.feeders):
        above = rated.get(feeder.substation)
        if above is not None and feeder.capacity_mw > above:
            yield (
                f"power.feeders[{i}] (id={feeder.id}).capacity_mw: {feeder.capacity_mw:g} MW is "
                f"more than its substation '{feeder.substation}' ({above:g} MW); kW meant?"
            )


def _factories(park: Park) -> Iterator[str]:
    for i, building in enumerate(park.buildings):
        power = building.power
        if building.kind != "factory" or power is None:
            continue
        peak = power.base_kw + power.shift_kw + (power.level_kw or 0.0)
        if peak < MIN_FACTORY_KW:
            yield (
                f"buildings[{i}] (id={building.id}).power: a factory drawing at most {peak:g} kW "
                f"(under {MIN_FACTORY_KW:g} kW); MW meant?"
            )


def _docks(park: Park) -> Iterator[str]:
    for i, group in enumerate(park.logistics.dock_groups):
        mean = Sampler(group.service).mean
        if mean < MIN_DOCK_SERVICE_MIN:
            yield (
                f"logistics.dock_groups[{i}] (id={group.id}).service: a mean of {mean:.3g} min "
                f"to serve a truck (under {MIN_DOCK_SERVICE_MIN:g} min); hours meant?"
            )


def _flows(park: Park) -> Iterator[str]:
    for i, flow in enumerate(park.logistics.flows):
        busiest = max(flow.weekly_rates())
        if busiest > MAX_TRUCKS_PER_HOUR:
            yield (
                f"logistics.flows[{i}] (id={flow.id}): {busiest:,.0f} trucks in its busiest "
                f"hour (over {MAX_TRUCKS_PER_HOUR:,.0f}); trucks a day meant?"
            )


def _roads(park: Park) -> Iterator[str]:
    for i, road in enumerate(park.logistics.roads or []):
        if road.speed_kmh > MAX_ROAD_KMH:
            yield (
                f"logistics.roads[{i}] (id={road.id}).speed_kmh: {road.speed_kmh:g} km/h "
                f"(over {MAX_ROAD_KMH:g}); m/s or a typo?"
            )


def _far_away(park: Park) -> Iterator[str]:
    places: list[tuple[str, float, float]] = []
    for i, b in enumerate(park.buildings):
        xs, ys = [p[0] for p in b.footprint], [p[1] for p in b.footprint]
        places.append((f"buildings[{i}] (id={b.id})", sum(xs) / len(xs), sum(ys) / len(ys)))
    for i, g in enumerate(park.logistics.gates):
        places.append((f"logistics.gates[{i}] (id={g.id})", g.position[0], g.position[1]))
    for i, s in enumerate(park.power.substations if park.power else []):
        places.append((f"power.substations[{i}] (id={s.id})", s.position[0], s.position[1]))
    if len(places) < 2:
        return
    mid_x = statistics.median(x for _, x, _ in places)
    mid_y = statistics.median(y for _, _, y in places)
    for where, x, y in places:
        distance = ((x - mid_x) ** 2 + (y - mid_y) ** 2) ** 0.5
        if distance > MAX_DISTANCE_M:
            yield (
                f"{where}: {distance / 1000:,.0f} km from the middle of the plan (over "
                f"{MAX_DISTANCE_M / 1000:g} km); positions are metres: km or degrees meant?"
            )
