"""One result-folder writer for every command: write_result, and calibrate's report through it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import twin.api
import twin.api.analyses
import twin.calibration
from cli import app
from twin.calibration.sample import sensor_tables, write_sensors
from twin.errors import InputError
from twin.experiment.runner import Interrupted
from twin.io.inputs import read_park
from twin.io.result_folder import MANIFEST, write_result

runner = CliRunner()


def _write(folder: Path, text: str) -> None:
    (folder / "result.json").write_text(json.dumps({"value": text}))


def _manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())


def test_without_a_folder_the_result_is_only_computed(tmp_path: Path) -> None:
    assert write_result(None, "test", lambda: "x", _write) == "x"
    assert list(tmp_path.iterdir()) == []


def test_a_result_is_published_with_its_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert write_result(out, "test run", lambda: "x", _write) == "x"
    manifest = _manifest(out)
    assert manifest["complete"] is True and manifest["command"] == "test run"
    data = (out / "result.json").read_bytes()
    assert manifest["files"]["result.json"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert json.loads(data)["run_id"] == manifest["run_id"]


def test_the_destination_is_refused_before_the_work(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("not parktwin's")
    ran = []
    with pytest.raises(InputError, match="did not write"):
        write_result(tmp_path / "out", "test", lambda: ran.append(1), _write)
    assert not ran


def test_a_salvaged_partial_result_goes_beside_a_complete_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_result(out, "test", lambda: "complete", _write)

    def interrupted() -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        write_result(out, "test", interrupted, _write, salvage=lambda exc: "half")
    partial = tmp_path / "out.partial"
    assert json.loads((out / "result.json").read_text())["value"] == "complete"
    assert json.loads((partial / "result.json").read_text())["value"] == "half"
    assert _manifest(partial)["complete"] is False
    assert any(str(partial) in note for note in caught.value.__notes__)


def test_a_failure_without_salvage_leaves_the_earlier_result(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_result(out, "test", lambda: "first", _write)

    def broken() -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_result(out, "test", broken, _write, salvage=lambda exc: None)
    assert json.loads((out / "result.json").read_text())["value"] == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


# --------------------------------------------------------------------------- calibrate --report


@pytest.fixture(scope="module")
def sensors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four days of meters of demo-small (enough for a fit, quick to validate)."""
    park = read_park("demo-small")
    tables = sensor_tables(park, {("f1", "power_kw"): 15.0}, [], 4.0, seed=2, noise=0.02)
    folder = tmp_path_factory.mktemp("sensors")
    write_sensors(folder, park, tables)
    return folder


def _calibrate(sensors: Path, out: Path, report: Path) -> tuple[int, str]:
    args = ["calibrate", "demo-small", str(sensors), "--out", str(out), "--report", str(report)]
    result = runner.invoke(app, [*args, "-r", "2"])
    return result.exit_code, result.output


def test_calibrate_report_is_a_result_folder(sensors: Path, tmp_path: Path) -> None:
    report = tmp_path / "report"
    code, output = _calibrate(sensors, tmp_path / "fitted.yaml", report)
    assert code == 0, output
    manifest = _manifest(report)
    assert manifest["complete"] is True and "parktwin calibrate" in manifest["command"]
    assert set(manifest["files"]) == {"report.md", "report.html", "calibration.json"}
    assert json.loads((report / "calibration.json").read_text())["run_id"] == manifest["run_id"]
    assert manifest["run_id"] in (report / "report.md").read_text()
    read_park(tmp_path / "fitted.yaml")  # the park file is written beside it, valid


def test_a_park_file_inside_the_report_folder_is_one_of_its_files(
    sensors: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    for _ in range(2):  # the second run replaces the first, park file included
        code, output = _calibrate(sensors, report / "fitted.yaml", report)
        assert code == 0, output
    assert "fitted.yaml" in _manifest(report)["files"]
    read_park(report / "fitted.yaml")


def test_a_report_folder_holding_other_files_is_refused_before_fitting(
    sensors: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "report"
    report.mkdir()
    (report / "notes.txt").write_text("mine")
    fits = []
    monkeypatch.setattr(twin.api.analyses, "calibrate_source", lambda *a: fits.append(a))
    code, output = _calibrate(sensors, tmp_path / "fitted.yaml", report)
    assert code == 2 and "notes.txt" in output and "Traceback" not in output
    assert not fits and not (tmp_path / "fitted.yaml").exists()


def _complete_run(sensors: Path, report: Path, park: Path) -> dict[str, bytes]:
    """A complete calibration into `report` and `park`; every file's bytes, to compare later."""
    assert _calibrate(sensors, park, report)[0] == 0
    return {p.name: p.read_bytes() for p in [*report.iterdir(), park]}


def _unchanged(report: Path, park: Path, before: dict[str, bytes]) -> bool:
    return {p.name: p.read_bytes() for p in [*report.iterdir(), park]} == before


def test_an_interrupted_calibration_leaves_the_earlier_report(
    sensors: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, park = tmp_path / "report", tmp_path / "fitted.yaml"
    before = _complete_run(sensors, report, park)

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(twin.api.analyses, "calibrate_source", interrupted)
    code, _ = _calibrate(sensors, park, report)
    assert code == 130 and _unchanged(report, park, before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fitted.yaml", "report"]


def _interrupt_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object) -> None:
        raise Interrupted()

    monkeypatch.setattr(twin.calibration, "check_held_out", interrupted)


def test_a_calibration_interrupted_in_validation_is_a_partial_report(
    sensors: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, park = tmp_path / "report", tmp_path / "fitted.yaml"
    _interrupt_validation(monkeypatch)
    code, output = _calibrate(sensors, park, report)
    assert code == 130 and str(report) in output
    manifest = _manifest(report)
    assert manifest["complete"] is False
    assert set(manifest["files"]) == {"report.md", "report.html", "calibration.json", "fitted.yaml"}
    assert "the validation was interrupted" in (report / "report.md").read_text()
    read_park(report / "fitted.yaml")  # every fit, in the partial folder
    assert not park.exists()  # not put where a validated park is expected


def test_an_interrupted_validation_goes_beside_a_complete_report(
    sensors: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, park = tmp_path / "report", tmp_path / "fitted.yaml"
    before = _complete_run(sensors, report, park)
    _interrupt_validation(monkeypatch)
    code, output = _calibrate(sensors, park, report)
    partial = tmp_path / "report.partial"
    assert code == 130 and str(partial) in output and _unchanged(report, park, before)
    assert _manifest(partial)["complete"] is False
