"""The state a run starts from: trucks already in the park and outages already in effect.

This is the contract between the live twin (which builds a `StartState` from what the sensors
reported) and the engine (which starts a replication from it instead of an empty park). It is
plain, immutable data with no behaviour beyond small conversions, so both sides can be written
and tested apart.

Times are minutes, measured backwards from the state's moment: `in_stage_min=3.0` means the
truck entered its current stage three minutes before `StartState.time`.

How the engine starts from a state (:func:`twin.sim.engine.run_engine` with ``start=``): the
horizon begins at `StartState.time` (the park's calendar moves there, with no warm-up), and

- queued trucks (``gate_queue``, ``dock_queue``) wait in the order they arrived: the longest
  waiting (largest ``in_stage_min``) is served first, whatever order the state lists them in;
  new arrivals queue behind them;
- trucks at a gate lane or at a dock (``at_gate``, ``in_service``) hold it for the rest of
  their service, drawn from the service distribution conditioned on the time already spent
  (``S - a`` given ``S > a``); when the distribution cannot last that long (past the end of a
  triangular or uniform range, or a constant), the service ends at the state's moment;
- trucks ``on_road`` drive the rest of the route (route time minus ``in_stage_min``, at least
  0), trucks ``leaving`` likewise drive out and exit at the gate;
- a truck's gate and dock group are its flow's unless the truck names its own;
- outages are in effect from ``elapsed_min`` before the moment until
  ``expected_remaining_min`` after it; with no expected end (None) an outage is taken to last
  beyond the end of the run: the forecast shows what happens if it does not end, which errs on
  the side of caution; publish ``expected_h`` with the alarm for a better one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from twin.model.schema import Park

Stage = Literal["gate_queue", "at_gate", "on_road", "dock_queue", "in_service", "leaving"]
"""Where a truck is: queued at its gate, served at a gate lane, driving to its dock group,
queued for a dock, being served at a dock, or driving out after service."""

STAGES: tuple[Stage, ...] = (
    "gate_queue",
    "at_gate",
    "on_road",
    "dock_queue",
    "in_service",
    "leaving",
)

OutageKind = Literal["substation", "feeder", "line", "transformer", "supply", "gate"]


@dataclass(frozen=True)
class TruckNow:
    """One truck inside the park at the state's moment."""

    truck_id: str
    flow: str
    stage: Stage
    in_stage_min: float
    """Minutes since the truck entered its current stage (>= 0)."""
    in_park_min: float
    """Minutes since the truck arrived at the gate (>= in_stage_min)."""
    gate: str | None = None
    dock_group: str | None = None


@dataclass(frozen=True)
class OutageNow:
    """An outage in effect at the state's moment."""

    asset: str
    kind: OutageKind
    elapsed_min: float
    """Minutes since the outage started (>= 0)."""
    expected_remaining_min: float | None = None
    """Minutes until it is expected to end; None when nobody said."""


@dataclass(frozen=True)
class StartState:
    """The park at one moment: the trucks in it and the outages in effect."""

    time: datetime
    """The moment, in park-local time (naive)."""
    trucks: tuple[TruckNow, ...] = ()
    outages: tuple[OutageNow, ...] = ()

    def trucks_in(self, stage: Stage) -> tuple[TruckNow, ...]:
        """The trucks in one stage, in the order given."""
        return tuple(t for t in self.trucks if t.stage == stage)


def start_state_problems(park: Park, state: StartState) -> list[tuple[str, str]]:
    """What in `state` does not fit `park`: (place, message) pairs; empty when it fits.

    A place names the item, e.g. ``trucks[id=T17].dock_group`` or ``outages[id=fd9]``. The
    checks: the truck ids are unique, every truck names a flow, gate and dock group of the park,
    its times are finite and ``0 <= in_stage_min <= in_park_min``; every outage names an asset
    of its kind with finite times.
    """
    logi = park.logistics
    flows = {f.id: f for f in logi.flows}
    gates = {g.id for g in logi.gates}
    groups = {g.id for g in logi.dock_groups}
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for truck in state.trucks:
        place = f"trucks[id={truck.truck_id}]"
        if truck.truck_id in seen:
            problems.append((place, "the same truck id appears twice"))
        seen.add(truck.truck_id)
        if truck.stage not in STAGES:
            problems.append((f"{place}.stage", f"unknown stage '{truck.stage}'"))
        if truck.flow not in flows:
            problems.append((f"{place}.flow", _unknown("flow", truck.flow, flows)))
        if truck.gate is not None and truck.gate not in gates:
            problems.append((f"{place}.gate", _unknown("gate", truck.gate, gates)))
        if truck.dock_group is not None and truck.dock_group not in groups:
            problems.append(
                (f"{place}.dock_group", _unknown("dock group", truck.dock_group, groups))
            )
        if not (0 <= truck.in_stage_min <= truck.in_park_min < math.inf):
            problems.append((place, "needs finite times with 0 <= in_stage_min <= in_park_min"))
    known = outage_assets(park)
    for outage in state.outages:
        place = f"outages[id={outage.asset}]"
        if outage.asset not in known.get(outage.kind, set()):
            problems.append(
                (place, _unknown(outage.kind, outage.asset, known.get(outage.kind, [])))
            )
        remaining = outage.expected_remaining_min
        if not 0 <= outage.elapsed_min < math.inf or (
            remaining is not None and not 0 <= remaining < math.inf
        ):
            problems.append((place, "needs finite, non-negative elapsed and remaining minutes"))
    return problems


def outage_assets(park: Park) -> dict[str, set[str]]:
    """The ids an outage of each kind may name (a supply outage names `water.supply` or
    `water.wastewater`, as scenario outage events do)."""
    power = park.power
    return {
        "substation": {s.id for s in power.substations} if power else set(),
        "feeder": {f.id for f in power.feeders} if power else set(),
        "line": {line.id for line in power.network.lines} if power and power.network else set(),
        "transformer": {t.id for s in power.substations for t in s.transformers or []}
        if power
        else set(),
        "supply": {"water.supply", "water.wastewater"},
        "gate": {g.id for g in park.logistics.gates},
    }


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    names = sorted(known)
    listing = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f"no {kind} '{name}' in the park ({kind}s: {listing or 'none'})"
