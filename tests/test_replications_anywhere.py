"""Calibrate, nowcast and backtest run their replications through the experiment runner.

So they take ``-j``, ``--backend`` and ``--scheduler`` like ``run``, give the same numbers on
any of them, report progress and stop cleanly on Ctrl-C. The numbers at ``-j 1`` are those the
loops gave before the runner ran them: the same streams per replication (Streams(seed, i)).
The commands at ``-j 2`` start worker processes and are in the ``system`` tier.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from tests.history import known_park, write_history
from twin.calibration.sample import sensor_tables, write_sensors
from twin.errors import SettingError
from twin.experiment.runner import Interrupted, ReplicationError, replicate, run_cases
from twin.experiment.settings import Case, Settings, Workers
from twin.io.inputs import read_park
from twin.live.nowcast import forecast_samples, trace_series
from twin.live.replay import replay_into_store
from twin.live.state import state_at
from twin.live.store import Store
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.kpi import compute_kpis

runner = CliRunner()
SHORT = {"days": 0.5, "warmup_days": 0.25, "step_min": 30.0}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Two days of the known park: its park file, sensor folder and store."""
    root = tmp_path_factory.mktemp("known")
    folder = write_history(root / "sensors", days=2, seed=3)
    store = root / "known.db"
    replay_into_store(known_park(), folder, store)
    park = root / "known.json"
    park.write_text(known_park().model_dump_json(by_alias=True, exclude_none=True))
    return park, folder, store


# --------------------------------------------------------------------------- the runner


def test_replicate_measures_each_replication_as_the_engine_alone_does() -> None:
    park = read_park("demo-small")
    settings = Settings(**SHORT, seed=3, replications=3)
    cases = [Case(park), Case(park, seed=8)]
    got = replicate(cases, settings, compute_kpis)
    for case, seed in zip(got, (3, 8), strict=True):
        alone = [
            compute_kpis(run_engine(park, (), RunSpec(0.5, 0.25, 30.0, seed, i))) for i in range(3)
        ]
        assert case == alone
    kpis = run_cases([Case(park)], settings)[0].values
    assert [run["trucks.wait_mean_min"] for run in got[0]] == kpis["trucks.wait_mean_min"]


def test_replicate_gives_the_same_measures_with_two_workers() -> None:
    park = read_park("demo-small")
    cases = [Case(park), Case(park, seed=5)]
    one = replicate(cases, Settings(**SHORT, replications=4), compute_kpis)
    two = replicate(cases, Settings(**SHORT, replications=4, jobs=2), compute_kpis)
    assert one == two


def test_replicate_reports_progress_up_to_the_planned_count() -> None:
    seen: list[tuple[float, int]] = []
    settings = Settings(**SHORT, replications=3)
    replicate(
        [Case(read_park("demo-small"))] * 2,
        settings,
        compute_kpis,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_ctrl_c_in_a_replication_raises_interrupted() -> None:
    calls = []

    def measure(trace: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted):
        replicate([Case(read_park("demo-small"))], Settings(**SHORT, replications=4), measure)
    assert len(calls) == 2  # nothing ran after the interrupt


def test_a_replication_that_fails_twice_names_its_case_seed() -> None:
    def measure(trace: object) -> None:
        raise ValueError("broken measure")

    settings = Settings(**SHORT, seed=1, replications=1)
    with pytest.raises(ReplicationError) as caught:
        replicate([Case(read_park("demo-small"), seed=77)], settings, measure)
    message = str(caught.value)
    assert "its seed is 77" in message and "broken measure" in message
    assert "--first-replication" not in message  # not an option of the commands that use it


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"jobs": 0}, "jobs"),
        ({"backend": "x"}, "backend"),
        ({"scheduler": "tcp://h:1"}, "scheduler"),
    ],
)
def test_workers_are_checked_when_made(options: dict, named: str) -> None:
    with pytest.raises(SettingError) as caught:
        Workers(**options)
    assert caught.value.setting == named


# --------------------------------------------------------------------------- nowcast


