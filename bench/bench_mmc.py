"""parktwin against raw SimPy on the same M/M/c dock model: customers per second and ratio.

Both run the same model (Poisson arrivals, c docks, exponential service) for the same simulated
time in the same process. Rounds are paired (raw, then parktwin) and the median ratio is
reported: one pair on a shared 2-core machine is only good to about 25%.

    python bench/bench_mmc.py [--days 60] [--docks 3] [--rho 0.8] [--rounds 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import simpy

from twin.io.load import load_park
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine

MEAN_SERVICE = 10.0


def raw_simpy(days: float, docks: int, rate_per_min: float, seed: int) -> int:
    """The plainest SimPy M/M/c program; returns customers served."""
    env = simpy.Environment()
    resource = simpy.Resource(env, capacity=docks)
    rng = random.Random(seed)
    waits: list[float] = []

    def customer(env: simpy.Environment):
        arrived = env.now
        with resource.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1 / MEAN_SERVICE))

    def source(env: simpy.Environment):
        while True:
            yield env.timeout(rng.expovariate(rate_per_min))
            env.process(customer(env))

    env.process(source(env))
    env.run(until=days * 1440)
    return len(waits)


def parktwin_park(docks: int, rate_per_hour: float):
    return load_park(
        {
            "park": {"name": "bench"},
            "buildings": [{"id": "f1", "kind": "factory", "height_m": 10,
                           "footprint": [[0, 0], [10, 0], [10, 10], [0, 10]]}],
            "logistics": {
                "gates": [{"id": "g1", "lanes": 1, "position": [0, -10],
                           "service": {"dist": "constant", "value": 0}}],
                "dock_groups": [{"id": "d1", "building": "f1", "docks": docks,
                                 "service": {"dist": "exponential", "mean": MEAN_SERVICE}}],
                "flows": [{"id": "in", "gate": "g1", "dock_group": "d1",
                           "rate_per_hour": rate_per_hour}],
            },
        }
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=60)
    parser.add_argument("--docks", type=int, default=3)
    parser.add_argument("--rho", type=float, default=0.8)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rate_per_min = args.docks * args.rho / MEAN_SERVICE
    park = parktwin_park(args.docks, rate_per_min * 60)
    spec = RunSpec(horizon_days=args.days, warmup_days=0, step_min=60)
    run_engine(park, spec=spec)  # warm imports and caches
    ratios, raw_rates, twin_rates = [], [], []
    for r in range(args.rounds):
        t0 = time.perf_counter()
        served = raw_simpy(args.days, args.docks, rate_per_min, seed=r)
        t1 = time.perf_counter()
        trace = run_engine(park, spec=RunSpec(args.days, 0, 60, seed=r))
        t2 = time.perf_counter()
        raw_rate = served / (t1 - t0)
        twin_rate = trace.n_trucks / (t2 - t1)
        raw_rates.append(raw_rate)
        twin_rates.append(twin_rate)
        ratios.append(twin_rate / raw_rate)
        print(f"round {r}: raw {raw_rate:,.0f}/s  parktwin {twin_rate:,.0f}/s  "
              f"ratio {twin_rate / raw_rate:.2f}")  # fmt: skip
    print(
        f"M/M/{args.docks} rho={args.rho}, {args.days:g} days, {args.rounds} paired rounds: "
        f"raw SimPy {statistics.median(raw_rates):,.0f} customers/s, parktwin (trace on) "
        f"{statistics.median(twin_rates):,.0f} customers/s, median ratio "
        f"{statistics.median(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
