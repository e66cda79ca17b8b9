"""The road network's fastest routes agree with scipy's Dijkstra (an independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from twin.io.load import load_park
from twin.model.roads import RoadNetwork


@pytest.mark.parametrize("name", ["yen-binh", "demo-small"])
def test_route_minutes_are_scipys_shortest_times(name: str) -> None:
    park = load_park(name)
    network = RoadNetwork.of(park)
    n = len(network.nodes)
    best: dict[tuple[int, int], float] = {}
    for a, b, _, minutes in network.edges:
        key = (min(a, b), max(a, b))
        best[key] = min(best.get(key, np.inf), minutes)
    rows, cols = zip(*best, strict=True)
    graph = coo_matrix((list(best.values()), (rows, cols)), shape=(n, n)).tocsr()
    checked = 0
    for gate in park.logistics.gates:
        times = dijkstra(graph, directed=False, indices=network.joins[gate.id])
        for building in park.buildings:
            route = network.route(gate.id, building.id)
            assert route.minutes == pytest.approx(times[network.joins[building.id]], rel=1e-12)
            assert route.cumulative_min[-1] == route.minutes
            steps = np.diff(route.points, axis=0)
            assert np.hypot(*steps.T).sum() == pytest.approx(route.cumulative_m[-1], rel=1e-9)
            checked += 1
    assert checked == len(park.logistics.gates) * len(park.buildings)
