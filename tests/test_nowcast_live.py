"""The nowcast on the live store: `parktwin nowcast`, and nowcasts scheduled on a live run."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from cli import app
from console.errors import message as cli_message
from tests.history import known_park, write_history
from twin.api.live import nowcast_setup, parse_thresholds
from twin.errors import UsageError
from twin.live.replay import Replay, replay_into_store
from twin.live.state import LOOKBACK_H, known_state, state_at
from twin.live.store import Store

runner = CliRunner()


@pytest.fixture(scope="module")
def park_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("park") / "known.json"
    path.write_text(known_park().model_dump_json(by_alias=True, exclude_none=True))
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A day of the known park in a store."""
    folder = write_history(tmp_path_factory.mktemp("day") / "sensors", days=1, seed=5)
    path = folder.parent / "day.db"
    replay_into_store(known_park(), folder, path)
    return path


def test_cli_nowcast_json_is_the_forecast_of_the_state_at_that_moment(park_file, store):
    args = ["nowcast", str(park_file), "--store", str(store), "--at", "2026-01-05T11:00"]
    result = runner.invoke(app, [*args, "--hours", "2", "-r", "5", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["origin"] == "2026-01-05T11:00:00" and doc["hours"] == 2
    assert len(doc["series"]["docks.d1.queue"]["time"]) == 8
    with Store.open(store, read_only=True) as opened:
        state = state_at(known_park(), opened, datetime(2026, 1, 5, 11))
    assert doc["state"]["trucks"] == len(state.trucks) > 0
    again = runner.invoke(app, [*args, "--hours", "2", "-r", "5", "--json"])
    assert json.loads(again.output) == doc  # same seed, same numbers


def test_cli_nowcast_prints_a_summary_and_writes_the_files(park_file, store, tmp_path):
    out = tmp_path / "fc"
    result = runner.invoke(
        app,
        ["nowcast", str(park_file), "--store", str(store), "--at", "2026-01-05T10:00",
         "-r", "4", "--alert", "docks.d1.queue=0", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "nowcast from 2026-01-05T10:00:00, 4 h ahead, 4 replications" in result.output
    assert "ALERT dock queue at d1 above 0" in result.output  # the group in words
    doc = json.loads((out / "forecast.json").read_text())
    assert doc["alerts"][0]["series"] == "docks.d1.queue"
    rows = (out / "forecast.csv").read_text().splitlines()
    assert rows[0] == "series,time,mean,p05,p95" and len(rows) == 1 + len(doc["series"]) * 16


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--alert", "docks.d1.queue"], "SERIES=VALUE"),
        (["--alert", "docks.zz.queue=3"], "no forecast series 'docks.zz.queue'"),
        (["--at", "noon"], "--at"),
        (["-r", "0"], "replications"),
    ],
)
def test_cli_nowcast_bad_options_exit_2(park_file, store, extra, message):
    result = runner.invoke(app, ["nowcast", str(park_file), "--store", str(store), *extra])
    assert result.exit_code == 2 and message in result.output


def test_cli_nowcast_without_a_store_exits_2(tmp_path):
    result = runner.invoke(app, ["nowcast", "--store", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no store here" in result.output


def test_scheduled_nowcasts_are_stored_and_published(tmp_path):
    folder = write_history(tmp_path / "sensors", days=1, seed=8)
    setup = nowcast_setup(180, hours=1, replications=2, alerts=["trucks.in_park=0"])
    with Store.open(tmp_path / "live.db") as opened:
        replay = Replay(known_park(), folder, opened)
        replay.ingester.batch_size = 20  # commits (and due jobs) every 20 messages
        published: list[tuple[str, bool]] = []
        replay.publish = lambda suffix, doc, retain=False: published.append((suffix, retain))
        setup(replay)
        replay.run()
        latest = opened.latest_forecast()
        alerts = opened.alerts()
    assert latest is not None and latest["origin"].endswith(":00:00")
    assert int(latest["origin"][11:13]) % 3 == 0  # due every 180 minutes of park time
    forecasts = [p for p in published if p[0] == "forecast"]
    assert len(forecasts) >= 6 and all(retain for _, retain in forecasts)
    assert alerts and all(a["series"] == "trucks.in_park" for a in alerts)
    assert published.count(("alerts", False)) == len(alerts)


def test_a_schedule_with_bad_options_is_refused_before_the_run():
    with pytest.raises(UsageError) as caught:
        nowcast_setup(0)
    assert "nowcast-every" in cli_message(caught.value)
    with pytest.raises(UsageError, match="SERIES=VALUE"):
        nowcast_setup(15, alerts=["x"])
    for options, flag in (({"hours": 0}, "--hours"), ({"replications": 0}, "--replications")):
        with pytest.raises(UsageError) as caught:
            nowcast_setup(60, **options)  # else every nowcast of the run fails, one by one
        assert cli_message(caught.value).startswith(f"{flag} must be")
    assert parse_thresholds(["a.b=1.5", " c.d = 2 "]) == {"a.b": 1.5, "c.d": 2.0}


def test_cli_live_replay_with_nowcast_every_stores_forecasts(park_file, tmp_path):
    folder = write_history(tmp_path / "sensors", days=1, seed=9)
    db = tmp_path / "live.db"
    args = ["live", str(park_file), "--replay", str(folder), "--store", str(db)]
    # 100,000 x real time: a day in under a second, paced, so commits (and jobs) keep coming.
    result = runner.invoke(
        app, [*args, "--speed", "100000", "--nowcast-every", "120", "--hours", "1", "-r", "2"]
    )
    assert result.exit_code == 0, result.output
    with Store.open(db, read_only=True) as opened:
        latest = opened.latest_forecast()
    assert latest is not None and latest["replications"] == 2 and latest["hours"] == 1
    refused = runner.invoke(app, [*args, "--nowcast-every", "60", "--alert", "nope=1"])
    assert refused.exit_code == 2 and "no forecast series 'nope'" in refused.output


def test_cli_nowcast_out_is_checked_and_never_clobbers_other_files(park_file, store, tmp_path):
    args = ["nowcast", str(park_file), "--store", str(store), "-r", "1", "--hours", "1"]
    a_file = tmp_path / "a-file"
    a_file.write_text("mine")
    result = runner.invoke(app, [*args, "--out", str(a_file)])
    assert result.exit_code == 2 and "a-file" in result.output
    assert a_file.read_text() == "mine"
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("keep")
    result = runner.invoke(app, [*args, "--out", str(theirs)])
    assert result.exit_code == 2 and "did not write" in result.output
    assert sorted(p.name for p in theirs.iterdir()) == ["notes.txt"]
    again = tmp_path / "fc"
    for _ in range(2):  # an earlier result of parktwin's own is replaced
        assert runner.invoke(app, [*args, "--out", str(again)]).exit_code == 0
    assert {"forecast.json", "forecast.csv", "manifest.json"} <= {p.name for p in again.iterdir()}


def test_too_many_samples_are_refused_before_simulating(park_file, store):
    result = runner.invoke(
        app, ["nowcast", str(park_file), "--store", str(store), "-r", "5000", "--hours", "168"]
    )
    assert result.exit_code == 2 and "samples per series" in result.output


def test_a_moment_before_the_store_begins_is_refused(park_file, store):
    result = runner.invoke(
        app, ["nowcast", str(park_file), "--store", str(store), "--at", "2020-01-01T00:00"]
    )
    assert result.exit_code == 2 and "before the store's first message" in result.output


def test_a_moment_long_after_the_store_ends_is_refused(park_file, store):
    with Store.open(store, read_only=True) as opened:
        span = opened.span()
        assert span is not None
        known_state(known_park(), opened, span[1] + timedelta(hours=LOOKBACK_H))  # a quiet day
    late = (span[1] + timedelta(hours=LOOKBACK_H, minutes=1)).isoformat()
    result = runner.invoke(app, ["nowcast", str(park_file), "--store", str(store), "--at", late])
    assert result.exit_code == 2, result.output  # not a forecast from a park the store forgot
    assert f"--at: {late} is more than 24 h after the store's last message" in result.output


def test_an_empty_store_has_nothing_to_start_from(park_file, tmp_path):
    Store.open(tmp_path / "empty.db").close()
    result = runner.invoke(app, ["nowcast", str(park_file), "--store", str(tmp_path / "empty.db")])
    assert result.exit_code == 2 and "no message in the store yet" in result.output
