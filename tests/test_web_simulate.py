"""``parktwin serve --simulate`` in a real headless Chromium, as one command in a subprocess.

On a park built in code (tests/parks.py, not a bundled one) and on yen-binh, each with a
scenario whose substation outage starts early on day 0: the page's clock moves, trucks appear
on the plan, the tiles show numbers, the outage shows in the alerts panel, and the what-if tab
lists the scenarios of the served park and the one given, which runs from there. SIGINT or
SIGTERM stops the server with exit 0 and removes its temporary folder. Screenshots at
1920x1080 and 1280x720 go to the `screenshots` folder.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from selenium.webdriver.common.by import By

from tests.parks import one_dock_group
from twin.io.dump import dump_park

from .web_helpers import browser, console_errors, run_what_if

pytestmark = [pytest.mark.browser, pytest.mark.system]

SPEED = "1200"  # twenty park minutes a second


def own_park(folder: Path) -> tuple[Path, Path]:
    """A powered one-gate park of our own and a scenario: its substation s1 out from 01:00."""
    park = one_dock_group(
        docks=3,
        service={"dist": "gamma", "mean": 40.0, "sd": 12.0},
        rate_per_hour=8.0,
        gate_service={"dist": "exponential", "mean": 2.0},
        roads=True,
        powered=True,
    )
    path = folder / "own-park.yaml"
    path.write_text(dump_park(park), encoding="utf-8")
    return path, outage(folder, "s1", base=None)


def outage(folder: Path, asset: str, base: str | None) -> Path:
    doc: dict[str, Any] = {
        "scenario": {"name": f"{asset}-out", "description": f"{asset} trips at 01:00"},
        "events": [{"outage": asset, "from": {"day": 0, "at": "01:00"}, "duration_h": 72}],
    }
    if base is not None:
        doc["base"] = base
    path = folder / f"{asset}-out.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


class Server:
    """``parktwin serve PARK --simulate -s SCENARIO`` in a subprocess, its TMPDIR of its own."""

    def __init__(self, park: str, scenario: Path, scratch: Path) -> None:
        scratch.mkdir()
        self.scratch = scratch
        script = Path(sys.executable).parent / "parktwin"
        command = [str(script), "serve", park, "--simulate", "-s", str(scenario), "--speed", SPEED]
        command += ["--port", "0", "--nowcast-every", "60", "-r", "3", "--hours", "2"]
        env = {**os.environ, "TMPDIR": str(scratch)}
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.url = self._address()

    def _address(self) -> str:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if "open " in line:
                return line.split("open ", 1)[1].strip()
        _, errors = self.process.communicate(timeout=10)
        raise AssertionError(f"serve --simulate did not start: {errors}")

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:
            return json.loads(answer.read())

    def stop(self, how: signal.Signals) -> tuple[int, str]:
        self.process.send_signal(how)
        _, errors = self.process.communicate(timeout=60)
        return self.process.returncode, errors


@pytest.fixture(scope="module", params=["own-park", "yen-binh"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    folder = tmp_path_factory.mktemp("simulate")
    if request.param == "own-park":
        park, scenario = own_park(folder)
        served = Server(str(park), scenario, folder / "tmp")
    else:
        served = Server("yen-binh", outage(folder, "sub1", base="yen-binh"), folder / "tmp")
    try:
        yield request.param, served
    finally:
        how = signal.SIGTERM if request.param == "own-park" else signal.SIGINT
        code, errors = served.stop(how)
        assert code == 0, errors
        assert list(served.scratch.iterdir()) == [], "the temporary folder and store are left"


def wait(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def script(driver: Any, code: str) -> Any:
    return driver.execute_script(code)


def test_the_what_if_tab_lists_the_served_parks_scenarios_and_the_given_one(server: tuple) -> None:
    name, served = server
    entries = served.get("api/scenarios")["scenarios"]
    listed = {s["name"] for s in entries}
    given = [s for s in entries if "document" in s]  # the scenario given with -s
    if name == "own-park":
        assert listed == {"s1-out"}  # no bundled scenario is written for this park
        assert given[0]["applies"] and given[0]["document"]["events"][0]["outage"] == "s1"
    else:
        assert {"substation-outage", "more-docks", "peak-season", "sub1-out"} <= listed
        assert "demo-cable-fault" not in listed  # written for demo-small
        assert [s["name"] for s in given] == ["sub1-out"]


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720)])
def test_the_simulated_park_moves_and_its_outage_is_an_alert(
    server: tuple, screenshots: Path, width: int, height: int
) -> None:
    name, served = server
    asset = "s1" if name == "own-park" else "sub1"
    with browser(width, height) as driver:
        driver.get(served.url + "?lang=vi")
        first = wait(lambda: script(driver, _CLOCK), 30, "the clock shows a time")
        assert re.fullmatch(r"\d\d:\d\d", first)
        wait(lambda: script(driver, _CLOCK) not in (first, None), 20, "the clock moves")
        wait(lambda: script(driver, _TRUCKS) > 0, 30, "trucks on the plan")
        alert = wait(lambda: script(driver, _OUTAGE % asset), 30, "the outage in the alerts")
        assert "Mất điện" in alert and "từ 01:00, dự kiến đến 01:00 08/01" in alert  # 72 h
        assert driver.find_element(By.ID, "mode").text == "● Mô phỏng"
        tiles = script(driver, _TILES)
        assert tiles["Xe tải trong khu"] and re.search(r"\d", tiles["Xe tải trong khu"])
        assert all(re.search(r"\d", value) for value in tiles.values()), tiles
        wait(lambda: script(driver, _FORECAST), 60, "a nowcast on the page")
        driver.save_screenshot(str(screenshots / f"simulate-{name}-{width}x{height}.png"))
        assert console_errors(driver) == []


def test_the_given_scenario_runs_as_a_what_if(server: tuple, screenshots: Path) -> None:
    name, served = server
    if name != "own-park":
        pytest.skip("once is enough: the page sends the given scenario's document")
    with browser(1280, 720) as driver:
        driver.get(served.url)
        wait(lambda: script(driver, _CLOCK), 30, "the page is live")
        verdict = run_what_if(driver, "s1-out", days="0.5", replications="2")
        assert verdict.startswith("s1-out: ")
        driver.save_screenshot(str(screenshots / "simulate-own-park-whatif-1280x720.png"))
        assert console_errors(driver) == []


_CLOCK = "const t = document.getElementById('clock').textContent; return /\\d/.test(t) ? t : null"
_TRUCKS = "return document.querySelectorAll('circle.truck').length"
_OUTAGE = (
    "const li = document.querySelector('#alerts li.outage[data-asset=\"%s\"]');"
    "return li ? li.textContent : null"
)
_TILES = (
    "return Object.fromEntries([...document.querySelectorAll('#kpi-tiles .tile')]"
    ".map(t => [t.querySelector('.name').textContent, t.querySelector('.value').textContent]))"
)
_FORECAST = "return document.querySelector('#alerts-panel h2').textContent.includes('dự báo')"
