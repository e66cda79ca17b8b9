"""The page in a real headless Chromium: it loads cleanly, shows the park, follows the feed,
runs a what-if, and refuses strangers off loopback. Screenshots go to the `screenshots`
folder (tests/conftest.py: $PARKTWIN_SCREENSHOTS, or a pytest temporary folder).

The server runs in a thread on a free loopback port over a store that the test feeds through
the live layer's writer, exactly as ``parktwin live`` would.
"""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests import mosquitto
from twin.io.load import load_park
from twin.live.feed import Feed as MqttFeed
from twin.live.mqtt import parse_broker
from twin.live.nowcast import nowcast_store
from twin.live.store import Store
from viz import palette
from web.app import Services
from web.server import background, build_services

from .web_helpers import START, Feed, browser, console_errors, iso, run_what_if, visits

pytestmark = [pytest.mark.browser, pytest.mark.system]

PARK = load_park("demo-small")
TOKEN = "browser-test-token-123"
LATEST = START + timedelta(hours=3, minutes=45)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Feed, Services]]:
    folder = tmp_path_factory.mktemp("web")
    writer = Feed(PARK, folder / "live.db")
    writer.publish(*visits(PARK, hours=3.5))
    services = build_services("demo-small", folder / "live.db", folder / "scratch")
    try:
        with background(services) as url:
            yield url, writer, services
    finally:
        services.jobs.close()
        services.threed.close()
        writer.close()


def wait(condition: Callable[[], Any], timeout: float, what: str) -> float:
    """Seconds until `condition()` is truthy; fails after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"{what}: not within {timeout} s")


def open_page(driver: Any, url: str, lang: str = "vi") -> None:
    driver.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
    wait(lambda: driver.execute_script("return document.body.dataset.version"), 15, "first push")


Shoot = Callable[[Any, str], Path]


@pytest.fixture
def shoot(screenshots: Path) -> Shoot:
    """Save what the browser shows as `name` in the screenshots folder."""

    def save(driver: Any, name: str) -> Path:
        path = screenshots / name
        driver.save_screenshot(str(path))
        return path

    return save


def trucks_on_plan(driver: Any) -> int:
    return int(driver.execute_script("return document.querySelectorAll('circle.truck').length"))


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720)])
def test_the_page_loads_cleanly_and_shows_every_building(
    served: tuple[str, Feed, Services], shoot: Shoot, width: int, height: int
) -> None:
    url, _, _ = served
    with browser(width, height) as driver:
        open_page(driver, url + "/")
        shown = driver.execute_script(
            "return [...document.querySelectorAll('#park-plan polygon.building')]"
            ".map(p => p.dataset.id)"
        )
        assert shown == [b.id for b in PARK.buildings]
        for part in ("park-plan", "kpi-tiles", "forecast", "alerts", "history-slider"):
            box = driver.find_element(By.ID, part).rect
            assert box["width"] > 100 and box["height"] > 10, part
            assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, part
        for part in ("whatif", "park-3d"):
            assert driver.find_elements(By.ID, part), part
        overflow = driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        assert overflow == [width, height], "the page must fit one screen"
        tiles = driver.find_element(By.ID, "kpi-tiles").text
        assert "Xe tải trong khu" in tiles and "Công suất toàn khu" in tiles
        assert "Thứ Hai" in driver.find_element(By.ID, "clock-date").text
        shoot(driver, f"page-{width}x{height}.png")
        assert console_errors(driver) == []


@pytest.mark.serial
def test_a_truck_event_reaches_the_page_within_two_seconds(
    served: tuple[str, Feed, Services],
) -> None:
    url, writer, _ = served
    with browser(1280, 720) as driver:
        open_page(driver, url + "/")
        before = trucks_on_plan(driver)
        event = {"time": iso(LATEST + timedelta(minutes=1)), "truck_id": "NEW-1", "flow": "in-f1"}
        event.update(event="arrive", gate="g1")
        writer.publish(("trucks", event))
        took = wait(lambda: trucks_on_plan(driver) == before + 1, 2.0, "the new truck")
        assert took < 2.0
        assert console_errors(driver) == []


@pytest.mark.serial
@pytest.mark.skipif(not mosquitto.available(), reason="mosquitto is not installed")
def test_a_truck_published_on_mqtt_reaches_the_page_within_two_seconds(tmp_path: Path) -> None:
    """The whole chain: broker -> parktwin's feed -> store -> server -> page."""
    paho = pytest.importorskip("paho.mqtt.client")
    from paho.mqtt.enums import CallbackAPIVersion

    broker = mosquitto.Mosquitto(tmp_path / "broker").start()
    store_path = tmp_path / "live.db"
    writer = Feed(PARK, store_path)
    writer.publish(*visits(PARK, hours=1))
    writer.close()
    stop = threading.Event()
    log = io.StringIO()
    store = Store.open(store_path)
    feed = MqttFeed(PARK, store, parse_broker(broker.url), stop=stop, log=log)
    thread = threading.Thread(target=feed.run, daemon=True)
    thread.start()
    services = build_services("demo-small", store_path, tmp_path / "scratch")
    sender = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    try:
        wait(lambda: "connected to" in log.getvalue(), 20, "the feed's connection")
        address = parse_broker(broker.url)
        sender.connect(address.host, address.port)
        sender.loop_start()
        with background(services) as url, browser(1280, 720) as driver:
            open_page(driver, url + "/")
            before = trucks_on_plan(driver)
            event = {"time": iso(START + timedelta(hours=1, minutes=5)), "truck_id": "MQTT-1"}
            event.update(flow="in-f1", event="arrive", gate="g1")
            sent = time.monotonic()
            sender.publish("parktwin/trucks", json.dumps(event), qos=1).wait_for_publish(10)
            wait(lambda: trucks_on_plan(driver) == before + 1, 2.0 - (time.monotonic() - sent),
                 "the truck published on MQTT")  # fmt: skip
            assert console_errors(driver) == []
    finally:
        sender.loop_stop()
        stop.set()
        thread.join(timeout=30)
        store.close()
        services.jobs.close()
        broker.stop()


