"""The 3D picture speaks the park's language unless `--lang` says otherwise (tier 4: offscreen).

Skipped, with the reason, only when this machine cannot render offscreen (no EGL or OSMesa).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import cli
from twin.io.dump import dump_park
from twin.io.inputs import read_park
from twin.language import say
from viz import headless

pytestmark = pytest.mark.render

_PROBLEM = headless.offscreen_problem()
if _PROBLEM:
    pytest.skip(f"no offscreen OpenGL here: {_PROBLEM}", allow_module_level=True)

runner = CliRunner()


def _vietnamese_park(folder: Path) -> Path:
    park = read_park("demo-small")
    info = park.park.model_copy(update={"language": "vi"})
    path = folder / "vi-park.yaml"
    path.write_text(dump_park(park.model_copy(update={"park": info})), encoding="utf-8")
    return path


@pytest.mark.parametrize(("asked", "expected"), [(None, "vi"), ("en", "en")])
def test_render_defaults_to_the_parks_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: str | None, expected: str
) -> None:
    from viz.playback import Player

    seen: dict[str, Any] = {}
    build = Player.__init__

    def spy(self: Player, *args: Any, **kwargs: Any) -> None:
        build(self, *args, **kwargs)
        seen["lang"] = self.lang
        seen["labels"] = list(self.views[0].scene.labels[1])
        seen["marks"] = list(self.views[0].scene.marks[1])
        seen["caption"] = self.views[0].caption

    monkeypatch.setattr(Player, "__init__", spy)
    park = _vietnamese_park(tmp_path)
    lang = ["--lang", asked] if asked else []
    out = tmp_path / "frame.png"
    args = ["render", "--out", str(out), str(park), "--at", "day 0 10:00", "--size", "320x240"]
    result = runner.invoke(cli.app, [*args, "--days", "0.5", "--warmup-days", "0.1", *lang])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000
    assert seen["lang"] == expected
    assert say("viz.north", expected) in seen["marks"]
    assert say("viz.wastewater_plant", expected) in seen["labels"]
    assert seen["caption"].endswith("— " + say("word.baseline", expected))
