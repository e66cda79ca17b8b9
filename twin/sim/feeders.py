"""Curtailment on a park without a network: feeders and substations as capacities.

In a grid step where a feeder's buildings ask more than its capacity, or a substation's feeders
pass on more than its own, buildings are left off for the step until what is left fits (SPEC.md
"Power network": the lowest `priority` first, then the largest load, then the later in the
file, the network's rule in :mod:`twin.sim.supply`). Feeders are relieved first, then the
substations. A building left off has no power for the step, as in an outage of its feeder: its
production and its docks stop, so production falls with any shortfall.

The plan is made before a replication runs, from the calendar's demand
(:mod:`twin.sim.demand`) and the outages. Loads that plugin families put on a feeder
(``SimContext.add_feeder_load``) come later: where they still take a feeder past its capacity,
:mod:`twin.sim.power` cuts them and the buildings' loads in proportion, as a capacity table does.
"""

from __future__ import annotations

import numpy as np

from twin.model.schema import Park
from twin.sim.network import DEFAULT_PRIORITY

LIMIT = 1.0 + 1e-12
"""What is asked may exceed a capacity by this factor (rounding) before anything is left off."""


def left_off(park: Park, asked_kw: np.ndarray) -> np.ndarray:
    """(steps, buildings): True where a building is left off for the step to fit capacities.

    Args:
        park: a park without `power.network`.
        asked_kw: (steps, buildings) mean power each building asks over each step while it has
            power (its demand times its share of the step not cut by an outage).
    """
    off = np.zeros(asked_kw.shape, dtype=bool)
    if park.power is None:
        return off
    groups = _capacity_groups(park)
    totals = np.column_stack(
        [asked_kw[:, members].sum(axis=1) for members, _ in groups]
    ) if groups else np.zeros((asked_kw.shape[0], 0))  # fmt: skip
    caps = np.array([cap for _, cap in groups])
    priority = np.array(
        [_priority(b.power.priority if b.power else None) for b in park.buildings], dtype=float
    )
    for k in np.flatnonzero((totals > caps * LIMIT).any(axis=1)):
        for members, cap in groups:
            _relieve(off[k], asked_kw[k], priority, members, cap)
    return off


def _priority(value: int | None) -> int:
    return DEFAULT_PRIORITY if value is None else value


def _capacity_groups(park: Park) -> list[tuple[np.ndarray, float]]:
    """(buildings, capacity kW) of every feeder, then of every substation, in file order."""
    assert park.power is not None
    feeder_of = [b.power.feeder if b.power is not None else None for b in park.buildings]
    substation = {f.id: f.substation for f in park.power.feeders}
    groups = []
    for feeder in park.power.feeders:
        members = [j for j, name in enumerate(feeder_of) if name == feeder.id]
        groups.append((np.array(members, dtype=np.int64), feeder.capacity_mw * 1000.0))
    for sub in park.power.substations:
        members = [j for j, name in enumerate(feeder_of) if substation.get(name or "") == sub.id]
        groups.append((np.array(members, dtype=np.int64), sub.capacity_mw * 1000.0))
    return groups


def _relieve(
    off: np.ndarray, asked: np.ndarray, priority: np.ndarray, members: np.ndarray, cap: float
) -> None:
    """Leave members off (in place), lowest priority first, until what they ask fits `cap`."""
    if not len(members):
        return
    order = sorted(members, key=lambda j: (priority[j], -asked[j], -j))
    for j in order:
        if float(asked[members][~off[members]].sum()) <= cap * LIMIT:
            return
        if asked[j] > 0:
            off[j] = True
