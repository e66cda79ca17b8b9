"""The park's power network as arrays: buses, lines, transformers, sources and loads.

:func:`build_grid` turns `power.network` (SPEC.md "Power network") into index arrays and SI
values that a load-flow solver takes (:mod:`twin.sim.loadflow`), and :func:`energized` says which
buses a source reaches under a given switching. A substation's medium-voltage busbar is a source
held at 1.0 pu; a substation with transformers has its source on a high-voltage bus of its own,
joined to the busbar through them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.model.schema import Park, PowerNetwork

DEFAULT_POWER_FACTOR = 0.95
DEFAULT_PRIORITY = 1


@dataclass(frozen=True)
class Grid:
    """A network in arrays. Buses are the park's, then one high-voltage bus per transformed
    substation; lines, transformers, sources and loads are in file order."""

    kv: float
    source_v_pu: float
    bus_ids: list[str]
    n_park_buses: int
    line_ids: list[str]
    line_ends: np.ndarray  # (lines, 2) bus indices
    line_r_ohm: np.ndarray
    line_x_ohm: np.ndarray
    line_c_f: np.ndarray
    line_i_n_a: np.ndarray
    line_normally_closed: np.ndarray  # False for a normally open point
    trafo_ids: list[str]
    trafo_ends: np.ndarray  # (transformers, 2): high-voltage bus, busbar
    trafo_sn_va: np.ndarray
    trafo_uk: np.ndarray
    trafo_pk_w: np.ndarray
    trafo_hv_v: np.ndarray
    source_ids: list[str]  # the substations
    source_bus: np.ndarray
    source_busbar: np.ndarray  # the medium-voltage busbar of each source's substation
    source_rating_w: np.ndarray  # capacity_mw of a substation without transformers, else inf
    load_building: np.ndarray  # index into park.buildings
    load_bus: np.ndarray
    load_tan_phi: np.ndarray
    load_priority: np.ndarray
    assets: dict[str, tuple[str, int]] = field(default_factory=dict)
    """What an outage may name: id -> ("line" | "transformer" | "source", index)."""

    @property
    def tie_lines(self) -> np.ndarray:
        """Indices of the lines with a normally open switch, in file order."""
        return np.flatnonzero(~self.line_normally_closed)


def build_grid(park: Park) -> Grid:
    """The arrays of a park's network (the park must have `power.network`)."""
    power = park.power
    assert power is not None and power.network is not None
    net = power.network
    bus_ids = [b.id for b in net.buses]
    busbar = {b.substation: i for i, b in enumerate(net.buses) if b.substation is not None}
    index = {bus: i for i, bus in enumerate(bus_ids)}
    trafo: dict[str, list[float]] = {k: [] for k in ("hv", "mv", "sn", "uk", "pk", "u1")}
    trafo_ids: list[str] = []
    source_ids: list[str] = []
    source_bus: list[int] = []
    source_busbar: list[int] = []
    source_rating_w: list[float] = []
    for sub in power.substations:
        if sub.id not in busbar:
            continue
        source_ids.append(sub.id)
        source_busbar.append(busbar[sub.id])
        # with transformers, their ratings bound the source (capacity_mw is then the firm one)
        source_rating_w.append(np.inf if sub.transformers else sub.capacity_mw * 1e6)
        if not sub.transformers:
            source_bus.append(busbar[sub.id])
            continue
        hv = len(bus_ids)
        bus_ids.append(f"{sub.id}-hv")
        source_bus.append(hv)
        for t in sub.transformers:
            trafo_ids.append(t.id)
            for key, value in (("hv", hv), ("mv", busbar[sub.id]), ("sn", t.sn_mva * 1e6)):
                trafo[key].append(value)
            trafo["uk"].append(t.vk_percent / 100.0)
            trafo["pk"].append(t.vkr_percent / 100.0 * t.sn_mva * 1e6)
            trafo["u1"].append(t.hv_kv * 1e3)
    lines = _line_arrays(net, index)
    loads = _load_arrays(park, index)
    assets = {name: ("line", i) for i, name in enumerate(lines["ids"])}
    assets.update({name: ("transformer", i) for i, name in enumerate(trafo_ids)})
    assets.update({name: ("source", i) for i, name in enumerate(source_ids)})
    return Grid(
        kv=net.kv,
        source_v_pu=net.source_v_pu,
        bus_ids=bus_ids,
        n_park_buses=len(net.buses),
        line_ids=lines["ids"],
        line_ends=np.array(lines["ends"], dtype=np.int64).reshape(-1, 2),
        line_r_ohm=np.array(lines["r"], dtype=float),
        line_x_ohm=np.array(lines["x"], dtype=float),
        line_c_f=np.array(lines["c"], dtype=float),
        line_i_n_a=np.array(lines["i_n"], dtype=float),
        line_normally_closed=np.array(lines["closed"], dtype=bool),
        trafo_ids=trafo_ids,
        trafo_ends=np.column_stack([trafo["hv"], trafo["mv"]]).astype(np.int64).reshape(-1, 2),
        trafo_sn_va=np.array(trafo["sn"], dtype=float),
        trafo_uk=np.array(trafo["uk"], dtype=float),
        trafo_pk_w=np.array(trafo["pk"], dtype=float),
        trafo_hv_v=np.array(trafo["u1"], dtype=float),
        source_ids=source_ids,
        source_bus=np.array(source_bus, dtype=np.int64),
        source_busbar=np.array(source_busbar, dtype=np.int64),
        source_rating_w=np.array(source_rating_w, dtype=float),
        assets=assets,
        **loads,
    )


