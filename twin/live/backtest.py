"""Back-test: nowcast at each origin of a recorded history and score it against what happened.

At every origin (every `every_min` minutes of the history), the state is rebuilt from the data
published up to the origin only (:func:`twin.live.state.state_at`), the nowcast runs from it,
and its value at the horizon's end is compared with what then happened, read with hindsight
from the whole history (:func:`twin.live.state.history_document`; gate-to-dock times from the
reconstructed visits). What happened, and persistence, come from the data alone: moments the
events do not publish are filled with routes the events themselves tell (:func:`data_routes`),
so two parks back-tested on one history are scored against the same outcomes. Two baselines
are scored the same way, at the same moments:

- persistence: the value at the origin holds (counts from the data up to the origin,
  gate-to-dock over the step that ends at the origin);
- cold start: the park simulated from empty with the usual one-day warm-up before the first
  origin, knowing nothing of the state: what the twin would say without the feed. Its
  replications also give it a band, whose coverage is reported beside the nowcast's.

Flows of which the history has no truck at all are left out of the park (and listed in
backtest.json): the sensors do not cover them. Errors are mean absolute errors at the horizon's
end; ``docks.queue`` pools every dock group.
The band is the nowcast's 5-95% band (``coverage90``: the share of outcomes inside it). A
moment where the outcome or a forecast has no value (no dock start in the step, for
gate-to-dock) is left out of that metric for all three.
"""

from __future__ import annotations

import functools
import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import InputError, UsageError
from twin.experiment.backends import Backend
from twin.experiment.runner import Progress, replicate
from twin.experiment.settings import Case, Workers
from twin.live.follow import Following, following_at, meter_bands
from twin.live.nowcast import (
    band,
    check_options,
    check_state,
    mean_gate_to_dock,
    replication_cases,
    seen_flows_only,
    series_names,
    trace_series,
)
from twin.live.replay import replay_into_store
from twin.live.state import LOOKBACK_H, history_document, state_at, state_from_events
from twin.live.store import Store, to_seconds
from twin.live.visits import ParkTimings, group_visits, moments, observed_routes
from twin.model.schema import Park
from twin.sim.start_state import StartState

EPOCH = datetime(1970, 1, 1)

METRICS = ("docks.queue", "trucks.in_park", "trucks.gate_to_dock_min")
METER_METRICS = ("meters.power_kw", "meters.water_m3h")
"""Scored when the history has readings of a metered building (each pools the buildings)."""
LEAD_H = 6.0
"""Hours of history before the first origin, so its state sees the trucks already inside."""
COLD_WARMUP_DAYS = 1.0
MAX_ORIGINS = 5000
MAX_EVERY_MIN = 366 * 24 * 60
"""Minutes between origins at most: a year (a longer step is past any date the store holds)."""


@dataclass
class Outcome:
    """One forecast moment of one series: what happened and what each forecast said."""

    origin: datetime
    series: str
    metric: str
    truth: float | None
    nowcast: float | None
    p05: float | None
    p95: float | None
    persistence: float | None
    cold: float | None
    cold_p05: float | None
    cold_p95: float | None

    def complete(self) -> bool:
        """Whether the outcome and every forecast have a value."""
        return None not in (self.truth, self.nowcast, self.persistence, self.cold)


@dataclass
class Backtest:
    """The scored back-test: every outcome, and the document of SPEC.md's backtest.json."""

    park: str
    origins: list[datetime]
    hours: float
    every_min: float
    replications: int
    seed: int
    outcomes: list[Outcome] = field(default_factory=list)
    flows_left_out: list[str] = field(default_factory=list)
    follow: bool = True
    changes: list[dict[str, Any]] = field(default_factory=list)

    def scores(self) -> dict[str, Score]:
        """Per metric: MAE of the nowcast, of persistence and of the cold start, coverage.

        The meter metrics are there when the history has outcomes of them.
        """
        metered = [m for m in METER_METRICS if any(o.metric == m for o in self.outcomes)]
        return {m: score([o for o in self.outcomes if o.metric == m]) for m in (*METRICS, *metered)}

    @property
    def first_origin(self) -> str | None:
        """The first origin as ISO text (None without any)."""
        return _iso(self.origins[0]) if self.origins else None

    @property
    def last_origin(self) -> str | None:
        """The last origin as ISO text (None without any)."""
        return _iso(self.origins[-1]) if self.origins else None

    def document(self) -> dict[str, Any]:
        """backtest.json."""
        return {
            "park": self.park,
            "origins": len(self.origins),
            "first_origin": self.first_origin,
            "last_origin": self.last_origin,
            "hours": self.hours,
            "every_min": self.every_min,
            "replications": self.replications,
            "seed": self.seed,
            "flows_left_out": self.flows_left_out,
            "following": {"enabled": self.follow, "changes": self.changes},
            "metrics": {name: s.to_dict() for name, s in self.scores().items()},
        }


