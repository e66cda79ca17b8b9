"""A recorded history from a known park, made by a plain SimPy program (not the engine).

The park (:func:`known_park`) has one gate with two lanes, a one-minute road to two buildings
and a dock group at each, fed by two flows whose hourly rates rise above what the docks can
serve in the late morning, so queues build up and drain again: a history in which the state
now says much about the next hours, and the hour of day too. :func:`write_history` simulates
it with its own arrival process (thinning, not the engine's inversion), its own resources and
numpy's generators, and writes ``trucks.csv`` as a sensor folder has it (with ``gate_out``).
With `meters`, it also writes ``meters.csv``: each building's power every 15 minutes (the mean
over the quarter hour ending at the reading, with 4% noise of its own), from the levels below,
not from the engine's demand.
"""

from __future__ import annotations

import csv
import math
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from twin.io.load import load_park
from twin.live.backtest import backtest
from twin.model.schema import Park

START = datetime(2026, 1, 5)
LANES, GATE_MEAN, DRIVE = 2, 1.5, 1.0
PROFILE_A = [1.5] * 6 + [3.0, 4.5] + [5.5] * 4 + [3.5] * 6 + [2.0] * 6
PROFILE_B = [1.0] * 7 + [2.5, 3.5] + [5.0] * 5 + [2.0] * 5 + [1.0] * 5
GROUPS: dict[str, dict[str, Any]] = {
    "d1": {"building": "f1", "docks": 3, "service": {"dist": "gamma", "mean": 40, "sd": 12}},
    "d2": {"building": "f2", "docks": 2, "service": {"dist": "lognormal", "mean": 30, "sd": 10}},
}
FLOWS = {"fa": ("d1", PROFILE_A), "fb": ("d2", PROFILE_B)}
POWER = {"f1": (300.0, 900.0), "f2": (120.0, 260.0)}
"""Base and in-shift extra power of each building, kW; both work 06:00-22:00 every day."""
SHIFT_H = (6, 22)
METER_NOISE = 0.04
NIGHT_H = (22, 5)
"""The night of `meter_rows`' `night` factor: from 22:00 to 05:00."""


def known_park() -> Park:
    """The park the history is simulated from, as a park file describes it."""
    return load_park(
        {
            "park": {"name": "known", "start": START.isoformat(timespec="minutes")},
            "buildings": [
                {"id": "f1", "kind": "factory", "height_m": 10,
                 "footprint": [[0, 0], [100, 0], [100, 50], [0, 50]], **_power("f1")},
                {"id": "f2", "kind": "warehouse", "height_m": 10,
                 "footprint": [[-100, 0], [-5, 0], [-5, 50], [-100, 50]], **_power("f2")},
            ],
            "logistics": {
                "gates": [{"id": "g1", "lanes": LANES, "position": [0, -110],
                           "service": {"dist": "exponential", "mean": GATE_MEAN}}],
                # 100 m at 6 km/h: one minute each way.
                "roads": [{"id": "r1", "points": [[0, -110], [0, -10]], "speed_kmh": 6}],
                "dock_groups": [{"id": g, **spec} for g, spec in GROUPS.items()],
                "flows": [{"id": f, "gate": "g1", "dock_group": g, "hourly_profile": p}
                          for f, (g, p) in FLOWS.items()],
            },
            "power": {
                "substations": [{"id": "s1", "capacity_mw": 10, "position": [200, 0]}],
                "feeders": [{"id": "fd1", "substation": "s1", "capacity_mw": 5}],
            },
        }
    )  # fmt: skip


def _power(building: str) -> dict[str, Any]:
    base, shift = POWER[building]
    hours = {"start": f"{SHIFT_H[0]:02d}:00", "end": f"{SHIFT_H[1]:02d}:00"}
    return {"shifts": [hours], "power": {"feeder": "fd1", "base_kw": base, "shift_kw": shift}}


def meter_rows(
    days: float, seed: int, step: tuple[str, float, float] | None = None, night: float = 1.0
) -> list[tuple[float, str, float]]:
    """Every power reading of `days` days: (minute, building, kW).

    With `step` = (building, day, factor), that building's power is `factor` times as high
    from that day on. Every building's power is `night` times as high from 22:00 to 05:00
    (a daily pattern the park file does not have). The noise has its own generator, so the
    trucks do not change.
    """
    rng = np.random.default_rng([seed, 7])
    rows = []
    for minute in np.arange(15.0, days * 1440 + 1e-9, 15.0):
        for building, (base, shift) in POWER.items():
            start, end = minute - 15.0, minute
            day_min = start % 1440
            in_shift = SHIFT_H[0] * 60 <= day_min < SHIFT_H[1] * 60  # quarters never straddle
            level = base + shift * in_shift
            if not NIGHT_H[1] * 60 <= day_min < NIGHT_H[0] * 60:
                level *= night
            if step is not None and building == step[0] and end > step[1] * 1440:
                level *= step[2]
            rows.append((float(minute), building, level * (1 + METER_NOISE * rng.normal())))
    return rows


