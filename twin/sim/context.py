"""What every asset family of the engine shares: the park, the clock, the span and outages."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from twin.model.intervals import Clock, Intervals
from twin.model.schema import Event, OutageEvent, Park, RateEvent
from twin.rng import Streams
from twin.sim.demand import power_demand_kw, shift_shares
from twin.sim.feeders import left_off
from twin.sim.measure import sorted_unique
from twin.sim.network import Grid, build_grid
from twin.sim.start_state import StartState
from twin.sim.supply import SupplyPlan, plan_supply, reused_plan, steps_intervals

WATER_SUPPLY = "water.supply"
WASTEWATER_PLANT = "water.wastewater"


@dataclass(frozen=True)
class RunSpec:
    """How long to simulate, on what grid, with which random numbers."""

    horizon_days: float = 7.0
    warmup_days: float = 1.0
    step_min: float = 15.0
    seed: int = 0
    replication: int = 0

    @property
    def horizon_min(self) -> float:
        """Horizon in minutes."""
        return self.horizon_days * 1440.0

    @property
    def warmup_min(self) -> float:
        """Warm-up in minutes."""
        return self.warmup_days * 1440.0


@dataclass
class SimContext:
    """A park prepared for one replication: calendar, outages, power availability, streams."""

    park: Park
    spec: RunSpec
    events: Sequence[Event] = ()
    start: StartState | None = None
    """Trucks present and outages in effect at time 0 (a warm start); None: an empty park."""
    streams: Streams = field(init=False)

    feeder_loads: dict[str, np.ndarray] = field(init=False)
    capacity_left_off: np.ndarray | None = field(init=False, default=None)
    """Without a network: (steps, buildings) left off to fit feeder and substation capacities."""

    def __post_init__(self) -> None:
        self.streams = Streams(self.spec.seed, self.spec.replication)
        self.feeder_loads = {}

    def add_feeder_load(self, feeder: str, kw: np.ndarray) -> None:
        """Add a demand (kW averaged over each grid step) on a feeder, e.g. from a plugin.

        The power family serves it like a building's demand: zero while the feeder or its
        substation is out, cut in proportion when capacity runs short.
        """
        known = [f.id for f in self.park.power.feeders] if self.park.power else []
        if feeder not in known:
            raise ValueError(f"no feeder '{feeder}' in the park (feeders: {', '.join(known)})")
        kw = np.asarray(kw, dtype=float)
        if kw.shape != (len(self.edges) - 1,):
            raise ValueError(f"a feeder load needs one value per grid step ({len(self.edges) - 1})")
        self.feeder_loads[feeder] = self.feeder_loads.get(feeder, 0.0) + kw

    @cached_property
    def clock(self) -> Clock:
        """The park's clock (time 0 is `park.start`)."""
        return Clock.of(self.park.park.start, self.park.park.holidays)

    @property
    def span(self) -> tuple[float, float]:
        """Simulated span: from the start of the warm-up to the end of the horizon."""
        return (-self.spec.warmup_min, self.spec.horizon_min)

    @cached_property
    def edges(self) -> np.ndarray:
        """Utility grid edges over the span; 0 is always an edge so the warm-up cut is exact."""
        lo, hi = self.span
        step = self.spec.step_min
        grid = np.concatenate([np.arange(0.0, lo, -step)[::-1], np.arange(0.0, hi, step), [hi]])
        return sorted_unique(np.concatenate([[lo], grid]))

    @cached_property
    def outages(self) -> dict[str, Intervals]:
        """Off-intervals of each asset named by an outage event or in effect at a warm start.

        An outage of the start state with no expected end lasts to the end of the run.
        """
        pairs: dict[str, list[tuple[float, float]]] = {}
        for event in self.events:
            if isinstance(event, OutageEvent):
                start = event.at.minutes()
                pairs.setdefault(event.outage, []).append((start, start + event.duration_h * 60))
        for outage in self.start.outages if self.start else ():
            remaining = outage.expected_remaining_min
            end = self.span[1] if remaining is None else remaining
            pairs.setdefault(outage.asset, []).append((-outage.elapsed_min, end))
        return {asset: Intervals.of(p) for asset, p in pairs.items()}

    def out(self, asset: str) -> Intervals:
        """When the asset is out (empty when never)."""
        return self.outages.get(asset, Intervals())

    @cached_property
    def building_off(self) -> dict[str, Intervals]:
        """When each building has no power.

        Without a network: its feeder or that feeder's substation is out, or it is left off
        to fit their capacities (:mod:`twin.sim.feeders`). With one: its bus has lost supply
        or it is left off (:mod:`twin.sim.supply`), or the feeder it names as a label is out.
        """
        feeders = {f.id: f for f in (self.park.power.feeders if self.park.power else [])}
        network_off = self._network_off()
        result = {}
        for building in self.park.buildings:
            off = network_off.get(building.id, Intervals())
            if building.power is not None and building.power.feeder is not None:
                feeder = feeders[building.power.feeder]
                off = off.union(self.out(feeder.id))
                if self.supply is None:
                    off = off.union(self.out(feeder.substation))
            result[building.id] = off
        if self.supply is None:
            result = self._left_off_to_fit(result)
        return result

    def _left_off_to_fit(self, outages: dict[str, Intervals]) -> dict[str, Intervals]:
        """The buildings' off-intervals with the steps feeder capacities leave them off."""
        step = np.diff(self.edges)
        up = np.column_stack(
            [1.0 - outages[b.id].coverage(self.edges) / step for b in self.park.buildings]
        ) if self.park.buildings else np.zeros((len(step), 0))  # fmt: skip
        off = left_off(self.park, self.demand_kw * up)
        self.capacity_left_off = off
        return {
            b.id: outages[b.id].union(steps_intervals(self.edges, off[:, j])) if off[:, j].any()
            else outages[b.id]
            for j, b in enumerate(self.park.buildings)
        }  # fmt: skip

    @cached_property
    def shift_share(self) -> np.ndarray:
        """(steps, buildings) share of each grid step that each building is in shift."""
        return shift_shares(self.park, self.clock, self.span, self.edges)

    @cached_property
    def demand_kw(self) -> np.ndarray:
        """(steps, buildings) power each building asks, before any loss of supply (kW)."""
        return power_demand_kw(self.park, self.clock, self.edges, self.shift_share)

    @cached_property
    def grid(self) -> Grid | None:
        """The park's power network as arrays; None without `power.network`."""
        power = self.park.power
        return build_grid(self.park) if power is not None and power.network is not None else None

    @cached_property
    def supply(self) -> SupplyPlan | None:
        """Switching, curtailment and load flow of the network; None without one."""
        if self.grid is None:
            return None
        assert self.park.power is not None and self.park.power.network is not None
        restoration = self.park.power.network.restoration_min
        grid = self.grid
        return reused_plan(
            self._plan_key(),
            lambda: plan_supply(grid, self.edges, self.outages, self.demand_kw, restoration),
        )

    def _plan_key(self) -> str:
        """What a supply plan depends on: the park, the grid steps and the outages."""
        digest = hashlib.sha256(self.park.model_dump_json().encode())
        digest.update(self.edges.tobytes())
        for asset, off in sorted(self.outages.items()):
            digest.update(repr((asset, off.pairs())).encode())
        return digest.hexdigest()

    def _network_off(self) -> dict[str, Intervals]:
        if self.supply is None or self.grid is None:
            return {}
        ids = [self.park.buildings[j].id for j in self.grid.load_building]
        return dict(zip(ids, self.supply.load_off, strict=True))

    def rate_factors(self, flow_id: str) -> list[tuple[float, float]]:
        """(from minute, factor) changes of a flow's rate, in time order."""
        changes = [
            (e.at.minutes(), e.factor)
            for e in self.events
            if isinstance(e, RateEvent) and e.flow == flow_id
        ]
        return sorted(changes)
