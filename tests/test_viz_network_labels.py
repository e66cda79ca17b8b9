"""3D during a cable fault: the network's lines coloured by their loading band, and every
building labelled with no two labels overlapping on screen (projected label boxes), at
1920x1080 and 1280x720. The frames are saved to the `screenshots` folder to be looked at."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.sim.trace import Trace
from viz import headless, palette
from viz.network import LIVE_LOADING_PCT

pytestmark = pytest.mark.render

FAULT = "l-r7-1"
TIE = "l-r7-3"
FAULT_START = 2 * 1440 + 600.0
"""The bundled cable-fault scenario: cable l-r7-1 out from day 2 10:00 for 8 hours."""
RESTORED = FAULT_START + 60.0
"""An hour into the fault: restoration (30 minutes) has closed ring r7's open point."""


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def fault_trace() -> Trace:
    from twin.api import simulate

    return simulate(None, "cable-fault", days=3.0, warmup_days=0.0, seed=0)


def test_a_faulted_cable_is_grey_and_the_tie_carries_the_ring(fault_trace: Trace) -> None:
    from viz.frames import FrameMaker

    maker = FrameMaker(fault_trace)
    lines = fault_trace.names["lines"]
    k = maker.step(RESTORED)
    pct = fault_trace.series["line_loading_pct"][k]
    frame = maker.frame(RESTORED)
    assert len(frame.feeder_rgb) == len(lines)
    fault, tie = lines.index(FAULT), lines.index(TIE)
    assert pct[fault] <= LIVE_LOADING_PCT and pct[tie] > 1.0
    assert tuple(frame.feeder_rgb[fault]) == tuple(palette.rgb(palette.LINE_DEAD))
    for i, value in enumerate(pct):
        if value > LIVE_LOADING_PCT:
            band = int(palette.loading_band(np.array(value)))
            assert tuple(frame.feeder_rgb[i]) == tuple(palette.rgb(palette.LOADING_BANDS[band][1]))
    before = maker.frame(FAULT_START - 60.0)
    assert tuple(before.feeder_rgb[tie]) == tuple(palette.rgb(palette.LINE_DEAD))  # open point


@pytest.mark.system
@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_every_building_is_labelled_in_3d_with_no_overlap(
    fault_trace: Trace, screenshots: Path, size: tuple[int, int]
) -> None:
    problem = headless.offscreen_problem()
    if problem:
        pytest.skip(f"no offscreen OpenGL here: {problem}")
    from PIL import Image

    from viz.playback import Player

    with Player([fault_trace], RESTORED, RESTORED, times=[RESTORED], size=size) as player:
        image = player.frame_at(RESTORED)
        view = player.views[0]
    Image.fromarray(image).save(screenshots / f"3d-cable-fault-{size[0]}x{size[1]}.png")
    texts = view.scene.labels[1]
    park = fault_trace.park
    first_building = len(texts) - len(park.buildings)
    placed = {p.index: p for p in view.labels}
    missing = [texts[i] for i in range(first_building, len(texts)) if i not in placed]
    assert not missing, f"buildings without a label: {missing}"
    boxes = [p.box for p in view.labels]
    w, h = view.size
    for p in view.labels:
        x0, y0, x1, y1 = p.box
        assert x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h, p
        assert p.text == texts[p.index] or texts[p.index].startswith(p.text[:-1])
    overlaps = [
        (view.labels[i].text, view.labels[j].text)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if _overlap(boxes[i], boxes[j])
    ]
    assert not overlaps


LABEL_BOXES_3D_JS = """
const rect = (r) => [r.left, r.top, r.right, r.bottom];
return {
  window: [0, 0, window.innerWidth, window.innerHeight],
  panels: [...document.querySelectorAll('#parktwin .view, #parktwin .legend')].map(
    (n) => rect(n.getBoundingClientRect())),
  labels: [...document.querySelectorAll('.parktwin-label')].map((n) => (
    {index: Number(n.dataset.index), text: n.textContent, box: rect(n.getBoundingClientRect())})),
};
"""


def _page_problems(shown: dict, texts: list[str], first_building: int) -> list[str]:
    labels = shown["labels"]
    found = {lb["index"] for lb in labels}
    problems = [
        f"no label: {texts[i]}" for i in range(first_building, len(texts)) if i not in found
    ]
    x0, y0, x1, y1 = shown["window"]
    for lb in labels:
        bx0, by0, bx1, by1 = lb["box"]
        if bx0 < x0 or by0 < y0 or bx1 > x1 or by1 > y1:
            problems.append(f"{lb['text']} is cut at the edge: {lb['box']}")
        problems += [
            f"{lb['text']} covers a panel" for p in shown["panels"] if _overlap(lb["box"], p)
        ]
    for i, a in enumerate(labels):
        problems += [
            f"{a['text']} overlaps {b['text']}"
            for b in labels[i + 1 :]
            if _overlap(a["box"], b["box"])
        ]
    return problems


@pytest.fixture(scope="module")
def fault_page(fault_trace: Trace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 3D page (vtk.js) of the cable fault an hour in."""
    pytest.importorskip("trame_pyvista", reason="the .html exporter is not installed")
    import viz

    out = tmp_path_factory.mktemp("page") / "fault.html"
    viz.render(fault_trace, out, at="day 2 11:00", size="1280x720")
    return out


TURN_JS = """
const rw = window.global.renderWindow;
const ren = rw.getRenderers().filter((r) => r.getViewProps().length).pop();
ren.getActiveCamera().azimuth(50);
rw.render();
"""
INNER_JS = "return document.getElementById('parktwin-labels').innerHTML"
COUNT_JS = "return document.querySelectorAll('.parktwin-label').length"


@pytest.mark.system
@pytest.mark.browser
@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_the_3d_page_labels_every_building_and_turns_them_with_the_camera(
    fault_trace: Trace, fault_page: Path, screenshots: Path, size: tuple[int, int]
) -> None:
    from viz.scene import build_scene

    from .web_helpers import browser, wait_until

    texts = build_scene(fault_trace.park).labels[1]
    first = len(texts) - len(fault_trace.park.buildings)
    with browser(*size) as driver:
        driver.get(fault_page.as_uri())
        wait_until(lambda: driver.execute_script(COUNT_JS), 30, "the 3D page's labels")
        problems = _page_problems(driver.execute_script(LABEL_BOXES_3D_JS), texts, first)
        driver.save_screenshot(str(screenshots / f"3d-page-{size[0]}x{size[1]}.png"))
        before = driver.execute_script(INNER_JS)
        driver.execute_script(TURN_JS)
        wait_until(lambda: driver.execute_script(INNER_JS) != before, 10, "labels after turning")
        problems += _page_problems(driver.execute_script(LABEL_BOXES_3D_JS), texts, first)
    assert not problems, "\n".join(problems)


def test_3d_labels_every_building_by_its_short_name_else_its_name() -> None:
    from twin.io.load import load_park
    from viz.scene import build_scene

    data = load_park("demo-small").model_dump(mode="json", by_alias=True, exclude_none=True)
    data["buildings"][0]["short_name"] = "F1"
    park = load_park(data)
    texts = build_scene(park).labels[1]
    expected = ["F1", *(b.name or b.id for b in park.buildings[1:])]
    assert sorted(texts[-len(park.buildings) :]) == sorted(expected)
