"""Built-in families come through the `parktwin.assets` entry points, like plugins.

A plugin whose entry point fails to import stops the command with exit status 2 and a message
naming the plugin and its distribution, not a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
import twin.model.assets
from twin.errors import PluginError
from twin.model.assets import ENTRY_POINT_GROUP, families

BUILT_INS = {"logistics", "buildings", "power", "water"}


def test_the_built_in_families_are_entry_points_of_parktwin() -> None:
    points = {p.name: p for p in entry_points(group=ENTRY_POINT_GROUP)}
    assert set(points) >= BUILT_INS
    loaded = {f.name: f for f in families()}
    for name in BUILT_INS:
        assert points[name].dist is not None and points[name].dist.name == "parktwin"
        assert loaded[name] is points[name].load()


@pytest.fixture
def broken_plugin(tmp_path: Path) -> Iterator[Path]:
    """A distribution `coldchain-plugin` whose entry point imports a module that fails."""
    info = tmp_path / "coldchain_plugin-1.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: coldchain-plugin\nVersion: 1.2\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\ncold_rooms = coldchain_broken:FAMILY\n"
    )
    (tmp_path / "coldchain_broken.py").write_text("import a_module_that_is_not_there\n")
    sys.path.insert(0, str(tmp_path))
    twin.model.assets._entry_points_loaded = False
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("coldchain_broken", None)
        twin.model.assets._entry_points_loaded = False
        families()  # the registry as it was, without the broken plugin


def test_a_plugin_that_fails_to_import_names_itself_and_its_distribution(
    broken_plugin: Path,
) -> None:
    with pytest.raises(PluginError) as info:
        families()
    message = str(info.value)
    assert "plugin 'cold_rooms'" in message
    assert "distribution 'coldchain-plugin'" in message
    assert "ModuleNotFoundError" in message
    result = CliRunner().invoke(cli.app, ["run", "demo-small", "--days", "1"])
    assert result.exit_code == 2, result.output
    assert "plugin 'cold_rooms' (coldchain_broken:FAMILY)" in result.output
    assert "Traceback" not in result.output


def test_without_the_package_metadata_the_message_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(twin.model.assets, "entry_points", lambda group: [])
    monkeypatch.setattr(twin.model.assets, "_entry_points_loaded", False)
    with pytest.raises(PluginError, match="pip install -e"):
        families()