def _line_arrays(net: PowerNetwork, index: dict[str, int]) -> dict[str, list[Any]]:
    open_lines = {s.line for s in net.switches if not s.closed}
    keys = ("ids", "ends", "r", "x", "c", "i_n", "closed")
    out: dict[str, list[Any]] = {k: [] for k in keys}
    for line in net.lines:
        data = line.data()
        out["ids"].append(line.id)
        out["ends"].append((index[line.from_bus], index[line.to_bus]))
        out["r"].append(data["r_ohm_per_km"] * line.length_km)
        out["x"].append(data["x_ohm_per_km"] * line.length_km)
        out["c"].append(data["c_nf_per_km"] * 1e-9 * line.length_km)
        out["i_n"].append(data["max_i_ka"] * 1e3)
        out["closed"].append(line.id not in open_lines)
    return out


def _load_arrays(park: Park, index: dict[str, int]) -> dict[str, np.ndarray]:
    rows = [
        (j, index[b.power.bus], b.power.power_factor or DEFAULT_POWER_FACTOR, b.power.priority)
        for j, b in enumerate(park.buildings)
        if b.power is not None and b.power.bus is not None
    ]
    return {
        "load_building": np.array([r[0] for r in rows], dtype=np.int64),
        "load_bus": np.array([r[1] for r in rows], dtype=np.int64),
        "load_tan_phi": np.array([math.tan(math.acos(r[2])) for r in rows], dtype=float),
        "load_priority": np.array(
            [DEFAULT_PRIORITY if r[3] is None else r[3] for r in rows], dtype=np.int64
        ),
    }


def energized(
    grid: Grid, line_on: np.ndarray, trafo_on: np.ndarray, source_on: np.ndarray
) -> np.ndarray:
    """Which buses an in-service source reaches through closed lines and transformers."""
    neighbours: list[list[int]] = [[] for _ in grid.bus_ids]
    for ends, on in ((grid.line_ends, line_on), (grid.trafo_ends, trafo_on)):
        for a, b in ends[on]:
            neighbours[a].append(int(b))
            neighbours[b].append(int(a))
    reached = np.zeros(len(grid.bus_ids), dtype=bool)
    frontier = [int(b) for b in grid.source_bus[source_on]]
    reached[frontier] = True
    while frontier:
        for other in neighbours[frontier.pop()]:
            if not reached[other]:
                reached[other] = True
                frontier.append(other)
    return reached


def islands(grid: Grid, line_on: np.ndarray, trafo_on: np.ndarray) -> np.ndarray:
    """A label per bus: buses joined by closed lines or transformers share one."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ends = np.concatenate([grid.line_ends[line_on], grid.trafo_ends[trafo_on]]).reshape(-1, 2)
    n = len(grid.bus_ids)
    graph = coo_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n))
    return np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)
