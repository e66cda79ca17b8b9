"""Replications in parallel: throughput of ``-j 2`` against ``-j 1``, and the same numbers.

    python bench/bench_jobs.py [--park yen-binh] [--days 7] [--replications 20] [--rounds 5]
        [--jobs 2] [--base CHECKOUT]

Each round runs the same replications through the runner with one worker and with `--jobs`
workers (order alternating), in one bench worker process (:mod:`engine_worker`) per source tree
(this checkout, and the baseline checkout with ``--base``); the median ratio of the wall times
is the speed-up, and a digest of every KPI's numbers shows both give the same results bit for
bit.

How much two processes can do side by side depends on the machine at the time (a shared host's
caches and memory), so each round also times two independent bench processes of this checkout,
each running half the replications with ``-j 1`` at the same moment: the ratio of ``-j 1`` to
that is the most a perfect ``-j 2`` could give then, and ``-j N``'s share of it says how much
the workers' start, the results' way back and the last replication's wait cost (with
``--jobs 2`` only).

On a machine shared with other work the second core is not always free, so the bench also
prints what the load cannot distort much: the CPU seconds per replication with ``-j 1``, the
CPU seconds of the parent and of its (forked) workers with ``-j N``, the speed-up those CPU
times allow on N free cores, and what opening and closing a pool of N workers takes; and the
load average before and after.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import time
from pathlib import Path
from typing import Any

from paired import TREE, Worker, base_tree, median_ratio, paired_rounds


def _ask(worker: Worker, park: str, days: float, reps: int, jobs: int, _round: int) -> Any:
    return worker.ask("replications", name=park, days=days, reps=reps, jobs=jobs)


def _side_by_side(pair: list[Worker], park: str, days: float, reps: int, _round: int) -> Any:
    """Two independent processes, each running half of `reps` with ``-j 1``, at once."""
    start = time.perf_counter()
    for worker in pair:
        worker.send("replications", name=park, days=days, reps=reps // 2, jobs=1)
    answers = [worker.receive() for worker in pair]
    return {"seconds": time.perf_counter() - start, "answers": answers}


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _report(name: str, args: argparse.Namespace, one: list[Any], many: list[Any]) -> None:
    """Print one tree's wall times, ratio, CPU accounting and digest check."""
    jobs, reps = args.jobs, args.replications
    walls_one = [a["seconds"] for a in one]
    walls_many = [a["seconds"] for a in many]
    cpu_one = statistics.median(a["cpu"] for a in one)
    parent = statistics.median(a["cpu"] for a in many)
    workers = statistics.median(a["children_cpu"] for a in many)
    digests = {a["digest"] for a in one + many}
    print(f"[{name}] -j 1 seconds: {', '.join(f'{s:.2f}' for s in walls_one)}")
    print(f"[{name}] -j {jobs} seconds: {', '.join(f'{s:.2f}' for s in walls_many)}")
    print(
        f"[{name}] CPU: -j 1 {cpu_one:.3f} s ({1000 * cpu_one / reps:.1f} ms per replication); "
        f"-j {jobs} parent {parent:.3f} s + forked workers {workers:.3f} s"
        + (
            f" = {parent + workers:.3f} s; allows {cpu_one / (parent + workers / jobs):.2f}x "
            f"on {jobs} free cores"
            if workers > 0
            else " (workers not forked by the parent: not counted)"
        )
    )
    print(
        f"[{name}] {reps} replications of {args.days:g} days of {args.park}: -j {jobs} "
        f"throughput / -j 1, median of {args.rounds} rounds: "
        f"{median_ratio(walls_one, walls_many):.2f}x; identical KPIs: {len(digests) == 1}"
    )


def _report_ceiling(name: str, args: argparse.Namespace, answers: dict[str, list[Any]]) -> None:
    """The most a perfect ``-j 2`` could give in these rounds, and ``-j 2``'s share of it."""
    one = [a["seconds"] for a in answers[f"{name} one"]]
    many = [a["seconds"] for a in answers[f"{name} many"]]
    beside = [a["seconds"] for a in answers["side by side"]]
    ceiling = median_ratio(one, beside)
    share = statistics.median(b / m for b, m in zip(beside, many, strict=True))
    print(
        f"[{name}] two processes side by side, {args.replications // 2} replications each: "
        f"{ceiling:.2f}x the throughput of -j 1 (the most -j 2 could give in these rounds); "
        f"-j 2 gives {share:.0%} of it"
    )


def _pool_start(worker: Worker, jobs: int, rounds: int) -> float:
    return statistics.median(
        worker.ask("pool_start", jobs=jobs)["seconds"] for _ in range(max(3, rounds))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--park", default="yen-binh")
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--base", help="a baseline checkout (e.g. of main) to time as well")
    args = parser.parse_args()
    trees: dict[str, Path] = {"new": TREE}
    base = base_tree(args.base)
    if base is not None:
        trees["base"] = base
    print(f"load average (1/5/15 min) before: {_load()}")
    workers = {name: Worker(tree) for name, tree in trees.items()}
    arms = {}
    for name, worker in workers.items():
        run = functools.partial(_ask, worker, args.park, args.days, args.replications)
        arms[f"{name} one"] = functools.partial(run, 1)
        arms[f"{name} many"] = functools.partial(run, args.jobs)
    pair = [Worker(TREE), Worker(TREE)] if args.jobs == 2 else []
    if pair:
        arms["side by side"] = functools.partial(
            _side_by_side, pair, args.park, args.days, args.replications
        )
    for arm in arms.values():
        arm(0)  # warm: imports, the park's caches, a fork server
    answers = paired_rounds(arms, args.rounds)
    for name, worker in workers.items():
        _report(name, args, answers[f"{name} one"], answers[f"{name} many"])
        if pair and name == "new":  # the processes side by side run this checkout
            _report_ceiling(name, args, answers)
        seconds = _pool_start(worker, args.jobs, args.rounds)
        print(f"[{name}] opening and closing a pool of {args.jobs} workers: {seconds:.3f} s")
        worker.close()
    for worker in pair:
        worker.close()
    print(f"load average (1/5/15 min) after: {_load()}")


if __name__ == "__main__":
    main()
