"""Starting from the true park, calibration moves nothing; calibration.json says it all.

Two sources of data: parktwin's own engine (demo-small with known changes) and the
independent SimPy park of :mod:`tests.independent`, with and without ``gate_out``. A value is
replaced only when the data reject the file's (outside its 99.9% interval, or a KS or χ² test
at 0.1%), so calibrating the truth must give the truth back, field for field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from tests import independent as ind
from tests.known_truth import differences, write_truth_sensors
from twin.calibration import calibrate
from twin.io.load import load_park
from twin.model.schema import Park

runner = CliRunner()


@pytest.fixture(scope="module")
def engine_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Park, Path]:
    path = tmp_path_factory.mktemp("engine")
    return write_truth_sensors(path), path


def test_engine_data_from_the_truth_move_nothing(engine_data: tuple[Park, Path]) -> None:
    truth, folder = engine_data
    cal = calibrate(truth, folder, holdout=0.0)
    assert differences(cal) == []
    kept = cal.park.metadata["calibration"]["kept"]  # type: ignore[index]
    assert any("the data support" in why for why in kept.values())
    assert cal.counts["f1-docks"].identified and cal.services["f1-docks"].n > 500


@pytest.mark.parametrize("gate_out", [True, False], ids=["gate_out", "no_gate_out"])
def test_independent_data_from_the_truth_move_nothing(tmp_path: Path, gate_out: bool) -> None:
    ind.write_trucks(tmp_path, ind.simulate(30.0, seed=11), gate_out=gate_out)
    cal = calibrate(load_park(ind.true_park()), tmp_path, holdout=0.0)
    assert differences(cal) == []


def test_calibration_json_lists_every_parameter_and_check(
    engine_data: tuple[Park, Path], tmp_path: Path
) -> None:
    _, folder = engine_data
    out, report = tmp_path / "fitted.yaml", tmp_path / "report"
    args = ["calibrate", "demo-small", str(folder), "--out", str(out), "--report", str(report)]
    result = runner.invoke(cli.app, [*args, "-r", "2"])
    assert result.exit_code == 0, result.output
    doc = json.loads((report / "calibration.json").read_text(encoding="utf-8"))
    assert doc["park"] == "Demo Small Park"
    assert doc["fitted_span"] == ["2026-01-05T00:00", "2026-01-22T00:00"]
    assert doc["validation_span"][0] == "2026-01-22T00:00"
    fields = {"asset", "field", "before", "fitted", "ci95", "method", "data"}
    for row in doc["parameters"]:
        assert fields <= set(row), row
    by_place = {row["place"]: row for row in doc["parameters"]}
    base = by_place["buildings[id=f1].power.base_kw"]
    assert base["asset"] == "f1" and base["field"] == "power.base_kw" and base["before"] == 300
    low, high = base["ci95"]["base_kw"]
    assert low <= 360.0 <= high and base["moved"]  # the truth inside, the file's 300 outside
    docks = by_place["logistics.dock_groups[id=f1-docks].docks"]
    assert docks["fitted"] == 2 and docks["ci95"] == {"docks": [2.0, 2.0]} and docks["moved"]
    service = by_place["logistics.dock_groups[id=f1-docks].service"]
    low, high = service["ci95"]["mean"]
    assert low <= 40.0 <= high and service["fitted"]["dist"] == "gamma"
    validation = {(v["asset"], v["quantity"], v["metric"]) for v in doc["validation"]}
    for asset, quantity in (("f1", "power_kw"), ("f1", "water_m3h"), ("w1", "power_kw")):
        assert (asset, quantity, "mape_pct") in validation
    for group in ("f1-docks", "f2-docks", "w1-docks"):
        assert (group, "gate_to_dock_min", "ks_d") in validation
    assert {v["verdict"] for v in doc["validation"]} <= {"good", "fair", "poor"}
    markdown = (report / "report.md").read_text(encoding="utf-8")
    assert "## Uncertainty and identifiability" in markdown
