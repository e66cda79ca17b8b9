"""Calibration at scale: a year of 15-minute readings of 50 meters and 800,000 truck visits.

python bench/bench_calibrate.py [--meters 50] [--days 365] [--trucks 800000] [--rounds 1]
                                [--replications 1]

Builds a park of 50 metered office buildings and 20 warehouses with 6 docks each (4 gates),
writes ``meters.csv`` (1.75 M rows) and ``trucks.csv`` (the visits of a first-come-first-served
gate and dock queue per warehouse, simulated here with a heap, with ``gate_out``), then times
``twin.calibrate`` on them: reading, every fit (arrivals, gates, docks, services, levels and
load shapes with their cross-validation, intervals) and the held-out validation (one
replication; ``--replications 0`` validates as ``parktwin calibrate`` does by default). The
baseline in the same run is reading the two files alone, so the ratio says what fitting adds
whatever the machine's load. Prints the times, the ratio and the peak
memory (ru_maxrss) of the process.
"""

from __future__ import annotations

import argparse
import heapq
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from twin.calibration import calibrate
from twin.calibration.read import read_sensors
from twin.io.load import load_park
from twin.model.schema import Park

WAREHOUSES = 20
GATES = 4
DOCKS = 6
SERVICE = (40.0, 12.0)  # gamma mean and sd, minutes
GATE_MEAN = 1.5  # exponential, minutes
LANES = 4


def bench_park(meters: int, trucks_per_day: float) -> Park:
    """Offices m000.. to meter, warehouses w00.. with docks, one flow each, four gates."""
    square = [[0, 0], [40, 0], [40, 30], [0, 30]]
    buildings: list[dict[str, Any]] = [
        {
            "id": f"m{k:03d}",
            "kind": "office",
            "footprint": [[x + 50 * k, y] for x, y in square],
            "height_m": 10,
            "shifts": [{"start": "08:00", "end": "18:00"}],
            "power": {"feeder": "fd1", "base_kw": 200, "shift_kw": 600},
        }
        for k in range(meters)
    ]
    buildings += [
        {
            "id": f"w{k:02d}",
            "kind": "warehouse",
            "footprint": [[x + 50 * k, y + 100] for x, y in square],
            "height_m": 10,
        }
        for k in range(WAREHOUSES)
    ]
    rate = trucks_per_day / 24.0 / WAREHOUSES
    return load_park(
        {
            "park": {"name": "Bench Park", "start": "2026-01-05T00:00"},
            "buildings": buildings,
            "power": {
                "substations": [{"id": "sub1", "capacity_mw": 500}],
                "feeders": [{"id": "fd1", "substation": "sub1", "capacity_mw": 400}],
            },
            "logistics": {
                "gates": [
                    {
                        "id": f"g{k}",
                        "lanes": LANES,
                        "service": {"dist": "exponential", "mean": GATE_MEAN},
                        "position": [0, -100 - 10 * k],
                    }
                    for k in range(GATES)
                ],
                "dock_groups": [
                    {
                        "id": f"w{k:02d}-docks",
                        "building": f"w{k:02d}",
                        "docks": DOCKS,
                        "service": {"dist": "exponential", "mean": 30},
                    }
                    for k in range(WAREHOUSES)
                ],
                "flows": [
                    {
                        "id": f"in-w{k:02d}",
                        "gate": f"g{k % GATES}",
                        "dock_group": f"w{k:02d}-docks",
                        "rate_per_hour": round(rate, 4),
                    }
                    for k in range(WAREHOUSES)
                ],
            },
        }
    )


