"""Shared by the tests of bad input files: write a document, validate it, check the message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

import cli


def dump(data: Any, path: Path) -> Path:
    """Write data as YAML (or JSON for a .json path) and return the path."""
    if path.suffix == ".json":
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def validate(*args: str) -> Any:
    """`parktwin validate ARGS` through Typer's test runner."""
    return CliRunner().invoke(cli.app, ["validate", *args])


def assert_bad_input(result: Any, *expected: str) -> str:
    """Exit 2, no traceback, and every expected piece in the message on stderr."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    message: str = result.stderr
    assert message.startswith("parktwin: "), message
    for piece in expected:
        assert piece in message, f"{piece!r} not in {message!r}"
    return message
