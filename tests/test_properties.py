"""Properties of the park reader, checked on generated inputs with hypothesis.

(a) Random valid small parks validate, and survive a dump/load round trip unchanged.
(b) Random damage to demo-small's data either validates or raises :class:`InputError`: never
    another exception, and through the CLI never an exit status other than 0 or 2.
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cli
from twin.errors import InputError
from twin.io.bundled import data_root
from twin.io.dump import dump_park
from twin.io.load import load_park
from twin.model.schema import Park

DEMO = data_root() / "assets" / "parks" / "demo-small.yaml"
DEMO_DATA: dict[str, Any] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))

FAST = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

# --------------------------------------------------------------------------- (a) valid parks

minutes = st.floats(min_value=0.5, max_value=120, allow_nan=False, allow_infinity=False)


@st.composite
def distributions(draw: st.DrawFn) -> dict[str, Any]:
    """A valid service-time distribution in minutes."""
    kind = draw(
        st.sampled_from(
            [
                "constant",
                "exponential",
                "lognormal",
                "gamma",
                "normal",
                "triangular",
                "uniform",
                "empirical",
            ]
        )
    )
    if kind == "constant":
        return {"dist": kind, "value": draw(st.floats(0, 120))}
    if kind == "exponential":
        return {"dist": kind, "mean": draw(minutes)}
    if kind in ("lognormal", "gamma", "normal"):
        return {"dist": kind, "mean": draw(minutes), "sd": draw(minutes)}
    if kind == "triangular":
        low, mode, high = sorted(draw(st.lists(minutes, min_size=3, max_size=3)))
        return {"dist": kind, "min": low, "mode": mode, "max": high + 1}
    if kind == "uniform":
        low, high = sorted(draw(st.lists(minutes, min_size=2, max_size=2)))
        return {"dist": kind, "min": low, "max": high + 1}
    return {"dist": kind, "values": draw(st.lists(minutes, min_size=1, max_size=8))}


names = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30).filter(
    str.strip
)
windows = st.builds(
    lambda start, length: {
        "start": f"{start:02d}:00",
        "end": f"{(start + length) % 24:02d}:00",
    },
    st.integers(0, 23),
    st.integers(1, 23),
)


@st.composite
def valid_parks(draw: st.DrawFn) -> dict[str, Any]:
    """A small valid park as plain data: no roads, references all resolvable."""
    n_buildings = draw(st.integers(1, 4))
    n_feeders = draw(st.integers(0, 2))
    feeders = [f"fd{i + 1}" for i in range(n_feeders)]
    with_water = draw(st.booleans())
    buildings: list[dict[str, Any]] = []
    for i in range(n_buildings):
        x0 = i * 200.0  # one 200 m wide lot per building: footprints never overlap
        y0 = draw(st.floats(-500, 500))
        width = draw(st.floats(5, 150))
        depth = draw(st.floats(5, 150))
        building: dict[str, Any] = {
            "id": f"b{i + 1}",
            "kind": draw(st.sampled_from(["factory", "warehouse", "office", "utility", "other"])),
            "footprint": [[x0, y0], [x0 + width, y0], [x0 + width, y0 + depth], [x0, y0 + depth]],
            "height_m": draw(st.floats(2, 80)),
            "shifts": draw(st.lists(windows, max_size=3)),
        }
        if len(feeders) > 0 and draw(st.booleans()):
            building["power"] = {
                "feeder": draw(st.sampled_from(feeders)),
                "base_kw": draw(st.floats(0, 5000)),
                "shift_kw": draw(st.floats(0, 5000)),
            }
        if with_water and draw(st.booleans()):
            building["water"] = {
                "base_m3h": draw(st.floats(0, 50)),
                "shift_m3h": draw(st.floats(0, 50)),
                "wastewater_ratio": draw(st.floats(0, 1)),
            }
        if draw(st.booleans()):
            building["production"] = {"units_per_hour": draw(st.floats(1, 5000))}
        buildings.append(building)

    gates = [
        {
            "id": f"g{i + 1}",
            "lanes": draw(st.integers(1, 4)),
            "service": draw(distributions()),
            "position": [draw(st.floats(-1000, 1000)), draw(st.floats(-1000, 1000))],
        }
        for i in range(draw(st.integers(1, 2)))
    ]
    groups: list[dict[str, Any]] = []
    for building in buildings:
        for _ in range(draw(st.integers(0, 2))):
            group: dict[str, Any] = {
                "id": f"{building['id']}-docks{len(groups) + 1}",
                "building": building["id"],
                "docks": draw(st.integers(1, 8)),
                "service": draw(distributions()),
            }
            if draw(st.booleans()):
                group["hours"] = draw(st.lists(windows, min_size=1, max_size=2))
            groups.append(group)
    flows: list[dict[str, Any]] = []
    if groups:
        for i in range(draw(st.integers(0, 4))):
            flow: dict[str, Any] = {
                "id": f"flow{i + 1}",
                "gate": draw(st.sampled_from(gates))["id"],
                "dock_group": draw(st.sampled_from(groups))["id"],
            }
            rate = st.floats(0, 20)
            if draw(st.booleans()):
                flow["rate_per_hour"] = draw(rate)
            else:
                flow["hourly_profile"] = draw(st.lists(rate, min_size=24, max_size=24))
            flows.append(flow)

    park: dict[str, Any] = {
        # No control characters: PyYAML's emitter mangles U+0085 (NEL) in quoted scalars.
        "park": {"name": draw(names)},
        "buildings": buildings,
        "logistics": {"gates": gates, "dock_groups": groups, "flows": flows},
    }
    if feeders:
        park["power"] = {
            "substations": [{"id": "sub1", "capacity_mw": draw(st.floats(1, 200))}],
            "feeders": [
                {"id": f, "substation": "sub1", "capacity_mw": draw(st.floats(0.5, 50))}
                for f in feeders
            ],
        }
    if with_water:
        park["water"] = {
            "supply": {"capacity_m3h": draw(st.floats(1, 1000))},
            "wastewater": {
                "capacity_m3h": draw(st.floats(1, 1000)),
                "buffer_m3": draw(st.floats(0, 5000)),
            },
        }
    return park


@FAST
@given(valid_parks())
def test_random_valid_parks_validate_and_round_trip(data: dict[str, Any]) -> None:
    park = load_park(data)
    assert isinstance(park, Park)
    assert [b.id for b in park.buildings] == [b["id"] for b in data["buildings"]]
    assert len(park.logistics.flows) == len(data["logistics"]["flows"])
    assert load_park(yaml.safe_load(dump_park(park))) == park


# --------------------------------------------------------------------------- (b) damage


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a key or list item in `node`."""
    found = []
    if isinstance(node, dict):
        items: list[tuple[Any, Any]] = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return []
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


