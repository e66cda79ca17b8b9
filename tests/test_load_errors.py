"""Bad input gives exit status 2 and one clear message naming the file and the place.

Each case builds a bad file in a temporary folder (mostly by changing one thing in the bundled
demo-small park), runs `parktwin validate` on it and checks the message: the file, the field path
or line, the offending value, and no traceback. The messages are part of the contract (SPEC.md,
"Exit status"), so these tests pin their content.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import cli
from tests.load_helpers import assert_bad_input, dump, validate
from twin.errors import InputError
from twin.io.bundled import data_root
from twin.io.load import load_park, load_scenario

DEMO = data_root() / "assets" / "parks" / "demo-small.yaml"


def demo_data() -> dict[str, Any]:
    """A fresh copy of demo-small's data."""
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return copy.deepcopy(data)


# --------------------------------------------------------------------------- mutated parks


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def set_at(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets the value at `path`."""

    def mutate(data: dict[str, Any]) -> None:
        _at(data, path[:-1])[path[-1]] = value

    return mutate


def rename_key(path: tuple[Any, ...], old: str, new: str) -> Callable[[dict[str, Any]], None]:
    """A mutation that renames a key of the mapping at `path` (a typo)."""

    def mutate(data: dict[str, Any]) -> None:
        owner = _at(data, path)
        owner[new] = owner.pop(old)

    return mutate


def delete_at(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    """A mutation that deletes the key or item at `path`."""

    def mutate(data: dict[str, Any]) -> None:
        del _at(data, path[:-1])[path[-1]]

    return mutate


def cut_road_north(data: dict[str, Any]) -> None:
    """Move road r-north's first point off r-main: w1 joins a road the gate cannot reach."""
    roads = data["logistics"]["roads"]
    north = next(r for r in roads if r["id"] == "r-north")
    north["points"][0] = [125, 100]


# id, mutation, pieces of the message, text on the line the message must point at (or None)
MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None], list[str], str | None]] = [
    (
        "wrong-type",
        set_at(("buildings", 0, "height_m"), "tall"),
        ["buildings[0].height_m", "valid number", "'tall'"],
        "height_m: tall",
    ),
    (
        "wrong-type-list",
        set_at(("logistics", "gates"), {"id": "g1"}),
        ["logistics.gates", "valid list"],
        None,
    ),
    (
        "missing-field",
        delete_at(("buildings", 1, "kind")),
        ["buildings[1].kind", "required field 'kind' is missing", "id=f2"],
        None,
    ),
    (
        "missing-section",
        delete_at(("park",)),
        ["park", "required field 'park' is missing"],
        None,
    ),
    (
        "unknown-field",
        rename_key(("buildings", 0, "power"), "base_kw", "bse_kw"),
        ["buildings[0].power.bse_kw", "unknown field 'bse_kw'", "did you mean 'base_kw'?"],
        "bse_kw",
    ),
    (
        "unknown-top-level",
        rename_key((), "logistics", "logistic"),
        ["logistic", "unknown field 'logistic'", "did you mean 'logistics'?"],
        "logistic:",
    ),
    (
        "negative-capacity",
        set_at(("power", "feeders", 0, "capacity_mw"), -3),
        ["power.feeders[0].capacity_mw", "greater than or equal to 0.001", "-3", "id=fd1"],
        None,
    ),
    (
        "zero-capacity",
        set_at(("power", "substations", 0, "capacity_mw"), 0),
        ["power.substations[0].capacity_mw", "greater than or equal to 0.001", "got 0"],
        None,
    ),
    (
        "tiny-capacity",
        set_at(("power", "substations", 0, "capacity_mw"), 1e-300),
        ["power.substations[0].capacity_mw", "greater than or equal to 0.001", "1e-300"],
        None,
    ),
    (
        "tiny-water-capacity",
        set_at(("water", "wastewater", "capacity_m3h"), 1e-9),
        ["water.wastewater.capacity_m3h", "greater than or equal to 0.01", "1e-09"],
        None,
    ),
    (
        "crawling-road",
        set_at(("logistics", "roads", 0, "speed_kmh"), 0.01),
        ["logistics.roads[0].speed_kmh", "greater than or equal to 1", "0.01"],
        None,
    ),
    (
        "tiny-power-factor",
        set_at(("buildings", 0, "power", "power_factor"), 1e-300),
        ["buildings[0].power.power_factor", "greater than or equal to 0.3", "id=f1"],
        None,
    ),
    (
        "zero-docks",
        set_at(("logistics", "dock_groups", 1, "docks"), 0),
        ["logistics.dock_groups[1].docks", "greater than or equal to 1", "id=f2-docks"],
        None,
    ),
    (
        "dangling-gate",
        set_at(("logistics", "flows", 0, "gate"), "g9"),
        ["logistics.flows[0].gate", "'g9'", "does not exist", "known gates: g1"],
        "gate: g9",
    ),
    (
        "dangling-dock-group",
        set_at(("logistics", "flows", 1, "dock_group"), "f2-dock"),
        ["logistics.flows[1].dock_group", "'f2-dock'", "did you mean 'f2-docks'?"],
        "dock_group: f2-dock\n",
    ),
    (
        "dangling-feeder",
        set_at(("buildings", 2, "power", "feeder"), "fd7"),
        ["buildings[2].power.feeder", "'fd7'", "does not exist"],
        "feeder: fd7",
    ),
    (
        "dangling-substation",
        set_at(("power", "feeders", 1, "substation"), "sub2"),
        ["power.feeders[1].substation", "'sub2'", "did you mean 'sub1'?"],
        "substation: sub2",
    ),
    (
        "duplicate-id",
        set_at(("buildings", 1, "id"), "f1"),
        ["buildings[1].id", "duplicate id 'f1'", "first used at buildings[0]"],
        None,
    ),
    (
        "nan",
        set_at(("buildings", 0, "power", "base_kw"), float("nan")),
        ["buildings[0].power.base_kw", "finite number", "nan"],
        ".nan",
    ),
    (
        "inf",
        set_at(("water", "supply", "capacity_m3h"), float("inf")),
        ["water.supply.capacity_m3h", "finite number", "inf"],
        ".inf",
    ),
    (
        "minus-inf",
        set_at(("logistics", "flows", 0, "rate_per_hour"), float("-inf")),
        ["logistics.flows[0].rate_per_hour", "finite number", "-inf"],
        "-.inf",
    ),
    (
        "huge-base-kw",
        set_at(("buildings", 0, "power", "base_kw"), 1e12),
        ["buildings[0].power.base_kw", "less than or equal to 1000000", "1000000000000"],
        None,
    ),
    (
        "huge-coordinate",
        set_at(("logistics", "gates", 0, "position"), [1e9, 0]),
        ["logistics.gates[0].position", "less than or equal to 100000"],
        None,
    ),
    (
        "unknown-distribution",
        set_at(("logistics", "gates", 0, "service"), {"dist": "weibull", "mean": 1.5}),
        ["logistics.gates[0].service.dist", "unknown distribution 'weibull'", "'exponential'"],
        "dist: weibull",
    ),
    (
        "distribution-without-dist",
        set_at(("logistics", "dock_groups", 0, "service"), {"mean": 35}),
        ["logistics.dock_groups[0].service", "needs 'dist'"],
        None,
    ),
    (
        "self-intersecting-footprint",
        set_at(("buildings", 0, "footprint"), [[0, 0], [120, 80], [120, 0], [0, 60]]),
        ["buildings[0].footprint", "crosses itself", "id=f1"],
        None,
    ),
    (
        "unreachable-building",
        cut_road_north,
        ["logistics.flows[2]", "no road joins gate 'g1' to building 'w1'", "id=in-w1"],
        None,
    ),
    (
        "bad-time-of-day",
        set_at(("buildings", 0, "shifts", 0, "start"), "25:00"),
        ["buildings[0].shifts[0].start", 'time of day "HH:MM"', "'25:00'"],
        None,
    ),
    (
        "bad-id",
        set_at(("logistics", "gates", 0, "id"), "gate one"),
        ["logistics.gates[0].id", "an id of letters", "'gate one'"],
        "id: gate one",
    ),
    (
        "bad-start-date",
        set_at(("park", "start"), "5 Jan 2026"),
        ["park.start", 'a date "YYYY-MM-DD"', "'5 Jan 2026'"],
        "start: 5 Jan 2026",
    ),
    (
        "two-rates",
        set_at(("logistics", "flows", 1, "rate_per_hour"), 2.0),
        ["logistics.flows[1]", "exactly one of rate_per_hour"],
        None,
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected", "line_text"),
    [pytest.param(m, e, t, id=i) for i, m, e, t in MUTATIONS],
)
def test_mutated_park_is_rejected(
    tmp_path: Path,
    mutate: Callable[[dict[str, Any]], None],
    expected: list[str],
    line_text: str | None,
) -> None:
    data = demo_data()
    mutate(data)
    path = dump(data, tmp_path / "park.yaml")
    message = assert_bad_input(validate(str(path)), str(path), *expected)
    match = re.match(rf"parktwin: {re.escape(str(path))}:(\d+): ", message)
    assert match, f"no line number in {message!r}"
    if line_text is not None:
        text = path.read_text(encoding="utf-8")
        expected_line = text[: text.index(line_text)].count("\n") + 1
        assert int(match.group(1)) == expected_line, message
    # The library raises the same InputError for a Python user.
    with pytest.raises(InputError) as info:
        load_park(path)
    assert str(info.value) == message.removeprefix("parktwin: ").strip()


def test_mutated_park_in_json_names_field_and_line(tmp_path: Path) -> None:
    data = demo_data()
    data["logistics"]["flows"][0]["gate"] = "g9"
    path = dump(data, tmp_path / "park.json")
    message = assert_bad_input(validate(str(path)), str(path), "logistics.flows[0].gate", "'g9'")
    text = path.read_text(encoding="utf-8")
    line = text[: text.index('"g9"')].count("\n") + 1
    assert f"{path}:{line}: " in message


def test_dict_input_names_place_without_file(tmp_path: Path) -> None:
    data = demo_data()
    data["logistics"]["flows"][0]["gate"] = "g9"
    with pytest.raises(InputError) as info:
        load_park(data)
    assert info.value.place.startswith("logistics.flows[0].gate")
    assert "'g9'" in info.value.message


# --------------------------------------------------------------------------- broken files


def _write(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content)
        return path

    return make


def _folder(folder: Path) -> Path:
    path = folder / "parks.yaml"
    path.mkdir()
    return path


def _missing(folder: Path) -> Path:
    return folder / "no-such-park.yaml"


def _missing_in_missing_folder(folder: Path) -> Path:
    return folder / "nowhere" / "park.yml"


def _not_a_mapping(folder: Path) -> Path:
    return dump([demo_data()], folder / "list.yaml")


BROKEN_FILES: list[tuple[str, Callable[[Path], Path], list[str]]] = [
    ("missing-file", _missing, ["file not found"]),
    ("missing-folder", _missing_in_missing_folder, ["file not found"]),
    ("folder", _folder, ["is a folder"]),
    ("empty", _write("empty.yaml", b""), ["is empty"]),
    (
        "only-comment",
        _write("blank.yaml", b"  \n\n# only a comment\n"),
        ["the document is nothing", "expected a mapping"],
    ),
    ("binary-junk", _write("junk.yaml", bytes(range(256)) * 4), ["binary file"]),
    (
        "invalid-utf8",
        _write("latin1.yaml", "park: {name: Nhà máy}\n".encode("latin-1", "replace") + b"\xff"),
        ["not UTF-8", "offset"],
    ),
    (
        "yaml-syntax",
        _write("syntax.yaml", b"park:\n  name: x\nbuildings: [\n  - id: f1\n"),
        [":4: ", "YAML syntax error"],
    ),
    (
        "yaml-bad-indent",
        _write("indent.yaml", b"park:\n  name: x\n   start: 2026\nbuildings: []\n"),
        [":3: ", "YAML syntax error"],
    ),
    (
        "json-syntax",
        _write("syntax.json", b'{"park": {"name": "x"},\n "buildings": [1,]\n}\n'),
        [":2: ", "JSON syntax error"],
    ),
    (
        "recursive-alias",
        _write("alias.yaml", b"park: &a {name: x, more: *a}\n"),
        [":1: ", "park.more", "alias", "holds it"],
    ),
    ("recursive-list", _write("loop.yaml", b"park: &a [*a]\n"), [":1: ", "park[0]: ", "a loop"]),
    ("not-a-mapping", _not_a_mapping, [":1: ", "the document is a list", "mapping"]),
    ("scalar-document", _write("word.yaml", b"hello\n"), ["the document is 'hello'"]),
]


@pytest.mark.parametrize(
    ("make", "expected"), [pytest.param(m, e, id=i) for i, m, e in BROKEN_FILES]
)
def test_broken_file_is_rejected(
    tmp_path: Path, make: Callable[[Path], Path], expected: list[str]
) -> None:
    path = make(tmp_path)
    assert_bad_input(validate(str(path)), str(path), *expected)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_unreadable_file(tmp_path: Path) -> None:
    path = dump(demo_data(), tmp_path / "locked.yaml")
    path.chmod(0)
    try:
        assert_bad_input(validate(str(path)), str(path), "permission denied")
    finally:
        path.chmod(0o644)


def test_scenario_file_where_park_is_expected(tmp_path: Path) -> None:
    path = tmp_path / "peak.yaml"
    path.write_text("scenario: {name: peak}\nchanges: []\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_park(path)
    assert str(info.value) == f"{path}:1: is a scenario file; expected a park file"


def test_park_file_where_scenario_is_expected() -> None:
    with pytest.raises(InputError) as info:
        load_scenario(DEMO)
    assert str(info.value) == f"{DEMO}:1: is a park file; expected a scenario file"


def test_scenario_file_as_park_through_run(tmp_path: Path) -> None:
    pytest.importorskip("twin.api", reason="`parktwin run` is not implemented yet")
    path = tmp_path / "peak.yaml"
    path.write_text("scenario: {name: peak}\nchanges: []\n", encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["run", str(path), "--days", "0.1"])
    assert_bad_input(result, str(path), "is a scenario file; expected a park file")


@pytest.mark.parametrize(("command", "expected"), [
    (["validate"], "a park file"),
    (["run"], "a park file"),
    (["run", "demo-small", "-s"], "a scenario file"),
])  # fmt: skip
def test_decision_problem_where_park_or_scenario_is_expected(
    command: list[str], expected: str
) -> None:
    """One line naming the kind of file, not a list of every field a park lacks."""
    problem = data_root() / "scenarios" / "problems" / "customs-bays.yaml"
    result = CliRunner().invoke(cli.app, [*command, str(problem)])
    message = assert_bad_input(result, str(problem), "is a decision-problem file").strip()
    assert message.endswith(f"expected {expected}") and "\n" not in message


def test_unknown_bundled_name_suggests() -> None:
    message = assert_bad_input(validate("demo-smal"), "demo-smal", "did you mean 'demo-small'?")
    assert "no such file and no bundled" in message


def test_unknown_bundled_name_through_load_park() -> None:
    with pytest.raises(InputError, match=r"did you mean 'demo-small'\?"):
        load_park("demo_small")


def test_several_files_each_reported(tmp_path: Path) -> None:
    bad = dump({**demo_data(), "extra": 1}, tmp_path / "extra.yaml")
    missing = tmp_path / "gone.yaml"
    result = validate(str(bad), "demo-small", str(missing))
    message = assert_bad_input(result, f"{bad}:", "unknown field 'extra'", f"{missing}: file")
    assert message.count("parktwin: ") == 2
    assert "ok: demo-small" in result.stdout


# --------------------------------------------------------------------------- real processes


def parktwin_command() -> list[str]:
    """The installed console script, or `python -m cli` when it is not on this venv."""
    script = Path(sys.executable).with_name("parktwin")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"park: [\n", [":2: ", "YAML syntax error"], id="yaml-syntax"),
        pytest.param(b"\x00\x01\x02", ["binary file"], id="binary"),
        pytest.param(None, ["logistics.flows[0].gate", "'g9'"], id="dangling-gate"),
    ],
)
def test_subprocess_exit_2_without_traceback(
    tmp_path: Path, content: bytes | None, expected: list[str]
) -> None:
    path = tmp_path / "park.yaml"
    if content is None:
        data = demo_data()
        data["logistics"]["flows"][0]["gate"] = "g9"
        dump(data, path)
    else:
        path.write_bytes(content)
    proc = subprocess.run(
        [*parktwin_command(), "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert str(path) in proc.stderr
    for piece in expected:
        assert piece in proc.stderr, proc.stderr
