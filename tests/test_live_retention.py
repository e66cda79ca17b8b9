"""A store that keeps a bounded span of park time (``serve --simulate``'s feed, ``--keep-days``).

The simulated feed runs at full speed for several times its bound; its store is compared with
a store of the same feed that keeps everything: what is kept is exactly the reference's last
days, the file stops growing, and the state and the web API at the present are the same.
Alarms are forgotten only when an outage's end closes them, checked against the state's own
reading of random alarm sequences.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

import cli
from tests.parks import one_dock_group
from twin.io.dump import dump_park
from twin.live.messages import Alarm
from twin.live.run import live_replay
from twin.live.simulated import KEEP_DAYS, following_horizons, simulated_recording
from twin.live.state import history_document, outages_now, state_document
from twin.live.store import Store
from web.app import create_app
from web.server import build_services

PARK = one_dock_group(
    docks=12,
    service={"dist": "exponential", "mean": 20.0},
    rate_per_hour=10.0,
    roads=True,
    powered=True,
)
START = datetime(2026, 1, 5)
KEEP = 1.5


def simulated_store(folder: Path, days: float, keep_days: float | None) -> Path:
    """The simulated feed of PARK (half-day horizons, an outage on day 0) replayed as fast as
    it goes for `days` into a store keeping `keep_days`."""
    scenario = {
        "scenario": {"name": "s1-out"},
        "events": [{"outage": "s1", "from": {"day": 0, "at": "09:00"}, "duration_h": 2.0}],
    }
    sensors = folder / "sensors"
    alarms = simulated_recording(PARK, scenario, sensors, days=0.5)
    later = following_horizons(PARK, scenario, sensors, days=0.5)
    end = START + timedelta(days=days)
    then = itertools.takewhile(lambda m: datetime.fromisoformat(m[1]["time"]) < end, later)
    store = folder / "live.db"
    stats = live_replay(PARK, sensors, store, None, alarms=alarms, then=then, keep_days=keep_days)
    assert stats.rejected == 0
    return store


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    made = {}
    for name, days, keep in (("short", 3.0, KEEP), ("kept", 6.0, KEEP), ("all", 6.0, None)):
        made[name] = simulated_store(tmp_path_factory.mktemp(name), days, keep)
    return made


def test_the_store_keeps_exactly_the_last_days_and_stops_growing(stores: dict[str, Path]) -> None:
    with Store.open(stores["all"], read_only=True) as everything:
        span = everything.span()
        assert span is not None and span[1] > START + timedelta(days=5.9)
        cutoff = span[1] - timedelta(days=KEEP)
        expected = (everything.truck_events(cutoff), everything.meter_readings(cutoff))
        counts, total = everything.counts(), len(everything.truck_events())
    with Store.open(stores["kept"], read_only=True) as kept:
        assert (kept.truck_events(), kept.meter_readings()) == expected
        kept_span = kept.span()
        assert kept_span is not None and kept_span[0] >= cutoff and kept_span[1] == span[1]
        assert kept.alarms() == []  # the day-0 outage ended long before the cutoff
        assert kept.counts() == counts  # the counters go on counting what was forgotten
    assert len(expected[0]) < 0.3 * total
    sizes = {name: path.stat().st_size for name, path in stores.items()}
    # twice the days, the same file: the freed pages are used again (its size is that of the
    # days kept and of one batch of messages, which at full speed spans about a day here)
    assert sizes["kept"] < 1.1 * sizes["short"], sizes
    assert sizes["all"] > 1.7 * sizes["kept"], sizes


def test_the_state_and_the_web_api_are_those_of_the_whole_history(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    with Store.open(stores["all"], read_only=True) as everything:
        span = everything.span()
        assert span is not None
        latest, earlier = span[1], span[1] - timedelta(hours=12)
        states = [state_document(PARK, everything, at) for at in (latest, earlier)]
        history = history_document(PARK, everything, earlier, latest, 60)
    with Store.open(stores["kept"], read_only=True) as kept:
        assert [state_document(PARK, kept, at) for at in (latest, earlier)] == states
    assert states[0]["trucks"]["in_park"] > 0 and states[0]["meters"]
    park_file = tmp_path / "park.yaml"
    park_file.write_text(dump_park(PARK), encoding="utf-8")
    services = build_services(str(park_file), stores["kept"], tmp_path / "scratch")
    query = {"from": earlier.isoformat(), "to": latest.isoformat(), "step_min": 60}
    try:
        with TestClient(create_app(services), base_url="http://127.0.0.1") as client:
            assert client.get("/api/state").json() == states[0]
            assert client.get("/api/history", params=query).json() == history
    finally:
        services.jobs.close()


def random_alarms(rng: np.random.Generator) -> list[Alarm]:
    """Starts and ends of two assets at random whole hours (repeats, ties and strays too)."""
    alarms = []
    for _ in range(int(rng.integers(0, 12))):
        moment = START + timedelta(hours=int(rng.integers(0, 48)))
        event = "outage_start" if rng.random() < 0.5 else "outage_end"
        expected = float(rng.integers(1, 30)) if event == "outage_start" else None
        alarms.append(Alarm(moment, str(rng.choice(["s1", "fd1"])), event, expected))
    return alarms


def test_an_alarm_is_forgotten_only_when_it_cannot_change_the_present(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    forgotten = 0
    for case in range(25):
        alarms = random_alarms(rng)
        with Store.open(tmp_path / f"{case}.db") as store:
            store.ingest(alarms)
            for hours in sorted(rng.integers(0, 50, size=3)):  # the present moves on
                cutoff = START + timedelta(hours=int(hours))
                store.ingest([], forget_before=cutoff)
                kept = store.alarms()
                for later in range(0, 48, 6):
                    at = cutoff + timedelta(hours=later)
                    assert outages_now(PARK, kept, at) == outages_now(PARK, alarms, at), (case, at)
                ends = [e for e in alarms if e.event == "outage_end" and e.time < cutoff]
                for a in (a for a in kept if a.time < cutoff):  # only what no end has closed
                    closing = [e for e in ends if e.asset == a.asset]
                    assert all(a.time > e.time or (a.event == "outage_start" and a.time == e.time)
                               for e in closing), (case, a)  # fmt: skip
        forgotten += len(alarms) - len(kept)
    assert forgotten > 25  # the rule does forget


def test_forecasts_and_alerts_before_the_bound_go_but_the_newest_forecast_stays(
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.db"
    cutoff = START + timedelta(days=2)
    with Store.open(path) as store:
        for day in (0, 1, 3):
            store.put_forecast({"origin": (START + timedelta(days=day)).isoformat(), "day": day})
        store.put_forecast({"origin": START.isoformat(), "day": "late"})  # stored last
        alerts = [{"time": (START + timedelta(days=d)).isoformat(), "d": d} for d in (1, 3)]
        store.put_alerts(alerts)
        store.ingest([], forget_before=cutoff)
        assert store.latest_forecast() == {"origin": START.isoformat(), "day": "late"}
        assert store.alerts() == alerts[1:]
    with sqlite3.connect(path) as db:
        days = [json.loads(doc)["day"] for (doc,) in db.execute("SELECT doc FROM forecasts")]
    assert days == [3, "late"]


def test_keep_days_is_checked_and_goes_with_simulate(tmp_path: Path) -> None:
    runner = CliRunner()
    for args in (["--simulate", "--keep-days", "0.5"], ["--simulate", "--keep-days", "nan"]):
        result = runner.invoke(cli.app, ["serve", *args, "--port", "0"])
        assert result.exit_code == 2, result.output
        assert "--keep-days" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli.app, ["serve", "--replay", str(tmp_path), "--keep-days", "3"])
    assert result.exit_code == 2 and "--simulate" in result.output, result.output
    help_text = runner.invoke(cli.app, ["serve", "--help"]).output
    assert f"default {KEEP_DAYS:g})" in " ".join(help_text.split())
