"""Back-test bench: a week of the sample data at hourly origins, 2 h ahead (target <= 5 min).

The bundled sample (assets/sensors/yen-binh, 21 days) is replayed into a temporary store (part
of the time measured), then nowcasts at every hour from Tuesday 6 January 00:00 to Monday 12
January 23:00 (168 origins) are scored against what happened, with the persistence and
cold-start baselines. Prints the time (wall and CPU: one core) and the back-test table. One
round: the run is long enough to be stable to a few percent, but the machine's load shows in
the wall clock.

    python bench/bench_backtest.py [--park yen-binh] [-r 10] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from pathlib import Path

from twin.io.bundled import data_root
from twin.io.load import load_park
from twin.live.backtest import backtest
from twin.reports.backtest import verdict_lines, write_backtest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--park", default="yen-binh")
    parser.add_argument("-r", "--replications", type=int, default=10)
    parser.add_argument("--from", dest="start", default="2026-01-06T00:00")
    parser.add_argument("--to", dest="end", default="2026-01-12T23:00")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    park = load_park(args.park)
    source = data_root() / "assets" / "sensors" / "yen-binh"
    wall, cpu = time.perf_counter(), time.process_time()
    result = backtest(
        park, source, every_min=60, hours=2, replications=args.replications,
        start=datetime.fromisoformat(args.start), end=datetime.fromisoformat(args.end),
    )  # fmt: skip
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if args.out is not None:
        write_backtest(args.out, result, str(source))
    print(json.dumps(result.document()["metrics"], indent=1))
    print("\n".join(verdict_lines(result)))
    print(
        f"back-test of {args.park}: {len(result.origins)} origins, 2 h, {args.replications} "
        f"replications: {wall:.1f} s wall, {cpu:.1f} s CPU (target <= 300 s)"
    )


if __name__ == "__main__":
    main()
