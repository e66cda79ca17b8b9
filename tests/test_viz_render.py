"""Offscreen rendering (tier 4): pictures are not blank, colours sit where the buildings are,
videos have their frames, pages fetch nothing, and failures leave no half-written files.

Skipped, with the reason, only when this machine cannot render offscreen (no EGL or OSMesa).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
from twin.model.geometry import centroid
from twin.sim.trace import Trace
from viz import headless, palette

pytestmark = pytest.mark.render

_PROBLEM = headless.offscreen_problem()
if _PROBLEM:
    pytest.skip(f"no offscreen OpenGL here: {_PROBLEM}", allow_module_level=True)

SMALL = "320x240"
runner = CliRunner()


@pytest.fixture(scope="module")
def trace() -> Trace:
    from viz.sources import simulate

    return simulate("demo-small", None, days=1.0, warmup_days=1.0, seed=0)


@pytest.fixture(scope="module")
def player_top(trace: Trace) -> Iterator[object]:
    from viz.playback import Player

    player = Player(
        [trace], 600.0, 600.0, times=[600.0], size=(480, 360), camera="top", labels=False
    )
    player.show_moment(600.0)
    player.render()
    yield player
    player.close()


def _around(image: np.ndarray, x: float, y: float, r: int = 4) -> np.ndarray:
    """Median colour of the (2r+1)² pixels around (x, y): thin lines crossing it do not count."""
    i, j = round(float(y)), round(float(x))
    patch = image[max(i - r, 0) : i + r + 1, max(j - r, 0) : j + r + 1].reshape(-1, 3)
    return np.median(patch, axis=0)


def _similar(pixel: np.ndarray, colour: np.ndarray) -> bool:
    """Same hue, shaded: the pixel is the colour scaled by lighting (0.3..1.1)."""
    p, c = pixel.astype(float), colour.astype(float)
    if np.linalg.norm(c) < 1:
        return bool(np.linalg.norm(p) < 60)
    cosine = float(p @ c / (np.linalg.norm(p) * np.linalg.norm(c) + 1e-9))
    scale = float(np.linalg.norm(p) / np.linalg.norm(c))
    return cosine > 0.995 and 0.3 < scale < 1.1


def test_png_of_the_small_park_is_not_blank(tmp_path: Path) -> None:
    out = tmp_path / "park.png"
    result = runner.invoke(
        cli.app, ["render", "demo-small", "--out", str(out), "--size", SMALL, "--days", "1"]
    )
    assert result.exit_code == 0, result.output
    from PIL import Image

    image = np.asarray(Image.open(out).convert("RGB"))
    assert image.shape == (240, 320, 3)
    assert image.std() > 20  # not one flat colour
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 200
    assert not list(tmp_path.glob(".*"))  # no temporary files left


def test_roofs_carry_their_load_colour_from_above(player_top: object, trace: Trace) -> None:
    player = player_top
    image = player.grab()  # type: ignore[attr-defined]
    view = player.views[0]  # type: ignore[attr-defined]
    frame = view.frame
    for i, building in enumerate(trace.park.buildings):
        ring = np.asarray(building.footprint, float)
        # Part way to a corner: clear of the feeder's end and any utility marker on the roof.
        c = centroid(ring) + 0.6 * (ring[0] - centroid(ring))
        x, y = player._project(np.array([[c[0], c[1], building.height_m]]))[0]  # type: ignore[attr-defined]
        pixel = _around(image, x, y)
        assert _similar(pixel, frame.roof_rgb[i]), (building.id, pixel, frame.roof_rgb[i])


def test_walls_carry_the_colour_of_their_kind(trace: Trace) -> None:
    from viz.playback import Player

    park = trace.park
    with Player([trace], 600.0, 600.0, times=[600.0], size=(480, 360), labels=False) as player:
        player.show_moment(600.0)
        player.render()
        image = player.grab()
        checked = 0
        for building in park.buildings:
            ring = np.asarray(building.footprint, float)
            # The middle of the south-facing wall (the camera looks from the south).
            south = ring[np.argsort(ring[:, 1])[:2]]
            mid = south.mean(axis=0) + np.array([0.0, -0.05])
            x, y = player._project(np.array([[mid[0], mid[1], building.height_m / 2]]))[0]
            pixel = _around(image, x, y, 1)
            expected = palette.rgb(palette.KIND_COLORS[building.kind])
            if _similar(pixel, expected):
                checked += 1
        assert checked >= len(park.buildings) - 1  # one may hide behind a label or a truck


def test_mp4_has_the_frames_asked_for(tmp_path: Path) -> None:
    from viz.export import count_frames

    out = tmp_path / "hour.mp4"
    args = ["render", "demo-small", "--out", str(out), "--size", SMALL, "--days", "1"]
    args += ["--from", "day 0 06:00", "--to", "day 0 07:00", "--speed", "60", "--fps", "5"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    assert count_frames(out) == 5  # an hour at an hour per second, 5 frames per second
    assert not list(tmp_path.glob(".*"))


def test_video_frames_match_the_picture_of_the_same_moment(tmp_path: Path, trace: Trace) -> None:
    import viz
    from viz.export import ffmpeg_exe

    png, mp4 = tmp_path / "at.png", tmp_path / "at.mp4"
    viz.render(trace, png, at=600.0, size=(320, 240))
    viz.render(trace, mp4, start=600.0, end=601.0, size=(320, 240), fps=1, speed=60)
    # ffmpeg run to its end: imageio-ffmpeg's frame reader leaves its pipes open when ffmpeg
    # has already quit by the time the reader is closed (a ResourceWarning, hence an error).
    decode = [ffmpeg_exe(), "-v", "error", "-i", str(mp4), "-frames:v", "1"]
    decode += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(decode, capture_output=True, check=True, timeout=60).stdout
    frame = np.frombuffer(raw, np.uint8).reshape(240, 320, 3)
    from PIL import Image

    picture = np.asarray(Image.open(png).convert("RGB")).astype(float)
    # Same orientation and content (the picture has anti-aliasing, the video compression).
    assert np.abs(picture - frame).mean() < 12


def test_gif_opens_with_its_frames(tmp_path: Path, trace: Trace) -> None:
    from PIL import Image

    import viz

    out = tmp_path / "hour.gif"
    viz.render(trace, out, start="day 0 06:00", end="day 0 07:00", size=SMALL, fps=4, speed=60)
    with Image.open(out) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 4
        assert gif.size == (320, 240)
        assert "transparency" not in gif.info  # the framebuffer's alpha must not leak in
        gif.seek(2)
        corner = np.asarray(gif.convert("RGB"))[-2, 2]  # bottom-left: bare ground
    assert np.abs(corner.astype(int) - palette.rgb(palette.GROUND).astype(int)).max() < 24


@pytest.mark.system
def test_parallel_parts_join_into_one_video(tmp_path: Path, trace: Trace) -> None:
    import viz
    from viz.export import count_frames

    out = tmp_path / "parts.mp4"
    viz.render(trace, out, start=600.0, end=640.0, size=(160, 128), fps=60, speed=60, jobs=2)
    assert count_frames(out) == 40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts.mp4"]


def test_html_page_fetches_nothing(tmp_path: Path, trace: Trace) -> None:
    pytest.importorskip(
        "trame_pyvista", reason="the .html exporter (trame-pyvista) is not installed"
    )
    import viz

    out = tmp_path / "park.html"
    viz.render(trace, out, at="day 0 10:00", size=SMALL)
    page = out.read_text(encoding="utf-8")
    assert "<html" in page.lower() and "day 0  10:00" in page
    fetched = re.findall(r"""(?:src|href)\s*=\s*["']?\s*(https?:)?//""", page, flags=re.I)
    assert not fetched, "the page loads something from the network"
    assert not re.search(r"""<(?:script|link|img)[^>]+(?:src|href)\s*=\s*["']?https?:""", page)