def _service(rng: np.random.Generator, spec: dict[str, Any]) -> float:
    mean, sd = spec["mean"], spec["sd"]
    if spec["dist"] == "gamma":
        return float(rng.gamma((mean / sd) ** 2, sd * sd / mean))
    sigma2 = math.log(1 + (sd / mean) ** 2)
    return float(rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2)))


def simulate_history(
    days: float, seed: int, step: tuple[float, float] | None = None
) -> list[dict[str, Any]]:
    """Every truck visit of `days` days: flow, dock group and the minutes of each moment.

    With `step` = (day, factor), every flow's rate is `factor` times as high from that day on.
    """
    at, factor = step or (math.inf, 1.0)
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    gate = simpy.Resource(env, LANES)
    docks = {g: simpy.Resource(env, spec["docks"]) for g, spec in GROUPS.items()}
    visits: list[dict[str, Any]] = []

    def truck(flow: str, group: str) -> Any:
        visit: dict[str, Any] = {"flow": flow, "dock_group": group, "arrive": env.now}
        visits.append(visit)
        with gate.request() as lane:
            yield lane
            yield env.timeout(rng.exponential(GATE_MEAN))
        visit["gate_out"] = env.now
        yield env.timeout(DRIVE)
        with docks[group].request() as dock:
            yield dock
            visit["dock_start"] = env.now
            yield env.timeout(_service(rng, GROUPS[group]["service"]))
        visit["dock_end"] = env.now
        visit["depart"] = env.now + DRIVE

    def source(flow: str, group: str, profile: list[float]) -> Any:
        top = max(profile) * max(factor, 1.0) / 60.0
        while True:  # thinning: candidates at the top rate, kept with rate(t) / top
            yield env.timeout(rng.exponential(1 / top))
            scale = factor if env.now >= at * 1440 else 1.0
            if rng.random() < scale * profile[int(env.now // 60) % 24] / 60.0 / top:
                env.process(truck(flow, group))

    for flow, (group, profile) in FLOWS.items():
        env.process(source(flow, group, profile))
    env.run(until=days * 1440)
    return visits


def write_history(
    folder: Path,
    days: float = 4,
    seed: int = 11,
    step: tuple[float, float] | None = None,
    meters: bool = False,
    power_step: tuple[str, float, float] | None = None,
    night: float = 1.0,
) -> Path:
    """Simulate the known park for `days` days and write the sensor folder's trucks.csv
    (`step` as in :func:`simulate_history`), and with `meters` its meters.csv
    (`power_step` as `step` and `night` as in :func:`meter_rows`)."""
    folder.mkdir(parents=True, exist_ok=True)
    if meters or power_step is not None or night != 1.0:
        with open(folder / "meters.csv", "w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["timestamp", "asset", "quantity", "value"])
            for minute, building, kw in meter_rows(days, seed, power_step, night):
                moment = (START + timedelta(minutes=minute)).isoformat(timespec="seconds")
                out.writerow([moment, building, "power_kw", f"{kw:.3f}"])
    columns = ["arrive", "gate_out", "dock_start", "dock_end", "depart"]
    horizon = days * 1440
    with open(folder / "trucks.csv", "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["truck_id", "flow", "gate", "dock_group", *columns])
        for k, visit in enumerate(simulate_history(days, seed, step)):
            times = [visit.get(c) for c in columns]
            cells = [
                "" if t is None or t > horizon else
                (START + timedelta(minutes=t)).isoformat(timespec="seconds")
                for t in times
            ]  # fmt: skip
            out.writerow([f"T{k:05d}", visit["flow"], "g1", visit["dock_group"], *cells])
    return folder


def pooled_coverage(
    seeds: range,
    replications: int,
    *,
    days: float = 3.0,
    step_day: float | None = None,
    factor: float = 1.4,
    after_h: float = 24.0,
    follow: bool = True,
    meters: bool = True,
) -> dict[str, tuple[float, int]]:
    """Each back-test metric's band coverage pooled over the seeds' histories, and its n.

    With `step_day`, every flow's rate and building f1's power step up by `factor` at the
    start of that day, and only the origins from `after_h` hours past the step are scored.
    Seed s writes the history of seed 100 + s and back-tests with base seed s.
    """
    inside: dict[str, float] = {}
    count: dict[str, int] = {}
    for seed in seeds:
        step = (step_day, factor) if step_day is not None else None
        power = ("f1", step_day, factor) if step_day is not None else None
        start = START + timedelta(days=step_day, hours=after_h) if step_day is not None else None
        with tempfile.TemporaryDirectory() as folder:
            history = write_history(
                Path(folder) / "sensors", days=days, seed=100 + seed, step=step,
                meters=meters, power_step=power,
            )  # fmt: skip
            result = backtest(
                known_park(), history, replications=replications, seed=seed, start=start,
                follow=follow,
            )  # fmt: skip
        for metric, score in result.scores().items():
            inside[metric] = inside.get(metric, 0.0) + score.coverage90 * score.n
            count[metric] = count.get(metric, 0) + score.n
    return {m: (inside[m] / count[m], count[m]) for m in count if count[m]}
