"""The live twin follows change: rates and meter levels re-estimated from the data.

The data come from tests/history.py (a plain SimPy and numpy generator, not the engine): the
known park with a +40% step in every flow's arrival rate and in building f1's power at noon
of the second day.
"""

from __future__ import annotations

import csv
import json
import math
from datetime import datetime, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from tests.history import PROFILE_A, PROFILE_B, START, known_park, pooled_coverage, write_history
from twin.io.load import load_park
from twin.live.backtest import backtest
from twin.live.follow import following_at, meter_bands
from twin.live.nowcast import nowcast_store
from twin.live.replay import replay_into_store
from twin.live.runlength import run_lengths
from twin.live.store import Store
from twin.reports.backtest import following_lines

runner = CliRunner()
STEP_DAY = 1.5
STEP = START + timedelta(days=STEP_DAY)


@pytest.fixture(scope="module")
def stepped(tmp_path_factory):
    """Three days of the known park, +40% arrivals and f1 power from noon of day 2."""
    root = tmp_path_factory.mktemp("stepped")
    folder = write_history(
        root / "sensors", days=3, seed=5, step=(STEP_DAY, 1.4), power_step=("f1", STEP_DAY, 1.4)
    )
    store = root / "stepped.db"
    replay_into_store(known_park(), folder, store)
    park = root / "known.json"
    park.write_text(known_park().model_dump_json(by_alias=True, exclude_none=True))
    return park, folder, store


def _values(store_path, at, enabled=True):
    with Store.open(store_path, read_only=True) as store:
        following = following_at(known_park(), store, at, enabled)
    return following, {v.name: v for v in following.values}


def test_a_step_in_a_buildings_power_is_found_with_its_time_and_size(stepped):
    _, _, store = stepped
    following, values = _values(store, STEP + timedelta(hours=20))
    f1 = values["meters.f1.power_kw"]
    assert f1.change_at is not None and abs(f1.change_at - STEP) <= timedelta(hours=1)
    assert f1.change_pct == pytest.approx(40, abs=4)
    assert f1.factor == pytest.approx(1.4, rel=0.03)
    assert values["meters.f2.power_kw"].change_at is None  # f2 did not change
    assert values["meters.f2.power_kw"].factor == pytest.approx(1.0, rel=0.03)
    f1_power = next(b.power for b in following.park.buildings if b.id == "f1")
    assert f1_power is not None and f1_power.base_kw == pytest.approx(300 * f1.factor)
    doc = f1.to_dict()
    assert doc["change"]["time"] == f1.change_at.isoformat(timespec="seconds")
    assert doc["value"] == pytest.approx(doc["factor"] * doc["park_value"], rel=1e-3)


def test_the_meter_forecast_follows_the_new_level_and_without_following_does_not(stepped):
    _, _, store = stepped
    at = STEP + timedelta(hours=20)
    times = [at + timedelta(hours=h) for h in (1, 2)]
    followed, _ = _values(store, at)
    plain, values = _values(store, at, enabled=False)
    assert values == {} and plain.park == known_park()
    on = meter_bands(followed.park, followed, times)["meters.f1.power_kw"]
    off = meter_bands(plain.park, plain, times)["meters.f1.power_kw"]
    truth = 1.4 * (300 + 900)  # in shift at 09:00 and 10:00 of the third day
    assert on["p05"][0] <= truth <= on["p95"][0]
    assert not off["p05"][0] <= truth <= off["p95"][0]
    assert off["mean"][0] == pytest.approx(1200, rel=0.03)


