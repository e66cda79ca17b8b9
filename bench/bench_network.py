"""Network bench: the cost of the AC load flow in replications, and `parktwin n1` on Yên Bình.

1. Paired rounds: a week at 15-minute steps after a 1-day warm-up, R replications (one
   process), of yen-binh without its network (scenario feeder-only) and of yen-binh with its
   22 kV network, one after the other in each round; the ratio of CPU times per round, median
   over rounds (target <= 1.5).
2. `parktwin n1 yen-binh` (56 contingencies at the peak): wall and CPU time
   (target < 30 s on two cores).

CPU time (``time.process_time``) is reported beside the wall clock, which a shared machine's
load inflates.

    python bench/bench_network.py [-r 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import twin
from twin.experiment.n1 import n1_analysis
from twin.io.inputs import resolve_inputs


def _timed(job: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    job()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--replications", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = twin.Settings(days=7, warmup_days=1, replications=args.replications)
    ratios = []
    for k in range(args.rounds):
        _, plain = _timed(lambda: twin.run("yen-binh", "feeder-only", settings))
        _, grid = _timed(lambda: twin.run("yen-binh", None, settings))
        ratios.append(grid / plain)
        print(f"round {k + 1}: without {plain:.2f} s CPU, with the network {grid:.2f} s CPU, "
              f"ratio {grid / plain:.3f}")  # fmt: skip
    print(
        f"median ratio over {args.rounds} rounds: {statistics.median(ratios):.3f} (target <= 1.5)"
    )
    inputs = resolve_inputs("yen-binh", None)
    result: dict[str, object] = {}

    def n1() -> None:
        result.update(n1_analysis(inputs.park, list(inputs.events)))

    wall, cpu = _timed(n1)
    count = len(result["contingencies"])  # type: ignore[arg-type]
    print(f"n1 yen-binh: {count} contingencies at {result['at']}: "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU (target < 30 s)")  # fmt: skip


if __name__ == "__main__":
    main()
