"""Calibration on hostile and spreadsheet-made input: absurd fits refused by name, no library
warning on the console, the output format the extension names, and CSVs from spreadsheets
(BOM, CRLF, UTF-16, ';' with decimal commas, extra columns) read as the plain file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
from twin.calibration import calibrate
from twin.calibration.read import read_meters
from twin.calibration.table import FileReport
from twin.calibration.timestamps import Timebase
from twin.errors import InputError
from twin.io.load import load_park
from twin.model.schema import Park

runner = CliRunner()
HEADER = "timestamp,asset,quantity,value\n"


def rows(days: int, asset: str, value: str | None = None) -> str:
    """15-minute power readings of a building with a day shape (or one fixed value)."""
    n = days * 96
    stamps = np.datetime64("2026-01-05T00:15") + np.arange(n) * np.timedelta64(15, "m")
    hours = (np.arange(n) // 4) % 24
    level = 300.0 + 1200.0 * ((hours >= 6) & (hours < 22))
    cells = [value or f"{v * (1 + 0.01 * ((k * 7) % 5 - 2)):.3f}" for k, v in enumerate(level)]
    return "".join(f"{t},{asset},power_kw,{c}\n" for t, c in zip(stamps, cells, strict=True))


def test_absurd_meter_is_refused_by_name_and_the_rest_fitted(tmp_path: Path) -> None:
    folder = tmp_path / "sensors"
    folder.mkdir()
    (folder / "meters.csv").write_text(HEADER + rows(8, "f1", "1e308") + rows(8, "f2"))
    out, report = tmp_path / "fitted.yaml", tmp_path / "report"
    args = ["calibrate", "demo-small", str(folder), "--out", str(out), "--report", str(report)]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    assert "buildings[id=f1].power" in result.output and "refused" in result.output
    assert "Warning" not in result.output and "Traceback" not in result.output
    fitted = load_park(out)  # the rest of the fit was written, and is valid
    f1, f2 = fitted.buildings[0], fitted.buildings[1]
    source = load_park("demo-small")
    assert f1.power == source.buildings[0].power  # the file's values kept
    assert f2.power != source.buildings[1].power  # fitted
    assert "buildings[id=f2].power.base_kw" in fitted.metadata["calibration"]["values"]  # type: ignore[index]
    assert "REFUSED buildings[id=f1].power" in (report / "report.md").read_text()


def test_data_too_short_to_fit_anything_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    """One reading: no value fitted or checked; not a copy of the park reported as a fit."""
    folder = tmp_path / "sensors"
    folder.mkdir()
    (folder / "meters.csv").write_text(HEADER + rows(1, "f1")[:40].rsplit("\n", 1)[0] + "\n")
    out, report = tmp_path / "fitted.yaml", tmp_path / "report"
    args = ["calibrate", "demo-small", str(folder), "--out", str(out), "--report", str(report)]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    assert str(folder) in result.output and "nothing in the data could be fitted" in result.output
    assert "f1 power_kw: under a day of readings" in result.output
    assert not out.exists() and not (report / "calibration.json").exists()


def test_the_fitted_park_is_never_written_over_the_sensor_data(tmp_path: Path) -> None:
    """`--out sensors/meters.csv` (a slip of the tab key) overwrote the readings with YAML."""
    folder = tmp_path / "sensors"
    folder.mkdir()
    readings = HEADER + rows(2, "f1")
    (folder / "meters.csv").write_text(readings)
    out = folder / ".." / "sensors" / "meters.csv"
    args = ["calibrate", "demo-small", str(folder), "--out", str(out), "-r", "1"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    assert "is the sensor data being fitted" in result.output and str(out) in result.output
    assert (folder / "meters.csv").read_text() == readings


def test_non_finite_fit_never_becomes_zero(tmp_path: Path) -> None:
    (tmp_path / "meters.csv").write_text(HEADER + rows(3, "f1", "1e308"))
    cal = calibrate("demo-small", tmp_path, holdout=0.0)
    assert cal.refused and all(p.startswith("buildings[id=f1]") for p in cal.refused)
    assert cal.park.buildings[0].power == load_park("demo-small").buildings[0].power


def test_out_json_writes_json(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "meters.csv").write_text(HEADER + rows(3, "f1"))
    out = tmp_path / "fitted.json"
    result = runner.invoke(
        cli.app, ["calibrate", "demo-small", str(tmp_path / "s"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert load_park(out) == load_park(data)
    assert data["buildings"][0]["power"]["shift_kw"] == pytest.approx(1200.0, rel=0.03)


def spreadsheet_variants(text: str) -> dict[str, bytes]:
    semicolon = text.replace(",", ";").replace(".", ",")
    return {
        "bom_crlf": b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        "utf16": text.encode("utf-16"),
        "semicolon_decimal_comma": semicolon.replace("\n", "\r\n").encode(),
        "extra_columns": "\n".join(
            line + (",plate,note" if k == 0 else f",29C-{k},ok") if line else line
            for k, line in enumerate(text.split("\n"))
        ).encode(),
    }


@pytest.mark.parametrize(
    "variant", ["bom_crlf", "utf16", "semicolon_decimal_comma", "extra_columns"]
)
def test_spreadsheet_files_read_as_the_plain_one(tmp_path: Path, park: Park, variant: str) -> None:
    text = HEADER + rows(2, "f1")
    plain = tmp_path / "plain.csv"
    plain.write_text(text)
    other = tmp_path / f"{variant}.csv"
    other.write_bytes(spreadsheet_variants(text)[variant])
    timebase = Timebase.of(park)
    expected = read_meters(plain, park, timebase, FileReport(str(plain)))
    report = FileReport(str(other))
    got = read_meters(other, park, timebase, report)
    series, want = got[("f1", "power_kw")], expected[("f1", "power_kw")]
    assert np.array_equal(series.t_min, want.t_min)
    assert np.array_equal(series.value, want.value)
    if variant != "bom_crlf":
        assert report.notes, "the reader says what it did"
    if variant == "semicolon_decimal_comma":
        assert "decimal commas" in report.notes[0]


def test_tab_separated_file_is_named(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "meters.csv"
    path.write_text((HEADER + rows(1, "f1")).replace(",", "\t"))
    with pytest.raises(InputError) as caught:
        read_meters(path, park, Timebase.of(park), FileReport(str(path)))
    assert "tab-separated" in str(caught.value) and caught.value.line == 1


def test_misspelt_column_is_still_refused(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "meters.csv"
    path.write_text("timestamp,asset,quantity,valeu\n" + rows(1, "f1"))
    with pytest.raises(InputError, match="did you mean 'value'"):
        read_meters(path, park, Timebase.of(park), FileReport(str(path)))
