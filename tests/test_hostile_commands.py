"""Bad input to the live commands and the file readers: exit 2 with a message that names the
option or file and says what is wrong, never exit 1, and never a message that contradicts
itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from twin.errors import UsageError
from twin.live.nowcast import check_options
from twin.live.store import Store

RUNNER = CliRunner()


def refused(args: list[str], *words: str) -> str:
    done = RUNNER.invoke(app, args)
    assert done.exit_code == 2, (done.exit_code, done.output, done.exception)
    for word in words:
        assert word in done.output, (word, done.output)
    assert "internal error" not in done.output
    return done.output


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "live.db"
    Store.open(path).close()
    return path


@pytest.mark.parametrize(
    ("command", "at"),
    [("state", "0001-01-01T00:00"), ("nowcast", "9999-12-31T23:00"),
     ("state", "0001-01-01T00:00+14:00"), ("nowcast", "9999-12-31T23:59-12:00")],
)  # fmt: skip
def test_a_time_at_the_calendar_edge_is_exit_2(store: Path, command: str, at: str) -> None:
    refused([command, "demo-small", "--store", str(store), "--at", at], "--at: ", "outside")


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_5000_digit_integer_in_a_file_is_exit_2(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"big{suffix}"
    number = "9" * 5000
    if suffix == ".json":
        path.write_text(f'{{"scenario": {{"name": "x"}}, "days": {number}}}')
    else:
        path.write_text(f"scenario:\n  name: x\ndays: {number}\n")
    refused(["validate", str(path)], str(path), "more than 4,300 digits")


def test_a_field_of_another_kind_of_change_is_not_called_unknown(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text('scenario:\n  name: s\nchanges:\n  - {scale: "x", by: 2, value: 3}\n')
    output = refused(["validate", str(path)], "changes[0]")
    assert "did you mean 'scale'" not in output


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_sensor_file_that_is_no_regular_file_is_named(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "sensors"
    folder.mkdir()
    meters = folder / "meters.csv"
    if kind == "fifo":
        os.mkfifo(meters)
    else:
        meters.symlink_to("/dev/zero")
    output = refused(
        ["calibrate", "demo-small", str(folder), "--out", str(tmp_path / "f.yaml")],
        "meters.csv",
        "not a regular file",
    )
    assert "found: meters.csv" not in output


def test_a_horizon_shorter_than_the_step_names_hours_not_step_min() -> None:
    with pytest.raises(UsageError) as caught:
        check_options(0.1, 20, 15)
    assert str(caught.value).startswith("hours must be at least the forecast's step of 15")
    assert "step_min" not in str(caught.value)