def test_a_feeder_outage_turns_its_buildings_black(
    served: tuple[str, Feed, Services], shoot: Shoot
) -> None:
    url, writer, _ = served
    black = palette.NO_POWER

    def fill(driver: Any, building: str) -> str:
        node = driver.find_element(By.ID, f"building-{building}")
        return str(node.get_attribute("fill"))

    with browser(1920, 1080) as driver:
        open_page(driver, url + "/")
        assert fill(driver, "f1") != black
        alarm = {"time": iso(LATEST + timedelta(minutes=2)), "asset": "fd1"}
        writer.publish(("alarms", dict(alarm, event="outage_start", expected_h=2)))
        wait(lambda: fill(driver, "f1") == black and fill(driver, "w1") == black, 2.0, "black")
        assert {fill(driver, b) for b in ("f2", "o1", "u1")}.isdisjoint({black})
        shoot(driver, "outage-fd1-1920x1080.png")
        writer.publish(("alarms", dict(alarm, time=iso(LATEST + timedelta(minutes=3)),
                                       event="outage_end")))  # fmt: skip
        wait(lambda: fill(driver, "f1") != black, 2.0, "power back")
        assert console_errors(driver) == []


def test_a_what_if_runs_and_shows_its_verdict(
    served: tuple[str, Feed, Services], shoot: Shoot
) -> None:
    url, _, _ = served
    with browser(1280, 720) as driver:
        open_page(driver, url + "/")
        # demo-small's own bundled scenario (yen-binh's are not offered for it); 2 days cover
        # its cable fault on day 1 (a shorter horizon is refused)
        verdict = run_what_if(driver, "demo-cable-fault", days="2", replications="3")
        assert verdict.startswith("demo-cable-fault: ")
        rows = driver.find_elements(By.CSS_SELECTOR, "#whatif-table tbody tr")
        assert any(r.text.startswith("Số xe tải đến") for r in rows)  # a KPI in words
        summary = driver.find_element(By.ID, "whatif-verdict").text
        assert summary.startswith("Tóm tắt\ndemo-cable-fault: ")
        shoot(driver, "whatif-1280x720.png")
        assert console_errors(driver) == []


def test_the_what_if_form_simulates_long_enough_for_the_chosen_events(
    served: tuple[str, Feed, Services], tmp_path: Path
) -> None:
    url, _, _ = served
    late = tmp_path / "late.yaml"
    late.write_text(
        "scenario: {name: late}\nevents:\n"
        "  - {outage: fd1, from: {day: 2, at: '08:00'}, duration_h: 4}\n",
        "utf-8",
    )
    with browser(1280, 720) as driver:
        open_page(driver, url + "/")
        driver.find_element(By.ID, "tab-whatif").click()
        cable = "input[value='demo-cable-fault']"
        wait(lambda: driver.find_elements(By.CSS_SELECTOR, cable), 10, "list")
        days = driver.find_element(By.ID, "whatif-days")
        assert days.get_attribute("value") == "2"
        driver.find_element(By.CSS_SELECTOR, cable).click()
        assert days.get_attribute("value") == "2"  # its fault on day 1: the default covers it
        driver.find_element(By.ID, "scenario-file").send_keys(str(late))
        wait(lambda: days.get_attribute("value") == "3", 10, "days raised for day 2's outage")
        assert console_errors(driver) == []


