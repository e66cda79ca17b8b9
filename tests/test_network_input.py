"""A park's power network: every malformed network is exit 2 naming the element (SPEC.md).

Each case changes one thing in demo-small with a ring (tests/networks.py), runs
`parktwin validate` and checks the message names the place and the element.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import cli
from tests.hostile_networks import transformer_without_busbar
from tests.load_helpers import assert_bad_input, dump, validate
from tests.networks import ring_data


def _net(data: dict[str, Any]) -> dict[str, Any]:
    net: dict[str, Any] = data["power"]["network"]
    return net


def _set_line(index: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        _net(data)["lines"][index][key] = value

    return mutate


def _island(data: dict[str, Any]) -> None:
    _net(data)["buses"].append({"id": "rmu9"})


def _island_behind_a_line(data: dict[str, Any]) -> None:
    _net(data)["buses"] += [{"id": "rmu8"}, {"id": "rmu9"}]
    _net(data)["lines"].append({"id": "l9", "from": "rmu8", "to": "rmu9", "length_km": 1,
                                "type": "NA2XS2Y 1x240 RM/25 12/20 kV"})  # fmt: skip


def _switch_on(line: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        _net(data)["switches"].append({"id": "sw9", "line": line})

    return mutate


def _building_bus(bus: str | None) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        if bus is None:
            del data["buildings"][2]["power"]["bus"]
        else:
            data["buildings"][2]["power"]["bus"] = bus

    return mutate


def _no_source(data: dict[str, Any]) -> None:
    del _net(data)["buses"][0]["substation"]


def _substation_without_busbar(data: dict[str, Any]) -> None:
    """sub2 feeds fd3, w1's label, but is no bus's substation: its outage would cut nothing."""
    data["power"]["substations"].append({"id": "sub2", "capacity_mw": 5})
    data["power"]["feeders"].append({"id": "fd3", "substation": "sub2", "capacity_mw": 3})
    data["buildings"][2]["power"]["feeder"] = "fd3"


def _load_behind_a_tie(data: dict[str, Any]) -> None:
    """w1 on rmu4, which only a normally open switch joins to the ring."""
    _net(data)["buses"].append({"id": "rmu4"})
    _net(data)["lines"].append({"id": "l9", "from": "rmu3", "to": "rmu4", "length_km": 1,
                                "type": "NA2XS2Y 1x240 RM/25 12/20 kV"})  # fmt: skip
    _net(data)["switches"].append({"id": "sw9", "line": "l9", "closed": False})
    _building_bus("rmu4")(data)


def _shared_id(data: dict[str, Any]) -> None:
    _net(data)["lines"][1]["id"] = "rmu2"


def _transformer(**values: float) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        transformer = {"id": "t1", "sn_mva": 40, "vk_percent": 10, "vkr_percent": 0.5, **values}
        data["power"]["substations"][0]["transformers"] = [transformer]

    return mutate


CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("unreachable-bus", _island, ["power.network.buses[4]", "rmu9", "no source reaches"]),
    ("island", _island_behind_a_line, ["power.network.buses[4]", "'rmu8'", "every switch"]),
    ("unknown-bus", _set_line(1, "to", "rmu7"), ["power.network.lines[1].to", "'rmu7'"]),
    ("self-loop", _set_line(2, "from", "rmu3"), ["power.network.lines[2].to", "'l3'", "itself"]),
    ("zero-length", _set_line(0, "length_km", 0), ["lines[0].length_km", "or equal to 0.001"]),
    ("tiny-length", _set_line(0, "length_km", 1e-300), ["lines[0].length_km", "1e-300"]),
    ("tiny-r", _set_line(1, "r_ohm_per_km", 1e-300), ["lines[1].r_ohm_per_km", "to 0.001"]),
    ("tiny-x", _set_line(1, "x_ohm_per_km", 1e-9), ["lines[1].x_ohm_per_km", "or equal to 0.001"]),
    ("huge-r", _set_line(2, "r_ohm_per_km", 1e6), ["lines[2].r_ohm_per_km", "or equal to 100"]),
    ("tiny-rating", _set_line(0, "max_i_ka", 1e-300), ["lines[0].max_i_ka", "or equal to 0.001"]),
    ("tiny-kv", lambda d: _net(d).update(kv=1e-300), ["power.network.kv", "or equal to 0.1"]),
    ("tiny-transformer", _transformer(sn_mva=1e-300), ["transformers[0].sn_mva", "0.01"]),
    ("tiny-vk", _transformer(vk_percent=1e-300, vkr_percent=0), ["transformers[0].vk_percent"]),
    ("tiny-hv", _transformer(hv_kv=1e-300), ["transformers[0].hv_kv", "or equal to 0.1"]),
    ("negative-r", _set_line(3, "r_ohm_per_km", -0.1), ["power.network.lines[3].r_ohm_per_km"]),
    ("zero-x", _set_line(3, "x_ohm_per_km", 0), ["power.network.lines[3].x_ohm_per_km"]),
    ("unknown-type", _set_line(0, "type", "copper 1x1"), ["lines[0]", "'copper 1x1'"]),
    ("no-impedance", _set_line(0, "r_ohm_per_km", None), ["power.network.lines[0]"]),
    ("switch-unknown-line", _switch_on("l8"), ["power.network.switches[1].line", "'l8'"]),
    ("two-switches", _switch_on("l4"), ["power.network.switches[1].line", "already has a switch"]),
    ("building-unknown-bus", _building_bus("rmu5"),
     ["buildings[2].power.bus", "'rmu5'", "(known buses: rmu1, rmu2, rmu3, sub1-mv)"]),
    ("building-no-bus", _building_bus(None), ["buildings[2].power", "needs its bus"]),
    ("no-source", _no_source, ["power.network.buses", "no source"]),
    ("substation-without-busbar", _substation_without_busbar,
     ["power.substations[1] (id=sub2)", "no bus of power.network is the busbar", "cut nothing"]),
    ("load-behind-a-tie", _load_behind_a_tie,
     ["power.network.buses[4] (id=rmu4)", "(buildings w1)", "no supply in the normal state",
      "(sw9)"]),
    ("shared-id", _shared_id, ["power.network.lines[1].id", "'rmu2'", "unique across the park"]),
    ("transformer", _transformer(vkr_percent=12),
     ["power.substations[0].transformers[0]", "vkr_percent"]),
    ("transformer-no-busbar", transformer_without_busbar,
     ["power.substations[1].transformers", "'sub2'", "busbar"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "mutate", "pieces"), CASES, ids=[c[0] for c in CASES])
def test_malformed_network_is_exit_2_naming_the_element(
    tmp_path: Path, name: str, mutate: Callable[[dict[str, Any]], None], pieces: list[str]
) -> None:
    data = ring_data()
    mutate(data)
    path = dump(data, tmp_path / f"{name}.yaml")
    assert_bad_input(validate(str(path)), str(path), *pieces)


def test_the_ring_itself_is_valid(tmp_path: Path) -> None:
    """The cases above fail for their one change: the unchanged network validates."""
    result = validate(str(dump(ring_data(), tmp_path / "ring.yaml")))
    assert result.exit_code == 0, result.output


def test_a_bus_without_a_network_is_refused(tmp_path: Path) -> None:
    data = ring_data()
    del data["power"]["network"]
    path = dump(data, tmp_path / "no-net.yaml")
    assert_bad_input(validate(str(path)), "buildings[0].power.bus", "no power.network")


def test_run_refuses_a_tiny_power_factor_naming_file_and_field(tmp_path: Path) -> None:
    data = ring_data()
    data["buildings"][0]["power"]["power_factor"] = 1e-300
    path = dump(data, tmp_path / "tiny-pf.yaml")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.app, ["run", str(path), "--days", "1", "--out", str(out)])
    assert_bad_input(result, str(path), "buildings[0].power.power_factor", "0.3")
    assert not out.exists()


def test_a_scenario_that_scales_a_line_to_nothing_is_refused(tmp_path: Path) -> None:
    park = dump(ring_data(), tmp_path / "ring.yaml")
    scenario = {
        "scenario": {"name": "tiny"},
        "base": str(park),
        "changes": [{"scale": "power.network.lines[*].r_ohm_per_km", "by": 1e-300}],
    }
    path = dump(scenario, tmp_path / "tiny.yaml")
    result = CliRunner().invoke(cli.app, ["run", str(park), "--scenario", str(path), "--days", "1"])
    assert_bad_input(result, "r_ohm_per_km", "0.001")


def test_the_ends_of_each_range_are_accepted(tmp_path: Path) -> None:
    data = ring_data(r_ohm_per_km=0.001, x_ohm_per_km=100, max_i_ka=0.001)
    _net(data).update(kv=0.1)
    _net(data)["lines"][0]["length_km"] = 0.001
    data["buildings"][0]["power"]["power_factor"] = 0.3
    _transformer(sn_mva=0.01, vk_percent=1, vkr_percent=0, hv_kv=0.11)(data)  # above kv
    result = validate(str(dump(data, tmp_path / "edges.yaml")))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("hv_kv", [22, 2.2])
def test_a_transformer_that_does_not_step_down_is_refused(tmp_path: Path, hv_kv: float) -> None:
    """hv_kv 22 on a 22 kV network (110 meant), or 2.2 (a typo of 220): refused, named."""
    data = ring_data()
    _transformer(hv_kv=hv_kv)(data)
    path = dump(data, tmp_path / "step-up.yaml")
    assert_bad_input(
        validate(str(path)),
        str(path),
        "power.substations[0].transformers[0].hv_kv",
        f"hv_kv {hv_kv:g} is not above the network's kv 22",
    )


def test_a_transformer_sharing_an_id_is_named_where_it_is(tmp_path: Path) -> None:
    """The place of a transformer reads as the file spells it, on the transformer's own line."""
    data = ring_data()
    _transformer(id="f1")(data)  # also the id of the first building, which comes first
    path = dump(data, tmp_path / "shared.yaml")
    text = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, t in enumerate(text, 1) if t.strip() == "- id: f1" and n > 100)
    assert_bad_input(
        validate(str(path)),
        f"{path}:{line}: power.substations[0].transformers[0].id (id=f1)",
        "also the id of buildings[0]",
    )


def test_an_unknown_field_of_a_transformer_lists_its_fields(tmp_path: Path) -> None:
    data = ring_data()
    _transformer(tap_pos=2)(data)
    path = dump(data, tmp_path / "tap.yaml")
    assert_bad_input(
        validate(str(path)),
        "power.substations[0].transformers[0].tap_pos",
        "(the fields here: id, sn_mva, vk_percent, vkr_percent, hv_kv)",
    )


def test_two_transformers_of_one_id_are_named_where_they_are(tmp_path: Path) -> None:
    data = ring_data()
    _transformer()(data)
    data["power"]["substations"][0]["transformers"].append(
        {"id": "t1", "sn_mva": 40, "vk_percent": 10}
    )
    path = dump(data, tmp_path / "twice.yaml")
    assert_bad_input(
        validate(str(path)),
        "power.substations[0].transformers[1].id (id=t1): duplicate id 't1'",
        "(first used at power.substations[0].transformers[0])",
    )
