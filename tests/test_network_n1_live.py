"""`parktwin n1 --store`: N-1 from the live state (the meters' loads, the trucks in the park).

demo-small on its ring, with a small recording written by hand and replayed into a store: f2's
meter reads 4,000 kW up to 10:00 on Monday (the park's demand says 3,000 kW), o1's last reading
is from 06:00 (stale at 10:00), a feeder meter is not a building's; two trucks are at f2's
docks at 10:00 and one has left.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import cli
from tests.load_helpers import assert_bad_input, dump
from tests.networks import feeder_only_data, ring_data
from twin.live.replay import replay_into_store
from twin.live.state import state_at
from twin.live.store import Store
from twin.model.schema import Park

AT = "2026-01-05T10:00"
METERS = """timestamp,asset,quantity,value
2026-01-05T06:00,o1,power_kw,900
2026-01-05T09:45,f2,power_kw,3900
2026-01-05T10:00,f2,power_kw,4000
2026-01-05T10:00,fd1,power_kw,2500
2026-01-05T10:15,f2,power_kw,100
"""
TRUCKS = """truck_id,flow,gate,dock_group,arrive,dock_start,dock_end,depart
t1,in-f2,g1,f2-docks,2026-01-05T08:00,2026-01-05T08:10,2026-01-05T08:50,2026-01-05T08:55
t2,in-f2,g1,f2-docks,2026-01-05T09:30,2026-01-05T09:40,,
t3,in-f2,g1,f2-docks,2026-01-05T09:35,2026-01-05T09:50,,
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The ring park's file and a store of the recording."""
    root = tmp_path_factory.mktemp("live-n1")
    park = dump(ring_data(), root / "ring.yaml")
    sensors = root / "sensors"
    sensors.mkdir()
    (sensors / "meters.csv").write_text(METERS, encoding="utf-8")
    (sensors / "trucks.csv").write_text(TRUCKS, encoding="utf-8")
    replay_into_store(Park.model_validate(ring_data()), sensors, root / "live.db")
    return park, root / "live.db"


def _n1(*args: str) -> tuple[Any, dict[str, Any]]:
    result = CliRunner().invoke(cli.app, ["n1", *args, "--json"])
    return result, json.loads(result.output) if result.exit_code == 0 else {}


def test_the_study_starts_from_the_metered_loads_and_the_trucks_in_the_park(
    recorded: tuple[Path, Path],
) -> None:
    park, store = recorded
    result, doc = _n1(str(park), "--store", str(store), "--at", AT, "--hours", "2")
    assert result.exit_code == 0, result.output
    assert doc["at"] == "2026-01-05T10:00:00"
    with Store.open(store, read_only=True) as opened:
        state = state_at(Park.model_validate(ring_data()), opened, datetime(2026, 1, 5, 10))
    assert doc["state"] == {"trucks": 2, "outages": [], "metered_buildings": ["f2"]}
    assert len(state.trucks) == 2
    rows = {r["outage"]: r for r in doc["contingencies"]}
    # sub1 lost: nothing picks it up, so every load of the moment is unserved: f2 as metered
    # (4,000 kW), the others as the park's demand at 10:00 on a Monday: f1 300 + 1,200 in
    # shift, w1 60 + 180, o1 40 + 160, u1 250.
    assert rows["sub1"]["unserved_mw"] == pytest.approx((4000 + 1500 + 240 + 200 + 250) / 1000)
    assert rows["sub1"]["trucks_delayed"] >= 2  # the two at f2's docks wait for power
    assert rows["l1"]["restored_by"] == ["l4"] and rows["l1"]["secure"]
    again = _n1(str(park), "--store", str(store), "--at", AT, "--hours", "2")[1]
    assert again == doc  # same seed, same numbers


def test_the_latest_moment_is_the_default_and_a_report_is_written(
    recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    park, store = recorded
    out = tmp_path / "n1"
    result = CliRunner().invoke(
        cli.app, ["n1", str(park), "--store", str(store), "--hours", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "n1.json").read_text(encoding="utf-8"))
    assert doc["at"] == "2026-01-05T10:15:00"  # the store's newest message
    assert doc["state"]["metered_buildings"] == ["f2"]
    assert (out / "report.html").exists()


def test_bad_input_is_exit_2_and_writes_nothing(
    recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    park, store = recorded
    out = tmp_path / "n1"
    result, _ = _n1(str(park), "--store", str(store), "--at", "2026-01-04T10:00")
    assert_bad_input(result, "before the store's first message")
    result, _ = _n1(str(park), "--store", str(store), "--at", "day 0 10:00")
    assert_bad_input(result, "at")
    plain = dump(feeder_only_data(), tmp_path / "plain.yaml")
    result, _ = _n1(str(plain), "--store", str(store), "--at", AT, "--out", str(out))
    assert_bad_input(result, "power.network")
    result, _ = _n1(str(park), "--store", str(tmp_path / "none.db"), "--at", AT)
    assert result.exit_code == 2, result.output
    fault = tmp_path / "fault.yaml"
    fault.write_text(
        "scenario: {name: fault}\nevents:\n"
        "  - {outage: l1, from: {day: 0, at: '10:00'}, duration_h: 1}\n",
        encoding="utf-8",
    )
    result, _ = _n1(str(park), "-s", str(fault), "--store", str(store), "--at", AT)
    assert_bad_input(result, "events")
    assert not out.exists()
