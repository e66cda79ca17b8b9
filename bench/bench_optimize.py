"""parktwin optimize: its speed, its correct-selection rate and what common random numbers save.

    python bench/bench_optimize.py                 # all three parts
    python bench/bench_optimize.py --macro 200     # more macro-replications for the rates
    python bench/bench_optimize.py --part speed --rounds 3

- speed: the bundled-style 5-candidate dock problem on demo-small (f2-docks, 3 to 7 docks, a
  week per replication), decided from the command line's library call; median of rounds.
- search: the 3-variable, 200-candidate problem on yen-binh: the search, then the clean-up.
- rates: macro-replications of the M/M/c problems of tests/optimize_problems.py (fewest docks
  under a wait limit; cheapest docks at a price per dock and per minute of wait), each once with
  common random numbers and once with independent streams: the correct-selection rate with its
  Wilson 95% interval, and the mean replications of one decision (the saving of CRN).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import optimize_problems as op
from twin.api.decisions import optimize

DEMO = {
    "problem": {"name": "demo-docks"},
    "base": "demo-small",
    "variables": [{"path": "logistics.dock_groups[id=f2-docks].docks", "values": [3, 4, 5, 6, 7]}],
    "objective": {"minimize": "cost"},
    "costs": [
        {"path": "logistics.dock_groups[id=f2-docks].docks", "vnd_per_unit": 1_000_000},
        {"kpi": "docks.f2-docks.wait_mean_min", "vnd_per_unit": 200_000},
    ],
    "constraints": [{"kpi": "docks.f2-docks.wait_mean_min", "at_most": 15, "tolerance": 1}],
    "selection": {"indifference": 200_000, "confidence": 0.95, "max_replications": 200},
    "settings": {"days": 7, "warmup_days": 1, "seed": 0},
}


YEN_BINH_SEARCH = {
    "problem": {"name": "yen-binh-docks", "description": "Customs bays, main-gate lanes, SEVT P2"},
    "base": "yen-binh",
    "variables": [
        {"path": "logistics.dock_groups[id=customs-bays].docks", "range": {"min": 4, "max": 8}},
        {"path": "logistics.gates[id=g-main].lanes", "range": {"min": 3, "max": 6}},
        {"path": "logistics.dock_groups[id=sevt-p2-docks].docks", "range": {"min": 5, "max": 14}},
    ],
    "objective": {"minimize": "cost"},
    "costs": [
        {"path": "logistics.dock_groups[id=customs-bays].docks", "vnd_per_unit": 1_500_000},
        {"path": "logistics.gates[id=g-main].lanes", "vnd_per_unit": 3_000_000},
        {"path": "logistics.dock_groups[id=sevt-p2-docks].docks", "vnd_per_unit": 1_000_000},
        {"kpi": "trucks.wait_mean_min", "vnd_per_unit": 2_000_000},
    ],
    "constraints": [{"kpi": "docks.customs-bays.wait_mean_min", "at_most": 10, "tolerance": 2}],
    "selection": {"indifference": 500_000, "confidence": 0.95, "max_replications": 100},
    "search": {"trials": 40, "replications": 3, "finalists": 5},
    "settings": {"days": 7, "warmup_days": 1, "seed": 0},
}
"""200 candidates (5 x 4 x 10) on yen-binh: the issue's large-space case."""


def search(jobs: int) -> None:
    start = time.perf_counter()
    result = optimize(YEN_BINH_SEARCH, jobs=jobs)
    seconds = time.perf_counter() - start
    best = result.candidates[result.best].values if result.best is not None else None
    print(
        f"yen-binh, 200 candidates, search of 40 trials then 5 finalists, -j {jobs}: "
        f"{seconds:.0f} s, {result.total_replications} clean-up replications, best {best}, "
        f"complete {result.outcome.complete}"
    )


def speed(rounds: int, jobs: int) -> None:
    times, reps = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        result = optimize(DEMO, jobs=jobs)
        times.append(time.perf_counter() - start)
        reps.append(result.total_replications)
    print(
        f"demo-small, 5 candidates, -j {jobs}: median {statistics.median(times):.1f} s "
        f"(rounds {', '.join(f'{t:.1f}' for t in times)}), {reps[0]} replications"
    )


def rates(macro: int) -> None:
    park = op.write_park(Path(tempfile.mkdtemp()))
    for make in (op.fewest_docks, op.cheapest_docks):
        line = []
        for crn in (True, False):
            doc = make(park, crn)
            found = op.score(doc, range(macro))
            correct = sum(r[0] for r in found)
            low, high = op.wilson(correct, macro)
            mean_reps = statistics.mean(r[2] for r in found)
            label = "CRN" if crn else "independent"
            line.append(
                f"{label}: correct {correct}/{macro} = {correct / macro:.3f} "
                f"[{low:.3f}, {high:.3f}], {mean_reps:.1f} replications per decision"
            )
        answer = sorted(op.correct_answers(make(park)))
        print(f"{make.__name__} (Erlang C answer {answer}): " + "; ".join(line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["speed", "rates", "search", "all"], default="all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--macro", type=int, default=50)
    args = parser.parse_args()
    if args.part in ("speed", "all"):
        speed(args.rounds, args.jobs)
    if args.part in ("rates", "all"):
        rates(args.macro)
    if args.part in ("search", "all"):
        search(args.jobs)


if __name__ == "__main__":
    main()
