"""The state a run starts from: trucks already in the park and outages already in effect.

This is the contract between the live twin (which builds a `StartState` from what the sensors
reported) and the engine (which starts a replication from it instead of an empty park). It is
plain, immutable data with no behaviour beyond small conversions, so both sides can be written
and tested apart.

Times are minutes, measured backwards from the state's moment: `in_stage_min=3.0` means the
truck entered its current stage three minutes before `StartState.time`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

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

OutageKind = Literal["substation", "feeder", "supply", "gate"]


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
