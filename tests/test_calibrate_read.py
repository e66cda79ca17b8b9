"""Reading sensor CSVs: timestamps, bad rows dropped and counted, errors with file and line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
from twin.calibration.read import read_meters, read_sensors, read_trucks, spike_mask
from twin.calibration.table import FileReport
from twin.calibration.timestamps import Timebase, parse_times
from twin.errors import InputError
from twin.model.schema import Park

runner = CliRunner()
HEADER = "timestamp,asset,quantity,value\n"
TRUCK_HEADER = "truck_id,flow,gate,dock_group,arrive,dock_start,dock_end,depart\n"


# The `park` fixture is demo-small: it starts 2026-01-05T00:00, Asia/Ho_Chi_Minh (+07:00).


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def good_meter_rows(n: int = 96, asset: str = "f1") -> str:
    stamps = np.datetime64("2026-01-05T00:15") + np.arange(n) * np.timedelta64(15, "m")
    return "".join(f"{t},{asset},power_kw,{300 + (k % 7)}.5\n" for k, t in enumerate(stamps))


# --------------------------------------------------------------------------- timestamps


def test_timestamps_with_and_without_offsets(park: Park) -> None:
    column = np.array(
        [
            b"2026-01-05T00:15",  # local, no offset
            b"2026-01-05 00:15:30",  # a space for the T, seconds
            b"2026-01-05T01:00+07:00",  # the park's own offset
            b"2026-01-04T18:00Z",  # UTC
            b"2026-01-05T01:00+0700",  # offset without colon
            b"2026-01-04T13:00-05:00",  # another zone: 18:00 UTC, 01:00 local
            b"2026-01-05",  # a date alone is midnight
        ]
    )
    minutes, bad = parse_times(column, Timebase.of(park))
    assert not bad.any()
    assert minutes.tolist() == [15.0, 15.5, 60.0, 60.0, 60.0, 60.0, 0.0]


def test_bad_timestamps_are_flagged_and_empty_ones_are_missing(park: Park) -> None:
    column = np.array([b"2026-02-30T10:00", b"2026-01-05T24:00", b"yesterday", b"", b"2026"])
    minutes, bad = parse_times(column, Timebase.of(park))
    assert bad.tolist() == [True, True, True, False, True]
    assert np.isnan(minutes).all()


# --------------------------------------------------------------------------- meters


def test_partial_garbage_is_dropped_and_counted_by_reason(tmp_path: Path, park: Park) -> None:
    rows = good_meter_rows(96)
    garbage = (
        "2026-01-05T25:00,f1,power_kw,300\n"  # line 98: bad hour
        "2026-01-06T00:00,f1,power_kw,lots\n"  # 99: not a number
        "2026-01-06T00:15,f1,power_kwh,300\n"  # 100: unknown quantity
        "2026-01-06T00:30,f1,power_kw\n"  # 101: 3 fields
        "2026-01-06T00:45,f1,power_kw,\n"  # 102: empty value
        "2026-01-06T01:00,f1,power_kw,-4\n"  # 103: below zero
        "2026-01-05T00:15,f1,power_kw,999\n"  # 104: repeats line 2's meter and time
        "2026-01-06T01:15,fd1,water_m3h,3\n"  # 105: water on a feeder
    )
    path = write(tmp_path, "meters.csv", HEADER + rows + garbage)
    report = FileReport(str(path))
    series = read_meters(path, park, Timebase.of(park), report)
    assert report.rows == 104 and report.kept == 96
    dropped = {reason: lines for reason, lines in report.dropped.items()}
    expect = {
        "row(s) with a timestamp that is not ISO 8601": [98],
        "row(s) with a value that is not a number": [99],
        "row(s) with 3 fields instead of 4": [101],
        "row(s) with an empty value": [102],
        "reading(s) below zero": [103],
        "reading(s) repeated (same meter and time; the first is kept)": [104],
        "row(s) of water on feeder 'fd1' (power only)": [105],
    }
    for reason, lines in expect.items():
        assert dropped[reason] == lines, reason
    assert any("'power_kwh'" in r and "did you mean 'power_kw'" in r for r in dropped)
    assert "1 of the duplicates had a different value (line 104)" in report.summary()
    (only,) = series.values()
    assert len(only.t_min) == 96 and only.value[0] == 300.5  # the first reading was kept


def test_spikes_and_resets_are_dropped_but_shift_steps_are_not() -> None:
    rng = np.random.default_rng(1)
    level = np.where((np.arange(960) // 32) % 3 == 0, 300.0, 1500.0)  # 8-hour steps
    values = level * (1 + 0.02 * rng.standard_normal(len(level)))
    values[[100, 400]] *= 8  # spikes
    values[[250, 700]] = 0.0  # resets
    flagged = np.flatnonzero(spike_mask(values))
    assert flagged.tolist() == [100, 250, 400, 700]


def test_nothing_usable_is_exit_2_with_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "sensors"
    write(folder, "meters.csv", HEADER + "garbage,f1,power_kw,1\nmore garbage\n")
    result = runner.invoke(
        cli.app, ["calibrate", "demo-small", str(folder), "--out", str(tmp_path / "f.yaml")]
    )
    assert result.exit_code == 2
    message = result.output.strip().splitlines()[-1]
    assert f"{folder / 'meters.csv'}:2:" in message
    assert "no usable rows" in message
    assert "Traceback" not in result.output
    assert not (tmp_path / "f.yaml").exists()


def test_unknown_asset_names_the_closest_known_id(tmp_path: Path, park: Park) -> None:
    path = write(tmp_path, "meters.csv", HEADER + good_meter_rows(4) + good_meter_rows(3, "f3"))
    with pytest.raises(InputError) as caught:
        read_meters(path, park, Timebase.of(park), FileReport(str(path)))
    error = caught.value
    assert error.line == 6
    assert "unknown asset 'f3'" in error.message
    assert "3 rows name it" in error.message
    assert "closest known asset is 'f1'" in error.message or "'f2'" in error.message


def test_unknown_column_is_exit_2_on_line_1(tmp_path: Path) -> None:
    folder = tmp_path / "sensors"
    write(folder, "meters.csv", "timestamp,asset,quantity,valeu\n" + good_meter_rows(4))
    result = runner.invoke(
        cli.app, ["calibrate", "demo-small", str(folder), "--out", str(tmp_path / "f.yaml")]
    )
    assert result.exit_code == 2
    assert "meters.csv:1: header: unknown column 'valeu'; did you mean 'value'?" in result.output


def test_missing_folder_and_empty_folder_are_exit_2(tmp_path: Path) -> None:
    for folder in (tmp_path / "nowhere", tmp_path):
        result = runner.invoke(
            cli.app, ["calibrate", "demo-small", str(folder), "--out", str(tmp_path / "f.yaml")]
        )
        assert result.exit_code == 2, result.output
        assert str(folder) in result.output


def test_quoted_file_reads_like_the_plain_one(tmp_path: Path, park: Park) -> None:
    plain = write(tmp_path / "a", "meters.csv", HEADER + good_meter_rows(50))
    quoted_rows = good_meter_rows(50).replace(",f1,", ',"f1",')
    quoted = write(tmp_path / "b", "meters.csv", HEADER + quoted_rows + '"bad,row",f1\n')
    a = read_meters(plain, park, Timebase.of(park), FileReport("a"))
    report = FileReport("b")
    b = read_meters(quoted, park, Timebase.of(park), report)
    assert np.array_equal(a[("f1", "power_kw")].t_min, b[("f1", "power_kw")].t_min)
    assert np.array_equal(a[("f1", "power_kw")].value, b[("f1", "power_kw")].value)
    assert report.dropped == {"row(s) with 2 fields instead of 4": [52]}


def test_crlf_bom_and_blank_lines(tmp_path: Path, park: Park) -> None:
    text = "\ufeff" + HEADER + good_meter_rows(10) + "\n   \n"
    path = tmp_path / "meters.csv"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    report = FileReport(str(path))
    series = read_meters(path, park, Timebase.of(park), report)
    assert report.kept == 10 and not report.dropped
    assert series[("f1", "power_kw")].value[1] == 301.5


def test_reading_intervals_follow_the_meter_spacing(tmp_path: Path, park: Park) -> None:
    stamps = ["2026-01-05T01:00", "2026-01-05T02:00", "2026-01-05T02:30", "2026-01-05T06:00"]
    path = write(tmp_path, "meters.csv", HEADER + "".join(f"{t},w1,water_m3h,1\n" for t in stamps))
    series = read_meters(path, park, Timebase.of(park), FileReport("m"))[("w1", "water_m3h")]
    # usual spacing is the median gap (60 min); a shorter gap is its own interval
    assert series.interval_min.tolist() == [60.0, 60.0, 30.0, 60.0]


# --------------------------------------------------------------------------- trucks


def test_truck_rows_infer_flow_and_drop_inconsistent_ones(tmp_path: Path, park: Park) -> None:
    rows = (
        "t1,in-f1,g1,f1-docks,2026-01-05T08:00,2026-01-05T08:05,2026-01-05T08:40,2026-01-05T08:45\n"
        "t2,,,f2-docks,2026-01-05T08:10,2026-01-05T08:12,,\n"  # flow from the dock group
        "t3,in-f1,g1,f2-docks,2026-01-05T08:20,,,\n"  # dock group is not the flow's
        "t4,in-f1,g1,f1-docks,2026-01-05T09:00,2026-01-05T08:00,,\n"  # out of order
        "t5,in-f1,g1,f1-docks,2026-01-05T09:30:00+07:00,,,\n"  # offset, still queued
        "t1,in-f1,g1,f1-docks,2026-01-05T08:00,2026-01-05T08:05,2026-01-05T08:40,2026-01-05T08:45\n"
    )
    path = write(tmp_path, "trucks.csv", TRUCK_HEADER + rows)
    report = FileReport(str(path))
    log = read_trucks(path, park, Timebase.of(park), report)
    assert log.flow.tolist() == ["in-f1", "in-f2", "in-f1"]
    assert log.dock_group.tolist() == ["f1-docks", "f2-docks", "f1-docks"]
    assert log.arrive.tolist() == [480.0, 490.0, 570.0]
    assert np.isnan(log.dock_end[1]) and log.last_min == 570.0
    assert sorted(line for lines in report.dropped.values() for line in lines) == [4, 5, 7]


def test_unknown_flow_is_an_error_with_line(tmp_path: Path, park: Park) -> None:
    rows = "t1,inn-f2,,,2026-01-05T08:00,,,\n"
    path = write(tmp_path, "trucks.csv", TRUCK_HEADER + rows)
    with pytest.raises(InputError) as caught:
        read_trucks(path, park, Timebase.of(park), FileReport(str(path)))
    assert caught.value.line == 2
    assert "unknown flow 'inn-f2'" in caught.value.message
    assert "closest known flow is 'in-f2'" in caught.value.message


def test_a_folder_with_only_trucks_reads(tmp_path: Path, park: Park) -> None:
    rows = "t1,in-f1,g1,f1-docks,2026-01-05T08:00,2026-01-05T08:05,2026-01-05T08:40,\n"
    write(tmp_path, "trucks.csv", TRUCK_HEADER + rows)
    data = read_sensors(tmp_path, park)
    assert data.meters == {} and data.trucks is not None and len(data.trucks) == 1
    assert data.period == (480.0, 520.0)