def test_the_page_speaks_english_when_asked(
    served: tuple[str, Feed, Services], shoot: Shoot
) -> None:
    url, _, _ = served
    with browser(1280, 720) as driver:
        open_page(driver, url + "/", lang="en")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Operations centre"
        assert driver.execute_script("return document.documentElement.lang") == "en"
        tiles = driver.find_element(By.ID, "kpi-tiles").text
        assert "Trucks in the park" in tiles and "Xe tải" not in tiles
        assert driver.find_element(By.ID, "tab-whatif").text == "What-if"
        shoot(driver, "page-en-1280x720.png")
        assert console_errors(driver) == []


def test_a_bad_upload_shows_its_error_on_the_page(
    served: tuple[str, Feed, Services], tmp_path: Path
) -> None:
    url, _, _ = served
    bad = tmp_path / "broken.yaml"
    bad.write_text("scenario: {name: x}\nchanges:\n  - {remove: 'buildings[id=zz]'}\n", "utf-8")
    with browser(1280, 720) as driver:
        open_page(driver, url + "/")
        driver.find_element(By.ID, "tab-whatif").click()
        driver.find_element(By.ID, "scenario-file").send_keys(str(bad))
        result = driver.find_element(By.ID, "upload-result")
        wait(lambda: "broken.yaml:" in result.text, 10, "the upload's error")
        assert "zz" in result.text
        # the 400 of the check is expected; nothing else may fail
        errors = [e for e in console_errors(driver) if "scenarios/check" not in e["message"]]
        assert errors == []


def test_the_latest_nowcast_shows_its_bands_and_alerts(
    served: tuple[str, Feed, Services], shoot: Shoot
) -> None:
    url, writer, _ = served
    forecast = nowcast_store(
        PARK, writer.store, hours=2, replications=4, thresholds={"trucks.in_park": 0.5}
    ).to_dict()
    assert forecast["alerts"], "the threshold is low enough to raise an alert"
    with browser(1920, 1080) as driver:
        open_page(driver, url + "/")
        writer.store.put_forecast(forecast)
        writer.store.put_alerts(forecast["alerts"])
        writer.publish()  # any commit moves the version; the forecast itself did
        alerts = driver.find_element(By.ID, "alerts")
        wait(lambda: "trucks.in_park" in alerts.text, 3.0, "the alert")
        wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#queue-chart canvas"), 3.0, "chart")
        assert "%" in alerts.text
        chosen = driver.find_element(By.ID, "queue-series").get_attribute("value")
        assert chosen in forecast["series"]
        power = driver.find_element(By.ID, "power-series").get_attribute("value")
        assert power.startswith("power.")
        assert "2 giờ tới" in driver.find_element(By.ID, "forecast-origin").text
        shoot(driver, "forecast-1920x1080.png")
        assert console_errors(driver) == []


def test_the_history_slider_shows_an_earlier_moment(served: tuple[str, Feed, Services]) -> None:
    url, _, _ = served
    earlier = START + timedelta(hours=2)
    with urllib.request.urlopen(url + f"/api/state?at={iso(earlier)}", timeout=10) as answer:
        then = json.loads(answer.read())
    with browser(1280, 720) as driver:
        open_page(driver, url + "/")
        minutes = round(driver.execute_script(
            "return (parkDate(arguments[0]).getTime() - App.span.first) / 60000", iso(earlier)
        ))  # fmt: skip
        driver.execute_script(
            "const r = document.getElementById('history-range'); r.value = arguments[0];"
            "r.dispatchEvent(new Event('input'));",
            minutes,
        )
        clock = driver.find_element(By.ID, "clock")
        wait(lambda: clock.text == earlier.strftime("%H:%M"), 3.0, "the earlier moment")
        assert "lịch sử" in driver.find_element(By.ID, "mode").text
        assert trucks_on_plan(driver) == then["trucks"]["in_park"]
        driver.find_element(By.ID, "history-live").click()
        wait(lambda: "Trực tiếp" in driver.find_element(By.ID, "mode").text, 3.0, "back live")
        assert console_errors(driver) == []


