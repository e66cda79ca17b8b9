"""The network's AC load flow against theory and an engine we did not write.

- a radial feeder against the exact two-bus solution by hand;
- the batch solver (power-grid-model) against pandapower, built here from the park data
  directly (not from our arrays): radial, ring closed, two sources with transformers;
- power balance: sources = loads + the I²R losses of the lines, at every step.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

from tests.networks import ring_data
from twin.model.schema import Park
from twin.sim import loadflow
from twin.sim.loadflow import Switching, solve
from twin.sim.network import build_grid

KV = 22.0


def _all_on(grid: Any, steps: int) -> Switching:
    return Switching(
        np.tile(grid.line_normally_closed, (steps, 1)),
        np.ones((steps, len(grid.trafo_ids)), dtype=bool),
        np.ones((steps, len(grid.source_ids)), dtype=bool),
    )


def _radial(length_km: float, r: float, x: float) -> Park:
    data = ring_data(r_ohm_per_km=r, x_ohm_per_km=x)
    net = data["power"]["network"]
    net["buses"] = net["buses"][:2]
    net["lines"] = [{**net["lines"][0], "length_km": length_km}]
    net["switches"] = []
    for building in data["buildings"]:
        building["power"]["bus"] = "rmu1"
    return Park.model_validate(data)


def _exact_two_bus(p_w: float, q_var: float, r: float, x: float) -> float:
    """Receiving-end voltage (V, line to line) of a constant-power load behind r + jx."""
    v1 = KV * 1e3
    a = v1**2 - 2 * (r * p_w + x * q_var)
    v2_squared = (a + math.sqrt(a**2 - 4 * (r**2 + x**2) * (p_w**2 + q_var**2))) / 2
    return math.sqrt(v2_squared)


def test_a_radial_feeder_matches_the_exact_two_bus_solution() -> None:
    park = _radial(length_km=8.0, r=0.3, x=0.12)
    grid = build_grid(park)
    loads_mw = np.array([0.5, 3.0, 6.0, 10.0])
    p = np.zeros((len(loads_mw), len(grid.load_bus)))
    p[:, 0] = loads_mw * 1e6
    flow = solve(grid, p, _all_on(grid, len(loads_mw)))
    tan_phi = math.tan(math.acos(0.95))
    r, x = 0.3 * 8.0, 0.12 * 8.0
    for k, mw in enumerate(loads_mw):
        v2 = _exact_two_bus(mw * 1e6, mw * 1e6 * tan_phi, r, x)
        assert flow.bus_v_pu[k, 1] == pytest.approx(v2 / (KV * 1e3), abs=1e-7)
        amps = mw * 1e6 / 0.95 / (math.sqrt(3) * v2)
        assert flow.line_loading[k, 0] == pytest.approx(amps / 420.0, rel=1e-6)
        assert flow.losses_w[k] == pytest.approx(3 * amps**2 * r, rel=1e-6)
    assert flow.bus_v_pu[-1, 1] < 0.95  # the case is not trivially flat


def _random_loads(grid: Any, steps: int, seed: int, top_mw: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, top_mw, (steps, len(grid.load_bus))) * 1e6


def test_power_balance_sources_are_loads_plus_line_losses_at_every_step() -> None:
    park = Park.model_validate(ring_data(tie_closed=True))
    grid = build_grid(park)
    p = _random_loads(grid, 200, seed=1, top_mw=2.0)
    flow = solve(grid, p, _all_on(grid, 200))
    assert flow.converged.all()
    amps = flow.line_loading * grid.line_i_n_a
    i2r = (3 * amps**2 * grid.line_r_ohm).sum(axis=1)
    assert np.allclose(flow.source_p_w.sum(axis=1), p.sum(axis=1) + i2r, rtol=1e-7, atol=1e-3)
    assert np.allclose(flow.load_p_w, p)


# ------------------------------------------------------------------------ pandapower


def _pandapower() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("pandapower")


def _two_sources(data: dict[str, Any]) -> dict[str, Any]:
    """The ring with the tie's far end on a second substation, both behind transformers."""
    data["power"]["substations"] = [
        {**data["power"]["substations"][0], "transformers": [
            {"id": "t1", "sn_mva": 25, "vk_percent": 10, "vkr_percent": 0.4}]},
        {"id": "sub2", "capacity_mw": 20, "position": [500, -60], "transformers": [
            {"id": "t2", "sn_mva": 16, "vk_percent": 9, "vkr_percent": 0.5},
            {"id": "t3", "sn_mva": 16, "vk_percent": 9, "vkr_percent": 0.5}]},
    ]  # fmt: skip
    net = data["power"]["network"]
    net["source_v_pu"] = 1.04
    net["buses"].append({"id": "sub2-mv", "substation": "sub2"})
    net["lines"][3]["to"] = "sub2-mv"
    net["lines"][0]["type"] = "NA2XS2Y 1x240 RM/25 12/20 kV"
    for key in ("r_ohm_per_km", "x_ohm_per_km", "max_i_ka"):
        del net["lines"][0][key]
    net["switches"][0]["closed"] = True
    return data


