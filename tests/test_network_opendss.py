"""The network's load flow against OpenDSS (EPRI's engine, through py-dss-interface).

The same networks, written as OpenDSS commands from the park's own fields (not from our
arrays): radial (the tie open), the ring closed, and two sources (the tie's far end on a second
substation busbar). Voltages agree within 0.001 pu and line loadings within 1%.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from tests.networks import ring_data
from twin.model.schema import Park
from twin.sim.loadflow import Switching, solve
from twin.sim.network import build_grid


def _two_sources() -> dict[str, Any]:
    data = ring_data()
    data["power"]["substations"].append({"id": "sub2", "capacity_mw": 20})
    net = data["power"]["network"]
    net["buses"].append({"id": "sub2-mv", "substation": "sub2"})
    net["lines"][3]["to"] = "sub2-mv"
    net["switches"][0]["closed"] = True
    return data


def _with_a_typed_cable(data: dict[str, Any]) -> dict[str, Any]:
    """One line by cable type, so that its capacitance is in the comparison too."""
    line = data["power"]["network"]["lines"][1]
    for key in ("r_ohm_per_km", "x_ohm_per_km", "max_i_ka"):
        del line[key]
    line["type"] = "NA2XS2Y 1x185 RM/25 12/20 kV"
    return data


CASES = {
    "radial": lambda: _with_a_typed_cable(ring_data()),
    "ring-closed": lambda: _with_a_typed_cable(ring_data(tie_closed=True)),
    "two-sources": lambda: _with_a_typed_cable(_two_sources()),
}


def _opendss_text(park: Park, loads_w: np.ndarray) -> list[str]:
    power = park.power
    assert power is not None and power.network is not None
    net = power.network
    kv = net.kv
    sources = [b.id for b in net.buses if b.substation is not None]
    lines = ["clear", f"new circuit.park basekv={kv} pu={net.source_v_pu} phases=3 "
             f"bus1={sources[0]} MVAsc3=1e10 MVAsc1=1e10"]  # fmt: skip
    lines += [f"new vsource.{bus} bus1={bus} basekv={kv} pu={net.source_v_pu} phases=3 "
              "MVAsc3=1e10 MVAsc1=1e10" for bus in sources[1:]]  # fmt: skip
    open_lines = {s.line for s in net.switches if not s.closed}
    for line in net.lines:
        if line.id in open_lines:
            continue
        d = line.data()
        r, x, c = d["r_ohm_per_km"], d["x_ohm_per_km"], d["c_nf_per_km"]
        lines.append(
            f"new line.{line.id} bus1={line.from_bus} bus2={line.to_bus} phases=3 "
            f"r1={r} x1={x} c1={c} r0={r} x0={x} c0={c} length={line.length_km} units=km "
            f"normamps={d['max_i_ka'] * 1000}"
        )
    for building, p in zip((b for b in park.buildings if b.power), loads_w, strict=True):
        assert building.power is not None
        q = p * math.tan(math.acos(building.power.power_factor or 0.95))
        lines.append(
            f"new load.{building.id} bus1={building.power.bus} phases=3 kv={kv} kw={p / 1e3} "
            f"kvar={q / 1e3} model=1 conn=wye vminpu=0.5 vmaxpu=1.5"
        )
    return [*lines, f"set voltagebases=[{kv}]", "calcvoltagebases", "solve"]


def _opendss(
    dss: Any, park: Park, loads_w: np.ndarray
) -> tuple[dict[str, float], dict[str, float]]:
    """Bus voltages (pu) and line loadings (current over normamps) from OpenDSS."""
    for command in _opendss_text(park, loads_w):
        dss.text(command)
    names = [n.split(".")[0] for n in dss.circuit.nodes_names]
    volts = dict(zip(names, dss.circuit.buses_vmag_pu, strict=False))  # phase 1 of each bus
    loading = {}
    index = dss.lines.first()
    while index:
        currents = dss.cktelement.currents_mag_ang[0::2]
        normamps = dss.lines.norm_amps
        loading[dss.lines.name] = max(currents[0], currents[3]) / normamps
        index = dss.lines.next()
    return volts, loading


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_load_flow_agrees_with_opendss(case: str) -> None:
    dss_module = pytest.importorskip("py_dss_interface")
    dss = dss_module.DSS()
    park = Park.model_validate(CASES[case]())
    grid = build_grid(park)
    rng = np.random.default_rng(3)
    loads = rng.uniform(0.2e6, 3.0e6, (4, len(grid.load_bus)))
    switching = Switching(
        np.tile(grid.line_normally_closed, (4, 1)),
        np.ones((4, 0), dtype=bool),
        np.ones((4, len(grid.source_ids)), dtype=bool),
    )
    flow = solve(grid, loads, switching)
    assert flow.converged.all()
    for k in range(len(loads)):
        volts, loading = _opendss(dss, park, loads[k])
        ours_v = dict(zip(grid.bus_ids, flow.bus_v_pu[k], strict=True))
        for bus, v in volts.items():
            assert ours_v[bus] == pytest.approx(v, abs=1e-3), bus
        assert min(volts.values()) < 0.999  # not a flat, trivially equal case
        for i, line in enumerate(grid.line_ids):
            if line.lower() in loading:
                assert flow.line_loading[k, i] == pytest.approx(loading[line.lower()], rel=0.01)