@dataclass(frozen=True)
class Score:
    """One metric's errors and band coverage over the complete outcomes."""

    n: int
    mae: float = math.nan
    mae_persistence: float = math.nan
    mae_cold: float = math.nan
    coverage90: float = math.nan
    coverage90_cold: float = math.nan
    bias: float = math.nan  # mean of nowcast − truth: the MAE hides a forecast too high or low
    bias_cold: float = math.nan
    rmse: float = math.nan  # the mean is the best forecast under squared error, not under MAE
    rmse_persistence: float = math.nan
    rmse_cold: float = math.nan

    @property
    def beats_both(self) -> bool:
        """The nowcast's error is below persistence's and the cold start's."""
        return self.n > 0 and self.mae < min(self.mae_persistence, self.mae_cold)

    def to_dict(self) -> dict[str, float | int | None]:
        """As in backtest.json (None where there is no outcome)."""
        values = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in values.items()}


def score(outcomes: list[Outcome]) -> Score:
    """The score of some outcomes (those with every value)."""
    used = [o for o in outcomes if o.complete()]
    if not used:
        return Score(0)
    truth = np.array([o.truth for o in used], dtype=float)

    def error(values: list[float | None]) -> np.ndarray:
        return np.array(values, dtype=float) - truth

    def mae(values: list[float | None]) -> float:
        return round(float(np.mean(np.abs(error(values)))), 4)

    def bias(values: list[float | None]) -> float:
        return round(float(np.mean(error(values))), 4)

    def rmse(values: list[float | None]) -> float:
        return round(float(np.sqrt(np.mean(error(values) ** 2))), 4)

    def inside(low: list[float | None], high: list[float | None]) -> float:
        lo, hi = np.array(low, dtype=float), np.array(high, dtype=float)
        return round(float(np.mean((lo <= truth) & (truth <= hi))), 4)

    return Score(
        n=len(used),
        mae=mae([o.nowcast for o in used]),
        mae_persistence=mae([o.persistence for o in used]),
        mae_cold=mae([o.cold for o in used]),
        coverage90=inside([o.p05 for o in used], [o.p95 for o in used]),
        coverage90_cold=inside([o.cold_p05 for o in used], [o.cold_p95 for o in used]),
        bias=bias([o.nowcast for o in used]),
        bias_cold=bias([o.cold for o in used]),
        rmse=rmse([o.nowcast for o in used]),
        rmse_persistence=rmse([o.persistence for o in used]),
        rmse_cold=rmse([o.cold for o in used]),
    )


