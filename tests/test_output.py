"""Atomic file writing and `parktwin init`."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import cli
from twin.errors import InputError, UsageError
from twin.io import bundled
from twin.io.bundled import bundled_parks, bundled_scenarios, copy_bundled, data_root
from twin.io.load import load_park
from twin.io.output import atomic_write_bytes, atomic_write_text

runner = CliRunner()


def test_atomic_write_creates_folder_and_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "kpis.json"
    assert atomic_write_text(target, '{"x": 1}\n') == target
    assert target.read_text(encoding="utf-8") == '{"x": 1}\n'
    assert sorted(p.name for p in target.parent.iterdir()) == ["kpis.json"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_atomic_write_replaces_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o600)
    atomic_write_text(target, "Nhà máy F1 — mới")
    assert target.read_text(encoding="utf-8") == "Nhà máy F1 — mới"
    assert target.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()], ids=repr)
def test_failed_write_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    target = tmp_path / "kpis.csv"
    target.write_bytes(b"good")

    def broken_fsync(fd: int) -> None:
        raise error

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(type(error)):
        atomic_write_bytes(target, b"half-written")
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["kpis.csv"]


def test_failed_rename_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep").write_text("x", encoding="utf-8")
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"data")  # a non-empty folder cannot be replaced by a file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_copy_bundled_copies_everything(tmp_path: Path) -> None:
    target = tmp_path / "work"
    copied = copy_bundled(target)
    assert copied and all(p.is_file() for p in copied)
    parks = sorted(p.name for p in (target / "parks").iterdir())
    assert parks == sorted(f"{name}.yaml" for name in bundled_parks())
    if bundled_scenarios():
        scenarios = sorted(p.name for p in (target / "scenarios").iterdir())
        assert scenarios == sorted(f"{name}.yaml" for name in bundled_scenarios())
    sensors = data_root() / "assets" / "sensors"
    if sensors.is_dir():
        expected = sorted(str(p.relative_to(sensors)) for p in sensors.rglob("*") if p.is_file())
        got = sorted(str(p.relative_to(target / "sensors")) for p in copied if "sensors" in p.parts)
        assert got == expected
    for path in copied:
        source_rel = path.relative_to(target)
        assert path.stat().st_size > 0, source_rel


def test_copy_bundled_into_empty_existing_folder(tmp_path: Path) -> None:
    assert copy_bundled(tmp_path)


def test_copy_bundled_refuses_non_empty_folder(tmp_path: Path) -> None:
    mine = tmp_path / "parks" / "demo-small.yaml"
    mine.parent.mkdir()
    mine.write_text("my edits", encoding="utf-8")
    with pytest.raises(UsageError, match="not empty"):
        copy_bundled(tmp_path)
    assert mine.read_text(encoding="utf-8") == "my edits"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["demo-small.yaml", "parks"]


def test_copy_bundled_refuses_a_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="is a file"):
        copy_bundled(path)


def test_init_command_copies_and_the_copy_validates(tmp_path: Path) -> None:
    target = tmp_path / "my-park"
    result = runner.invoke(cli.app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert f"into {target}" in result.stdout
    copied = target / "parks" / "demo-small.yaml"
    assert load_park(copied).park.name == "Demo Small Park"
    result = runner.invoke(cli.app, ["validate", *map(str, sorted(target.glob("parks/*.yaml")))])
    assert result.exit_code == 0, result.output


def test_init_command_refuses_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("precious", encoding="utf-8")
    result = runner.invoke(cli.app, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.startswith(f"parktwin: {tmp_path}: folder is not empty")
    assert (tmp_path / "data.csv").read_text(encoding="utf-8") == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]


def _failing_copy(monkeypatch: pytest.MonkeyPatch, error: BaseException, after: int) -> None:
    """Make the copy of bundled files raise `error` once `after` files have been copied."""
    copies = {"n": 0}
    real = shutil.copyfile

    def copy(source: Any, destination: Any) -> Any:
        if copies["n"] == after:
            raise error
        copies["n"] += 1
        return real(source, destination)

    monkeypatch.setattr(bundled.shutil, "copyfile", copy)


@pytest.mark.parametrize("exists", [False, True])
def test_copy_bundled_on_a_full_disk_leaves_the_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exists: bool
) -> None:
    target = tmp_path / "work"
    if exists:
        target.mkdir()
    _failing_copy(monkeypatch, OSError(errno.ENOSPC, "No space left on device"), after=3)
    with pytest.raises(InputError, match="No space left on device") as refused:
        copy_bundled(target)
    assert refused.value.file == str(target)
    assert [p.name for p in tmp_path.iterdir()] == (["work"] if exists else [])
    assert not exists or not any(target.iterdir())


def test_copy_bundled_interrupted_leaves_nothing_half_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_copy(monkeypatch, KeyboardInterrupt(), after=5)
    with pytest.raises(KeyboardInterrupt):
        copy_bundled(tmp_path / "work")
    assert not any(tmp_path.iterdir())


def test_copy_bundled_refuses_a_system_folder() -> None:
    with pytest.raises(InputError, match="system folder"):
        copy_bundled("/proc/parktwin-init")