def test_forecast_samples_are_the_replications_of_the_warm_start(history) -> None:
    """Replication i of a nowcast is the engine's replication i from the state, seed as given."""
    _, _, store = history
    park = known_park()
    with Store.open(store, read_only=True) as opened:
        state = state_at(park, opened)
    samples = forecast_samples(park, state, hours=1, replications=2, seed=9, step_min=15)
    for i in range(2):
        trace = run_engine(park, spec=RunSpec(1 / 24, 0.0, 15, 9, i), start=state)
        alone = trace_series(trace, samples.times, 15)
        assert alone.keys() == samples.values.keys()
        for name, row in alone.items():
            np.testing.assert_array_equal(samples.values[name][i], row)


@pytest.mark.system
def test_nowcast_cli_gives_the_same_forecast_at_j1_and_j2(history) -> None:
    park, _, store = history
    docs = []
    for jobs in ("1", "2"):
        args = ["nowcast", str(park), "--store", str(store), "--hours", "2", "-r", "4", "--json"]
        result = runner.invoke(app, [*args, "-j", jobs])
        assert result.exit_code == 0, result.output
        docs.append(json.loads(result.output))
    assert docs[0] == docs[1]
    assert docs[0]["replications"] == 4


def test_nowcast_cli_refuses_a_bad_backend_by_its_flag(history) -> None:
    park, _, store = history
    result = runner.invoke(app, ["nowcast", str(park), "--store", str(store), "--backend", "x"])
    assert result.exit_code == 2
    assert "--backend must be one of local, dask" in result.output


# --------------------------------------------------------------------------- backtest


@pytest.mark.system
def test_backtest_cli_gives_the_same_scores_at_j1_and_j2(history, tmp_path: Path) -> None:
    park, folder, _ = history
    docs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"bt{jobs}"
        args = ["backtest", str(park), str(folder), "--every", "360", "-r", "2"]
        result = runner.invoke(app, [*args, "--out", str(out), "-j", jobs])
        assert result.exit_code == 0, result.output
        doc = json.loads((out / "backtest.json").read_text())
        doc.pop("run_id")
        docs.append((doc, (out / "backtest.csv").read_text()))
    assert docs[0] == docs[1]
    assert docs[0][0]["origins"] >= 4


# --------------------------------------------------------------------------- calibrate


@pytest.fixture(scope="module")
def sensors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six days of demo-small's meters and trucks, made by the engine (only to have data)."""
    park = read_park("demo-small")
    meters = {("f1", "power_kw"): 15.0, ("fd1", "power_kw"): 60.0}
    flows = [f.id for f in park.logistics.flows]
    tables = sensor_tables(park, meters, flows, 6.0, seed=5, noise=0.02)
    folder = tmp_path_factory.mktemp("sensors")
    write_sensors(folder, park, tables)
    return folder


def _calibrate(sensors: Path, out: Path, *extra: str) -> tuple[int, str]:
    args = ["calibrate", "demo-small", str(sensors), "--out", str(out / "fitted.yaml")]
    result = runner.invoke(app, [*args, "--report", str(out / "report"), "-r", "3", *extra])
    return result.exit_code, result.output


@pytest.mark.system
def test_calibrate_gives_the_same_fit_and_validation_at_j1_and_j2(
    sensors: Path, tmp_path: Path
) -> None:
    found = []
    for jobs in ("1", "2"):
        code, output = _calibrate(sensors, tmp_path / jobs, "-j", jobs)
        assert code == 0, output
        doc = json.loads((tmp_path / jobs / "report" / "calibration.json").read_text())
        doc.pop("run_id")
        park = read_park(tmp_path / jobs / "fitted.yaml")
        found.append((doc, park))
    assert found[0] == found[1]
    assert found[0][0]["validation"]  # the held-out checks ran (and agree)


@pytest.mark.system
def test_dock_search_finds_the_same_counts_with_two_workers(sensors: Path) -> None:
    from twin.calibration.read import read_sensors
    from twin.calibration.search import search_docks

    park = read_park("demo-small")
    data = read_sensors(sensors, park)
    assert data.trucks is not None
    window = (data.period[0], data.period[0] + 3 * 1440.0)
    search = functools.partial(search_docks, park, data.trucks, window, data.timebase, seed=2)
    one, two = search(), search(workers=Workers(jobs=2))
    assert one and one == two
