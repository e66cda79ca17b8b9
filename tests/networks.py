"""demo-small with a small 22 kV ring built in code, or without a network, for the power tests."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import yaml

from twin.io.bundled import data_root

DEMO = data_root() / "assets" / "parks" / "demo-small.yaml"
CABLE = {"r_ohm_per_km": 0.125, "x_ohm_per_km": 0.112, "max_i_ka": 0.42}
BUSES = {"f1": "rmu1", "w1": "rmu1", "f2": "rmu2", "o1": "rmu3", "u1": "rmu3"}


def ring_data(tie_closed: bool = False, **line_data: float) -> dict[str, Any]:
    """demo-small's data with a ring sub1-mv, rmu1, rmu2, rmu3 and back; `l4` is the tie."""
    data = copy.deepcopy(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    cable = {**CABLE, **line_data}
    ring = ["sub1-mv", "rmu1", "rmu2", "rmu3", "sub1-mv"]
    data["power"]["network"] = {
        "kv": 22,
        "restoration_min": 30,
        "buses": [
            {"id": "sub1-mv", "substation": "sub1"},
            *({"id": f"rmu{i}", "position": [100 * i, 40]} for i in (1, 2, 3)),
        ],
        "lines": [
            {"id": f"l{i + 1}", "from": a, "to": b, "length_km": 0.8 + 0.2 * i, **cable}
            for i, (a, b) in enumerate(itertools.pairwise(ring))
        ],
        "switches": [{"id": "tie1", "line": "l4", "closed": tie_closed}],
    }
    for building in data["buildings"]:
        building["power"]["bus"] = BUSES[building["id"]]
    return data


def feeder_only_data() -> dict[str, Any]:
    """demo-small's data without its network: feeders and the substation as capacities only."""
    data = copy.deepcopy(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    del data["power"]["network"]
    for building in data["buildings"]:
        del building["power"]["bus"]
    return data
