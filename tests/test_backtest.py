"""The back-test, on a history simulated by a plain SimPy program from a known park."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from cli import app
from tests.history import known_park, write_history
from twin.errors import InputError, UsageError
from twin.live.backtest import Outcome, backtest, origin_seed, score
from twin.live.replay import replay_into_store
from twin.live.state import state_at
from twin.live.store import Store

runner = CliRunner()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Two days of the known park, as a sensor folder and as a store."""
    folder = write_history(tmp_path_factory.mktemp("known") / "sensors", days=2, seed=3)
    store = folder.parent / "known.db"
    replay_into_store(known_park(), folder, store)
    return folder, store


@pytest.mark.slow
def test_nowcast_beats_both_baselines_and_its_band_is_calibrated(tmp_path):
    """Six days, hourly origins, 2 h ahead, 40 replications (the acceptance bar).

    Checked on two other seeds of the generator while writing it (nowcast MAE below both
    baselines on all three metrics each time). Coverage: p05/p95 bound a 90% prediction
    interval at any replication count (tests/test_trust.py checks R = 10 and 20); this test
    holds every metric to the 80-98% the back-test promises; counts tie, and their bands hold more.
    """
    folder = write_history(tmp_path / "sensors", days=6, seed=11)
    result = backtest(known_park(), folder, every_min=60, hours=2, replications=40)
    scores = result.scores()
    print("\n" + json.dumps(result.document()["metrics"], indent=1))
    for metric in ("docks.queue", "trucks.in_park", "trucks.gate_to_dock_min"):
        s = scores[metric]
        assert s.n >= 60, metric
        assert s.mae < s.mae_persistence and s.mae < s.mae_cold, (metric, s)
    assert 0.80 <= scores["docks.queue"].coverage90 <= 0.98
    assert 0.80 <= scores["trucks.in_park"].coverage90 <= 0.98
    assert 0.80 <= scores["trucks.gate_to_dock_min"].coverage90 <= 0.98


def test_a_folder_and_the_store_it_fills_give_the_same_numbers(history):
    folder, store = history
    options = {"every_min": 120, "hours": 2, "replications": 3}
    from_folder = backtest(known_park(), folder, **options).document()
    from_store = backtest(known_park(), store, **options).document()
    assert from_folder == from_store
    with Store.open(store, read_only=True) as opened:
        first, last = opened.span()
    # Origins: every 2 h of the clock, from 6 h after the first message to 2 h before the last.
    lead = first + timedelta(hours=6)
    expected = datetime(
        2026, 1, 5, 2 * math.ceil((lead - datetime(2026, 1, 5)) / timedelta(hours=2))
    )
    assert from_folder["first_origin"] == expected.isoformat()
    assert datetime.fromisoformat(from_folder["last_origin"]) + timedelta(hours=4) > last
    assert from_folder["flows_left_out"] == []


def test_persistence_is_the_state_at_the_origin_and_truth_the_hindsight_count(history):
    _, store_path = history
    result = backtest(known_park(), store_path, every_min=120, hours=2, replications=2)
    origin = result.origins[3]
    with Store.open(store_path, read_only=True) as store:
        state = state_at(known_park(), store, origin)
        later = state_at(known_park(), store, result.origins[4])  # 2 h on, its own state
    rows = {o.series: o for o in result.outcomes if o.origin == origin}
    assert rows["trucks.in_park"].persistence == len(state.trucks)
    queued = [t for t in state.trucks_in("dock_queue") if t.dock_group == "d1"]
    assert rows["docks.d1.queue"].persistence == len(queued)
    # With no message lost, what the state at the target sees is what happened.
    assert rows["trucks.in_park"].truth == len(later.trucks)


def test_origins_can_be_limited_and_bad_options_are_refused(history):
    folder, _ = history
    limited = backtest(
        known_park(), folder, every_min=60, hours=1, replications=1,
        start=datetime(2026, 1, 5, 10), end=datetime(2026, 1, 5, 12),
    )  # fmt: skip
    assert [o.hour for o in limited.origins] == [10, 11, 12]
    with pytest.raises(UsageError, match="whole minutes"):
        backtest(known_park(), folder, every_min=0.5)
    with pytest.raises(UsageError, match="no origin fits"):
        backtest(known_park(), folder, hours=60)
    with pytest.raises(UsageError, match="origins fall every 100000 min from midnight"):
        backtest(known_park(), folder, every_min=100_000)  # the history has room; the step not
    with pytest.raises(InputError, match="no such sensor folder or store"):
        backtest(known_park(), folder / "nope")


