"""The defects the architecture review found (#10), each with a test that failed before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
import twin
from tests.parks import one_dock_group
from twin.api import run
from twin.errors import InputError
from twin.experiment.settings import Settings
from twin.io.bundled import bundled_parks, resolve
from twin.io.dump import dump_park
from twin.io.inputs import check_file, resolve_inputs
from twin.io.load import load_park
from twin.sim.trace import INDEX_COLUMNS, INDEX_DTYPE
from viz.options import RunSource
from viz.sources import traces_for


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


# --------------------------------------------------------------------------- one way in


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


# --------------------------------------------------------------------------- render sources


def test_compare_beside_a_saved_trace_uses_its_replication_and_step(tmp_path: Path) -> None:
    """`render --trace DIR --compare X` simulated replication 0 on the default step."""
    settings = Settings(days=1, warmup_days=0.5, seed=3, first_replication=2, step_min=30)
    run("demo-small", None, settings, out=tmp_path / "run")
    same = tmp_path / "same.yaml"
    same.write_text(
        "scenario: {name: same}\n"
        'changes:\n  - {scale: "logistics.flows[*].rate_per_hour", by: 1}\n',
        encoding="utf-8",
    )
    saved, beside = traces_for(RunSource(trace=tmp_path / "run", compare=str(same)))
    assert beside.meta["replication"] == saved.meta["replication"] == 2
    assert beside.meta["step_min"] == saved.meta["step_min"] == 30
    for column in ("arrive", "dock_start", "exit"):  # a scenario that changes nothing: same run
        np.testing.assert_array_equal(beside.trucks[column], saved.trucks[column])


def test_warmup_auto_in_render_is_the_warmup_run_chooses() -> None:
    """`render/show --warmup auto` silently became no warm-up."""
    park = one_dock_group(50, {"dist": "constant", "value": 600}, rate_per_hour=3)  # a ramp-up
    chosen = run(park, None, Settings(days=2, warmup_auto=True)).settings.warmup_days
    traces = traces_for(RunSource(park=park, days=2, warmup_days="auto"))
    assert traces[0].warmup_min == pytest.approx(chosen * 1440.0)
    assert chosen > 0


def test_render_passes_warmup_auto_through(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list = []
    monkeypatch.setattr(
        "viz.offscreen.render", lambda traces, out, *args: seen.append(traces) or Path(out)
    )
    park = tmp_path / "ramp.yaml"
    ramp = one_dock_group(50, {"dist": "constant", "value": 600}, rate_per_hour=3)
    park.write_text(dump_park(ramp), encoding="utf-8")
    out = str(tmp_path / "p.png")
    result = CliRunner().invoke(cli.app, ["render", str(park), "--out", out, "--warmup", "auto"])
    assert result.exit_code == 0, result.output
    assert seen and seen[0][0].warmup_min > 0


# --------------------------------------------------------------------------- indices


def test_truck_index_columns_hold_more_than_32767_assets() -> None:
    """flow, gate and dock-group indices were int16: they wrapped or failed past 32,767."""
    trace = twin.simulate("demo-small", days=1)
    for column in INDEX_COLUMNS:
        assert trace.trucks[column].dtype == INDEX_DTYPE
    assert np.array([40_000], dtype=INDEX_DTYPE)[0] == 40_000


def test_the_dead_helper_is_gone() -> None:
    assert not hasattr(cli, "_not_yet")
