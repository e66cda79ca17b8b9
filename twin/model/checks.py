"""Rules of a park that need more than its models: roads and plugin assets.

The models (:mod:`twin.model.schema`) check each field and the cross-references between sections.
Two rules need other modules, so they run here, after the models, wherever a park is made from
a document (:mod:`twin.io.load`) or changed by a scenario (:mod:`twin.model.scenario`):

- every flow's gate reaches its dock group's building by road (:mod:`twin.model.roads`), when the
  park has roads;
- the assets of plugin families are valid for their family (:mod:`twin.model.assets`);
- every alert names a series the nowcast forecasts (:mod:`twin.model.series`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from twin.model.assets import extension_problems
from twin.model.roads import RoadNetwork
from twin.model.schema import Park, Problem
from twin.model.series import alert_problems
from twin.model.validate import problems_error


def unreachable_flows(park: Park) -> Iterator[Problem]:
    """A problem for each flow whose gate no road joins to its dock group's building."""
    network = RoadNetwork.of(park)
    group_building = {g.id: g.building for g in park.logistics.dock_groups}
    for i, flow in enumerate(park.logistics.flows):
        building = group_building[flow.dock_group]
        if not network.connected(flow.gate, building):
            yield Problem(
                ("logistics", "flows", i),
                f"no road joins gate '{flow.gate}' to building '{building}' "
                f"(dock group '{flow.dock_group}'); add a road or make roads share a point",
            )


def check_park(park: Park, data: Any, name: str, lines: Mapping | None = None) -> Park:
    """The park, once it keeps the rules above; else one located InputError.

    Args:
        park: a park its models accepted.
        data: the plain data it was made from (to name items by id in the message).
        name: the file, or a description of the source, for the message.
        lines: data path -> line, when the source is a file.

    Raises:
        InputError: the first rule broken, with its place, and how many more there are.
    """
    problems = list(unreachable_flows(park)) if park.logistics.roads else []
    problems += list(extension_problems(park))
    problems += list(alert_problems(park))
    if problems:
        raise problems_error(problems, data, name, lines)
    return park
