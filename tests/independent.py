"""An independent truck-park generator in plain SimPy and numpy (not parktwin's engine).

It writes ``trucks.csv`` for a small park whose truth is known, so that calibration is tested
against data that no parktwin code made (a mistake shared by the engine and the fitter would
pass a test on the engine's own data). Trucks arrive as a non-homogeneous Poisson process
(thinning), queue FCFS for a gate lane, pass it, drive to their dock group, queue FCFS for a
dock, are served, drive back and leave (the way out has no gate time, as in SPEC.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy

START = np.datetime64("2026-01-05T00:00:00")  # a Monday
ROAD_M = 500.0
SPEED_KMH = 30.0
DRIVE_MIN = ROAD_M / 1000.0 / SPEED_KMH * 60.0  # 1 minute each way

# hour-of-day shape of arrivals (peak 1.0 around midday, 0.25 at night)
SHAPE = np.array([0.25 + 0.75 * math.exp(-((((h + 0.5) - 13.0) / 4.0) ** 2)) for h in range(24)])


@dataclass(frozen=True)
class GroupTruth:
    """One dock group of the true park and the flow that feeds it."""

    group: str
    docks: int
    service: dict[str, Any]
    peak_per_hour: float


GATE = {"dist": "gamma", "mean": 1.8, "sd": 0.9}
LANES = 2
GROUPS = (
    GroupTruth("a-docks", 4, {"dist": "gamma", "mean": 40.0, "sd": 12.0}, 5.5),
    GroupTruth("b-docks", 2, {"dist": "lognormal", "mean": 30.0, "sd": 10.0}, 3.0),
    GroupTruth("c-docks", 3, {"dist": "normal", "mean": 25.0, "sd": 6.0}, 5.5),
)


def draw(spec: dict[str, Any], rng: np.random.Generator) -> float:
    """One draw of a distribution given as in the park format."""
    dist, mean = spec["dist"], spec.get("mean", 0.0)
    if dist == "gamma":
        shape = (mean / spec["sd"]) ** 2
        return float(rng.gamma(shape, mean / shape))
    if dist == "lognormal":
        sigma2 = math.log1p((spec["sd"] / mean) ** 2)
        return float(rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2)))
    if dist == "normal":
        while True:
            x = float(rng.normal(mean, spec["sd"]))
            if x > 0:
                return x
    if dist == "exponential":
        return float(rng.exponential(mean))
    raise ValueError(dist)


def arrivals(peak: float, days: float, rng: np.random.Generator) -> np.ndarray:
    """Arrival minutes of a Poisson process with rate peak × SHAPE[hour], by thinning."""
    horizon = days * 1440.0
    n = rng.poisson(peak * horizon / 60.0)
    times = np.sort(rng.uniform(0.0, horizon, n))
    hours = (times // 60.0).astype(int) % 24
    return times[rng.uniform(size=n) < SHAPE[hours]]


WEEKDAY_FACTORS = (1.0, 1.1, 1.0, 0.9, 1.2, 0.6, 0.3)
"""Volume of each weekday (Monday first) against the hourly shape, for weekly flows."""


def weekly_rates(peak: float, factors: tuple[float, ...] = WEEKDAY_FACTORS) -> np.ndarray:
    """The 168 hourly rates (Monday 00:00 first) of a flow: peak × SHAPE[hour] × factor[day]."""
    return np.array([peak * SHAPE[h] * factors[d] for d in range(7) for h in range(24)])


def weekly_arrivals(
    rates: np.ndarray, days: float, rng: np.random.Generator, holidays: tuple[int, ...] = ()
) -> np.ndarray:
    """Arrival minutes of a Poisson process with 168 weekly `rates` per hour, by thinning.

    The days numbered in `holidays` (0 = the first day, a Monday) run Sunday's hours.
    """
    top = float(np.max(rates))
    horizon = days * 1440.0
    n = rng.poisson(top * horizon / 60.0)
    times = np.sort(rng.uniform(0.0, horizon, n))
    day = (times // 1440.0).astype(int)
    weekday = np.where(np.isin(day, holidays), 6, day % 7)
    hour = (times // 60.0).astype(int) % 24
    return times[rng.uniform(size=n) * top < rates[weekday * 24 + hour]]


NIGHT = (22, 6)  # the night shift of a staffing schedule, hours


def night_closures(env: simpy.Environment, docks: Any, closed: int, days: float) -> Any:
    """Hold `closed` docks every night (22:00 to 06:00): requests ahead of every truck."""
    held: list[Any] = []
    start, end = NIGHT
    changes = [(0.0, closed)]  # midnight: the night is on
    for day in range(int(days) + 1):
        changes += [(day * 1440.0 + end * 60.0, 0), (day * 1440.0 + start * 60.0, closed)]
    for at, want in changes:
        if at > env.now:
            yield env.timeout(at - env.now)
        while len(held) < want:
            held.append(docks.request(priority=-1))
        while len(held) > want:
            request = held.pop()
            if request.triggered:
                docks.release(request)
            else:
                request.cancel()


def simulate(
    days: float,
    seed: int,
    night_docks: dict[str, int] | None = None,
    groups: tuple[GroupTruth, ...] = GROUPS,
    lanes: int = LANES,
    arrival_times: dict[str, np.ndarray] | None = None,
    service_steps: dict[str, tuple[float, float]] | None = None,
) -> list[dict[str, Any]]:
    """Every truck visit of the true park over `days`, as a dict of minutes.

    With `night_docks`, those groups have only that many docks staffed from 22:00 to 06:00
    (a truck in service finishes before its dock closes). The gate has `lanes` lanes.
    `arrival_times` gives some groups' arrival minutes instead of the daily shape's.
    `service_steps` maps a dock group (or ``"gate"``) to (day, factor): the service times
    of the trucks arriving from that day on are `factor` times as long (a change of work).
    """
    steps = service_steps or {}

    def scale(name: str, now: float) -> float:
        day, factor = steps.get(name, (math.inf, 1.0))
        return factor if now >= day * 1440.0 else 1.0

    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    gate = simpy.Resource(env, capacity=lanes)
    night = night_docks or {}
    docks = {
        g.group: simpy.PriorityResource(env, capacity=g.docks)
        if g.group in night
        else simpy.Resource(env, capacity=g.docks)
        for g in groups
    }
    for group, count in night.items():
        closed = next(g.docks for g in groups if g.group == group) - count
        env.process(night_closures(env, docks[group], closed, days))
    visits: list[dict[str, Any]] = []

    def truck(row: dict[str, Any], group: GroupTruth, gate_time: float, dock_time: float) -> Any:
        with gate.request() as lane:
            yield lane
            yield env.timeout(gate_time)
        row["gate_out"] = env.now
        yield env.timeout(DRIVE_MIN)
        with docks[group.group].request() as dock:
            yield dock
            row["dock_start"] = env.now
            yield env.timeout(dock_time)
        row["dock_end"] = env.now
        yield env.timeout(DRIVE_MIN)
        row["depart"] = env.now

    def source(group: GroupTruth, times: np.ndarray) -> Any:
        for k, t in enumerate(times.tolist()):
            yield env.timeout(t - env.now)
            row = {"truck_id": f"{group.group[0].upper()}{k:06d}", "flow": f"in-{group.group}"}
            row.update(arrive=env.now, group=group.group)
            visits.append(row)
            gate_time = draw(GATE, rng) * scale("gate", env.now)
            dock_time = draw(group.service, rng) * scale(group.group, env.now)
            env.process(truck(row, group, gate_time, dock_time))

    given = arrival_times or {}
    for group in groups:
        times = given.get(group.group)
        if times is None:
            times = arrivals(group.peak_per_hour, days, rng)
        env.process(source(group, times))
    env.run(until=days * 1440.0)
    return visits


def stamp(minutes: float) -> str:
    """Local ISO time to the second (empty for a missing time)."""
    if minutes is None or not math.isfinite(minutes):
        return ""
    moment = START + np.timedelta64(round(minutes * 60.0), "s")
    return str(moment)[:19]


def write_trucks(folder: Path, visits: list[dict[str, Any]], gate_out: bool) -> Path:
    """trucks.csv of the visits (with an extra plate column, as real exports have)."""
    folder.mkdir(parents=True, exist_ok=True)
    head = "truck_id,plate,flow,gate,dock_group,arrive," + ("gate_out," if gate_out else "")
    lines = [head + "dock_start,dock_end,depart"]
    for v in visits:
        times = [v.get("arrive"), *([v.get("gate_out")] if gate_out else [])]
        times += [v.get("dock_start"), v.get("dock_end"), v.get("depart")]
        cells = [v["truck_id"], "29C-" + v["truck_id"][1:], v["flow"], "g1", v["group"]]
        lines.append(",".join(cells + [stamp(t) if t is not None else "" for t in times]))
    path = folder / "trucks.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def park(
    gate: dict[str, Any],
    docks: dict[str, int],
    services: dict[str, Any],
    truth: tuple[GroupTruth, ...] = GROUPS,
    lanes: int = LANES,
) -> dict[str, Any]:
    """The park file of the independent park, with the given gate, counts and services."""
    buildings = []
    groups = []
    flows = []
    for i, g in enumerate(truth):
        x = 200.0 * i
        buildings.append(
            {
                "id": g.group.split("-")[0],
                "kind": "warehouse",
                "footprint": [[x, 520], [x + 100, 520], [x + 100, 600], [x, 600]],
                "height_m": 10,
                "entrance": [0, ROAD_M],
            }
        )
        groups.append(
            {
                "id": g.group,
                "building": g.group.split("-")[0],
                "docks": docks[g.group],
                "service": services[g.group],
            }
        )
        flows.append(
            {
                "id": f"in-{g.group}",
                "gate": "g1",
                "dock_group": g.group,
                "hourly_profile": [round(g.peak_per_hour * s, 4) for s in SHAPE.tolist()],
            }
        )
    return {
        "park": {"name": "Independent Park", "start": str(START)[:16]},
        "buildings": buildings,
        "logistics": {
            "gates": [{"id": "g1", "lanes": lanes, "service": gate, "position": [0, 0]}],
            "dock_groups": groups,
            "roads": [{"id": "r1", "points": [[0, 0], [0, ROAD_M]], "speed_kmh": SPEED_KMH}],
            "flows": flows,
        },
    }


def true_park(groups: tuple[GroupTruth, ...] = GROUPS, lanes: int = LANES) -> dict[str, Any]:
    """The park the data were generated from."""
    docks = {g.group: g.docks for g in groups}
    return park(GATE, docks, {g.group: g.service for g in groups}, groups, lanes)


def wrong_park() -> dict[str, Any]:
    """A park file whose gate, docks and services are all off."""
    data = park(
        {"dist": "exponential", "mean": 5.0},
        {g.group: g.docks + 2 for g in GROUPS},
        {g.group: {"dist": "exponential", "mean": 20.0} for g in GROUPS},
    )
    for flow in data["logistics"]["flows"]:
        del flow["hourly_profile"]
        flow["rate_per_hour"] = 1.0
    return data


@dataclass(frozen=True)
class LoadTruth:
    """One building's true load: base always, shift while one of its shifts runs.

    Shifts run on `days` (0 = Monday) but not on `holidays` (day numbers from the first day);
    from `step_day` on, every load is `step` times as high (a level change).
    """

    building: str
    base: float
    shift: float
    windows: tuple[tuple[float, float], ...]  # (start, end) hours; end <= start runs past 24:00
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    step_day: float | None = None
    step: float = 1.0


def shift_on(truth: LoadTruth, minutes: np.ndarray, holidays: tuple[int, ...] = ()) -> np.ndarray:
    """Whether a shift of `truth` runs at each minute (a shift belongs to the day it opens)."""
    on = np.zeros(len(minutes), dtype=bool)
    for start, end in truth.windows:
        length = (end - start) % 24 or 24
        opened = np.floor((minutes / 60.0 - start) / 24.0)  # the day the latest opening was on
        into = minutes / 60.0 - start - 24.0 * opened
        runs = np.isin(opened.astype(int) % 7, truth.days) & ~np.isin(opened.astype(int), holidays)
        on |= runs & (into < length)
    return on


def meter_values(
    truth: LoadTruth,
    days: float,
    interval_min: float,
    rng: np.random.Generator,
    noise: float = 0.02,
    holidays: tuple[int, ...] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Timestamps (minutes, each the end of its interval) and mean loads over the interval,
    averaged over one-minute steps, with relative Gaussian noise."""
    ends = np.arange(interval_min, days * 1440.0 + 1e-9, interval_min)
    minute = np.arange(days * 1440.0) + 0.5
    load = truth.base + truth.shift * shift_on(truth, minute, holidays)
    if truth.step_day is not None:
        load = np.where(minute >= truth.step_day * 1440.0, load * truth.step, load)
    per = round(interval_min)
    mean = load[: len(ends) * per].reshape(len(ends), per).mean(axis=1)
    return ends, mean * (1.0 + noise * rng.standard_normal(len(ends)))