def test_a_click_on_a_building_shows_its_values(served: tuple[str, Feed, Services]) -> None:
    url, _, _ = served
    with browser(1280, 720) as driver:
        open_page(driver, url + "/")
        driver.find_element(By.ID, "building-f2").click()
        tip = driver.find_element(By.ID, "tooltip")
        wait(lambda: tip.is_displayed(), 2.0, "the tooltip")
        assert "Nhà máy F2" in tip.text
        assert "kW" in tip.text and "fd2" in tip.text
        driver.find_element(By.TAG_NAME, "body").send_keys("\ue00c")  # Esc closes it
        wait(lambda: not tip.is_displayed(), 2.0, "closed")


@pytest.mark.render
def test_the_3d_park_opens_in_its_tab(served: tuple[str, Feed, Services], shoot: Shoot) -> None:
    url, _, _ = served
    with browser(1920, 1080) as driver:
        open_page(driver, url + "/")
        driver.find_element(By.ID, "tab-3d").click()
        frame = driver.find_element(By.ID, "frame-3d")
        driver.switch_to.frame(frame)
        wait(lambda: driver.find_elements(By.TAG_NAME, "canvas"), 90, "the vtk.js view")
        driver.switch_to.default_content()
        time.sleep(1.0)  # let vtk.js draw its first frame
        shoot(driver, "park-3d-1920x1080.png")
        assert console_errors(driver) == []


@pytest.mark.serial
def test_a_stored_message_is_pushed_within_one_second(served: tuple[str, Feed, Services]) -> None:
    url, writer, _ = served
    with urllib.request.urlopen(url + "/api/events", timeout=10) as stream:
        lines = iter(stream)
        first = next(line for line in lines if line.startswith(b"data: "))
        version = json.loads(first[6:])["version"]
        event = {"time": iso(LATEST + timedelta(minutes=4)), "truck_id": "NEW-2", "flow": "in-f2"}
        writer.publish(("trucks", dict(event, event="arrive", gate="g1")))
        committed = time.monotonic()
        second = next(line for line in lines if line.startswith(b"data: "))
        took = time.monotonic() - committed
    assert json.loads(second[6:])["version"] > version
    assert took < 1.0


def test_off_loopback_a_request_without_the_token_is_refused(tmp_path: Path) -> None:
    services = build_services("demo-small", None, tmp_path)
    try:
        with background(services, host="127.0.0.2", token=TOKEN) as url:
            for path in ("/", "/api/health", "/api/events", "/static/app.js"):
                with pytest.raises(urllib.error.HTTPError) as refused:
                    urllib.request.urlopen(url + path, timeout=10)
                assert refused.value.code == 401, path
            request = urllib.request.Request(
                url + "/api/health", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert json.loads(answer.read())["status"] == "ok"
            with browser(1280, 720) as driver:
                driver.get(url + "/")
                assert "token" in driver.find_element(By.TAG_NAME, "body").text
                driver.get(url + f"/?token={TOKEN}")
                wait(lambda: driver.execute_script("return document.body.dataset.ready"), 15, "up")
                driver.find_element(By.ID, "tab-whatif").click()
                wait(
                    lambda: driver.find_elements(By.CSS_SELECTOR, "input[name='scenario']"),
                    10,
                    "the scenario list, fetched with the token",
                )
                errors = [e for e in console_errors(driver) if "401" not in e["message"]]
                assert errors == []
    finally:
        services.jobs.close()


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_find_the_best_shows_the_answer_and_its_certificate(
    served: tuple[str, Feed, Services], shoot: Shoot, tmp_path: Path, size: tuple[int, int]
) -> None:
    from tests.optimize_problems import problem

    url, _, _ = served
    path = tmp_path / "docks.json"
    path.write_text(json.dumps(problem()), encoding="utf-8")
    with browser(*size) as driver:
        open_page(driver, url + "/")
        driver.find_element(By.ID, "tab-whatif").click()
        driver.find_element(By.ID, "problem-file").send_keys(str(path))
        driver.find_element(By.ID, "optimize-run").click()
        result = driver.find_element(By.ID, "optimize-result")
        wait(lambda: result.find_elements(By.TAG_NAME, "h2"), 240, "the best configuration")
        assert result.find_element(By.TAG_NAME, "h2").text.startswith("Phương án tốt nhất: ")
        assert "95%" in result.text and "Nelson 2001" in result.text
        assert len(result.find_elements(By.CSS_SELECTOR, "tbody tr")) == 3
        driver.execute_script("arguments[0].scrollIntoView()", result)
        shoot(driver, f"find-best-{size[0]}x{size[1]}.png")
        assert console_errors(driver) == []
