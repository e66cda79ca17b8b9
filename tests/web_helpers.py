"""Helpers of the web tests: a store fed through the live layer, and a headless Chromium.

The truck visits are generated here with plain numpy (Poisson arrivals, fixed stage lengths),
independently of the engine and of the replay, so the page is tested on data it did not make.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from twin.live.ingest import Ingester
from twin.live.messages import Validator
from twin.live.store import Store
from twin.model.schema import Park

START = datetime(2026, 1, 5, 6, 0)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def visits(park: Park, hours: float = 4.0, rate_per_hour: float = 6.0, seed: int = 1) -> list:
    """Truck events of Poisson arrivals at every flow, from START, as (suffix, message)."""
    rng = np.random.default_rng(seed)
    out: list[tuple[str, dict[str, Any]]] = []
    number = 0
    for flow in park.logistics.flows:
        t = 0.0
        while True:
            t += rng.exponential(60.0 / rate_per_hour)
            if t > hours * 60:
                break
            number += 1
            arrive = START + timedelta(minutes=t)
            base = {"truck_id": f"V{number:05d}", "flow": flow.id, "gate": flow.gate}
            stages = [("arrive", 0.0), ("dock_start", 6.0), ("dock_end", 36.0), ("depart", 40.0)]
            for event, after in stages:
                message = dict(base, event=event, time=iso(arrive + timedelta(minutes=after)))
                if event != "arrive":
                    message["dock_group"] = flow.dock_group
                out.append(("trucks", message))
    out.sort(key=lambda m: m[1]["time"])
    return out


class Feed:
    """The live layer's writer on a store: what ``parktwin live`` does with each message."""

    def __init__(self, park: Park, path: Path) -> None:
        self.store = Store.open(path)
        self.ingester = Ingester(self.store, Validator(park, max_ahead_h=None))

    def publish(self, *messages: tuple[str, dict[str, Any]]) -> None:
        """Store the messages and commit."""
        for suffix, message in messages:
            self.ingester.add_item(suffix, message)
        self.ingester.flush()

    def close(self) -> None:
        self.store.close()


@contextlib.contextmanager
def feed(park: Park, path: Path) -> Iterator[Feed]:
    writer = Feed(park, path)
    try:
        yield writer
    finally:
        writer.close()


def chromium_or_skip() -> None:
    """Skip where Chromium is missing; in CI (``CI`` set) a missing browser is a failure."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} missing: scripts/setup.sh installs chromium and its driver")
        pytest.skip(f"{missing} not installed (scripts/setup.sh installs them)")


@contextlib.contextmanager
def browser(width: int = 1920, height: int = 1080) -> Iterator[Any]:
    """Headless Chromium through selenium, with a fresh profile and the page at width x height."""
    chromium_or_skip()
    profile = tempfile.mkdtemp(prefix="parktwin-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver: Any) -> list[dict[str, Any]]:
    """The browser console's errors (severe entries) since the last call."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def wait_for_job(client: Any, job: str, timeout: float = 120.0) -> dict[str, Any]:
    """The job's document once it is done, failed or cancelled (fails after `timeout` s)."""
    deadline = time.monotonic() + timeout
    doc: dict[str, Any] = {"status": "unknown"}
    while time.monotonic() < deadline:
        doc = client.get(f"/api/jobs/{job}").json()
        if doc["status"] in ("done", "failed", "cancelled"):
            return doc
        time.sleep(0.2)
    raise AssertionError(f"job {job} still {doc['status']} after {timeout} s")


def run_what_if(driver: Any, scenario: str, days: str, replications: str) -> str:
    """Tick `scenario` in the page's what-if tab, run it; its first verdict line when done."""
    driver.find_element(By.ID, "tab-whatif").click()
    box = f"input[value='{scenario}']"
    deadline = time.monotonic() + 10
    while not driver.find_elements(By.CSS_SELECTOR, box):
        assert time.monotonic() < deadline, f"{scenario} is not listed in the what-if tab"
        time.sleep(0.05)
    driver.find_element(By.CSS_SELECTOR, box).click()
    for field, value in (("whatif-days", days), ("whatif-reps", replications)):
        entry = driver.find_element(By.ID, field)
        entry.clear()
        entry.send_keys(value)
    driver.find_element(By.ID, "whatif-run").click()
    deadline = time.monotonic() + 120
    while not driver.find_elements(By.CSS_SELECTOR, ".verdict-line"):
        assert time.monotonic() < deadline, "no verdict within 120 s"
        time.sleep(0.1)
    return str(driver.find_element(By.CSS_SELECTOR, ".verdict-line").text)
