"""Figures a park may have but probably does not mean: warnings, not errors.

A park that passes validation can still hold a number in the wrong unit (kW written where MW was
meant, hours where minutes were), and the simulation would then answer a question nobody asked
without a word. :func:`sanity_warnings` names such figures; the commands show each as a
``warning:`` line (on stderr) and in their JSON documents and reports, and still run (exit 0).
Each warning is a key of the translation table with its fields (:class:`SanityWarning`): the
stderr lines and JSON documents hold its English text, and a report or terminal table in
another language writes it in that language (:func:`warning_text`).

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
from dataclasses import dataclass, field

from twin.language import Language, read_back, say
from twin.model.dist import Sampler
from twin.model.schema import Park
from twin.text import localized

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


@dataclass(frozen=True)
class SanityWarning:
    """One implausible figure: its text's key (``sanity.*``) and the fields that fill it.

    The fields are written the English way (``1.5``, ``1,200``); :meth:`text` gives them the
    separators of the language asked for. ``where`` and ``substation`` name places of the park
    file and stay as they are.
    """

    key: str
    fields: dict[str, str] = field(default_factory=dict)

    def text(self, lang: Language = "en") -> str:
        """The warning in `lang`, its figures in that language's style."""
        fields = {
            name: value if name in PLACE_FIELDS else localized(value, lang)
            for name, value in self.fields.items()
        }
        return say(self.key, lang, **fields)


PLACE_FIELDS = frozenset({"where", "substation"})
"""Fields that name a place of the park file, not a figure."""

WARNING_KEYS = ("sanity.feeder", "sanity.factory", "sanity.dock", "sanity.flow", "sanity.road",
                "sanity.far")  # fmt: skip
"""Every warning's key, in the order :func:`sanity_warnings` checks them."""


def sanity_warnings(park: Park) -> list[str]:
    """Every implausible figure of the park, each naming its place, value and likely cause
    (in English, as stderr and the JSON documents show it)."""
    return [warning.text() for warning in sanity_findings(park)]


def warning_text(text: str, lang: Language) -> str:
    """A warning as a document holds it (English) in `lang`; a text that is not one of the
    model checks' (another command's warning) as it is."""
    found = read_back(text, WARNING_KEYS)
    return text if found is None else SanityWarning(*found).text(lang)


def sanity_findings(park: Park) -> list[SanityWarning]:
    """Every implausible figure of the park as a :class:`SanityWarning`."""
    return [
        *_feeders(park),
        *_factories(park),
        *_docks(park),
        *_flows(park),
        *_roads(park),
        *_far_away(park),
    ]


def _feeders(park: Park) -> Iterator[SanityWarning]:
    if park.power is None:
        return
    rated = {s.id: s.capacity_mw for s in park.power.substations}
    for i, feeder in enumerate(park.power.feeders):
        above = rated.get(feeder.substation)
        if above is not None and feeder.capacity_mw > above:
            yield SanityWarning(
                "sanity.feeder",
                {"where": f"power.feeders[{i}] (id={feeder.id})",
                 "value": f"{feeder.capacity_mw:g}", "substation": feeder.substation,
                 "above": f"{above:g}"},
            )  # fmt: skip


def _factories(park: Park) -> Iterator[SanityWarning]:
    for i, building in enumerate(park.buildings):
        power = building.power
        if building.kind != "factory" or power is None:
            continue
        peak = power.base_kw + power.shift_kw + (power.level_kw or 0.0)
        if peak < MIN_FACTORY_KW:
            yield SanityWarning(
                "sanity.factory",
                {"where": f"buildings[{i}] (id={building.id})", "peak": f"{peak:g}",
                 "limit": f"{MIN_FACTORY_KW:g}"},
            )  # fmt: skip


def _docks(park: Park) -> Iterator[SanityWarning]:
    for i, group in enumerate(park.logistics.dock_groups):
        mean = Sampler(group.service).mean
        if mean < MIN_DOCK_SERVICE_MIN:
            yield SanityWarning(
                "sanity.dock",
                {"where": f"logistics.dock_groups[{i}] (id={group.id})", "mean": f"{mean:.3g}",
                 "limit": f"{MIN_DOCK_SERVICE_MIN:g}"},
            )  # fmt: skip


def _flows(park: Park) -> Iterator[SanityWarning]:
    for i, flow in enumerate(park.logistics.flows):
        busiest = max(flow.weekly_rates())
        if busiest > MAX_TRUCKS_PER_HOUR:
            yield SanityWarning(
                "sanity.flow",
                {"where": f"logistics.flows[{i}] (id={flow.id})", "busiest": f"{busiest:,.0f}",
                 "limit": f"{MAX_TRUCKS_PER_HOUR:,.0f}"},
            )  # fmt: skip


def _roads(park: Park) -> Iterator[SanityWarning]:
    for i, road in enumerate(park.logistics.roads or []):
        if road.speed_kmh > MAX_ROAD_KMH:
            yield SanityWarning(
                "sanity.road",
                {"where": f"logistics.roads[{i}] (id={road.id})", "speed": f"{road.speed_kmh:g}",
                 "limit": f"{MAX_ROAD_KMH:g}"},
            )  # fmt: skip


def _far_away(park: Park) -> Iterator[SanityWarning]:
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
            yield SanityWarning(
                "sanity.far",
                {"where": where, "distance": f"{distance / 1000:,.0f}",
                 "limit": f"{MAX_DISTANCE_M / 1000:g}"},
            )  # fmt: skip
