"""Bench of the operations-centre page: first paint, a 60/s feed, 20 clients.

Usage: ``.venv/bin/python bench/bench_web.py [--rounds 5] [--seconds 20] [--clients 20]``

The default park (yen-binh) is served locally over a store holding the whole bundled recording
(replayed at full speed first). Each figure comes with a baseline measured in the same run, so
the ratio says more than the raw time on a loaded machine:

1. First paint: headless Chromium opens the page; first contentful paint and the moment the
   plan is drawn with the first live snapshot, from navigation start; median of the rounds.
   Baseline: the same browser painting a one-line page.
2. Feed at 60 updates/s: a writer commits one truck event every 1/60 s for `--seconds` through
   the live layer's ingester while the page is open; lag of each commit = the moment the page
   has drawn a snapshot that contains it, minus the commit. Falling behind would show as lags
   growing from the first quarter to the last. Baseline: the same at 1 update/s.
3. Clients: `--clients` push channels open at once (plain HTTP clients: one browser holds at
   most 6 connections to a host, and every screen of a control room is its own browser); for
   each of 20 commits, the time until every client has the snapshot. Baseline: one client.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from web_helpers import Feed, browser  # noqa: E402

from twin.io.load import load_park  # noqa: E402
from twin.live.replay import replay_into_store  # noqa: E402
from twin.live.store import Store  # noqa: E402
from web.server import background, build_services  # noqa: E402

PARK = load_park("yen-binh")


def first_paint(url: str, rounds: int) -> dict[str, float]:
    """Median first contentful paint and first live plan, and the blank-page baseline (ms)."""
    paint, live, blank = [], [], []
    script = (
        "const p = performance.getEntriesByName('first-contentful-paint')[0];"
        "const m = performance.getEntriesByName('parktwin-first-snapshot')[0];"
        "return [p ? p.startTime : null, m ? m.startTime : null];"
    )
    for _ in range(rounds):
        with browser(1920, 1080) as driver:
            driver.get("data:text/html,<p>baseline</p>")
            time.sleep(0.3)
            blank.append(driver.execute_script(script)[0])
            driver.get(url + "/")
            deadline = time.monotonic() + 30
            values = [None, None]
            while time.monotonic() < deadline and None in values:
                values = driver.execute_script(script)
                time.sleep(0.05)
            paint.append(values[0])
            live.append(values[1])
    return {
        "fcp_ms": statistics.median(paint),
        "live_plan_ms": statistics.median(live),
        "blank_fcp_ms": statistics.median(blank),
    }


def feed_lags(url: str, feed: Feed, rate: float, seconds: float, start: object) -> dict:
    """Lags (ms) from each commit to the page drawing it, at `rate` commits a second."""
    commits: list[tuple[int, float]] = []
    with browser(1280, 720) as driver:
        driver.get(url + "/")
        time.sleep(3.0)
        moment = start
        begin = time.monotonic()
        for k in range(int(rate * seconds)):
            moment = moment + timedelta(seconds=5)  # type: ignore[operator]
            event = {"time": moment.isoformat(timespec="seconds"), "truck_id": f"B{k:06d}"}
            event.update(flow="in-sevt-p1", event="arrive", gate="g-main")
            feed.publish(("trucks", event))
            commits.append((feed.store.version(), time.time() * 1000.0))
            pause = begin + (k + 1) / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        achieved = len(commits) / (time.monotonic() - begin)
        time.sleep(2.0)
        shown = driver.execute_script("return window.parktwinSnapshots")
    lags = []
    for version, at in commits:
        seen = [t for v, t in shown if v >= version]
        lags.append(min(seen) - at if seen else float("inf"))
    quarter = max(1, len(lags) // 4)
    return {
        "rate_per_s": round(achieved, 1),
        "snapshots_drawn": len(shown),
        "lag_p50_ms": statistics.median(lags),
        "lag_p95_ms": sorted(lags)[int(0.95 * (len(lags) - 1))],
        "lag_max_ms": max(lags),
        "lag_first_quarter_p50_ms": statistics.median(lags[:quarter]),
        "lag_last_quarter_p50_ms": statistics.median(lags[-quarter:]),
    }, moment


def listen(url: str, got: list[tuple[int, float]], ready: threading.Event, stop: threading.Event):
    """One push client: records (version, arrival ms) of every snapshot."""
    with urllib.request.urlopen(url + "/api/events", timeout=60) as stream:
        ready.set()
        for raw in stream:
            if raw.startswith(b"data: "):
                got.append((json.loads(raw[6:])["version"], time.time() * 1000.0))
            if stop.is_set():
                return


def clients_lag(url: str, feed: Feed, clients: int, start: object) -> tuple[dict, object]:
    """For 20 commits, ms until every one of `clients` push channels has the snapshot."""
    logs: list[list[tuple[int, float]]] = [[] for _ in range(clients)]
    stop = threading.Event()
    readies = [threading.Event() for _ in range(clients)]
    threads = [
        threading.Thread(target=listen, args=(url, logs[i], readies[i], stop), daemon=True)
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for ready in readies:
        ready.wait(30)
    time.sleep(1.0)
    commits = []
    moment = start
    for k in range(20):
        moment = moment + timedelta(seconds=30)  # type: ignore[operator]
        event = {"time": moment.isoformat(timespec="seconds"), "truck_id": f"C{clients}-{k}"}
        event.update(flow="in-sevt-p1", event="arrive", gate="g-main")
        feed.publish(("trucks", event))
        commits.append((feed.store.version(), time.time() * 1000.0))
        time.sleep(0.5)
    time.sleep(1.5)
    stop.set()
    worst = []
    for version, at in commits:
        arrivals = [min((t for v, t in log if v >= version), default=float("inf")) for log in logs]
        worst.append(max(arrivals) - at)
    return {
        "clients": clients,
        "all_clients_p50_ms": statistics.median(worst),
        "all_clients_max_ms": max(worst),
    }, moment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=20)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parktwin-bench-web-") as scratch:
        store = Path(scratch) / "live.db"
        began = time.monotonic()
        replay_into_store(PARK, REPO / "assets" / "sensors" / "yen-binh", store)
        print(f"store: the bundled recording replayed in {time.monotonic() - began:.1f} s")
        with Store.open(store, read_only=True) as reader:
            span = reader.span()
        assert span is not None
        services = build_services("yen-binh", store, Path(scratch) / "serve")
        feed = Feed(PARK, store)
        results: dict[str, object] = {}
        try:
            with background(services) as url:
                results["first_paint"] = first_paint(url, options.rounds)
                print(json.dumps(results["first_paint"]))
                moment: object = span[1]
                results["feed_1_per_s"], moment = feed_lags(url, feed, 1.0, 10.0, moment)
                print(json.dumps(results["feed_1_per_s"]))
                lagged = feed_lags(url, feed, 60.0, options.seconds, moment)
                results["feed_60_per_s"], moment = lagged
                print(json.dumps(results["feed_60_per_s"]))
                results["one_client"], moment = clients_lag(url, feed, 1, moment)
                print(json.dumps(results["one_client"]))
                results["many_clients"], moment = clients_lag(url, feed, options.clients, moment)
                print(json.dumps(results["many_clients"]))
        finally:
            feed.close()
            services.jobs.close()
            services.threed.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
