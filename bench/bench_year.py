"""A simulated year of a park: wall time, peak memory and SimPy events per truck, paired.

    python bench/bench_year.py [--park yen-binh] [--days 365] [--rounds 5] [--base CHECKOUT]
        [--scale 10]

Each replication runs in a fresh worker process (:mod:`engine_worker`), so its peak memory
(ru_maxrss) is that run's. With ``--base`` (a checkout of the baseline, e.g. main) both versions
run in every round, order alternating, and the median speed-up is printed. With ``--scale``,
the park with that many times the trucks of every flow, docks and gate lanes is timed too
(new code only): wall time per truck at both sizes shows whether the engine stays linear.
"""

from __future__ import annotations

import argparse
import functools
import statistics
from pathlib import Path
from typing import Any

from paired import TREE, Worker, base_tree, median_ratio, once, paired_rounds


def _run(tree: Path, park: str, days: float, scale: int, seed: int) -> dict[str, Any]:
    return once(tree, "park", name=park, days=days, warmup=1.0, seed=seed, scale=scale)


def _events(tree: Path, park: str, days: float, scale: int = 1) -> float:
    worker = Worker(tree)
    try:
        counted = worker.ask(
            "park", name=park, days=days, warmup=1.0, seed=0, scale=scale, count=True
        )
    finally:
        worker.close()
    return float(counted["events"] / counted["trucks"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--park", default="yen-binh")
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base", help="a baseline checkout (e.g. of main) to time as well")
    parser.add_argument("--scale", type=int, default=0, help="also time N times trucks and docks")
    args = parser.parse_args()
    base = base_tree(args.base)
    arms = {"new": functools.partial(_run, TREE, args.park, args.days, 1)}
    if base is not None:
        arms["base"] = functools.partial(_run, base, args.park, args.days, 1)
    if args.scale:
        arms["scaled"] = functools.partial(_run, TREE, args.park, args.days, args.scale)
    answers = paired_rounds(arms, args.rounds)
    _report("new", answers["new"], _events(TREE, args.park, args.days))
    if base is not None:
        _report("base", answers["base"], _events(base, args.park, args.days))
        seconds = [a["seconds"] for a in answers["base"]], [a["seconds"] for a in answers["new"]]
        speedup = median_ratio(*seconds)
        print(f"speed-up new/base: median of {args.rounds} paired rounds {speedup:.2f}x")
        same = all(
            a["completed"] == b["completed"]
            for a, b in zip(answers["new"], answers["base"], strict=True)
        )
        print(f"trucks.completed the same in every round: {same}")
    if args.scale:
        _report(
            f"x{args.scale}", answers["scaled"], _events(TREE, args.park, args.days, args.scale)
        )
        per_truck = [
            (s["seconds"] / s["trucks"]) / (n["seconds"] / n["trucks"])
            for s, n in zip(answers["scaled"], answers["new"], strict=True)
        ]
        print(f"time per truck, x{args.scale} / x1: median {statistics.median(per_truck):.2f}")


def _report(name: str, answers: list[dict[str, Any]], events_per_truck: float) -> None:
    seconds = statistics.median(a["seconds"] for a in answers)
    trucks = answers[0]["trucks"]
    peak = max(a["peak_mb"] for a in answers)
    print(
        f"{name}: {trucks:,} truck visits, median {seconds:.2f} s ({trucks / seconds:,.0f} "
        f"visits/s), peak memory {peak:,.0f} MB, {events_per_truck:.2f} SimPy events per truck"
    )


if __name__ == "__main__":
    main()