def _realized(folder, flow, lo, hi):
    """Trucks of a flow that arrived in [lo, hi) over those its profile expects there."""
    with open(folder / "trucks.csv") as handle:
        rows = list(csv.DictReader(handle))
    seen = sum(
        1 for r in rows if r["flow"] == flow and lo <= datetime.fromisoformat(r["arrive"]) < hi
    )
    profile = PROFILE_A if flow == "fa" else PROFILE_B
    hours = int((hi - lo).total_seconds() // 3600)
    start = int((lo - START).total_seconds() // 3600)
    return seen / sum(profile[(start + h) % 24] for h in range(hours))


def test_arrival_rates_follow_the_step_within_a_day(stepped):
    _, folder, store = stepped
    before, _ = _values(store, STEP - timedelta(hours=1))
    at = STEP + timedelta(hours=30)
    after, values = _values(store, at)
    for flow in ("fa", "fb"):
        assert before.rates[flow].mean() == pytest.approx(
            _realized(folder, flow, START, STEP), abs=0.1
        )
        assert after.rates[flow].mean() == pytest.approx(_realized(folder, flow, STEP, at), abs=0.2)
        assert values[f"flows.{flow}.rate"].factor == after.rates[flow].mean()
    fa = values["flows.fa.rate"]  # fb's realised step on this seed is +19%, not yet confirmed
    assert fa.change_at is not None and abs(fa.change_at - STEP) <= timedelta(hours=6)
    assert fa.change_pct == pytest.approx(100 * (fa.factor / before.rates["fa"].mean() - 1), abs=15)


def test_the_run_length_posterior_against_the_conjugate_update_by_hand():
    """With no chance of a change, the posterior is the one Gamma of all the bins; with a
    clear step, the likeliest run starts at the step."""
    rng = np.random.default_rng(1)
    expected = np.full(60, 5.0)
    counts = rng.poisson(expected).astype(float)
    still = run_lengths(counts, expected, prior=10.0, hazard=1e-300)
    assert still.mean() == pytest.approx((10 + counts.sum()) / (10 + expected.sum()), rel=1e-12)
    stepped = np.concatenate([np.full(40, 5.0), np.full(20, 12.0)])  # x2.4 from bin 40
    moved = run_lengths(stepped, expected, prior=10.0, hazard=1 / 100)
    assert moved.likeliest() == 20 and moved.median(below=60) == 20
    assert moved.changed(60) > 0.999
    assert moved.mean() == pytest.approx((10 + 240) / (10 + 100), rel=0.01)
    draws = moved.sample(np.random.default_rng(0), 4000)
    assert draws.mean() == pytest.approx(moved.mean(), rel=0.02)


def test_replication_parks_draw_the_rates_the_same_way_for_the_same_seed(stepped):
    _, _, store = stepped
    following, _ = _values(store, STEP + timedelta(hours=30))
    one = following.replication_parks(5, seed=3)
    two = following.replication_parks(5, seed=3)
    assert [p.logistics.flows for p in one] == [p.logistics.flows for p in two]
    rates = {p.logistics.flows[0].weekly_rates()[10] for p in one}
    assert len(rates) == 5  # each replication its own draw
    assert following.replication_parks(5, seed=4)[0] != one[0]


def test_forecast_json_says_what_was_followed_and_forecasts_the_meters(stepped):
    _, _, store = stepped
    at = STEP + timedelta(hours=20)
    with Store.open(store, read_only=True) as opened:
        doc = nowcast_store(known_park(), opened, at, hours=1, replications=3).to_dict()
        plain = nowcast_store(known_park(), opened, at, hours=1, replications=3, follow=False)
    following = doc["following"]
    assert following["enabled"] is True and following["method"]
    names = {v["name"]: v for v in following["values"]}
    assert set(names) == {"flows.fa.rate", "flows.fb.rate", "meters.f1.power_kw",
                          "meters.f2.power_kw"}  # fmt: skip
    assert names["meters.f1.power_kw"]["change"]["size_pct"] == pytest.approx(40, abs=4)
    assert names["flows.fa.rate"]["dispersion"] >= 1.0
    assert "dispersion" not in names["meters.f1.power_kw"]
    assert "meters.f1.power_kw" in doc["series"] and "power.fd1.load_mw" in doc["series"]
    assert plain.to_dict()["following"] == {"enabled": False, "method": None, "values": []}
    json.dumps(doc, allow_nan=False)


def test_cli_no_follow_on_nowcast_and_backtest(stepped, tmp_path):
    park, folder, store = stepped
    at = (STEP + timedelta(hours=20)).isoformat()
    base = ["nowcast", str(park), "--store", str(store), "--at", at, "--hours", "1", "-r", "2"]
    off = runner.invoke(app, [*base, "--json", "--no-follow"])
    on = runner.invoke(app, [*base, "--json"])
    assert off.exit_code == 0 and on.exit_code == 0, off.output + on.output
    assert json.loads(off.output)["following"]["enabled"] is False
    assert json.loads(on.output)["following"]["enabled"] is True
    out = tmp_path / "bt"
    args = ["backtest", str(park), str(folder), "--every", "720", "-r", "2", "--out", str(out)]
    result = runner.invoke(app, [*args, "--no-follow"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "backtest.json").read_text())
    assert doc["following"] == {"enabled": False, "changes": []}
    assert "following off" in (out / "report.md").read_text()
    for command in ("backtest", "nowcast", "live"):
        assert "--no-follow" in runner.invoke(app, [command, "--help"]).output


def test_the_backtest_lists_the_changes_it_followed(stepped, tmp_path):
    _, folder, _ = stepped

    start = datetime(2026, 1, 7, 8)
    result = backtest(known_park(), folder, every_min=240, hours=2, replications=2, start=start)
    power = [c for c in result.changes if c["name"] == "meters.f1.power_kw"]
    assert power and abs(datetime.fromisoformat(power[0]["time"]) - STEP) <= timedelta(hours=1)
    assert math.isclose(power[0]["size_pct"], 40, abs_tol=4)
    scores = result.scores()
    assert scores["meters.power_kw"].n == 2 * len(result.origins)
    lines = following_lines(result)
    assert any(line.startswith("meters.f1.power_kw: changed +") for line in lines)


@pytest.mark.system
@pytest.mark.parametrize("command", ["backtest", "nowcast"])
def test_following_gives_the_same_numbers_at_j1_and_j2(stepped, tmp_path, command):
    park, folder, store = stepped
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"{command}{jobs}"
        if command == "backtest":
            args = ["backtest", str(park), str(folder), "--every", "480", "-r", "3"]
        else:
            args = ["nowcast", str(park), "--store", str(store), "--hours", "2", "-r", "4"]
        result = runner.invoke(app, [*args, "--out", str(out), "-j", jobs])
        assert result.exit_code == 0, result.output
        name = "backtest.json" if command == "backtest" else "forecast.json"
        doc = json.loads((out / name).read_text())
        doc.pop("run_id", None)
        outputs.append(doc)
    assert outputs[0] == outputs[1]
    assert outputs[0]["following"]["enabled"] is True


@pytest.mark.slow
def test_after_a_step_the_nowcast_is_back_in_its_band_within_a_day_and_not_without_following():
    """+40% in every flow's arrivals and in f1's power at the start of day 2 of 4; the origins
    from a day after the step on, pooled over six seeds of the independent generator."""
    followed = pooled_coverage(range(6), 20, days=4, step_day=2)
    plain = pooled_coverage(range(6), 20, days=4, step_day=2, follow=False)
    print(f"\nfollowing: {followed}\nwithout: {plain}")
    for metric in ("docks.queue", "trucks.in_park", "trucks.gate_to_dock_min", "meters.power_kw"):
        assert 0.85 <= followed[metric][0] <= 0.95, (metric, followed[metric])
    assert plain["meters.power_kw"][0] < 0.6  # f1 is half the metered buildings
    assert plain["trucks.in_park"][0] < 0.8 and plain["docks.queue"][0] < 0.85


@pytest.mark.slow
@pytest.mark.parametrize("replications", [10, 20])
def test_following_does_no_harm_to_a_right_park(replications):
    """No step: the band holds 85-95% of the outcomes with following on, at R = 10 and 20."""
    followed = pooled_coverage(range(4), replications, days=3)
    print(f"\nR={replications}: {followed}")
    for metric in ("docks.queue", "trucks.in_park", "trucks.gate_to_dock_min", "meters.power_kw"):
        assert 0.85 <= followed[metric][0] <= 0.95, (metric, followed[metric])


def test_trucks_when_the_park_expects_none_and_a_meter_that_read_zero(tmp_path):
    """A flow whose profile has no truck at night yet trucks came, and a meter stuck at zero
    before it woke up: following stays finite and forecast.json stays plain JSON."""
    data = known_park().model_dump(by_alias=True, exclude_none=True)
    data["logistics"]["flows"][0]["hourly_profile"] = [0.0] * 6 + [5.0] * 18
    park = load_park(data)
    folder = tmp_path / "sensors"
    folder.mkdir()
    trucks = ["truck_id,flow,gate,dock_group,arrive,gate_out,dock_start,dock_end,depart"]
    for k in range(12):  # one an hour from 01:00, night and day
        at = START + timedelta(hours=1 + k)
        times = [at + timedelta(minutes=m) for m in (0, 2, 4, 30, 32)]
        trucks.append(f"N{k},fa,g1,d1," + ",".join(t.isoformat() for t in times))
    (folder / "trucks.csv").write_text("\n".join(trucks) + "\n")
    meters = ["timestamp,asset,quantity,value"]
    for q in range(1, 4 * 14):
        value = 0.0 if q < 24 else 1500.0
        meters.append(f"{(START + timedelta(minutes=15 * q)).isoformat()},f1,power_kw,{value}")
    (folder / "meters.csv").write_text("\n".join(meters) + "\n")
    replay_into_store(park, folder, tmp_path / "odd.db")
    with Store.open(tmp_path / "odd.db", read_only=True) as store:
        doc = nowcast_store(park, store, START + timedelta(hours=14), hours=1, replications=2)
    values = {v["name"]: v for v in doc.to_dict()["following"]["values"]}
    assert math.isfinite(values["flows.fa.rate"]["factor"])
    assert values["meters.f1.power_kw"]["factor"] > 1.0
    json.dumps(doc.to_dict(), allow_nan=False)


def test_a_daily_pattern_the_park_misses_is_not_a_change_every_morning(tmp_path):
    """The right park, but every building draws 30% less from 22:00 to 05:00, which its
    levels do not say: the hourly ratio steps at 05:00 and 22:00 every day and comes back, so
    no meter reports a change at any hour of four days (it did at 05:00 most mornings)."""
    folder = write_history(tmp_path / "sensors", days=4, seed=5, night=0.7)
    store = tmp_path / "night.db"
    replay_into_store(known_park(), folder, store)
    changes = []
    for hours in range(12, 4 * 24 + 1, 3):
        _, values = _values(store, START + timedelta(hours=hours))
        changes += [(hours, v.name) for v in values.values() if v.name.startswith("meters.")
                    and v.change_at is not None]  # fmt: skip
    assert changes == []