def write_meters(path: Path, park: Park, meters: int, days: float) -> int:
    """15-minute power readings of the offices: base + shift with 2% noise."""
    steps = int(days * 96)
    ends = np.datetime64(park.park.start, "m") + np.arange(1, steps + 1) * np.timedelta64(15, "m")
    stamps = np.datetime_as_string(ends, unit="m")
    hour = (np.arange(steps) // 4) % 24
    level = 200.0 + 600.0 * ((hour >= 8) & (hour < 18))
    rng = np.random.default_rng(0)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("timestamp,asset,quantity,value\n")
        for m in range(meters):
            values = level * (1 + 0.02 * rng.standard_normal(steps))
            lines = (
                f"{t},m{m:03d},power_kw,{v:.1f}"
                for t, v in zip(stamps.tolist(), values.tolist(), strict=True)
            )
            handle.write("\n".join(lines) + "\n")
    return meters * steps


def fcfs(arrive: np.ndarray, service: np.ndarray, servers: int) -> np.ndarray:
    """Service starts of a first-come-first-served queue with `servers` servers."""
    free = [0.0] * servers
    starts = np.empty(len(arrive))
    for i, (a, s) in enumerate(zip(arrive.tolist(), service.tolist(), strict=True)):
        start = max(a, free[0])
        heapq.heapreplace(free, start + s)
        starts[i] = start
    return starts


def write_trucks(path: Path, park: Park, trucks: int, days: float) -> int:
    """Truck visits: Poisson arrivals, FCFS gate lanes, FCFS docks, no roads."""
    rng = np.random.default_rng(1)
    start = np.datetime64(park.park.start, "s")
    per_flow = trucks // WAREHOUSES
    rows: list[tuple[float, str]] = []
    gate_arrivals: dict[int, list[tuple[np.ndarray, int]]] = {}
    for k in range(WAREHOUSES):
        arrive = np.sort(rng.uniform(0, days * 1440.0, per_flow))
        gate_arrivals.setdefault(k % GATES, []).append((arrive, k))
    with path.open("w", encoding="utf-8") as handle:
        handle.write("truck_id,flow,gate,dock_group,arrive,gate_out,dock_start,dock_end,depart\n")
        for gate, members in gate_arrivals.items():
            arrive = np.concatenate([a for a, _ in members])
            flow = np.concatenate([np.full(len(a), k) for a, k in members])
            order = np.argsort(arrive, kind="stable")
            arrive, flow = arrive[order], flow[order]
            gate_s = rng.exponential(GATE_MEAN, len(arrive))
            gate_out = fcfs(arrive, gate_s, LANES) + gate_s
            for k in np.unique(flow).tolist():
                mine = np.flatnonzero(flow == k)
                reach = gate_out[mine]
                by_reach = np.argsort(reach, kind="stable")
                mean, sd = SERVICE
                shape = (mean / sd) ** 2
                dock_s = rng.gamma(shape, mean / shape, len(mine))
                dock_start = np.empty(len(mine))
                dock_start[by_reach] = fcfs(reach[by_reach], dock_s[by_reach], DOCKS)
                dock_end = dock_start + dock_s
                cols = [arrive[mine], gate_out[mine], dock_start, dock_end, dock_end]
                stamps = [
                    np.datetime_as_string(start + np.round(c * 60).astype("timedelta64[s]"))
                    for c in cols
                ]
                lines = (
                    f"T{k:02d}-{i:07d},in-w{k:02d},g{gate},w{k:02d}-docks,"
                    + ",".join(s[i] for s in stamps)
                    for i in range(len(mine))
                )
                handle.write("\n".join(lines) + "\n")
                rows.append((len(mine), ""))
    return sum(n for n, _ in rows)


def one_round(folder: Path, park: Park, replications: int | None) -> tuple[float, float]:
    """Seconds to read the files, and to calibrate (read, fit, validate)."""
    t0 = time.perf_counter()
    read_sensors(folder, park)
    t1 = time.perf_counter()
    cal = calibrate(park, folder, holdout=0.2, replications=replications, search=False)
    t2 = time.perf_counter()
    assert cal.validation is not None
    return t1 - t0, t2 - t1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=50)
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--trucks", type=int, default=800_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--replications", type=int, default=1, help="validation replications (0: the default)"
    )
    args = parser.parse_args()
    park = bench_park(args.meters, args.trucks / args.days)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        made = time.perf_counter()
        readings = write_meters(folder / "meters.csv", park, args.meters, args.days)
        visits = write_trucks(folder / "trucks.csv", park, args.trucks, args.days)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(
            f"{readings:,} readings and {visits:,} truck visits ({size:.0f} MB) written in "
            f"{time.perf_counter() - made:.1f} s"
        )
        reps = args.replications or None
        rounds = [one_round(folder, park, reps) for _ in range(args.rounds)]
    read_s = statistics.median(r for r, _ in rounds)
    total_s = statistics.median(c for _, c in rounds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"median of {args.rounds} round(s): reading {read_s:.1f} s, calibrate {total_s:.1f} s "
        f"({total_s / read_s:.1f}x reading); peak memory {peak_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
