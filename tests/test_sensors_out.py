"""``--sensors-out DIR``: what the sensors would have recorded, as one result folder.

The recording is the run's replication 0 (its trucks are the trace's, row for row); compare and
sweep write one subfolder per case; the folder is checked before any work and never left
half-written; and calibrating a wrong park on the recording of a true one gives the true one back.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import cli
from tests.parks import one_dock_group
from twin import api
from twin.api import recording
from twin.experiment.settings import Settings
from twin.io.dump import dump_park
from twin.model.schema import Park

runner = CliRunner()

TRUE_SERVICE = {"dist": "gamma", "mean": 40.0, "sd": 12.0}
TRUE_DOCKS = 3
TRUE_RATE = 4.0


def true_park() -> Park:
    """A park of our own (not bundled): one gate, one busy dock group, a powered building."""
    return one_dock_group(
        docks=TRUE_DOCKS,
        service=TRUE_SERVICE,
        rate_per_hour=TRUE_RATE,
        gate_service={"dist": "exponential", "mean": 2.0},
        roads=True,
        powered=True,
    )


def write_park(folder: Path, park: Park, name: str = "park.yaml") -> Path:
    path = folder / name
    path.write_text(dump_park(park), encoding="utf-8")
    return path


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def invoke(*args: str) -> Any:
    result = runner.invoke(cli.app, list(args))
    assert "Traceback" not in result.output
    return result


def test_run_records_replication_0_meters_and_every_truck(tmp_path: Path) -> None:
    park = write_park(tmp_path, true_park())
    out = tmp_path / "sensors"
    result = invoke("run", str(park), "--days", "1", "--sensors-out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "meters.csv", "trucks.csv"]
    trace = api.simulate(str(park), days=1)
    trucks = rows(out / "trucks.csv")
    arrived = np.sort(trace.trucks["arrive"][trace.trucks["arrive"] >= 0])
    assert len(trucks) == len(arrived) > 50
    assert list(trucks[0]) == [
        "truck_id", "flow", "gate", "dock_group", "arrive", "gate_out", "dock_start",
        "dock_end", "depart",
    ]  # fmt: skip
    first = trucks[0]
    assert first["arrive"] <= first["gate_out"] <= first["dock_start"] <= first["dock_end"]
    minutes = (
        (np.datetime64(first["arrive"]) - np.datetime64("2026-01-05T00:00"))
        / np.timedelta64(1, "s")
        / 60.0
    )
    assert minutes == pytest.approx(arrived[0], abs=1 / 60)
    meters = rows(out / "meters.csv")
    assert {(m["asset"], m["quantity"]) for m in meters} == {
        ("f1", "power_kw"), ("fd1", "power_kw"), ("s1", "power_kw"),
    }  # fmt: skip
    assert len(meters) == 3 * 96  # one reading per 15-minute step of the day, per meter
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {"meters.csv", "trucks.csv"}


def test_compare_and_sweep_write_one_subfolder_per_case(tmp_path: Path) -> None:
    park = write_park(tmp_path, true_park())
    scenario = tmp_path / "more-docks.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "scenario": {"name": "more docks / faster"},
                "changes": [{"set": "logistics.dock_groups[id=d1].docks", "value": 4}],
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "compared"
    result = invoke("compare", str(park), str(scenario), "--days", "0.5", "--sensors-out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "baseline",
        "manifest.json",
        "more_docks_faster",
    ]
    for case in ("baseline", "more_docks_faster"):
        assert sorted(p.name for p in (out / case).iterdir()) == ["meters.csv", "trucks.csv"]
    swept = tmp_path / "swept"
    vary = "logistics.dock_groups[id=d1].docks=2,3"
    result = invoke(
        "sweep", str(park), "--vary", vary, "--days", "0.5", "--sensors-out", str(swept)
    )
    assert result.exit_code == 0, result.output
    assert rows(swept / "points.csv") == [
        {"folder": "point-001", "d1.docks": "2"},
        {"folder": "point-002", "d1.docks": "3"},
    ]
    assert (swept / "point-002" / "trucks.csv").is_file()
    manifest = json.loads((swept / "manifest.json").read_text(encoding="utf-8"))
    assert "point-001/meters.csv" in manifest["files"]
    again = invoke("sweep", str(park), "--vary", vary, "--days", "0.5", "--sensors-out", str(swept))
    assert again.exit_code == 0, again.output  # its own earlier result is replaced


@pytest.mark.parametrize("where", ["a-file", "a-foreign-folder", "under-a-file"])
def test_a_bad_sensors_folder_is_exit_2_before_any_work(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "a-foreign-folder").mkdir()
    (tmp_path / "a-foreign-folder" / "notes.txt").write_text("mine\n", encoding="utf-8")
    target = {"under-a-file": tmp_path / "a-file" / "sensors"}.get(where, tmp_path / where)
    out = tmp_path / "out"
    result = invoke(
        "run", "demo-small", "--days", "1", "--out", str(out), "--sensors-out", str(target)
    )
    assert result.exit_code == 2, result.output
    assert str(target) in result.stderr
    assert not out.exists()  # refused before the run
    assert (tmp_path / "a-foreign-folder" / "notes.txt").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("sensors", ["out", "out/sensors", "."])
def test_sensors_and_results_in_overlapping_folders_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sensors: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "demo-small", "--days", "0.2", "--out", "out", "--sensors-out", sensors)
    assert result.exit_code == 2, result.output
    assert f"--sensors-out {sensors} overlaps the result folder out" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_foreign_file_in_a_subfolder_refuses_the_folder(tmp_path: Path) -> None:
    park = write_park(tmp_path, true_park())
    out = tmp_path / "swept"
    vary = "logistics.dock_groups[id=d1].docks=2,3"
    first = invoke("sweep", str(park), "--vary", vary, "--days", "0.2", "--sensors-out", str(out))
    assert first.exit_code == 0, first.output
    (out / "point-001" / "mine.txt").write_text("kept\n", encoding="utf-8")
    result = invoke("sweep", str(park), "--vary", vary, "--days", "0.2", "--sensors-out", str(out))
    assert result.exit_code == 2, result.output
    assert "point-001/mine.txt" in result.stderr
    assert (out / "point-001" / "mine.txt").read_text(encoding="utf-8") == "kept\n"


def test_the_recording_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    park = true_park()
    settings = Settings(days=0.5, seed=7, replications=2)
    api.run(park, settings=settings, sensors_out=tmp_path / "a")
    api.run(park, settings=Settings(days=0.5, seed=7, replications=3), sensors_out=tmp_path / "b")
    for name in ("meters.csv", "trucks.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.slow
def test_calibrating_a_wrong_park_on_the_recording_gives_the_true_park_back(
    tmp_path: Path,
) -> None:
    truth = true_park()
    sensors = tmp_path / "sensors"
    api.run(truth, settings=Settings(days=28, seed=3), sensors_out=sensors)
    wrong = truth.model_dump(mode="json", by_alias=True, exclude_none=True)
    group = wrong["logistics"]["dock_groups"][0]
    group["docks"], group["service"] = 6, {"dist": "exponential", "mean": 20.0}
    wrong["logistics"]["flows"][0]["rate_per_hour"] = 2.0
    park = tmp_path / "wrong.yaml"
    park.write_text(yaml.safe_dump(wrong, allow_unicode=True), encoding="utf-8")
    fitted, report = tmp_path / "fitted.yaml", tmp_path / "report"
    result = invoke(
        "calibrate", str(park), str(sensors), "--out", str(fitted), "--report", str(report)
    )
    assert result.exit_code == 0, result.output
    back = yaml.safe_load(fitted.read_text(encoding="utf-8"))
    assert back["logistics"]["dock_groups"][0]["docks"] == TRUE_DOCKS
    doc = json.loads((report / "calibration.json").read_text(encoding="utf-8"))
    by_place = {row["place"]: row for row in doc["parameters"]}
    service = by_place["logistics.dock_groups[id=d1].service"]
    low, high = service["ci95"]["mean"]
    assert low <= TRUE_SERVICE["mean"] <= high, service
    rate = by_place["logistics.flows[id=in]"]
    low, high = rate["ci95"]["per_day"]
    assert low <= TRUE_RATE * 24 <= high, rate
    assert back["logistics"]["flows"][0]["rate_per_hour"] == pytest.approx(TRUE_RATE, rel=0.05)
    gate = by_place["logistics.gates[id=g1].service"]  # fitted from gate_out
    low, high = gate["ci95"]["mean"]
    assert low <= 2.0 <= high, gate


def test_an_interrupted_recording_leaves_no_folder_and_keeps_the_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sensors"
    api.run(true_park(), settings=Settings(days=0.25), sensors_out=out)
    before = (out / "trucks.csv").read_bytes()

    def half_then_interrupted(folder: Path, trace: Any, park: Park) -> None:
        (folder / "meters.csv").write_text("timestamp,asset,quantity,value\n", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(recording, "write_recorded", half_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.run(true_park(), settings=Settings(days=0.5), sensors_out=out)
    with pytest.raises(KeyboardInterrupt):
        api.run(true_park(), settings=Settings(days=0.5), sensors_out=tmp_path / "new")
    assert (out / "trucks.csv").read_bytes() == before  # the earlier recording, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sensors"]  # no staging left either