def write_meters(
    folder: Path, series: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
) -> Path:
    """meters.csv of (asset, quantity) -> (minutes, values)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["timestamp,asset,quantity,value"]
    for (asset, quantity), (minutes, values) in series.items():
        lines += [
            f"{stamp(t)},{asset},{quantity},{v:.4f}" for t, v in zip(minutes, values, strict=False)
        ]
    path = folder / "meters.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def day_type_shape(weekday: np.ndarray, saturday: np.ndarray, sunday: np.ndarray) -> dict[str, Any]:
    """A load shape by day type (24 hourly values each), normalised to a weekly mean of 1."""
    mean = (5 * weekday.mean() + saturday.mean() + sunday.mean()) / 7
    return {
        name: [round(float(v / mean), 6) for v in values]
        for name, values in (("weekday", weekday), ("saturday", saturday), ("sunday", sunday))
    }


def shaped_values(
    level: float,
    shape: dict[str, Any],
    days: float,
    interval_min: float,
    rng: np.random.Generator,
    noise: float = 0.02,
) -> tuple[np.ndarray, np.ndarray]:
    """Meter readings of a load `level` × `shape` (by day type), as :func:`meter_values`."""
    ends = np.arange(interval_min, days * 1440.0 + 1e-9, interval_min)
    minute = np.arange(days * 1440.0) + 0.5
    weekday = (minute // 1440.0).astype(int) % 7
    hour = (minute // 60.0).astype(int) % 24
    table = np.array([shape["weekday"]] * 5 + [shape["saturday"], shape["sunday"]])
    load = level * table[weekday, hour]
    per = round(interval_min)
    mean = load[: len(ends) * per].reshape(len(ends), per).mean(axis=1)
    return ends, mean * (1.0 + noise * rng.standard_normal(len(ends)))
