"""Replications in parallel: throughput of ``-j 2`` against ``-j 1``, and the same numbers.

    python bench/bench_jobs.py [--park yen-binh] [--days 7] [--replications 20] [--rounds 5]
        [--jobs 2]

Each round runs the same replications through the runner with one worker and with `--jobs`
workers (order alternating), in one bench worker process (:mod:`engine_worker`); the median
ratio of the wall times is the speed-up, and a digest of every KPI's numbers shows both give the
same results bit for bit. On a machine shared with other work, the second core is not always
free: read the ratio next to the machine's load.
"""

from __future__ import annotations

import argparse
import functools
import os
from typing import Any

from paired import Worker, median_ratio, paired_rounds


def _ask(worker: Worker, park: str, days: float, reps: int, jobs: int, _round: int) -> Any:
    return worker.ask("replications", name=park, days=days, reps=reps, jobs=jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--park", default="yen-binh")
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    worker = Worker()
    run = functools.partial(_ask, worker, args.park, args.days, args.replications)
    arms = {"one": functools.partial(run, 1), "many": functools.partial(run, args.jobs)}
    for arm in arms.values():
        arm(0)  # warm: imports, the park's caches
    answers = paired_rounds(arms, args.rounds)
    worker.close()
    one = [a["seconds"] for a in answers["one"]]
    many = [a["seconds"] for a in answers["many"]]
    digests = {a["digest"] for a in answers["one"] + answers["many"]}
    print(f"-j 1 seconds: {', '.join(f'{s:.2f}' for s in one)}")
    print(f"-j {args.jobs} seconds: {', '.join(f'{s:.2f}' for s in many)}")
    print(
        f"{args.replications} replications of {args.days:g} days of {args.park}: -j {args.jobs} "
        f"throughput / -j 1, median of {args.rounds} rounds: {median_ratio(one, many):.2f}x; "
        f"identical KPIs: {len(digests) == 1}; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
