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

from twin.io.dump import dump_park
from twin.io.inputs import read_park
from twin.live.ingest import Ingester
from twin.live.messages import Validator
from twin.live.store import Store
from twin.model.schema import Park
from web.app import Services
from web.server import build_services

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


def network_park() -> Park:
    """Yên Bình with its 22 kV network (the bundled park carries it)."""
    park = read_park("yen-binh")
    assert park.power is not None and park.power.network is not None
    return park


def served_park(park: Park, folder: Path, messages: list) -> tuple[Services, Feed]:
    """Services for `park` (written to `folder` as the served park file) over a store that
    holds `messages`; close with :func:`close_served`."""
    path = folder / "park.yaml"
    path.write_text(dump_park(park), encoding="utf-8")
    writer = Feed(park, folder / "live.db")
    writer.publish(*messages)
    return build_services(str(path), folder / "live.db", folder / "scratch"), writer


def close_served(services: Services, writer: Feed) -> None:
    """Stop what :func:`served_park` started."""
    services.jobs.close()
    services.threed.close()
    writer.close()


LABEL_BOXES_JS = """
const svg = document.querySelector('#park-plan svg').getBoundingClientRect();
const panel = document.getElementById('plan-panel').getBoundingClientRect();
const rect = (r) => [r.left, r.top, r.right, r.bottom];
return {svg: rect(svg), panel: rect(panel), labels: [...document.querySelectorAll(
  '#park-plan text.plan-label')].map((t) => ({kind: t.dataset.kind, id: t.dataset.id,
  text: t.firstChild.nodeValue, box: rect(t.getBoundingClientRect())}))};
"""
"""What the page shows of its plan's labels: every label's box in screen pixels."""


def label_problems(shown: dict[str, Any], buildings: list[str]) -> list[str]:
    """Every way the plan's labels break the rules: a building without a label, an empty
    label, two labels overlapping, a label past the plan's edge (empty: none)."""
    labels = shown["labels"]
    problems = []
    labelled = {lb["id"] for lb in labels if lb["kind"] == "building"}
    problems += [f"building {b} has no label" for b in buildings if b not in labelled]
    problems += [f"{lb['id']}: empty label" for lb in labels if not lb["text"].strip()]
    x0, y0, x1, y1 = (max(a, b) if i < 2 else min(a, b) for i, (a, b) in
                      enumerate(zip(shown["svg"], shown["panel"], strict=True)))  # fmt: skip
    for lb in labels:
        bx0, by0, bx1, by1 = lb["box"]
        if bx0 < x0 - 0.5 or by0 < y0 - 0.5 or bx1 > x1 + 0.5 or by1 > y1 + 0.5:
            problems.append(f"{lb['id']} ({lb['text']}) is cut at the plan's edge: {lb['box']}")
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            if boxes_overlap(a["box"], b["box"]):
                problems.append(f"{a['id']} ({a['text']}) overlaps {b['id']} ({b['text']})")
    return problems


def boxes_overlap(a: list[float], b: list[float], slack: float = 0.5) -> bool:
    """True when two ``[x0, y0, x1, y1]`` boxes share more than `slack` pixels each way."""
    across = a[0] + slack < b[2] and b[0] + slack < a[2]
    return across and a[1] + slack < b[3] and b[1] + slack < a[3]


def wait_until(condition: Any, timeout: float, what: str) -> Any:
    """The first truthy value of `condition()`; fails after `timeout` seconds."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


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
