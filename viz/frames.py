"""A recorded :class:`~twin.sim.trace.Trace` as per-frame arrays (trucks, colours); pure numpy.

Nothing here draws. For a moment ``t`` (simulated minutes from the start of the horizon),
:meth:`FrameMaker.frame` returns where every truck in the park is, which state it is in, the
colour of every roof and feeder and a few live KPIs; :mod:`viz.playback` copies those arrays
into meshes that stay on the GPU.

Where a truck is, from its trace columns (``arrive <= gate_start <= gate_end <= dock_arrive <=
dock_start <= dock_end <= exit``):

============================ ===================================================================
time                          place (state)
============================ ===================================================================
``arrive .. gate_start``      queued outside its gate, in rows of ``lanes`` that grow outwards
                              from the park (queued)
``gate_start .. gate_end``    in a gate lane, one lane per truck for its whole service (served)
``gate_end .. dock_arrive``   on the road route from the gate to the building, at the distance
                              driven at the road speed, on the right of the road (driving)
``dock_arrive .. dock_start`` queued in front of the building's docks, one row, stacked upwards
                              in levels once the row is full (queued)
``dock_start .. dock_end``    backed into a dock on the facade facing the road, one dock per
                              truck for its whole service (served)
``dock_end .. + route time``  on the reversed route back to the gate (driving)
``.. exit``                   waiting inside the gate to leave, if the gate is closed (queued)
============================ ===================================================================

Colours are those documented in :mod:`viz.palette`.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.model.geometry import extent, nearest_on_boundary
from twin.model.roads import RoadNetwork, Route
from twin.sim.trace import TIME_COLUMNS, Trace
from viz import palette
from viz.network import LIVE_LOADING_PCT

DRIVING, QUEUED, SERVED = 0, 1, 2
_DOCK_ROW = 12  # docked and dock-queued trucks per row before wrapping / stacking


@dataclass(frozen=True)
class TruckSize:
    """Dimensions of a truck glyph in metres (drawn larger than life in big parks)."""

    length: float
    width: float
    height: float

    @classmethod
    def for_extent(cls, extent_m: float) -> TruckSize:
        """A size that stays visible: 1/80 of the park's extent, 8 to 30 m long."""
        length = float(np.clip(extent_m / 80.0, 8.0, 30.0))
        return cls(length, 0.42 * length, 0.4 * length)


@dataclass(frozen=True)
class Trucks:
    """The trucks in the park at one moment."""

    row: np.ndarray  # (m,) row of each truck in the trace's truck columns
    xy: np.ndarray  # (m, 2) position of the glyph's centre on the ground, metres
    level: np.ndarray  # (m,) stacking level (0 on the ground)
    heading: np.ndarray  # (m,) direction of travel, radians from +x (east)
    state: np.ndarray  # (m,) DRIVING, QUEUED or SERVED

    def __len__(self) -> int:
        return len(self.row)


@dataclass(frozen=True)
class Frame:
    """Everything that changes in the picture at one moment."""

    t: float
    trucks: Trucks
    load_share: np.ndarray  # (n_buildings,) served power over the building's peak demand
    powered_share: np.ndarray  # (n_buildings,) share of the grid step with power
    roof_rgb: np.ndarray  # (n_buildings, 3) uint8
    feeder_rgb: np.ndarray  # (n_feeders, 3) uint8
    kpis: dict[str, float]


