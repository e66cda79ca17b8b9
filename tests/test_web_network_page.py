"""The power network and the labels on the page, in a real headless Chromium, at the wall's
1920x1080 and the laptop's 1280x720: the network's lines coloured by loading during a cable
fault, the N-1 panel, and every label placed with no overlap and no cut (on Yên Bình and on a
crowded park with long names and no short names). Screenshots go to the `screenshots` folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.crowded_park import crowded_park
from twin.live.nowcast import nowcast_store
from twin.model.schema import Park
from viz import palette
from viz.network import LIVE_LOADING_PCT
from web.app import Services
from web.server import background

from .web_helpers import (
    LABEL_BOXES_JS,
    START,
    Feed,
    browser,
    close_served,
    console_errors,
    iso,
    label_problems,
    network_park,
    served_park,
    visits,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.system]

SIZES = [(1920, 1080), (1280, 720)]
FAULT = "l-r7-1"
"""The cable of the bundled cable-fault scenario (first cable of ring r7)."""


def fault_alarm(minutes_after_start: float) -> tuple[str, dict[str, Any]]:
    moment = START + timedelta(minutes=minutes_after_start)
    return ("alarms", {"time": iso(moment), "asset": FAULT, "event": "outage_start"})


@pytest.fixture(scope="module")
def network_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Services]]:
    """Yên Bình with its network, 3.5 hours of trucks and a cable fault 2 hours before the
    latest message: restoration (30 minutes) has closed the ring's normally open point."""
    park = network_park()
    messages = visits(park, hours=3.5, rate_per_hour=2.0)
    messages.append(fault_alarm(90.0))
    messages.sort(key=lambda m: m[1]["time"])
    services, writer = served_park(park, tmp_path_factory.mktemp("net"), messages)
    try:
        with background(services) as url:
            yield url, services
    finally:
        close_served(services, writer)


def open_page(driver: Any, url: str) -> None:
    driver.get(url + "?lang=vi")
    wait_until(lambda: driver.execute_script("return document.body.dataset.version"), 20, "push")
    wait_until(
        lambda: driver.execute_script("return document.querySelectorAll('text.plan-label').length"),
        10,
        "labels",
    )


def line_states(driver: Any) -> dict[str, dict[str, str]]:
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('line.net-line')].map("
        "(n) => [n.dataset.id, {band: n.dataset.band, stroke: n.getAttribute('stroke'), "
        "dash: n.getAttribute('stroke-dasharray') || ''}]))"
    )


@pytest.mark.parametrize("size", SIZES)
def test_the_plan_colours_each_line_by_its_loading_during_a_cable_fault(
    network_page: tuple[str, Services], screenshots: Path, size: tuple[int, int]
) -> None:
    url, services = network_page
    network = services.overview.status_at(None)["status"]["network"]  # type: ignore[union-attr]
    lines = {ln["id"]: ln for ln in services.plan["network"]["lines"] if ln["points"]}
    with browser(*size) as driver:
        open_page(driver, url)
        wait_until(lambda: line_states(driver).get(FAULT, {}).get("band"), 10, "line colours")
        shown = line_states(driver)
        dark = driver.execute_script(
            "return [...document.querySelectorAll('polygon.building')]"
            ".filter((p) => p.dataset.powered === '0').map((p) => p.dataset.id)"
        )
        driver.save_screenshot(str(screenshots / f"network-plan-{size[0]}x{size[1]}.png"))
        legend = driver.find_element("id", "legend").text
        assert not console_errors(driver)
    assert set(shown) == set(lines)
    bands = palette.loading_band(np.array([network["lines"][i]["loading_pct"] for i in lines]))
    for (line, state), band in zip(((i, shown[i]) for i in lines), bands, strict=True):
        s = network["lines"][line]
        live = s["closed"] and s["loading_pct"] > LIVE_LOADING_PCT
        if not s["closed"]:
            assert state["band"] == "dead" and state["dash"], (line, state)
        elif live:
            assert state["band"] == str(band), (line, s, state)
            assert state["stroke"] == palette.LOADING_BANDS[int(band)][1]
        else:
            assert state["band"] == "dead" and state["stroke"] == palette.LINE_DEAD
    # The faulted cable is open and grey; the ring's normally open point now carries the load.
    assert not network["lines"][FAULT]["closed"] and shown[FAULT]["band"] == "dead"
    tie = "l-r7-3"
    assert network["lines"][tie]["closed"] and network["lines"][tie]["loading_pct"] > 1
    assert shown[tie]["band"] in {"0", "1", "2"} and not shown[tie]["dash"]
    # What the tie cannot carry at this hour is left off (SPEC's rule), and drawn without power.
    assert sorted(dark) == network["unpowered"]
    assert "80–100%" in legend and "> 100%" in legend


