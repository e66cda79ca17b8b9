"""Hostile power networks: demo-small's ring (tests/networks.py) with one strange thing each.

Each case is a park document and an optional scenario document, made with plain data from the
ring, not through the park reader under test. Some are valid and odd (parallel lines, a loop
between two sources, a building on a source's busbar, a voltage collapse), some are malformed
(a NaN or a 1e-300 impedance, a line to the hidden high-voltage bus). Used by
tests/test_network_hostile.py and by hand: every command must either work or refuse with exit 2
naming the element.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.networks import CABLE, ring_data

Doc = dict[str, Any]


@dataclass(frozen=True)
class HostileNetwork:
    """A named park with a hostile network; `element`: what a refusal must name (or None)."""

    name: str
    park: Doc
    scenario: Doc | None = None
    element: str | None = None


def _net(data: Doc) -> Doc:
    net: Doc = data["power"]["network"]
    return net


def _line(name: str, a: str, b: str, **values: Any) -> Doc:
    return {"id": name, "from": a, "to": b, "length_km": 0.5, **CABLE, **values}


def _second_source(data: Doc) -> None:
    data["power"]["substations"].append({"id": "sub2", "capacity_mw": 12})
    _net(data)["buses"].append({"id": "sub2-mv", "substation": "sub2"})


def _open_spur(data: Doc) -> None:
    """rmu4, reached only through a normally open switch; w1 moves there (refused: it would
    have no supply in the normal state)."""
    _net(data)["buses"].append({"id": "rmu4"})
    _net(data)["lines"].append(_line("l5", "rmu3", "rmu4"))
    _net(data)["switches"].append({"id": "sw5", "line": "l5", "closed": False})
    data["buildings"][2]["power"]["bus"] = "rmu4"


def _parallel(data: Doc) -> None:
    _net(data)["lines"].append(_line("l1b", "sub1-mv", "rmu1"))


def _two_source_loop(data: Doc) -> None:
    """Two substations joined by closed lines through the ring (a meshed, two-source network)."""
    _second_source(data)
    _net(data)["lines"].append(_line("l5", "rmu2", "sub2-mv"))
    _net(data)["switches"][0]["closed"] = True


def _line_value(key: str, value: Any, **more: Any) -> Callable[[Doc], None]:
    def mutate(data: Doc) -> None:
        for line in _net(data)["lines"]:
            line.update({key: value, **more})

    return mutate


def _transformer(sn_mva: float) -> Callable[[Doc], None]:
    def mutate(data: Doc) -> None:
        data["power"]["substations"][0]["transformers"] = [
            {"id": "t1", "sn_mva": sn_mva, "vk_percent": 10, "vkr_percent": 0.5}
        ]

    return mutate


def transformer_without_busbar(data: Doc) -> None:
    """A second substation with a transformer and no busbar in the network: it joins nothing."""
    data["power"]["substations"].append(
        {
            "id": "sub2",
            "capacity_mw": 5,
            "transformers": [{"id": "t2", "sn_mva": 10, "vk_percent": 10}],
        }
    )


def _line_to_own_hv_side(data: Doc) -> None:
    """A bus named as the hidden high-voltage bus of the substation, and a line to it."""
    _transformer(40)(data)
    _net(data)["buses"].append({"id": "sub1-hv"})
    _net(data)["lines"].append(_line("l5", "sub1-mv", "sub1-hv"))


def _on_source_bus(data: Doc) -> None:
    for building in data["buildings"]:
        building["power"]["bus"] = "sub1-mv"


def _switch_twice(data: Doc) -> None:
    _net(data)["switches"].append({"id": "tie1", "line": "l2", "closed": True})


def _second_switch(data: Doc) -> None:
    _net(data)["switches"].append({"id": "sw2", "line": "l4", "closed": True})


def _power_factor(value: float) -> Callable[[Doc], None]:
    def mutate(data: Doc) -> None:
        data["buildings"][0]["power"]["power_factor"] = value

    return mutate


def _hundredfold(data: Doc) -> None:
    for building in data["buildings"]:
        power = building["power"]
        for key in ("base_kw", "shift_kw"):
            if key in power:
                power[key] *= 100


def _one_bus(data: Doc) -> None:
    net = _net(data)
    net["buses"], net["lines"], net["switches"] = net["buses"][:1], [], []
    _on_source_bus(data)


def chain(buses: int) -> Doc:
    """A radial chain of `buses` buses from the substation, the buildings at its far end."""
    data = ring_data()
    net = _net(data)
    net["buses"] = [net["buses"][0], *({"id": f"b{i}"} for i in range(1, buses))]
    names = [b["id"] for b in net["buses"]]
    pairs = enumerate(itertools.pairwise(names))
    net["lines"] = [_line(f"c{i}", a, b, length_km=0.01) for i, (a, b) in pairs]
    net["switches"] = []
    for building in data["buildings"]:
        building["power"]["bus"] = names[-1]
    return data


def _events(*outages: tuple[str, str, float]) -> Doc:
    return {
        "scenario": {"name": "hostile"},
        "events": [
            {"outage": name, "from": {"day": 0, "at": at}, "duration_h": hours}
            for name, at, hours in outages
        ],
    }


def _changed(mutate: Callable[[Doc], None]) -> Doc:
    data = ring_data()
    mutate(data)
    return data


def cases() -> list[HostileNetwork]:
    """Every hostile network, each with the element a refusal must name."""
    case = HostileNetwork
    return [
        case("island", _changed(lambda d: _net(d)["buses"].append({"id": "rmu9"})), None, "rmu9"),
        case("open-spur", _changed(_open_spur), None, "no supply in the normal state"),
        case("parallel-lines", _changed(_parallel)),
        case("two-source-loop", _changed(_two_source_loop)),
        case("nan-r", _changed(_line_value("r_ohm_per_km", float("nan"))), None, "r_ohm_per_km"),
        case("inf-x", _changed(_line_value("x_ohm_per_km", float("inf"))), None, "x_ohm_per_km"),
        case("negative-length", _changed(_line_value("length_km", -1)), None, "length_km"),
        case("tiny-impedance", _changed(_line_value("r_ohm_per_km", 1e-300)), None, "r_ohm_per_km"),
        case("tiny-reactance", _changed(_line_value("x_ohm_per_km", 1e-300)), None, "x_ohm_per_km"),
        case("huge-impedance", _changed(_line_value("r_ohm_per_km", 1e6)), None, "r_ohm_per_km"),
        case("tiny-length", _changed(_line_value("length_km", 1e-300)), None, "length_km"),
        case("tiny-rating", _changed(_line_value("max_i_ka", 1e-300)), None, "max_i_ka"),
        case("zero-rating", _changed(_line_value("max_i_ka", 0)), None, "max_i_ka"),
        case("tiny-transformer", _changed(_transformer(1e-300)), None, "sn_mva"),
        case("zero-transformer", _changed(_transformer(0)), None, "sn_mva"),
        case("tiny-kv", _changed(lambda d: _net(d).update(kv=1e-300)), None, "power.network.kv"),
        case("least-impedance", _changed(_line_value("r_ohm_per_km", 0.001, x_ohm_per_km=0.001))),
        case("most-impedance", _changed(_line_value("r_ohm_per_km", 100, x_ohm_per_km=100))),
        case("shortest-line", _changed(_line_value("length_km", 0.001))),
        case("least-rating", _changed(_line_value("max_i_ka", 0.001))),
        case("smallest-transformer", _changed(_transformer(0.01))),
        case("lowest-kv", _changed(lambda d: _net(d).update(kv=0.1))),
        case("line-to-own-hv-side", _changed(_line_to_own_hv_side)),
        case(
            "transformer-without-busbar",
            _changed(transformer_without_busbar),
            None,
            "power.substations[1].transformers",
        ),
        case("building-on-source", _changed(_on_source_bus)),
        case("hundredfold-load", _changed(_hundredfold)),
        case("one-bus", _changed(_one_bus)),
        case("power-factor-tiny", _changed(_power_factor(1e-300)), None, "power_factor"),
        case("power-factor-lowest", _changed(_power_factor(0.3))),
        case("power-factor-zero", _changed(_power_factor(0)), None, "power_factor"),
        case(
            "instant-restoration",
            _changed(lambda d: _net(d).update(restoration_min=0)),
            _events(("l1", "10:00", 4)),
        ),
        case("outage-of-a-switch", ring_data(), _events(("tie1", "10:00", 1)), "tie1"),
        case("switch-given-twice", _changed(_switch_twice), None, "tie1"),
        case("two-switches-on-a-line", _changed(_second_switch), None, "already has a switch"),
        case("long-chain", chain(150)),
        case("too-many-buses", chain(10_001), None, "power.network.buses"),
        case(
            "scenario-removes-tie-line",
            ring_data(),
            {
                "scenario": {"name": "hostile"},
                "changes": [{"remove": "power.network.lines[id=l4]"}],
            },
            "l4",
        ),
        case(
            "scenario-removes-every-building",
            ring_data(),
            {
                "scenario": {"name": "hostile"},
                "changes": [
                    {"remove": f"{section}[*]"}
                    for section in (
                        "logistics.flows",
                        "logistics.dock_groups",
                        "logistics.gates",
                        "buildings",
                    )
                ],
            },
        ),
        case(
            "outage-of-tie-in-restoration",
            ring_data(),
            _events(("l1", "10:00", 4), ("l4", "10:10", 2)),
        ),
        case(
            "outage-of-every-source",
            _changed(_two_source_loop),
            _events(("sub1", "10:00", 3), ("sub2", "11:00", 3)),
        ),
    ]


def case_named(name: str) -> HostileNetwork:
    """The hostile network called `name`."""
    return next(c for c in cases() if c.name == name)
