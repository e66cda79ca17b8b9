"""A simulated year of the default park: truck visits per second of wall time, peak memory.

python bench/bench_year.py [--park yen-binh] [--days 365]
"""

from __future__ import annotations

import argparse
import resource
import time

from twin.io.load import load_park
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.kpi import compute_kpis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--park", default="yen-binh")
    parser.add_argument("--days", type=float, default=365)
    args = parser.parse_args()
    park = load_park(args.park)
    start = time.perf_counter()
    trace = run_engine(park, spec=RunSpec(horizon_days=args.days, warmup_days=1))
    simulated = time.perf_counter()
    kpis = compute_kpis(trace)
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.park}, {args.days:g} days: {trace.n_trucks:,} truck visits simulated in "
        f"{simulated - start:.1f} s ({trace.n_trucks / (simulated - start):,.0f} visits/s), "
        f"KPIs in {done - simulated:.1f} s; trace {trace.nbytes() / 1e6:.0f} MB; "
        f"peak memory {peak_mb:,.0f} MB; trucks.completed {kpis['trucks.completed']:,.0f}"
    )


if __name__ == "__main__":
    main()
