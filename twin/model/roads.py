"""The park's road network: joins, shortest routes and their polylines.

Roads join where they share a point. A gate joins at the road point nearest its position, a
building at the road point nearest its entrance (or its footprint when no entrance is given).
Fastest routes come from one Dijkstra search per gate (heapq: a park's road network is small,
and a run needs no scipy import for it).
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from twin.model.geometry import boundary_distances

if TYPE_CHECKING:
    from twin.model.schema import Building, Park


@dataclass(frozen=True)
class Route:
    """A drive from a gate to a building: its polyline (metres) and duration (minutes)."""

    points: np.ndarray  # (n, 2) road points in driving order, gate end first
    cumulative_m: np.ndarray  # (n,) distance driven at each point
    minutes: float
    cumulative_min: np.ndarray  # (n,) time driven at each point


@dataclass
class RoadNetwork:
    """Road points as graph nodes, with where gates and buildings join it."""

    nodes: np.ndarray  # (n, 2)
    edges: list[tuple[int, int, float, float]]  # (a, b, metres, minutes)
    joins: dict[str, int]  # gate or building id -> node index
    _routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    _components: list[int] | None = None
    _best: dict[tuple[int, int], tuple[float, float]] | None = None
    _trees: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, park: Park) -> RoadNetwork:
        """Build the network of a park (empty when it has no roads)."""
        index: dict[tuple[float, float], int] = {}
        edges: list[tuple[int, int, float, float]] = []
        for road in park.logistics.roads:
            ids = [index.setdefault((float(x), float(y)), len(index)) for x, y in road.points]
            for (a, b), (p, q) in zip(
                itertools.pairwise(ids),
                zip(road.points, road.points[1:], strict=False),
                strict=True,
            ):
                metres = float(np.hypot(q[0] - p[0], q[1] - p[1]))
                edges.append((a, b, metres, metres / (road.speed_kmh * 1000.0 / 60.0)))
        nodes = np.array(list(index), dtype=float).reshape(-1, 2)
        joins: dict[str, int] = {}
        if len(nodes):
            for gate in park.logistics.gates:
                joins[gate.id] = int(np.argmin(np.hypot(*(nodes - gate.position).T)))
            for building in park.buildings:
                joins[building.id] = _building_join(building, nodes)
        return cls(nodes=nodes, edges=edges, joins=joins)

    def connected(self, gate: str, building: str) -> bool:
        """True when a road path joins the gate to the building (or there are no roads)."""
        if not len(self.nodes):
            return True
        parent = self._component_labels()
        return parent[self.joins[gate]] == parent[self.joins[building]]

    def _component_labels(self) -> list[int]:
        if self._components is None:
            parent = list(range(len(self.nodes)))

            def find(i: int) -> int:
                while parent[i] != i:
                    parent[i] = parent[parent[i]]
                    i = parent[i]
                return i

            for a, b, _, _ in self.edges:
                parent[find(a)] = find(b)
            self._components = [find(i) for i in range(len(parent))]
        return self._components

    def route(self, gate: str, building: str) -> Route:
        """The fastest route from the gate's join to the building's join."""
        key = (gate, building)
        if key not in self._routes:
            self._routes[key] = self._shortest(gate, building)
        return self._routes[key]

    def _shortest(self, gate: str, building: str) -> Route:
        if not len(self.nodes):
            zero = np.zeros(1)
            return Route(np.zeros((1, 2)), zero, 0.0, zero)
        start, end = self.joins[gate], self.joins[building]
        predecessors = self._tree(start)
        path = [end]
        while path[-1] != start:
            prev = predecessors[path[-1]]
            if prev < 0:
                raise ValueError(f"no road joins gate '{gate}' to building '{building}'")
            path.append(prev)
        path.reverse()
        best = self._fastest_edges()
        pts = self.nodes[path]
        step_m = [0.0]
        step_min = [0.0]
        for i, j in itertools.pairwise(path):
            m, t = best[(min(i, j), max(i, j))]
            step_m.append(m)
            step_min.append(t)
        cum_m = np.cumsum(step_m)
        cum_min = np.cumsum(step_min)
        return Route(pts, cum_m, float(cum_min[-1]), cum_min)

    def _fastest_edges(self) -> dict[tuple[int, int], tuple[float, float]]:
        """(metres, minutes) of the fastest road between each pair of joined points."""
        if self._best is None:
            best: dict[tuple[int, int], tuple[float, float]] = {}
            for i, j, m, t in self.edges:
                key = (min(i, j), max(i, j))
                if key not in best or t < best[key][1]:
                    best[key] = (m, t)
            self._best = best
        return self._best

    def _tree(self, start: int) -> list[int]:
        """Each point's predecessor on its fastest route from `start` (-1: none), by Dijkstra."""
        if start not in self._trees:
            n = len(self.nodes)
            near: list[list[tuple[int, float]]] = [[] for _ in range(n)]
            for (i, j), (_, t) in sorted(self._fastest_edges().items()):
                weight = max(t, 1e-12)
                near[i].append((j, weight))
                near[j].append((i, weight))
            dist = [math.inf] * n
            predecessors = [-1] * n
            dist[start] = 0.0
            heap = [(0.0, start)]
            settled = [False] * n
            while heap:
                d, u = heapq.heappop(heap)
                if settled[u]:
                    continue
                settled[u] = True
                for v, weight in near[u]:
                    if d + weight < dist[v]:
                        dist[v] = d + weight
                        predecessors[v] = u
                        heapq.heappush(heap, (dist[v], v))
            self._trees[start] = predecessors
        return self._trees[start]


def _building_join(building: Building, nodes: np.ndarray) -> int:
    if building.entrance is not None:
        return int(np.argmin(np.hypot(*(nodes - building.entrance).T)))
    return int(np.argmin(boundary_distances(nodes, np.asarray(building.footprint, float))))
