"""Names in a park and names of parks: one asset per id, reserved names, bundled names.

An id names one asset in the whole park; the water assets' names are reserved; a scenario's
`base:` is found beside the scenario; a local file or folder named like a bundled park neither
shadows it silently nor is taken for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from twin.errors import InputError
from twin.io.bundled import bundled_parks, resolve
from twin.io.dump import dump_park
from twin.io.inputs import check_file, resolve_inputs
from twin.io.load import load_park


def _demo() -> dict:
    return load_park("demo-small").model_dump(mode="json", by_alias=True, exclude_none=True)


def test_an_id_names_one_asset_in_the_whole_park() -> None:
    """A gate and a feeder both called fd1 were both cut by one outage of fd1; now the park
    is refused, naming both places (outages, alarms and meters name assets by id alone)."""
    data = _demo()
    feeder = data["power"]["feeders"][0]["id"]
    old_gate = data["logistics"]["gates"][0]["id"]
    data["logistics"]["gates"][0]["id"] = feeder
    for flow in data["logistics"]["flows"]:
        if flow["gate"] == old_gate:
            flow["gate"] = feeder
    with pytest.raises(InputError) as info:
        load_park(data)
    assert info.value.place.startswith("logistics.gates[0].id")
    assert f"id '{feeder}' is also the id of power.feeders[0]" in info.value.message


def test_the_water_names_are_reserved() -> None:
    data = _demo()
    data["buildings"][0]["id"] = "water.supply"
    for group in data["logistics"]["dock_groups"]:
        group["building"] = (
            "water.supply"
            if group["building"] == _demo()["buildings"][0]["id"]
            else group["building"]
        )
    with pytest.raises(InputError, match="reserved for the water assets"):
        load_park(data)


# --------------------------------------------------------------------------- which file a name is


def test_validate_resolves_a_scenarios_base_beside_the_scenario_like_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`validate s.yaml` looked for `base:` in the working directory; run looks beside s.yaml."""
    folder = tmp_path / "what-if"
    folder.mkdir()
    (folder / "park.yaml").write_text(dump_park(load_park("demo-small")), encoding="utf-8")
    scenario = folder / "s.yaml"
    scenario.write_text(
        "scenario: {name: busier}\nbase: park.yaml\n"
        'changes:\n  - {scale: "logistics.flows[*].rate_per_hour", by: 1.1}\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)  # park.yaml is not here
    assert check_file(str(scenario)) == ("scenario", "busier")
    result = CliRunner().invoke(cli.app, ["validate", str(scenario)])
    assert result.exit_code == 0, result.output
    assert resolve_inputs(None, str(scenario)).base.park.name == load_park("demo-small").park.name


def test_a_folder_named_like_a_bundled_park_does_not_shadow_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run --out demo-small` left a folder that made `run demo-small` fail."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo-small").mkdir()
    assert resolve("demo-small") == bundled_parks()["demo-small"]
    result = CliRunner().invoke(cli.app, ["run", "demo-small", "--days", "1", "--json"])
    assert result.exit_code == 0, result.output
    with pytest.raises(InputError, match="is a folder"):
        load_park("./demo-small")  # an explicit path is that path


def test_a_file_named_like_a_bundled_park_is_refused_as_ambiguous(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo-small").write_text(dump_park(load_park("yen-binh")), encoding="utf-8")
    with pytest.raises(InputError, match=r"both a file in this folder and the bundled park"):
        load_park("demo-small")
    assert load_park("./demo-small").park.name == load_park("yen-binh").park.name


@pytest.mark.parametrize("short", ["", "   ", "x" * 41])
def test_a_short_name_is_a_visible_label_of_at_most_40_characters(short: str) -> None:
    data = _demo()
    data["buildings"][0]["short_name"] = short
    with pytest.raises(InputError, match=r"buildings\[0\]\.short_name \(id=f1\)"):
        load_park(data)


def test_a_short_name_labels_the_plan_and_the_name_stays_in_tooltips() -> None:
    from web.plan import plan_document

    data = _demo()
    data["buildings"][0].update(name="Nhà máy sản xuất linh kiện điện tử F1", short_name=" F1 ")
    park = load_park(data)
    shown = plan_document(park)["buildings"][0]
    assert (shown["label"], shown["name"]) == ("F1", "Nhà máy sản xuất linh kiện điện tử F1")
    assert shown["label"] != plan_document(load_park(_demo()))["buildings"][0]["label"]
