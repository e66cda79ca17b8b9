"""The library calls behind ``parktwin nowcast``, ``parktwin backtest`` and the scheduled nowcast.

Each takes plain values (a park source, paths, texts such as the time `at` and the `alerts`),
checks them with messages that name the parameter, makes the library call and writes the output
files. They print nothing: the command line shows the results.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from twin.api import output_language
from twin.errors import UsageError
from twin.experiment.runner import Progress
from twin.experiment.settings import Workers
from twin.io.inputs import read_park, resolve_inputs
from twin.io.output import atomic_write_text
from twin.io.result_folder import write_result
from twin.live.backtest import Backtest, backtest
from twin.live.n1 import live_n1
from twin.live.nowcast import STEP_MIN, alert_thresholds, check_options, nowcast_store
from twin.live.run import Setup, parse_moment
from twin.live.store import Store
from twin.model.labels import asset_names
from twin.model.schema import Park
from twin.reports.backtest import write_backtest
from twin.reports.n1 import write_n1
from twin.text import csv_text

R = TypeVar("R")


def parse_thresholds(texts: Sequence[str]) -> dict[str, float]:
    """`alerts` given as ``SERIES=VALUE`` texts, as thresholds by series.

    Raises:
        UsageError: not of the form ``SERIES=VALUE`` with a number.
    """
    thresholds = {}
    for text in texts:
        name, sep, value = text.partition("=")
        try:
            number = float(value) if sep else math.nan
        except ValueError:
            number = math.nan
        if not name.strip() or not math.isfinite(number):
            raise UsageError(
                f"`alerts`: expected SERIES=VALUE (e.g. docks.d1.queue=8), got '{text}'"
            )
        thresholds[name.strip()] = number
    return thresholds


def nowcast_command(
    park: str | Path | Park | None,
    store_path: str | Path,
    at: str | None = None,
    *,
    hours: float = 4,
    replications: int = 20,
    seed: int = 0,
    alerts: Sequence[str] = (),
    seen_only: bool = False,
    out: Path | None = None,
    workers: Workers | None = None,
    progress: Progress | None = None,
    follow: bool = True,
) -> dict[str, Any]:
    """``parktwin nowcast``: the forecast.json document (written into `out` when given).

    `workers` say where the replications run (processes, a dask cluster): the same numbers on any;
    `progress` is called with (replications done, planned); `follow` re-estimates rates and
    meter levels from the data (:mod:`twin.live.follow`).
    """
    source = read_park(park)
    moment = parse_moment(at, source)
    thresholds = parse_thresholds(alerts)

    def compute() -> dict[str, Any]:
        with Store.open(store_path, read_only=True) as store:
            return nowcast_store(
                source, store, moment, hours=hours, replications=replications, seed=seed,
                thresholds=thresholds, seen_only=seen_only, workers=workers, progress=progress,
                follow=follow,
            ).to_dict()  # fmt: skip

    return write_result(out, "parktwin nowcast", compute, write_forecast)


def n1_store_command(
    park: str | Path | Park | None,
    store_path: str | Path,
    at: str | None = None,
    *,
    scenario: str | Path | None = None,
    hours: float = 4,
    seed: int = 0,
    out: Path | None = None,
    lang: str | None = None,
) -> dict[str, Any]:
    """``parktwin n1 --store``: n1.json from the live state at `at` (default: the latest).

    The loads are the store's fresh meter readings at the moment, the trucks those in the park
    then (:func:`twin.live.n1.live_n1`); n1.json and the report are written to `out` as one unit.
    A `scenario` applies its changes; one with timed events is refused (the live state has its
    own outages). The report is in `lang` (default the park's language, else English).

    Raises:
        UsageError: a scenario with events, a bad moment, or as :func:`twin.live.n1.live_n1`.
    """
    inputs = resolve_inputs(park, scenario)
    if scenario is not None and inputs.events:
        raise UsageError(
            f"scenario {scenario}: its timed events cannot apply to the live state (its outages "
            "are the alarms in the store); give a scenario of changes only"
        )
    source = inputs.park if scenario is not None else read_park(park)
    moment = parse_moment(at, source)

    def compute() -> dict[str, Any]:
        with Store.open(store_path, read_only=True) as store:
            return live_n1(source, store, moment, hours=hours, seed=seed)

    language, names = output_language(lang, source), asset_names(source)
    return write_result(
        out, "parktwin n1", compute, lambda folder, r: write_n1(folder, r, language, names)
    )


def write_forecast(out: Path, doc: dict[str, Any]) -> list[Path]:
    """forecast.json and forecast.csv (one row per series and time) into the folder `out`."""
    rows = [
        {"series": name, "time": t, "mean": m, "p05": lo, "p95": hi}
        for name, s in doc["series"].items()
        for t, m, lo, hi in zip(s["time"], s["mean"], s["p05"], s["p95"], strict=True)
    ]
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
    return [
        atomic_write_text(out / "forecast.json", text + "\n"),
        atomic_write_text(out / "forecast.csv", csv_text(rows)),
    ]


def backtest_command(
    park: str | Path | Park | None,
    source: str | Path,
    *,
    every_min: float = 60,
    hours: float = 2,
    replications: int = 10,
    seed: int = 0,
    start: str | None = None,
    end: str | None = None,
    out: Path | None = None,
    workers: Workers | None = None,
    progress: Progress | None = None,
    follow: bool = True,
    lang: str | None = None,
) -> Backtest:
    """``parktwin backtest``: score nowcasts over a recorded history; write its files to `out`.

    `workers` say where the replications run; `progress` is called with (replications done,
    planned) of the origins' nowcasts; `follow` as in :func:`twin.live.backtest.backtest`;
    the report is in `lang` (default the park's language, else English).
    """
    model = read_park(park)
    language = output_language(lang, model)
    first = parse_moment(start, model, "start")
    last = parse_moment(end, model, "end")
    if first is not None and last is not None and last < first:
        raise UsageError(f"`end` {last:%Y-%m-%d %H:%M} is before `start` {first:%Y-%m-%d %H:%M}")

    def compute() -> Backtest:
        return backtest(
            model, source, every_min=every_min, hours=hours, replications=replications,
            seed=seed, start=first, end=last, workers=workers, progress=progress,
            follow=follow,
        )  # fmt: skip

    return write_result(
        out,
        "parktwin backtest",
        compute,
        lambda folder, r: write_backtest(folder, r, str(source), language),
    )


MIN_NOWCAST_EVERY_MIN = 5.0
"""``--nowcast-every`` at least: a nowcast takes seconds, so a feed nowcasting more often in
park time than that would spend its time forecasting instead of storing messages."""
MAX_NOWCAST_EVERY_MIN = 7 * 24 * 60.0


def nowcast_setup(
    every_min: float,
    *,
    hours: float = 4,
    replications: int = 20,
    seed: int = 0,
    alerts: Sequence[str] = (),
    seen_only: bool = False,
    follow: bool = True,
) -> Setup:
    """A setup that schedules the nowcast on a live run (``live --nowcast-every MIN``).

    Every `every_min` minutes of park time the run's job nowcasts from the store's state at
    that moment, stores the forecast and its alerts (``store.put_forecast``, ``put_alerts``),
    and publishes the forecast (retained) on the ``forecast`` topic and each alert on
    ``alerts``; `follow` as in :func:`twin.live.nowcast.nowcast_store`. The options are
    checked now, before the run starts.
    """
    if not MIN_NOWCAST_EVERY_MIN <= every_min <= MAX_NOWCAST_EVERY_MIN:
        raise UsageError(
            f"`nowcast_every`: expected minutes from {MIN_NOWCAST_EVERY_MIN:g} to "
            f"{MAX_NOWCAST_EVERY_MIN:g}, got {every_min:g}"
        )
    check_options(hours, replications, STEP_MIN)  # else every job of the run would fail
    thresholds = parse_thresholds(alerts)

    def setup(run: Any) -> None:
        alert_thresholds(run.park, thresholds)  # unknown series: refused before the first message

        def job(at: datetime) -> None:
            doc = nowcast_store(
                run.park, run.store, at, hours=hours, replications=replications, seed=seed,
                step_min=STEP_MIN, thresholds=thresholds, seen_only=seen_only, follow=follow,
            ).to_dict()  # fmt: skip
            run.store.put_forecast(doc)
            run.store.put_alerts(doc["alerts"])
            run.publish("forecast", doc, retain=True)
            for alert in doc["alerts"]:
                run.publish("alerts", alert)

        run.every(every_min, job)

    return setup
