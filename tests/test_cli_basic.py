"""The command line's basics: help stays light, version, schema, validate and the command list."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import cli
from twin.io.bundled import bundled_scenarios, data_root

REPO = Path(__file__).resolve().parent.parent
DEMO = data_root() / "assets" / "parks" / "demo-small.yaml"
HEAVY = ("pyvista", "vtk", "vtkmodules", "scipy", "matplotlib", "dask")

runner = CliRunner()


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, json\n"
        "from typer.testing import CliRunner\n"
        "import cli\n"
        "result = CliRunner().invoke(cli.app, ['--help'])\n"
        "print(json.dumps({'code': result.exit_code, 'output': result.output,\n"
        "                  'modules': sorted(sys.modules)}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=True,
    )
    report = json.loads(proc.stdout)
    assert report["code"] == 0
    assert "validate" in report["output"]
    heavy = sorted(m for m in report["modules"] if m.split(".")[0] in HEAVY)
    assert heavy == [], f"`parktwin --help` imported {heavy}"


def test_help_of_the_console_script() -> None:
    script = Path(sys.executable).with_name("parktwin")
    if not script.exists():
        pytest.skip("parktwin console script not installed in this environment")
    proc = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    for command in ("run", "compare", "sweep", "calibrate", "render", "show", "validate"):
        assert command in proc.stdout


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(cli.app, [])
    assert "Usage" in result.output
    assert "validate" in result.output


def test_the_dead_helper_is_gone() -> None:
    assert not hasattr(cli, "_not_yet")


def test_version() -> None:
    result = runner.invoke(cli.app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("parktwin ")


@pytest.mark.parametrize(
    ("args", "top_field"),
    [([], "buildings"), (["--scenario"], "changes")],
    ids=["park", "scenario"],
)
def test_schema_is_json_with_properties(args: list[str], top_field: str) -> None:
    result = runner.invoke(cli.app, ["schema", *args])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert "properties" in schema
    assert top_field in schema["properties"]
    assert schema["$schema"].startswith("https://json-schema.org/")


def test_validate_demo_small_by_name_and_path() -> None:
    result = runner.invoke(cli.app, ["validate", "demo-small", str(DEMO)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines == [
        "ok: demo-small (park 'Demo Small Park')",
        f"ok: {DEMO} (park 'Demo Small Park')",
    ]


def test_validate_several_files_reports_each(tmp_path: Path) -> None:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["logistics"]["flows"][0]["gate"] = "nowhere"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(yaml.safe_load(DEMO.read_text(encoding="utf-8"))), "utf-8")
    result = runner.invoke(cli.app, ["validate", str(good), str(bad), "demo-small", "no-such"])
    assert result.exit_code == 2
    assert f"ok: {good} (park" in result.stdout
    assert "ok: demo-small (park" in result.stdout
    errors = result.stderr.splitlines()
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"parktwin: {bad}:")
    assert "logistics.flows[0].gate" in errors[0]
    assert "'nowhere'" in errors[0]
    assert errors[1].startswith("parktwin: no-such: ")


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_bundled_scenarios_validate(name: str) -> None:
    result = runner.invoke(cli.app, ["validate", name])
    assert result.exit_code == 0, result.output


COMMANDS = [
    "run",
    "compare",
    "sweep",
    "calibrate",
    "render",
    "show",
    "validate",
    "init",
    "schema",
    "serve",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(cli.app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.mark.parametrize("command", ["compare", "sweep", "calibrate", "render", "validate", "init"])
def test_commands_that_need_arguments_fail_without_them(command: str) -> None:
    # `show` is left out: with no arguments it may open a window on the default park.
    result = runner.invoke(cli.app, [command])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