DEMO_PATHS = _paths(DEMO_DATA)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),  # includes NaN, +-inf, -0.0 and huge values
    st.just(float("nan")),
    st.just(-1),
    st.just(0),
    st.just(1e300),
    st.text(max_size=20),
    st.sampled_from(["g1", "f1", "fd1", "sub1", "f1-docks", "24:00", "weibull", ""]),
)
junk_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=8,
)


@st.composite
def damaged_demo(draw: st.DrawFn) -> dict[str, Any]:
    """demo-small's data with one to three random changes."""
    data = copy.deepcopy(DEMO_DATA)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        owner: Any = data
        for part in path[:-1]:
            owner = owner[part]
        key = path[-1]
        action = draw(st.sampled_from(["delete", "replace", "nan", "negate", "huge", "string"]))
        old = owner[key]
        if action == "delete":
            del owner[key]
        elif action == "replace":
            owner[key] = draw(junk_values)
        elif action == "nan":
            owner[key] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        elif action == "negate":
            owner[key] = -old if isinstance(old, int | float) else -1
        elif action == "huge":
            owner[key] = draw(st.sampled_from([1e12, 10**30, 1e308]))
        else:
            owner[key] = draw(st.text(max_size=30))
    return data


@FAST
@given(damaged_demo())
def test_damaged_demo_validates_or_raises_input_error(data: dict[str, Any]) -> None:
    try:
        park = load_park(data)
    except InputError as exc:
        assert exc.message
        assert str(exc).startswith("<park dict>")
    else:
        assert isinstance(park, Park)


@FAST
@given(damaged_demo())
def test_damaged_demo_through_cli_exits_0_or_2(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "park.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        result = CliRunner().invoke(cli.app, ["validate", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert result.stderr.startswith(f"parktwin: {path}"), result.stderr


@settings(FAST, max_examples=40)
@given(
    position=st.integers(0, len(DEMO.read_bytes())),
    cut=st.integers(0, 40),
    insert=st.binary(max_size=12)
    | st.sampled_from([b":", b"- ", b"[", b"{", b"&a ", b"*a", b"\t", b"\n  ", b"!!python"]),
)
def test_corrupted_text_through_cli_exits_0_or_2(position: int, cut: int, insert: bytes) -> None:
    raw = DEMO.read_bytes()
    broken = raw[:position] + insert + raw[position + cut :]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "park.yaml"
        path.write_bytes(broken)
        result = CliRunner().invoke(cli.app, ["validate", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("path", DEMO_PATHS[:: max(1, len(DEMO_PATHS) // 40)], ids=repr)
def test_deleting_any_key_gives_input_error_or_park(path: tuple[Any, ...]) -> None:
    data = copy.deepcopy(DEMO_DATA)
    owner: Any = data
    for part in path[:-1]:
        owner = owner[part]
    del owner[path[-1]]
    try:
        load_park(data)
    except InputError as exc:
        assert exc.message
