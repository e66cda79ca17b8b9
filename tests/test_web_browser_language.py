"""`serve --lang` in a real headless Chromium: Yên Bình (no `park.language` in its file) served
in Vietnamese and in English at 1920x1080 and 1280x720, with no `?lang=` in the address; the 3D
tab asks for its scene in the page's language; a what-if of 2 replications shows why its
intervals are wide. Screenshots go to the `screenshots` folder (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from twin.io.inputs import read_park
from twin.language import say
from web.server import background, build_services

from .web_helpers import Feed, browser, console_errors, run_what_if, visits, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.system]

TAB_3D = {"vi": "Mô hình 3D", "en": "3D model"}
BUSIEST = {"vi": "Trạm tải cao nhất", "en": "Busiest substation"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("lang")
    park = read_park("yen-binh")
    writer = Feed(park, folder / "live.db")
    writer.publish(*visits(park, hours=3.5))
    yield folder / "live.db"
    writer.close()


@pytest.fixture(scope="module", params=["vi", "en"])
def served(request: Any, store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    lang = request.param
    services = build_services("yen-binh", store, tmp_path_factory.mktemp(f"page-{lang}"), lang=lang)
    try:
        with background(services) as url:
            yield url, lang
    finally:
        services.jobs.close()
        services.threed.close()


_BUSIEST = (
    "return fetch('/api/status').then(r => r.json())"
    ".then(d => d.status.totals['power.busiest_substation'])"
)


def _frame_src(driver: Any) -> str:
    return str(driver.find_element(By.ID, "frame-3d").get_attribute("src") or "")


def _shown(driver: Any, url: str) -> None:
    driver.get(url + "/")
    wait_until(lambda: driver.execute_script("return document.body.dataset.version"), 20, "push")


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720)])
def test_the_page_speaks_the_served_language_without_lang_in_the_address(
    served: Any, screenshots: Path, width: int, height: int
) -> None:
    url, lang = served
    with browser(width, height) as driver:
        _shown(driver, url)
        assert driver.execute_script("return document.documentElement.lang") == lang
        assert driver.find_element(By.ID, "tab-3d").text == TAB_3D[lang]
        tile = driver.find_element(By.CSS_SELECTOR, "[data-kpi='power.busiest_substation_pct']")
        name = tile.find_element(By.CLASS_NAME, "name")
        value = tile.find_element(By.CLASS_NAME, "value")
        assert name.text == BUSIEST[lang]
        cut = "return arguments[0].scrollWidth > arguments[0].clientWidth"
        assert not driver.execute_script(cut, name)  # whole, no ellipsis, at both sizes
        busiest = driver.execute_script(_BUSIEST)
        assert busiest and value.text.endswith(f"% · {busiest}")
        driver.save_screenshot(str(screenshots / f"yen-binh-{lang}-{width}x{height}.png"))
        driver.find_element(By.ID, "tab-3d").click()
        src = wait_until(lambda: _frame_src(driver), 10, "the 3D frame's address")
        assert "/3d?" in src and f"lang={lang}" in src
        other = "en" if lang == "vi" else "vi"
        driver.get(url + f"/?lang={other}")  # the address still chooses
        wait_until(lambda: driver.execute_script("return document.documentElement.lang") == other,
                   10, "?lang= in the address")  # fmt: skip
        assert console_errors(driver) == []


def test_a_what_if_of_two_replications_says_why_its_intervals_are_wide(served: Any) -> None:
    url, lang = served
    with browser(1280, 720) as driver:
        _shown(driver, url)
        run_what_if(driver, "night-shift", days="1", replications="2")
        notes = [p.text for p in driver.find_elements(By.CSS_SELECTOR, ".whatif-note")]
        assert notes == [say("note.few_replications", lang, n=2)]
        assert console_errors(driver) == []