def backtest(
    park: Park,
    source: str | Path,
    *,
    every_min: float = 60,
    hours: float = 2,
    replications: int = 10,
    seed: int = 0,
    step_min: float = 15,
    start: datetime | None = None,
    end: datetime | None = None,
    workers: Workers | None = None,
    progress: Progress | None = None,
    follow: bool = True,
) -> Backtest:
    """Nowcast at each origin of a recorded history and score it (see the module docstring).

    Args:
        park: the park the history belongs to (its rates drive the forecasts).
        source: a sensor folder (replayed into a temporary store first) or a store file.
        every_min: minutes between origins (whole minutes, at most a year).
        hours: the horizon; errors are taken at its end.
        replications: replications of each nowcast and of the cold start.
        seed: base seed; each origin's nowcast draws its own from it (:func:`origin_seed`).
        step_min: the nowcast's step (gate-to-dock is averaged over the last one).
        start: no origin before this (default: the history's start plus 6 hours).
        end: no origin after this (default: the last one whose horizon the history covers).
        workers: where the replications run (default: one process); any gives the same numbers.
        progress: called with (replications done, planned) of the origins' nowcasts.
        follow: re-estimate the flows' rates and the buildings' meter levels at each origin
            from the data before it, after the last change found there
            (:mod:`twin.live.follow`); the changes found are listed in ``following``.

    Raises:
        InputError: the source cannot be read.
        UsageError: options out of range, or no origin fits the history.
    """
    check_options(hours, replications, step_min)
    if not (1 <= every_min <= MAX_EVERY_MIN and float(every_min).is_integer()):
        raise UsageError(
            f"`every_min` must be whole minutes from 1 to {MAX_EVERY_MIN:,} (a year), "
            f"got {every_min:g}"
        )
    if not float(hours * 60).is_integer():
        raise UsageError(f"`hours` must be whole minutes, got {hours:g}")
    with _history(park, source) as store:
        origins = _origins(store, every_min, hours, start, end)
        park, left_out = seen_flows_only(park, store)
        if not park.logistics.flows:
            raise UsageError(f"{source}: the history has no truck event: nothing to back-test")
        result = Backtest(park.park.name, origins, hours, every_min, replications, seed)
        result.flows_left_out, result.follow = left_out, follow
        horizon = timedelta(hours=hours)
        routes = data_routes(store)
        truth = _observed(park, store, origins, horizon, every_min, step_min, routes)
        states = [state_at(park, store, origin) for origin in origins]
        seen = [_seen_at(park, store, origin, routes) for origin in origins]
        followings = [following_at(park, store, o, follow) for o in origins]
        plain = [f.unfollowed(park) for f in followings] if follow else followings
    result.changes = changes_found(origins, followings)
    parks = [
        f.replication_parks(replications, origin_seed(seed, o)) if follow else [f.park]
        for f, o in zip(followings, origins, strict=True)
    ]
    workers = workers or Workers()
    with workers.open() as backend:
        targets = [o + horizon for o in origins]
        cold = _cold(park, targets, replications, seed, step_min, workers, backend)
        finals = _nowcasts(
            parks, origins, states, hours, replications, seed, step_min, workers, backend, progress
        )
    for k, (origin, now, final) in enumerate(zip(origins, seen, finals, strict=True)):
        outcomes = _outcomes(park, origin, origin + horizon, now, final, truth, cold, k)
        result.outcomes.extend(outcomes)
        target = origin + horizon
        result.outcomes.extend(_meter_outcomes(origin, target, followings[k], plain[k], truth))
    return result


def changes_found(origins: list[datetime], followings: list[Following]) -> list[dict[str, Any]]:
    """Each change following found: what, when, its size when last seen, the first origin
    that saw it."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for origin, following in zip(origins, followings, strict=True):
        for value in following.values:
            doc = value.to_dict()
            if doc["change"] is None:
                continue
            key = (doc["name"], doc["change"]["time"])
            first = found.get(key, {}).get("first_seen", _iso(origin))
            found[key] = {"name": doc["name"], **doc["change"], "first_seen": first}
    return sorted(found.values(), key=lambda c: (c["time"], c["name"]))


def _meter_outcomes(
    origin: datetime, target: datetime, followed: Following, plain: Following, truth: Table
) -> list[Outcome]:
    """The outcomes of the metered buildings: the followed forecast, the last reading
    (persistence) and the park's own levels (the cold start)."""
    now = meter_bands(followed.park, followed, [target])
    cold = meter_bands(plain.park, plain, [target])
    rows = []
    for name, forecast in now.items():
        quantity = name.rsplit(".", 1)[1]
        if f"meters.{quantity}" not in METER_METRICS or name not in cold:
            continue
        rows.append(
            Outcome(
                origin=origin,
                series=name,
                metric=f"meters.{quantity}",
                truth=truth.get(name, {}).get(target),
                nowcast=forecast["mean"][0],
                p05=forecast["p05"][0],
                p95=forecast["p95"][0],
                persistence=truth.get(name, {}).get(origin),
                cold=cold[name]["mean"][0],
                cold_p05=cold[name]["p05"][0],
                cold_p95=cold[name]["p95"][0],
            )
        )
    return rows


def _nowcasts(
    parks: list[list[Park]],
    origins: list[datetime],
    states: list[StartState],
    hours: float,
    replications: int,
    seed: int,
    step_min: float,
    workers: Workers,
    backend: Backend,
    progress: Progress | None,
) -> list[dict[str, np.ndarray]]:
    """Each origin's nowcast at the horizon's end: series -> (replications, 1) values.

    Every origin's replications run in one run of the runner, from its state with its own
    seed (:func:`origin_seed`): of its one park, or, when following gives a park per
    replication, one case each (:func:`twin.live.nowcast.replication_cases`). Only the
    horizon's end is sampled.
    """
    for park_set, state in zip(parks, states, strict=True):
        for park in park_set:
            check_state(park, state)
    steps = max(1, math.floor(hours * 60 / step_min + 1e-9))
    end = step_min * np.arange(1, steps + 1)[-1:]
    cases: list[Case] = []
    for park_set, origin, state in zip(parks, origins, states, strict=True):
        own = origin_seed(seed, origin)
        if len(park_set) == 1:
            cases.append(Case(park_set[0], start=state, seed=own))
        else:
            cases += replication_cases(park_set, state, own)
    per_case = 1 if len(parks[0]) > 1 else replications
    settings = workers.settings(hours / 24, 0.0, step_min, seed, per_case)
    measure = functools.partial(trace_series, times=end, step_min=step_min)
    runs = [run for case in replicate(cases, settings, measure, progress, backend) for run in case]
    names = series_names(parks[0][0])  # the parks differ in their rates and levels only
    by_origin = [runs[k : k + replications] for k in range(0, len(runs), replications)]
    return [{name: np.array([run[name] for run in rows]) for name in names} for rows in by_origin]