@pytest.mark.parametrize("size", SIZES)
def test_the_n1_panel_lists_every_contingency_worst_first(
    network_page: tuple[str, Services], screenshots: Path, size: tuple[int, int]
) -> None:
    url, services = network_page
    with browser(*size) as driver:
        open_page(driver, url)
        driver.find_element("id", "tab-n1").click()
        wait_until(
            lambda: driver.execute_script(
                "return document.querySelectorAll('.n1-table tbody tr').length"
            ),
            180,
            "the N-1 table",
        )
        rows = driver.execute_script(
            "return [...document.querySelectorAll('.n1-table tbody tr')].map((r) => "
            "[r.dataset.outage, r.className, r.cells[1].textContent, r.cells[3].textContent])"
        )
        summary = driver.find_element("css selector", ".n1-summary").text
        driver.save_screenshot(str(screenshots / f"n1-panel-{size[0]}x{size[1]}.png"))
        assert not console_errors(driver)
    doc = services.n1.answers[(None, 4.0)]
    assert [r[0] for r in rows] == [c["outage"] for c in doc["contingencies"]]
    for (_, cls, verdict, volts), c in zip(rows, doc["contingencies"], strict=True):
        assert cls == ("secure" if c["secure"] else "insecure")
        shown, unit = volts.split(" ")
        assert unit == "pu" and len(shown.split(",")[1]) == 3, volts  # three decimals, vi comma
        assert abs(float(shown.replace(",", ".")) - c["min_v_pu"]) <= 0.0005 + 1e-9, (volts, c)
        assert ("an toàn" in verdict) and (("không" in verdict) != c["secure"])
    secure = sum(c["secure"] for c in doc["contingencies"])
    assert summary.startswith(f"{secure}/{len(doc['contingencies'])} ")


@pytest.fixture(scope="module")
def crowded_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Park, Feed]]:
    park = crowded_park()
    services, writer = served_park(
        park, tmp_path_factory.mktemp("crowded"), visits(park, hours=2.0, rate_per_hour=2.0)
    )
    try:
        with background(services) as url:
            yield url, park, writer
    finally:
        close_served(services, writer)


def test_the_forecast_charts_are_readable_on_a_laptop(
    crowded_page: tuple[str, Park, Feed], screenshots: Path
) -> None:
    url, park, writer = crowded_page
    forecast = nowcast_store(park, writer.store, hours=2, replications=3).to_dict()
    writer.store.put_forecast(forecast)
    writer.publish()
    with browser(1280, 720) as driver:
        open_page(driver, url)
        ticks = wait_until(
            lambda: driver.execute_script(
                "const n = document.getElementById('power-chart'); "
                "return n.querySelector('canvas') && Number(n.dataset.yTicks)"
            ),
            10,
            "the power chart",
        )
        height = driver.execute_script(
            "return document.getElementById('power-chart').getBoundingClientRect().height"
        )
        history = wait_until(
            lambda: driver.execute_script(
                "return Number(document.getElementById('history-chart').dataset.yTicks)"
            ),
            10,
            "the history chart",
        )
        driver.save_screenshot(str(screenshots / "forecast-1280x720.png"))
    assert ticks >= 3, f"the power axis shows {ticks} numbers"
    assert history >= 2, f"the history axis shows {history} numbers"
    assert height >= 120


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("which", ["yen-binh", "crowded"])
def test_every_building_is_labelled_with_no_overlap_and_no_cut(
    network_page: tuple[str, Services],
    crowded_page: tuple[str, Park, Feed],
    screenshots: Path,
    size: tuple[int, int],
    which: str,
) -> None:
    if which == "yen-binh":
        url, park = network_page[0], network_page[1].park
    else:
        url, park, _ = crowded_page
    with browser(*size) as driver:
        open_page(driver, url)
        shown = driver.execute_script(LABEL_BOXES_JS)
        if which == "crowded":
            assert not driver.find_element("id", "tab-n1").is_displayed()
        driver.save_screenshot(str(screenshots / f"labels-{which}-{size[0]}x{size[1]}.png"))
    problems = label_problems(shown, [b.id for b in park.buildings])
    assert not problems, "\n".join(problems)
    texts = {lb["id"]: lb["text"] for lb in shown["labels"] if lb["kind"] == "building"}
    for b in park.buildings:
        full = b.short_name or b.name or b.id
        shown = texts[b.id]
        cut = shown.endswith("…") and full.startswith(shown[:-1])
        assert shown in (full, b.id) or cut, shown