@dataclass(frozen=True)
class _Routes:
    """All gate-to-building routes as one piecewise-linear table, for vectorised lookups."""

    keys: np.ndarray  # route r's point i at r * span + cumulative minutes
    xy: np.ndarray  # (n_points, 2)
    first: np.ndarray  # (n_routes,) index of each route's first point
    last: np.ndarray  # (n_routes,) index of each route's last point
    minutes: np.ndarray  # (n_routes,) driving time
    span: float

    def at(self, route: np.ndarray, minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position and heading after driving `minutes` along each truck's route."""
        minutes = np.clip(minutes, 0.0, self.minutes[route])
        key = route * self.span + minutes
        xy = np.stack([np.interp(key, self.keys, self.xy[:, k]) for k in range(2)], axis=1)
        seg = np.searchsorted(self.keys, key, side="right") - 1
        seg = np.clip(seg, self.first[route], np.maximum(self.last[route] - 1, self.first[route]))
        delta = self.xy[np.minimum(seg + 1, self.last[route])] - self.xy[seg]
        return xy, np.arctan2(delta[:, 1], delta[:, 0])


def park_extent(park: Any) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left and upper-right corners (x, y) of everything placed in the park."""
    points: list[Sequence[float]] = []
    for building in park.buildings:
        points.extend(building.footprint)
    for road in park.logistics.roads:
        points.extend(road.points)
    points.extend(g.position for g in park.logistics.gates)
    if park.power:
        points.extend(s.position for s in park.power.substations)
    if park.water:
        for part in (park.water.supply, park.water.wastewater):
            if part is not None and part.position is not None:
                points.append(part.position)
    return extent(points)


def gate_outwards(park: Any, network: RoadNetwork) -> np.ndarray:
    """Unit vector from each gate away from the park: from its road join through the gate.

    A gate that sits on its road's end points away from the middle of the park instead.
    """
    lo, hi = park_extent(park)
    centre = (lo + hi) / 2.0
    gates = park.logistics.gates
    out = np.zeros((len(gates), 2))
    for i, gate in enumerate(gates):
        position = np.asarray(gate.position, dtype=float)
        inside = network.nodes[network.joins[gate.id]] if gate.id in network.joins else centre
        direction = position - inside
        if np.hypot(*direction) < 1.0:
            direction = position - centre
        out[i] = _unit(direction)
    return out


def _ranks(groups: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Rank of each item within its group, ordered by `order` (0 for the first)."""
    if not len(groups):
        return np.zeros(0, dtype=np.int64)
    idx = np.lexsort((order, groups))
    sorted_groups = groups[idx]
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    position = np.arange(len(idx))
    first = np.maximum.accumulate(np.where(starts, position, 0))
    ranks = np.empty(len(idx), dtype=np.int64)
    ranks[idx] = position - first
    return ranks


def assign_slots(group: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A stable server (lane or dock) for each service, lowest free first, per group.

    Args:
        group: Group of each service (gate or dock group index).
        start: Start of service; NaN for services that never started (slot -1).
        end: End of service; NaN for services still running at the end of the run.

    Returns:
        The slot index of each service, so that a truck keeps its dock while served.
    """
    slots = np.full(len(group), -1, dtype=np.int64)
    started = np.flatnonzero(~np.isnan(start))
    order = started[np.lexsort((start[started], group[started]))]
    current = None
    busy: list[tuple[float, int]] = []
    free: list[int] = []
    count = 0
    for i in order.tolist():
        if group[i] != current:
            current, busy, free, count = group[i], [], [], 0
        t = start[i]
        while busy and busy[0][0] <= t:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            slot = heapq.heappop(free)
        else:
            slot, count = count, count + 1
        slots[i] = slot
        finish = end[i]
        heapq.heappush(busy, (math.inf if math.isnan(finish) else float(finish), slot))
    return slots


@dataclass
class _Placing:
    """The trucks in the park at one moment while they are placed, one stage at a time.

    Attributes:
        idx: their rows in the trace; phase: how many of their stage times have passed (1..6);
        tt: their stage times; back_out: done driving back to the gate (waiting to leave).
    """

    idx: np.ndarray
    phase: np.ndarray
    tt: np.ndarray
    back_out: np.ndarray
    xy: np.ndarray = field(init=False)
    level: np.ndarray = field(init=False)
    heading: np.ndarray = field(init=False)
    state: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        m = len(self.idx)
        self.xy = np.zeros((m, 2))
        self.level = np.zeros(m)
        self.heading = np.zeros(m)
        self.state = np.full(m, QUEUED, dtype=np.int8)


class FrameMaker:
    """Per-frame arrays of one trace over a span of time.

    Args:
        trace: The recorded run.
        start: First moment that will be asked for (minutes); trucks that left the park
            before it are dropped up front. None for the whole run.
        end: Last moment that will be asked for; None for the whole run.
        truck: Glyph size; by default scaled to the park's extent.
    """

    def __init__(
        self,
        trace: Trace,
        start: float | None = None,
        end: float | None = None,
        truck: TruckSize | None = None,
    ) -> None:
        self.trace = trace
        park = trace.park
        self.park = park
        lo, hi = park_extent(park)
        self.truck = truck or TruckSize.for_extent(float(max(hi - lo)))
        cols = trace.trucks
        times = np.stack([np.asarray(cols[c], dtype=float) for c in TIME_COLUMNS], axis=1)
        keep = np.ones(len(times), dtype=bool)
        if end is not None:
            keep &= times[:, 0] <= end
        if start is not None:
            keep &= ~(times[:, 6] < start)
        self.rows = np.flatnonzero(keep)
        self.times = times[keep]
        self.gate = np.asarray(cols["gate"], dtype=np.int64)[keep]
        self.group = np.asarray(cols["dock_group"], dtype=np.int64)[keep]
        self._layout(park)
        self.travel = self.routes.minutes[self.route]
        t = self.times
        self.lane = assign_slots(self.gate, t[:, 1], t[:, 2])
        self.dock = assign_slots(self.group, t[:, 4], t[:, 5])
        self._series(trace)

    # ------------------------------------------------------------------ geometry

    def _layout(self, park: Any) -> None:
        logi = park.logistics
        network = RoadNetwork.of(park)
        lo, hi = park_extent(park)
        centre = (lo + hi) / 2.0
        gates = logi.gates
        self.gate_xy = np.array([g.position for g in gates], dtype=float).reshape(-1, 2)
        self.gate_lanes = np.array([g.lanes for g in gates], dtype=np.int64)
        self.gate_out = gate_outwards(park, network)
        buildings = {b.id: b for b in park.buildings}
        groups = logi.dock_groups
        self.dock_xy = np.zeros((len(groups), 2))
        self.dock_out = np.zeros((len(groups), 2))
        self.dock_count = np.array([g.docks for g in groups], dtype=np.int64)
        pairs: dict[tuple[int, int], int] = {}
        for j, group in enumerate(groups):
            building = buildings[group.building]
            polygon = np.asarray(building.footprint, dtype=float)
            if building.id in network.joins:
                target = network.nodes[network.joins[building.id]]
            elif building.entrance is not None:
                target = np.asarray(building.entrance, dtype=float)
            else:
                target = self.gate_xy.mean(axis=0) if len(gates) else centre
            facade, normal = nearest_on_boundary(target, polygon)
            if building.entrance is not None:
                facade, normal = nearest_on_boundary(np.asarray(building.entrance, float), polygon)
            self.dock_xy[j] = facade
            self.dock_out[j] = normal
        # Routes of every (gate, dock group) pair that trucks use.
        used = np.unique(np.stack([self.gate, self.group], axis=1), axis=0)
        keys, xy, first, last, minutes = [], [], [], [], []
        routes: list[Route] = []
        for g, d in used.tolist():
            route = network.route(gates[g].id, groups[d].building)
            pairs[(g, d)] = len(routes)
            routes.append(route)
        span = max([r.minutes for r in routes], default=0.0) + 1.0
        n = 0
        for r, route in enumerate(routes):
            pts = np.asarray(route.points, dtype=float)
            if not len(route.cumulative_min) or route.minutes <= 0:
                pts = pts[:1]
                cum = np.zeros(1)
            else:
                cum = np.asarray(route.cumulative_min, dtype=float)
            keys.append(r * span + cum)
            xy.append(pts)
            first.append(n)
            n += len(pts)
            last.append(n - 1)
            minutes.append(route.minutes)
        self.routes = _Routes(
            keys=np.concatenate(keys) if keys else np.zeros(1),
            xy=np.concatenate(xy) if xy else np.zeros((1, 2)),
            first=np.array(first, dtype=np.int64),
            last=np.array(last, dtype=np.int64),
            minutes=np.array(minutes, dtype=float),
            span=span,
        )
        lookup = np.full((max(len(gates), 1), max(len(groups), 1)), -1, dtype=np.int64)
        for (g, d), r in pairs.items():
            lookup[g, d] = r
        self.route = (
            lookup[self.gate, self.group] if len(self.gate) else np.zeros(0, dtype=np.int64)
        )

    def _series(self, trace: Trace) -> None:
        s = trace.series
        self.edges = np.asarray(trace.edges, dtype=float)
        nb = len(trace.names["buildings"])
        steps = len(self.edges) - 1
        zeros = np.zeros((steps, nb))
        self.served = np.asarray(s.get("building_power_served_kw", zeros), dtype=float)
        demand = np.asarray(s.get("building_power_demand_kw", self.served), dtype=float)
        self.unserved = np.asarray(
            s.get("building_power_unserved_kw", np.maximum(demand - self.served, 0.0)), float
        )
        self.powered = np.asarray(s.get("building_powered_share", np.ones((steps, nb))), float)
        peak = demand.max(axis=0) if steps else np.zeros(nb)
        self.peak_kw = peak
        network = self.park.power is not None and self.park.power.network is not None
        self.line_loading = (
            np.asarray(s["line_loading_pct"], float)
            if network and "line_loading_pct" in s
            else None
        )
        self.feeder_load = np.asarray(s.get("feeder_load_kw", np.zeros((steps, 0))), float)
        feeders = self.park.power.feeders if self.park.power else []
        self.feeder_capacity_kw = np.array([f.capacity_mw * 1000.0 for f in feeders], dtype=float)
        # Which buildings each feeder serves, to tell "no supply" from "nothing asked".
        index = {f.id: j for j, f in enumerate(feeders)}
        self.feeder_members = np.zeros((len(feeders), nb))
        for i, building in enumerate(self.park.buildings):
            if building.power is not None and building.power.feeder in index:
                self.feeder_members[index[building.power.feeder], i] = 1.0

    # ------------------------------------------------------------------ per frame

    def step(self, t: float) -> int:
        """The grid step that contains moment `t` (clipped to the recorded steps)."""
        k = int(np.searchsorted(self.edges, t, side="right")) - 1
        return int(np.clip(k, 0, max(len(self.edges) - 2, 0)))

    def active_count(self, times: Sequence[float] | np.ndarray) -> np.ndarray:
        """Number of trucks in the park at each of `times`."""
        t = np.asarray(times, dtype=float)[:, None]
        arrive, leave = self.times[:, 0][None, :], self.times[:, 6][None, :]
        return ((arrive <= t) & ~(leave <= t)).sum(axis=1)

    def trucks_at(self, t: float) -> Trucks:
        """Where every truck in the park is at moment `t` (see the module docstring)."""
        phase = (self.times <= t).sum(axis=1)
        idx = np.flatnonzero((phase >= 1) & (phase <= 6))
        tt = self.times[idx]
        at = _Placing(idx, phase[idx], tt, t >= tt[:, 5] + self.travel[idx])
        self._at_gates(at)
        self._in_gate_lanes(at)
        self._driving(at, t)
        self._at_docks(at)
        return Trucks(self.rows[idx], at.xy, at.level, at.heading, at.state)

    def _at_gates(self, at: _Placing) -> None:
        """Queued at the gate, and waiting inside it to leave: in rows across its lanes."""
        pitch, across = self.truck.length * 1.3, self.truck.width * 1.6
        for mask, order, sign in (
            (at.phase == 1, at.tt[:, 0], 1.0),
            ((at.phase == 6) & at.back_out, at.tt[:, 5], -1.0),
        ):
            sel = np.flatnonzero(mask)
            if not len(sel):
                continue
            g = self.gate[at.idx][sel]
            rank = _ranks(g, order[sel])
            lanes = self.gate_lanes[g]
            depth = rank // lanes + 1
            lane = rank % lanes
            out = self.gate_out[g] * sign
            along = np.stack([-out[:, 1], out[:, 0]], axis=1)
            at.xy[sel] = (
                self.gate_xy[g]
                + out * (depth * pitch)[:, None]
                + along * ((lane - (lanes - 1) / 2.0) * across)[:, None]
            )
            at.heading[sel] = np.arctan2(-out[:, 1], -out[:, 0])

    def _in_gate_lanes(self, at: _Placing) -> None:
        """In a gate lane, being served."""
        sel = np.flatnonzero(at.phase == 2)
        if not len(sel):
            return
        across = self.truck.width * 1.6
        g = self.gate[at.idx][sel]
        lanes = self.gate_lanes[g]
        lane = np.maximum(self.lane[at.idx[sel]], 0) % lanes
        out = self.gate_out[g]
        along = np.stack([-out[:, 1], out[:, 0]], axis=1)
        at.xy[sel] = self.gate_xy[g] + along * ((lane - (lanes - 1) / 2.0) * across)[:, None]
        at.heading[sel] = np.arctan2(-out[:, 1], -out[:, 0])
        at.state[sel] = SERVED

    def _driving(self, at: _Placing, t: float) -> None:
        """Driving: in along the route, out along the reversed route; keep to the right."""
        for mask, elapsed, reverse in (
            (at.phase == 3, t - at.tt[:, 2], False),
            ((at.phase == 6) & ~at.back_out, t - at.tt[:, 5], True),
        ):
            sel = np.flatnonzero(mask)
            if not len(sel):
                continue
            route = self.route[at.idx[sel]]
            minutes = elapsed[sel]
            if reverse:
                minutes = self.routes.minutes[route] - minutes
            pos, angle = self.routes.at(route, minutes)
            if reverse:
                angle = angle + math.pi
            right = np.stack([np.sin(angle), -np.cos(angle)], axis=1)
            at.xy[sel] = pos + right * (self.truck.width * 0.9)
            at.heading[sel] = angle
            at.state[sel] = DRIVING

    def _at_docks(self, at: _Placing) -> None:
        """Served trucks backed into their dock, queued ones in a row in front, stacked
        upwards once the row is full."""
        size, across = self.truck, self.truck.width * 1.6
        for mask, served in ((at.phase == 5, True), (at.phase == 4, False)):
            sel = np.flatnonzero(mask)
            if not len(sel):
                continue
            d = self.group[at.idx][sel]
            if served:
                slot = np.maximum(self.dock[at.idx[sel]], 0)
                per_row = np.minimum(self.dock_count[d], _DOCK_ROW)
                row, col = slot // per_row, slot % per_row
                lvl = np.zeros(len(sel))
                dist = size.length * (0.6 + 1.1 * row)
            else:
                rank = _ranks(d, at.tt[sel, 3])
                per_row = np.full(len(sel), _DOCK_ROW)
                col, lvl = rank % per_row, rank // per_row
                rows_docked = -(-self.dock_count[d] // np.minimum(self.dock_count[d], _DOCK_ROW))
                dist = size.length * (0.6 + 1.1 * rows_docked + 0.4)
            out = self.dock_out[d]
            along = np.stack([-out[:, 1], out[:, 0]], axis=1)
            at.xy[sel] = (
                self.dock_xy[d]
                + out * np.asarray(dist)[:, None]
                + along * ((col - (per_row - 1) / 2.0) * across)[:, None]
            )
            at.level[sel] = lvl
            at.heading[sel] = np.arctan2(out[:, 1], out[:, 0])
            at.state[sel] = SERVED if served else QUEUED

    def frame(self, t: float) -> Frame:
        """Trucks, roof and feeder colours and live KPIs at moment `t`."""
        trucks = self.trucks_at(t)
        k = self.step(t)
        nb = len(self.peak_kw)
        if len(self.edges) > 1:
            served = self.served[k]
            powered = self.powered[k]
            unserved = float(self.unserved[k].sum())
        else:
            served, powered, unserved = np.zeros(nb), np.ones(nb), 0.0
        share = np.divide(served, self.peak_kw, out=np.zeros(nb), where=self.peak_kw > 0)
        roof = palette.load_colors(share, powered)
        feeder_rgb = self._feeder_colours(k, powered)
        phase_counts = np.bincount(((self.times <= t).sum(axis=1)).clip(0, 7), minlength=8).astype(
            float
        )
        kpis = {
            "trucks_in_park": float(len(trucks)),
            "gate_queue": float(phase_counts[1]),
            "dock_queue": float(phase_counts[4]),
            "park_power_mw": float(served.sum()) / 1000.0,
            "unserved_mw": unserved / 1000.0,
        }
        return Frame(
            t=t,
            trucks=trucks,
            load_share=share,
            powered_share=powered,
            roof_rgb=roof,
            feeder_rgb=feeder_rgb,
            kpis=kpis,
        )

    def _feeder_colours(self, k: int, powered: np.ndarray) -> np.ndarray:
        """Colours of the power lines at step `k`: the network's lines by their loading band
        (a park with `power.network`), else each feeder by its load over capacity."""
        if self.line_loading is not None:
            pct = self.line_loading[k] if len(self.edges) > 1 else np.zeros(0)
            return palette.loading_colors(pct, pct > LIVE_LOADING_PCT)
        if self.feeder_load.shape[1] and len(self.edges) > 1:
            load = self.feeder_load[k]
            loading = load / np.maximum(self.feeder_capacity_kw, 1e-9)
            members = self.feeder_members.sum(axis=1)
            powered = (self.feeder_members @ powered) / np.maximum(members, 1.0)
            dead = (load <= 1e-9) & (members > 0) & (powered < 0.5)
        else:
            loading = np.zeros(len(self.feeder_capacity_kw))
            dead = np.zeros(len(loading), dtype=bool)
        return palette.feeder_colors(loading, dead)


def frame_times(start: float, end: float, fps: float, speed: float) -> np.ndarray:
    """Moments shown by the frames of a video of ``start..end``.

    The video lasts ``(end - start) / speed`` seconds: frame k shows
    ``start + k * speed / fps`` for ``k = 0 .. ceil((end - start) * fps / speed) - 1``
    (at least one frame).
    """
    return start + speed / fps * np.arange(frame_count(start, end, fps, speed))


def frame_count(start: float, end: float, fps: float, speed: float) -> int:
    """How many frames a video of ``start..end`` has (see :func:`frame_times`), without them."""
    return max(1, math.ceil((end - start) / (speed / fps) - 1e-9))


def glyph_points(
    template: np.ndarray, xy: np.ndarray, z: np.ndarray, heading: np.ndarray
) -> np.ndarray:
    """Vertices of one glyph per item: the `template` rotated by heading and moved to (xy, z).

    Args:
        template: ``(k, 3)`` glyph vertices in local coordinates (x forward, y left, z up).
        xy: ``(m, 2)`` positions.
        z: ``(m,)`` heights of the glyphs' bases.
        heading: ``(m,)`` angles from +x, radians.

    Returns:
        ``(m * k, 3)`` float32 vertices, glyph after glyph.
    """
    c, s = np.cos(heading)[:, None], np.sin(heading)[:, None]
    tx, ty, tz = template[:, 0][None, :], template[:, 1][None, :], template[:, 2][None, :]
    out = np.empty((len(xy), len(template), 3), dtype=np.float32)
    out[..., 0] = xy[:, :1] + c * tx - s * ty
    out[..., 1] = xy[:, 1:2] + s * tx + c * ty
    out[..., 2] = z[:, None] + tz
    return out.reshape(-1, 3)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.hypot(*vector))
    return vector / norm if norm > 1e-9 else np.array([0.0, -1.0])
