"""The render and show commands' option checks: exit status 2 and a clear message, no GL needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli

runner = CliRunner()


def test_bad_moment_is_exit_2_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    result = runner.invoke(cli.app, ["render", "demo-small", "--out", str(out), "--at", "noon"])
    assert result.exit_code == 2
    assert "day D HH:MM" in result.output
    assert not out.exists()


def test_moment_after_the_run_is_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    args = ["render", "demo-small", "--out", str(out), "--days", "1", "--at", "day 3 10:00"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2
    assert "outside the run" in result.output


def test_show_without_a_display_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    result = runner.invoke(cli.app, ["show", "demo-small"])
    assert result.exit_code == 2
    assert "needs a display" in result.output


def test_unknown_format_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["render", "--out", str(tmp_path / "park.jpg")])
    assert result.exit_code == 2
    assert ".png, .mp4, .gif, .html" in result.output
