"""AC load flow of many grid steps in one call, with power-grid-model.

power-grid-model (Alliander, MPL-2.0) is a C++ solver made for batches: the network is built once
and each grid step is a scenario of the batch that updates loads and switching, so a week at
15-minute steps is one call of a few tens of milliseconds. Steps are independent, so the
results do not depend on the order or the grouping of steps. A step that does not converge is
flagged, never raised. This module is the only one of ``twin`` that imports the solver; it is
an optional dependency (the ``power`` extra), asked for only when a park has a network.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from twin.errors import UsageError
from twin.sim.network import Grid

SOURCE_SK_VA = 1e15
"""Short-circuit power of a source: large enough that its busbar stays at 1.0 pu."""
INSTALL = "pip install 'parktwin[power]'"
MAX_CALL_ROWS = 2_000_000
"""Most (step, element) rows of one solver call: its output is 48 to 80 bytes a row, so a call
holds at most about 160 MB of it, whatever the number of steps or the size of the network."""

_THREADS: ContextVar[int] = ContextVar("load_flow_threads", default=1)
"""How many threads a batch load flow spreads its grid steps over (see :func:`threads`)."""


@dataclass(frozen=True)
class PowerFlow:
    """Load-flow results of a batch of steps (rows); a de-energized bus has NaN voltage."""

    converged: np.ndarray  # (steps,) bool
    bus_v_pu: np.ndarray  # (steps, buses)
    line_loading: np.ndarray  # (steps, lines), current over rating
    trafo_loading: np.ndarray  # (steps, transformers), apparent power over rating
    source_p_w: np.ndarray  # (steps, sources)
    load_p_w: np.ndarray  # (steps, loads), what each load draws (0 when de-energized)

    @property
    def losses_w(self) -> np.ndarray:
        """Power lost in lines and transformers, per step: sources minus loads."""
        return self.source_p_w.sum(axis=1) - self.load_p_w.sum(axis=1)


@dataclass(frozen=True)
class Switching:
    """Which elements are in service, per step (rows)."""

    line_on: np.ndarray  # (steps, lines) bool
    trafo_on: np.ndarray  # (steps, transformers) bool
    source_on: np.ndarray  # (steps, sources) bool


def solver() -> Any:
    """The power_grid_model module, or a clear error naming the extra to install."""
    try:
        import power_grid_model
    except ImportError:
        raise UsageError(
            f"a park with power.network needs the load-flow solver power-grid-model: {INSTALL}"
        ) from None
    return power_grid_model


@contextmanager
def threads(count: int) -> Iterator[None]:
    """Within this block, load flows spread their grid steps over `count` threads.

    The solver runs each thread's share of the steps as it would alone (steps are independent),
    so the results are the same, bit for bit, as on one thread. For a process whose cores are
    otherwise idle, such as the parent of worker processes that are not started yet.
    """
    token = _THREADS.set(max(1, count))
    try:
        yield
    finally:
        _THREADS.reset(token)


def solve(grid: Grid, load_p_w: np.ndarray, switching: Switching) -> PowerFlow:
    """AC load flow (Newton-Raphson) of every step: loads in W at each load's power factor.

    The steps go to the solver in calls of at most :data:`MAX_CALL_ROWS` (step, element) rows,
    so its own output (48 to 80 bytes a row) stays bounded however long the run or large the
    network; steps are independent, so the results are those of one call, bit for bit.
    """
    steps = load_p_w.shape[0]
    if steps == 0:
        return _empty(grid)
    model = _build_model(grid)
    width = len(grid.bus_ids) + len(grid.line_ids) + len(grid.trafo_ids)
    width += len(grid.source_ids) + len(grid.load_bus)
    per_call = max(1, MAX_CALL_ROWS // max(1, width))
    parts = [
        _solve_steps(model, grid, load_p_w[a : a + per_call], _rows(switching, a, a + per_call))
        for a in range(0, steps, per_call)
    ]
    return parts[0] if len(parts) == 1 else _joined(parts)


def _rows(switching: Switching, start: int, stop: int) -> Switching:
    """The switching of steps `start` to `stop`."""
    return Switching(
        switching.line_on[start:stop],
        switching.trafo_on[start:stop],
        switching.source_on[start:stop],
    )


def _joined(parts: list[PowerFlow]) -> PowerFlow:
    """The results of consecutive runs of steps as one."""
    return PowerFlow(
        *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(PowerFlow))
    )


def _solve_steps(model: Any, grid: Grid, load_p_w: np.ndarray, switching: Switching) -> PowerFlow:
    """One solver call over the steps (rows) of `load_p_w` and `switching`."""
    pgm = solver()
    ids = _Ids(grid)
    steps = load_p_w.shape[0]
    ct, dt = pgm.ComponentType, pgm.DatasetType
    update: dict[Any, np.ndarray] = {}
    load = pgm.initialize_array(dt.update, ct.sym_load, (steps, len(grid.load_bus)))
    load["id"] = ids.loads
    load["p_specified"] = load_p_w
    load["q_specified"] = load_p_w * grid.load_tan_phi
    update[ct.sym_load] = load
    for kind, kind_ids, on in (
        (ct.line, ids.lines, switching.line_on),
        (ct.transformer, ids.trafos, switching.trafo_on),
    ):
        if len(kind_ids):
            status = pgm.initialize_array(dt.update, kind, (steps, len(kind_ids)))
            status["id"] = kind_ids
            status["from_status"] = on
            status["to_status"] = on
            update[kind] = status
    source = pgm.initialize_array(dt.update, ct.source, (steps, len(ids.sources)))
    source["id"] = ids.sources
    source["status"] = switching.source_on
    update[ct.source] = source
    count = _THREADS.get()
    out = model.calculate_power_flow(
        update_data=update,
        calculation_method=pgm.CalculationMethod.newton_raphson,
        threading=count if count > 1 else -1,  # -1: the solver's own sequential mode
        continue_on_batch_error=True,
        output_component_types=[ct.node, ct.line, ct.transformer, ct.source, ct.sym_load],
    )
    converged = np.ones(steps, dtype=bool)
    if model.batch_error is not None:
        converged[model.batch_error.failed_scenarios] = False
    return _flow(grid, out, converged)


def _flow(grid: Grid, out: Any, converged: np.ndarray) -> PowerFlow:
    ct = solver().ComponentType
    node = out[ct.node]
    v = np.where(node["energized"] == 1, node["u_pu"], np.nan)
    v[~converged] = np.nan
    line = out[ct.line]["loading"] if len(grid.line_ids) else np.zeros((len(converged), 0))
    trafo = out[ct.transformer]["loading"] if len(grid.trafo_ids) else np.zeros((len(converged), 0))
    loads = out[ct.sym_load]["p"] if len(grid.load_bus) else np.zeros((len(converged), 0))
    zero = ~converged
    result = PowerFlow(
        converged=converged,
        bus_v_pu=v,
        line_loading=np.where(zero[:, None], 0.0, line),
        trafo_loading=np.where(zero[:, None], 0.0, trafo),
        source_p_w=np.where(zero[:, None], 0.0, out[ct.source]["p"]),
        load_p_w=np.where(zero[:, None], 0.0, loads),
    )
    return result


def _empty(grid: Grid) -> PowerFlow:
    def z(width: int) -> np.ndarray:
        return np.zeros((0, width))

    return PowerFlow(
        np.zeros(0, dtype=bool),
        z(len(grid.bus_ids)),
        z(len(grid.line_ids)),
        z(len(grid.trafo_ids)),
        z(len(grid.source_ids)),
        z(len(grid.load_bus)),
    )


class _Ids:
    """Solver ids: one number space over every component, in a fixed order."""

    def __init__(self, grid: Grid) -> None:
        counts = [
            len(grid.bus_ids),
            len(grid.line_ids),
            len(grid.trafo_ids),
            len(grid.source_ids),
            len(grid.load_bus),
        ]
        starts = np.cumsum([0, *counts])
        self.buses, self.lines, self.trafos, self.sources, self.loads = (
            np.arange(starts[k], starts[k + 1]) for k in range(5)
        )


def _build_model(grid: Grid) -> Any:
    """The solver's model of the grid with every element in service and no load."""
    pgm = solver()
    ids = _Ids(grid)
    ct, dt = pgm.ComponentType, pgm.DatasetType
    node = pgm.initialize_array(dt.input, ct.node, len(grid.bus_ids))
    node["id"] = ids.buses
    node["u_rated"] = grid.kv * 1e3
    if len(grid.trafo_ids):
        node["u_rated"][grid.trafo_ends[:, 0]] = grid.trafo_hv_v
    line = pgm.initialize_array(dt.input, ct.line, len(grid.line_ids))
    line["id"] = ids.lines
    line["from_node"] = ids.buses[grid.line_ends[:, 0]]
    line["to_node"] = ids.buses[grid.line_ends[:, 1]]
    line["from_status"] = line["to_status"] = 1
    line["r1"], line["x1"] = grid.line_r_ohm, grid.line_x_ohm
    line["c1"], line["tan1"] = grid.line_c_f, 0.0
    line["i_n"] = grid.line_i_n_a
    source = pgm.initialize_array(dt.input, ct.source, len(grid.source_ids))
    source["id"] = ids.sources
    source["node"] = ids.buses[grid.source_bus]
    source["status"], source["u_ref"], source["sk"] = 1, grid.source_v_pu, SOURCE_SK_VA
    load = pgm.initialize_array(dt.input, ct.sym_load, len(grid.load_bus))
    load["id"] = ids.loads
    load["node"] = ids.buses[grid.load_bus]
    load["status"], load["type"] = 1, pgm.LoadGenType.const_power
    load["p_specified"] = load["q_specified"] = 0.0
    data = {ct.node: node, ct.line: line, ct.source: source, ct.sym_load: load}
    if len(grid.trafo_ids):
        data[ct.transformer] = _transformers(pgm, grid, ids)
    return pgm.PowerGridModel(data)


def _transformers(pgm: Any, grid: Grid, ids: _Ids) -> np.ndarray:
    trafo = pgm.initialize_array(
        pgm.DatasetType.input, pgm.ComponentType.transformer, len(ids.trafos)
    )
    trafo["id"] = ids.trafos
    trafo["from_node"] = ids.buses[grid.trafo_ends[:, 0]]
    trafo["to_node"] = ids.buses[grid.trafo_ends[:, 1]]
    trafo["from_status"] = trafo["to_status"] = 1
    trafo["u1"], trafo["u2"] = grid.trafo_hv_v, grid.kv * 1e3
    trafo["sn"], trafo["uk"], trafo["pk"] = grid.trafo_sn_va, grid.trafo_uk, grid.trafo_pk_w
    trafo["i0"], trafo["p0"] = 0.0, 0.0
    trafo["winding_from"] = trafo["winding_to"] = pgm.WindingType.wye_n
    trafo["clock"] = 0
    trafo["tap_side"] = pgm.BranchSide.from_side
    trafo["tap_pos"] = trafo["tap_min"] = trafo["tap_max"] = trafo["tap_nom"] = 0
    trafo["tap_size"] = 0.0
    return trafo