_HTML_ALONE = """
import sys
import viz
from viz.sources import simulate

trace = simulate("demo-small", None, days=0.1, warmup_days=0.0, seed=0)
viz.render(trace, sys.argv[1], at="day 0 01:00", size="160x120")
print(sorted(m for m in sys.modules if m.startswith("trame_vtklocal.module")))
"""


def test_html_export_sets_up_no_webassembly_download(tmp_path: Path) -> None:
    """trame-vtklocal, which trame-pyvista brings, is kept out of the exporter's trame server:
    set up there, it downloads VTK's WebAssembly build (which the offline page never uses) and,
    offline, prints a traceback once the page is written. A fresh process, as the server is
    one per process."""
    pytest.importorskip(
        "trame_pyvista", reason="the .html exporter (trame-pyvista) is not installed"
    )
    out = tmp_path / "park.html"
    done = subprocess.run(
        [sys.executable, "-c", _HTML_ALONE, str(out)],
        capture_output=True, text=True, timeout=180, cwd=Path(cli.__file__).parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 10_000
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
    assert "Traceback" not in done.stderr


def test_side_by_side_views_share_time_and_camera(tmp_path: Path, trace: Trace) -> None:
    from viz.playback import Player

    other = trace  # the same run twice must give two identical halves
    with Player([trace, other], 600.0, 600.0, times=[600.0], size=(640, 240), labels=False) as p:
        image = p.frame_at(600.0).astype(float)
        cameras = [r.GetActiveCamera() for r in p.plotter.renderers]
        assert cameras[0].GetPosition() == cameras[1].GetPosition()
    # The legend is drawn once, in the lower right: compare the halves above it.
    left, right = image[:130, 2:318], image[:130, 322:638]
    assert np.abs(left - right).mean() < 2


def test_a_failed_render_keeps_the_old_file(
    tmp_path: Path, trace: Trace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import viz
    from viz.playback import Player

    out = tmp_path / "day.mp4"
    out.write_bytes(b"good old video")
    calls = {"n": 0}
    original = Player.raw_frame_at

    def interrupted(self: Player, t: float) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, t)

    monkeypatch.setattr(Player, "raw_frame_at", interrupted)
    with pytest.raises(KeyboardInterrupt):
        viz.render(trace, out, start=600.0, end=660.0, size=SMALL, fps=5, speed=60, jobs=1)
    assert out.read_bytes() == b"good old video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["day.mp4"]