def test_cli_writes_the_files_and_prints_a_verdict(history, tmp_path):
    folder, _ = history
    park = tmp_path / "known.json"
    park.write_text(known_park().model_dump_json(by_alias=True, exclude_none=True))
    out = tmp_path / "bt"
    result = runner.invoke(
        app, ["backtest", str(park), str(folder), "--every", "240", "-r", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "verdict: at 2 h the nowcast beats persistence and the cold start on" in result.output
    doc = json.loads((out / "backtest.json").read_text())
    assert doc["origins"] == 10 and doc["every_min"] == 240 and doc["replications"] == 2
    assert set(doc["metrics"]) == {"docks.queue", "trucks.in_park", "trucks.gate_to_dock_min"}
    assert set(doc["metrics"]["docks.queue"]) >= {
        "mae",
        "mae_persistence",
        "mae_cold",
        "coverage90",
    }
    lines = (out / "backtest.csv").read_text().splitlines()
    assert lines[0].startswith("origin,series,metric,truth,nowcast,p05,p95,persistence,cold")
    assert len(lines) == 1 + 10 * 4  # two dock groups, trucks in park, gate-to-dock
    page = (out / "report.html").read_text()
    assert page.count("<svg") == 3 and "cold start" in page
    assert "| trucks in the park |" in (out / "report.md").read_text()  # metrics in words


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--every", "0"], "--every must be whole minutes"),
        (["--every", "1e12"], "--every must be whole minutes from 1 to 527,040"),  # no overflow
        (["--hours", "1.001"], "--hours must be whole minutes"),
        (["--from", "2026-01-06T10:00", "--to", "2026-01-05T10:00"], "before --from"),
        (["--from", "noon"], "--from"),
        (["--hours", "-1"], "hours"),
    ],
)
def test_cli_bad_options_exit_2_with_a_message(history, extra, message):
    folder, _ = history
    result = runner.invoke(app, ["backtest", str(folder), *extra])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_missing_source_exits_2(tmp_path):
    result = runner.invoke(app, ["backtest", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "no such sensor folder or store" in result.output


def test_a_history_without_trucks_is_refused(tmp_path):
    folder = tmp_path / "meters-only"
    folder.mkdir()
    (folder / "meters.csv").write_text(
        "timestamp,asset,quantity,value\n"
        + "".join(f"2026-01-05T{h:02d}:00,f1,power_kw,100\n" for h in range(24))
    )
    with pytest.raises(UsageError, match="no truck event"):
        backtest(known_park(), folder, hours=1)


def test_each_origin_draws_its_own_random_numbers_the_same_for_every_range(history):
    """One seed at every origin made every origin's forecast err alike (see origin_seed)."""
    at = datetime(2026, 1, 6, 10)
    seeds = {origin_seed(0, at + timedelta(hours=h)) for h in range(48)}
    assert len(seeds) == 48
    assert origin_seed(0, at) == origin_seed(0, at) != origin_seed(1, at)
    folder, _ = history
    options = {"hours": 2, "replications": 3}
    whole = backtest(known_park(), folder, every_min=120, **options).outcomes
    late = backtest(known_park(), folder, every_min=120, start=whole[-1].origin, **options)
    last = [o for o in whole if o.origin == whole[-1].origin]
    assert [o.nowcast for o in late.outcomes] == [o.nowcast for o in last]


def test_scores_by_hand():
    """MAE, bias and RMSE of three outcomes; an incomplete one is left out."""
    at = datetime(2026, 1, 6, 10)

    def outcome(truth, nowcast, persistence, cold):
        return Outcome(at, "s", "m", truth, nowcast, 0.0, 9.0, persistence, cold, 0.0, 1.0)

    rows = [outcome(0, 1, 0, 2), outcome(0, 1, 0, 2), outcome(4, 1, 4, 2), outcome(1, None, 1, 1)]
    s = score(rows)
    assert s.n == 3
    assert (s.mae, s.mae_persistence, s.mae_cold) == (1.6667, 0.0, 2.0)
    assert (s.bias, s.bias_cold) == (-0.3333, 0.6667)
    assert s.rmse == round(math.sqrt(11 / 3), 4) and s.rmse_cold == 2.0
    assert s.coverage90 == 1.0 and s.coverage90_cold == 0.6667  # 4 is outside [0, 1]
