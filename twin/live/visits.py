"""Truck visits reconstructed from truck events: when each one entered each stage.

A visit goes through seven moments (:data:`MOMENTS`): arrive at the gate, start of gate service
(a lane takes it), gate out, arrival at the dock group, dock start, dock end and departure.
Between two moments the truck is in one stage of :data:`twin.sim.start_state.STAGES`. The sensors
publish five of them (``arrive``, ``gate_out``, ``dock_start``, ``dock_end``, ``depart``); the
rest are inferred from the park, and so are published ones that have not come (yet):

- Gate service start: lanes serve first come, first served, so a truck takes the lane that
  frees first: ``start = max(arrive, earliest free lane)``. At a gate that publishes
  ``gate_out`` the lanes free at the published times (a truck without one is still at the
  gate); at a gate that does not, a lane is busy for the gate's mean service time.
- Arrival at the dock group: gate out plus the drive (the shortest road route, as the engine
  drives it); never after the published dock start.
- Departure: published, or, at a gate that does not publish ``depart``, dock end plus the drive
  back; at a gate that does, a truck whose ``depart`` is missing counts as gone
  :data:`LEAVE_GRACE_MIN` minutes after that.
- A moment the data skip (a visit seen first at its dock start, say) collapses onto the next
  known one, so inferred moments never contradict published ones.

A visit starts at each ``arrive`` of a truck id (or at an event that repeats or goes back
on the visit), so the same truck on two visits is two visits; an ``arrive`` repeated before
any other news of the visit is the same visit (a sensor that fired twice), counted as such.
A visit with no news for :data:`STALE_H` hours is taken as gone (a lost ``depart``, a
camera that missed the exit).

Times are seconds on the store's axis (:func:`twin.live.store.to_seconds`); moments not
reached are ``inf``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from twin.live.messages import TRUCK_EVENTS, TruckEvent
from twin.model.dist import Sampler
from twin.model.roads import RoadNetwork
from twin.model.schema import Park

MOMENTS = ("arrive", "gate_start", "gate_out", "dock_arrive", "dock_start", "dock_end", "depart")
"""The moments of a visit; stage k of STAGES lies between moment k and moment k + 1."""
PUBLISHED = {event: MOMENTS.index(event) for event in TRUCK_EVENTS}
STALE_H = 12.0
"""Hours without news after which a visit counts as gone."""
LEAVE_GRACE_MIN = 60.0
"""Minutes past the expected departure before a truck whose ``depart`` is missing is gone."""
RANK = {event: i for i, event in enumerate(TRUCK_EVENTS)}
INF = math.inf


@dataclass
class Visit:
    """One truck visit: its ids and the published times (seconds) of its events."""

    truck_id: str
    flow: str
    gate: str
    dock_group: str
    seen: dict[str, float] = field(default_factory=dict)
    repeated_arrive: int = 0  # further ``arrive`` events before any other news

    @property
    def last_news(self) -> float:
        """The time of its latest published event."""
        return max(self.seen.values())

    @property
    def only_arrived(self) -> bool:
        """Whether its only news so far is its arrival."""
        return set(self.seen) == {"arrive"}


@dataclass(frozen=True)
class ParkTimings:
    """What the reconstruction needs from the park: drives, lanes and gate service times."""

    travel_s: dict[str, float]  # by flow
    lanes: dict[str, int]  # by gate
    gate_service_s: dict[str, float]  # mean, by gate

    @classmethod
    def of(cls, park: Park) -> ParkTimings:
        """The routes of a park."""
        logi = park.logistics
        network = RoadNetwork.of(park) if logi.roads else None
        building = {g.id: g.building for g in logi.dock_groups}
        travel = {
            f.id: network.route(f.gate, building[f.dock_group]).minutes * 60.0 if network else 0.0
            for f in logi.flows
        }
        return cls(
            travel,
            {g.id: g.lanes for g in logi.gates},
            {g.id: Sampler(g.service).mean * 60.0 for g in logi.gates},
        )


def observed_routes(visits: list[Visit]) -> ParkTimings:
    """ParkTimings from the visits alone, the same whatever park is tested on them.

    A flow's drive is the median published drive back (``depart − dock_end``); every truck
    finds a free lane (the count is not in the events); a gate that publishes no
    ``gate_out`` takes the median of ``dock_start − arrive − drive`` as its time (waits
    included: the events cannot tell them apart). Missing evidence counts as zero.
    """
    drives: dict[str, list[float]] = {}
    for v in visits:
        if "depart" in v.seen and "dock_end" in v.seen:
            drives.setdefault(v.flow, []).append(v.seen["depart"] - v.seen["dock_end"])
    travel = {flow: max(0.0, float(np.median(d))) for flow, d in drives.items()}
    through: dict[str, list[float]] = {}
    for v in visits:
        if "gate_out" not in v.seen and "arrive" in v.seen and "dock_start" in v.seen:
            spent = v.seen["dock_start"] - v.seen["arrive"] - travel.get(v.flow, 0.0)
            through.setdefault(v.gate, []).append(spent)
    service = {gate: max(0.0, float(np.median(t))) for gate, t in through.items()}
    lanes = dict.fromkeys({v.gate for v in visits}, len(visits) + 1)
    return ParkTimings(travel, lanes, service)


def group_visits(events: Iterable[TruckEvent], seconds: Iterable[float]) -> list[Visit]:
    """Split truck events (with their times in seconds) into visits, ordered by first event.

    Events of one truck id are taken in time order (ties in visit order); a new visit starts
    at an ``arrive`` and at an event that is not later in the visit than the last one. An
    event repeated (same truck, event and time) counts once; so does an ``arrive`` repeated
    before any other news of the visit (a gate sensor that fired twice): the first is kept
    and the repeat counted in :attr:`Visit.repeated_arrive`.
    """
    rows = sorted(
        zip(seconds, events, strict=True), key=lambda r: (r[1].truck_id, r[0], RANK[r[1].event])
    )
    visits: list[Visit] = []
    current: Visit | None = None
    last_rank = -1
    for t, e in rows:
        rank = RANK[e.event]
        fresh = current is None or current.truck_id != e.truck_id
        if not fresh and current is not None and current.seen.get(e.event) == t:
            continue  # the same event delivered twice
        if not fresh and current is not None and e.event == "arrive" and current.only_arrived:
            current.repeated_arrive += 1  # the gate fired again before any other news
            continue
        if fresh or e.event == "arrive" or rank <= last_rank:
            current = Visit(e.truck_id, e.flow, e.gate, e.dock_group)
            visits.append(current)
        assert current is not None
        current.seen[e.event] = t
        last_rank = rank
    visits.sort(key=lambda v: (min(v.seen.values()), v.truck_id))
    return visits


def moments(visits: list[Visit], routes: ParkTimings) -> np.ndarray:
    """The seven moments of every visit, shape (visits, 7), non-decreasing along each row."""
    reports_gate_out = {v.gate for v in visits if "gate_out" in v.seen}
    reports_depart = {v.gate for v in visits if "depart" in v.seen}
    out = np.full((len(visits), len(MOMENTS)), INF)
    lanes: dict[str, list[float]] = {}
    for row, visit in enumerate(visits):
        travel = routes.travel_s.get(visit.flow, 0.0)
        b = out[row]
        for event, t in visit.seen.items():
            b[PUBLISHED[event]] = t
        if "arrive" in visit.seen:
            free = lanes.setdefault(visit.gate, [-INF] * routes.lanes.get(visit.gate, 1))
            _gate(b, visit, travel, free, routes, visit.gate in reports_gate_out)
        first = min(visit.seen.values())
        b[: PUBLISHED[min(visit.seen, key=RANK.__getitem__)]] = first
        if b[3] == INF and b[2] < INF:
            b[3] = b[2] + travel
        if b[6] == INF and b[5] < INF:
            grace = LEAVE_GRACE_MIN * 60.0 if visit.gate in reports_depart else 0.0
            b[6] = b[5] + travel + grace
        _order(b)
    return out


def _gate(
    b: np.ndarray,
    visit: Visit,
    travel: float,
    free: list[float],
    routes: ParkTimings,
    reports: bool,
) -> None:
    """Fill gate start and gate out of one visit; `free` is its gate's lane-free heap."""
    arrive = b[0]
    later = min(
        (visit.seen[e] for e in ("dock_start", "dock_end", "depart") if e in visit.seen),
        default=INF,
    )
    cap = later - travel
    start = max(arrive, heapq.heappop(free))
    if "gate_out" in visit.seen:
        out = visit.seen["gate_out"]
    elif reports:
        out = max(arrive, cap) if cap < INF else INF
    else:
        out = start + routes.gate_service_s.get(visit.gate, 0.0)
        out = max(arrive, min(out, cap))
    b[1] = min(start, out)
    b[2] = out
    heapq.heappush(free, out)


def _order(b: np.ndarray) -> None:
    """Make a row non-decreasing: inferred moments give way to the published ones after."""
    for i in range(len(b) - 2, -1, -1):
        b[i] = min(b[i], b[i + 1])
    for i in range(1, len(b)):
        b[i] = max(b[i], b[i - 1])


def stage_index(bounds: np.ndarray, last_news: np.ndarray, t: float) -> np.ndarray:
    """For each visit at time `t`: 0 not arrived, 1-6 in stage k-1 of STAGES, 7 gone."""
    index = (bounds <= t).sum(axis=1)
    stale = last_news < t - STALE_H * 3600.0
    index[stale & (index > 0)] = len(MOMENTS)
    return index