def origin_seed(seed: int, origin: datetime) -> int:
    """The seed of the nowcast made at `origin`: random numbers of its own.

    With one seed at every origin, every origin's forecast would draw the same arrivals (only
    shifted in time), so their errors would be alike and averaging over origins would not
    average them out: a back-test of the true park over a week at 8 h ahead then showed a
    nowcast 2 trucks above its own cold start at every origin. The seed is drawn from the base
    seed and the origin's minute, so an origin gets the same numbers whatever the range of
    origins, and two parks back-tested with one base seed share them (common random numbers).
    """
    minute = int((origin.replace(tzinfo=None) - EPOCH).total_seconds() // 60)
    return int(np.random.SeedSequence([seed, minute]).generate_state(1)[0])


@contextmanager
def _history(park: Park, source: str | Path) -> Iterator[Store]:
    """The history as a store: the store itself, or a sensor folder replayed into a new one."""
    path = Path(source)
    if not path.exists():
        raise InputError(str(path), "no such sensor folder or store")
    if path.is_file():
        with Store.open(path, read_only=True) as store:
            yield store
        return
    with tempfile.TemporaryDirectory(prefix="parktwin-backtest-") as folder:
        replay_into_store(park, path, Path(folder) / "history.db")
        with Store.open(Path(folder) / "history.db", read_only=True) as store:
            yield store


def _origins(
    store: Store, every_min: float, hours: float, start: datetime | None, end: datetime | None
) -> list[datetime]:
    span = store.span()
    if span is None:
        raise UsageError(f"{store.path}: the history is empty")
    first = max(span[0] + timedelta(hours=LEAD_H), start or span[0])
    last = min(span[1] - timedelta(hours=hours), end or span[1])
    step = timedelta(minutes=every_min)
    midnight = first.replace(hour=0, minute=0, second=0, microsecond=0)
    moment = midnight + step * math.ceil((first - midnight) / step)
    origins: list[datetime] = []
    while moment <= last and len(origins) <= MAX_ORIGINS:
        origins.append(moment)
        moment += step
    if not origins and first <= last:  # room for an origin, but the clock's steps miss it
        raise UsageError(
            f"no origin fits: origins fall every {every_min:g} min from midnight of "
            f"{first.date()}, and the first is past the last possible one ({_iso(last)}); "
            "give a shorter `every_min`"
        )
    if not origins:
        raise UsageError(
            f"no origin fits: the history runs {_iso(span[0])} to {_iso(span[1])}; origins need "
            f"{LEAD_H:g} h of history before them and {hours:g} h after"
        )
    if len(origins) > MAX_ORIGINS:
        raise UsageError(f"more than {MAX_ORIGINS} origins: a longer `every_min` or `start`/`end`")
    return origins


Table = dict[str, dict[datetime, float | None]]
"""Series name -> moment -> value (None: no value)."""


def data_routes(store: Store) -> ParkTimings:
    """The routes the history's own events tell (:func:`twin.live.visits.observed_routes`)."""
    events = store.truck_events()
    return observed_routes(group_visits(events, [to_seconds(e.time) for e in events]))


def _seen_at(park: Park, store: Store, origin: datetime, routes: ParkTimings) -> StartState:
    """The trucks at `origin` as the data up to it tell them, with the data's routes: what
    persistence carries forward, the same for every park."""
    events = store.truck_events(origin - timedelta(hours=LOOKBACK_H), origin)
    return state_from_events(park, events, origin, routes)


def _observed(
    park: Park,
    store: Store,
    origins: list[datetime],
    horizon: timedelta,
    every_min: float,
    step_min: float,
    routes: ParkTimings,
) -> Table:
    """What happened, with hindsight, at every origin and every horizon's end.

    Moments the events do not publish are told by the data's own `routes`
    (:func:`data_routes`), not the park's, so every park tested on a history is scored
    against the same outcomes.
    """
    grid = math.gcd(int(every_min), int(horizon.total_seconds() // 60))
    last = origins[-1] + horizon
    doc = history_document(park, store, origins[0], last, step_min=grid, routes=routes)
    moments_ = [datetime.fromisoformat(t) for t in doc["time"]]
    table: Table = {}
    for name, values in doc["series"].items():
        if name == "trucks.in_park" or name.startswith(("docks.", "meters.")):
            table[name] = dict(zip(moments_, values, strict=True))
    table["trucks.gate_to_dock_min"] = dict(
        zip(moments_, _observed_gate_to_dock(routes, store, moments_, step_min), strict=True)
    )
    return table


def _observed_gate_to_dock(
    routes: ParkTimings, store: Store, when: list[datetime], step_min: float
) -> list[float | None]:
    """Mean gate-to-dock time of the visits whose dock service started in each step."""
    events = store.truck_events(when[0] - timedelta(hours=LOOKBACK_H), when[-1])
    visits = group_visits(events, [to_seconds(e.time) for e in events])
    if not visits:
        return [None] * len(when)
    bounds = moments(visits, routes) / 60.0  # minutes on the store's axis
    bounds[~np.isfinite(bounds)] = np.nan
    times = np.array([to_seconds(t) / 60.0 for t in when])
    means = mean_gate_to_dock(bounds[:, 0], bounds[:, 4], times, step_min)
    return [None if math.isnan(m) else float(m) for m in means]


def _cold(
    park: Park,
    targets: list[datetime],
    replications: int,
    seed: int,
    step_min: float,
    workers: Workers,
    backend: Backend,
) -> dict[str, dict[str, list[float | None]]]:
    """The cold start's band at every target: the park run from empty, a day ahead."""
    midnight = targets[0].replace(hour=0, minute=0, second=0, microsecond=0)
    calendar = park.park.model_copy(update={"start": midnight.isoformat(timespec="seconds")})
    moved = park.model_copy(update={"park": calendar})
    times = np.array([(t - midnight).total_seconds() / 60.0 for t in targets])
    spec_days = (float(times.max()) + step_min) / 1440.0
    settings = workers.settings(spec_days, COLD_WARMUP_DAYS, step_min, seed, replications)
    measure = functools.partial(trace_series, times=times, step_min=step_min)
    runs = replicate([Case(moved)], settings, measure, backend=backend)[0]
    return {name: band(np.array([run[name] for run in runs])) for name in runs[0]}


def _outcomes(
    park: Park,
    origin: datetime,
    target: datetime,
    state: StartState,
    final: dict[str, np.ndarray],
    truth: Table,
    cold: dict[str, dict[str, list[float | None]]],
    k: int,
) -> list[Outcome]:
    """The outcomes of the `k`-th origin, for every series of the three metrics."""
    now = _persistence(park, state, truth, origin)
    rows = []
    for name, metric in scored_series(park):
        forecast = band(final[name])
        rows.append(
            Outcome(
                origin=origin,
                series=name,
                metric=metric,
                truth=truth[name].get(target),
                nowcast=forecast["mean"][0],
                p05=forecast["p05"][0],
                p95=forecast["p95"][0],
                persistence=now[name],
                cold=cold[name]["mean"][k],
                cold_p05=cold[name]["p05"][k],
                cold_p95=cold[name]["p95"][k],
            )
        )
    return rows


def scored_series(park: Park) -> list[tuple[str, str]]:
    """(forecast series, metric) pairs the back-test scores."""
    pairs = [(f"docks.{g.id}.queue", "docks.queue") for g in park.logistics.dock_groups]
    return [*pairs, ("trucks.in_park", "trucks.in_park"), ("trucks.gate_to_dock_min",) * 2]


def _persistence(
    park: Park, state: StartState, truth: Table, origin: datetime
) -> dict[str, float | None]:
    """The values at the origin, as the data up to it tell them."""
    group_of = {f.id: f.dock_group for f in park.logistics.flows}
    now: dict[str, float | None] = {f"docks.{g.id}.queue": 0.0 for g in park.logistics.dock_groups}
    for truck in state.trucks_in("dock_queue"):
        name = f"docks.{truck.dock_group or group_of[truck.flow]}.queue"
        now[name] = (now[name] or 0.0) + 1
    now["trucks.in_park"] = float(len(state.trucks))
    now["trucks.gate_to_dock_min"] = truth["trucks.gate_to_dock_min"].get(origin)
    return now


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat(timespec="seconds")
