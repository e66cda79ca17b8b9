"""A park or scenario file read again in the same process: read anew, validated once per text.

The file is read every time; what its text gives is kept, so a changed file gives a new park
and a file that is not valid is refused every time (never kept). A park with plugin assets is
validated at every read: whether it is valid depends on the families registered then.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field

from twin.errors import InputError
from twin.io.bundled import data_root
from twin.io.load import FILES_KEPT, KEPT_MAX_CHARS, load_park, load_scenario
from twin.model.assets import AssetFamily, register, unregister

DEMO = data_root() / "assets" / "parks" / "demo-small.yaml"


class Cooler(BaseModel):
    """A plugin asset: a constant load."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    kw: float = Field(gt=0)


COOLERS = AssetFamily("coolers", spec=Cooler)


def _copy(tmp_path: Path, name: str = "park.yaml") -> Path:
    path = tmp_path / name
    path.write_text(DEMO.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_the_same_text_gives_the_same_frozen_park(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    first = load_park(path)
    assert load_park(path) is first
    assert load_park(str(path)) is first


def test_a_changed_file_gives_the_park_it_now_holds(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    before = load_park(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["park"]["name"] = "renamed"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    after = load_park(path)
    assert after.park.name == "renamed" and before.park.name != "renamed"


def test_a_file_that_turns_bad_is_refused_each_time_then_read_again(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    good = load_park(path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("name:", "nmae:", 1), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(InputError, match="nmae"):
            load_park(path)
    path.write_text(text, encoding="utf-8")
    assert load_park(path) is good


def test_a_park_with_plugin_assets_is_checked_against_the_families_of_the_time(
    tmp_path: Path,
) -> None:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["extensions"] = {"coolers": [{"id": "c1", "kw": 50}]}
    path = tmp_path / "plugin.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    register(COOLERS, replace=True)
    try:
        assert load_park(path).extensions
    finally:
        unregister("coolers")
    with pytest.raises(InputError, match="coolers"):
        load_park(path)


def test_only_the_most_recent_files_are_kept(tmp_path: Path) -> None:
    paths = [_copy(tmp_path, f"park{i}.yaml") for i in range(FILES_KEPT + 1)]
    first = load_park(paths[0])
    for path in paths[1:]:
        load_park(path)
    assert load_park(paths[0]) is not first  # pushed out, read and validated again
    assert load_park(paths[0]) == first


def test_a_long_file_is_read_anew_each_time(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "#" * KEPT_MAX_CHARS, encoding="utf-8")
    assert load_park(path) is not load_park(path)


def test_a_scenario_file_is_kept_apart_from_parks(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("scenario:\n  name: peak\nevents: []\n", encoding="utf-8")
    scenario = load_scenario(path)
    assert load_scenario(path) is scenario
    with pytest.raises(InputError, match="scenario file"):
        load_park(path)