def _pandapower_net(park: Park, loads_w: np.ndarray) -> Any:
    """The park's network in pandapower, from the park's own fields."""
    pp = _pandapower()
    power = park.power
    assert power is not None and power.network is not None
    net = pp.create_empty_network()
    bus = {b.id: pp.create_bus(net, vn_kv=power.network.kv, name=b.id) for b in power.network.buses}
    for b in power.network.buses:
        if b.substation is None:
            continue
        sub = next(s for s in power.substations if s.id == b.substation)
        if not sub.transformers:
            pp.create_ext_grid(net, bus[b.id], vm_pu=power.network.source_v_pu)
            continue
        hv = pp.create_bus(net, vn_kv=110.0)
        pp.create_ext_grid(net, hv, vm_pu=power.network.source_v_pu)
        for t in sub.transformers:
            pp.create_transformer_from_parameters(
                net, hv, bus[b.id], sn_mva=t.sn_mva, vn_hv_kv=110.0, vn_lv_kv=power.network.kv,
                vk_percent=t.vk_percent, vkr_percent=t.vkr_percent, pfe_kw=0.0, i0_percent=0.0,
            )  # fmt: skip
    open_lines = {s.line for s in power.network.switches if not s.closed}
    for line in power.network.lines:
        d = line.data()
        pp.create_line_from_parameters(
            net, bus[line.from_bus], bus[line.to_bus], length_km=line.length_km,
            r_ohm_per_km=d["r_ohm_per_km"], x_ohm_per_km=d["x_ohm_per_km"],
            c_nf_per_km=d["c_nf_per_km"], max_i_ka=d["max_i_ka"],
            in_service=line.id not in open_lines,
        )  # fmt: skip
    for b, p in zip((b for b in park.buildings if b.power), loads_w, strict=True):
        pf = b.power.power_factor or 0.95  # type: ignore[union-attr]
        q = p * math.tan(math.acos(pf))
        pp.create_load(net, bus[b.power.bus], p_mw=p / 1e6, q_mvar=q / 1e6)  # type: ignore[union-attr]
    return net


CASES = {
    "radial": lambda: ring_data(),
    "ring-closed": lambda: ring_data(tie_closed=True),
    "two-sources": lambda: _two_sources(ring_data()),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_batch_solver_agrees_with_pandapower(case: str) -> None:
    pp = _pandapower()
    park = Park.model_validate(CASES[case]())
    grid = build_grid(park)
    loads = _random_loads(grid, 6, seed=2, top_mw=3.0)
    flow = solve(grid, loads, _all_on(grid, len(loads)))
    assert flow.converged.all()
    for k, row in enumerate(loads):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandapower's own pandas deprecations
            net = _pandapower_net(park, row)
            pp.runpp(net, tolerance_mva=1e-10)
        n_park = grid.n_park_buses
        assert np.allclose(flow.bus_v_pu[k, :n_park], net.res_bus.vm_pu.values[:n_park], atol=1e-6)
        line_pct = net.res_line.loading_percent.values
        assert np.allclose(100 * flow.line_loading[k], line_pct, rtol=1e-4, atol=1e-6)
        if len(grid.trafo_ids):  # apparent power over rating (pandapower's is by current)
            res = net.res_trafo
            s_hv = np.hypot(res.p_hv_mw.values, res.q_hv_mvar.values)
            s_lv = np.hypot(res.p_lv_mw.values, res.q_lv_mvar.values)
            trafo = np.maximum(s_hv, s_lv) / net.trafo.sn_mva.values
            assert np.allclose(flow.trafo_loading[k], trafo, rtol=1e-5)
        source_mw = net.res_ext_grid.p_mw.values.sum()
        assert flow.source_p_w[k].sum() / 1e6 == pytest.approx(source_mw, rel=1e-6)


def test_a_long_batch_goes_to_the_solver_in_bounded_calls_with_the_same_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The solver's output is 48-80 bytes per step and element: calls are cut, results not."""
    park = Park.model_validate(ring_data())
    grid = build_grid(park)
    steps = 50
    p = _random_loads(grid, steps, seed=3, top_mw=200.0)  # some steps fail to converge
    switching = _all_on(grid, steps)
    switching.line_on[::7, 0] = False  # and some lose a cable
    whole = solve(grid, p, switching)
    assert not whole.converged.all() and whole.converged.any()
    model_class = loadflow.solver().PowerGridModel
    calls: list[int] = []
    calculate = model_class.calculate_power_flow

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(kwargs["update_data"][loadflow.solver().ComponentType.sym_load]))
        return calculate(self, *args, **kwargs)

    width = len(grid.bus_ids) + len(grid.line_ids) + len(grid.source_ids) + len(grid.load_bus)
    monkeypatch.setattr(loadflow, "MAX_CALL_ROWS", 8 * width, raising=False)
    monkeypatch.setattr(model_class, "calculate_power_flow", counted)
    cut = solve(grid, p, switching)
    assert calls == [8] * 6 + [2]
    for name in ("converged", "bus_v_pu", "line_loading", "trafo_loading", "source_p_w"):
        np.testing.assert_array_equal(getattr(cut, name), getattr(whole, name))
    np.testing.assert_array_equal(cut.load_p_w, whole.load_p_w)
