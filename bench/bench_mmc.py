"""parktwin against raw SimPy on the same M/M/c dock model: customers per second and ratio.

Both run the same model (Poisson arrivals, c docks, exponential service) for the same simulated
time in the same process. Rounds are paired (raw, then parktwin) and the median ratio is
reported: one pair on a shared 2-core machine is only good to about 25%.

    python bench/bench_mmc.py [--docks 1 2 ... 8] [--rho 0.5 0.7 0.9] [--rounds 7]
        [--customers 20000] [--base CHECKOUT]

Each cell (c docks, load rho) runs both programs for about `--customers` arrivals, in a worker
process (:mod:`engine_worker`); with ``--base``, a checkout of the baseline (e.g. main) is timed
in the same rounds. Events per truck are counted (SimPy events processed, deterministic).
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics

import simpy
from paired import Worker, base_tree, median_ratio, paired_rounds, rate

from twin.io.load import load_park

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


def cell_days(docks: int, rho: float, customers: int) -> float:
    """Simulated days for about `customers` arrivals at this load."""
    return customers / (docks * rho / MEAN_SERVICE * 1440)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docks", type=int, nargs="+", default=list(range(1, 9)))
    parser.add_argument("--rho", type=float, nargs="+", default=[0.5, 0.7, 0.9])
    parser.add_argument("--customers", type=int, default=20_000, help="per cell and round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--base", help="a baseline checkout (e.g. of main) to time as well")
    args = parser.parse_args()
    base = base_tree(args.base)
    new = Worker()
    old = Worker(base) if base else None
    cells = [(c, rho) for c in args.docks for rho in args.rho]
    ratios_new, ratios_old = [], []
    print(f"{len(cells)} cells, {args.rounds} paired rounds each, ~{args.customers:,} customers")
    for docks, rho in cells:
        cell = {"docks": docks, "rho": rho, "days": cell_days(docks, rho, args.customers)}
        ratio_new, ratio_old = _cell(new, old, cell, args.rounds)
        ratios_new.append(ratio_new)
        if ratio_old is not None:
            ratios_old.append(ratio_old)
    print(f"parktwin/raw SimPy over all cells: min {min(ratios_new):.2f}, median "
          f"{statistics.median(ratios_new):.2f}")  # fmt: skip
    if ratios_old:
        print(f"base/raw SimPy over all cells: min {min(ratios_old):.2f}, median "
              f"{statistics.median(ratios_old):.2f}")  # fmt: skip
    new.close()
    if old is not None:
        old.close()


def _cell(new: Worker, old: Worker | None, cell: dict, rounds: int) -> tuple[float, float | None]:
    """One cell's paired rounds: the median ratios to raw SimPy (new, base), printed."""
    arms = {
        "raw": functools.partial(_ask, new, "raw", cell),
        "new": functools.partial(_ask, new, "mmc", cell),
    }
    if old is not None:
        arms["base"] = functools.partial(_ask, old, "mmc", cell)
    for arm in arms.values():
        arm(0)  # warm: imports, caches
    answers = paired_rounds(arms, rounds)
    ratio_new = _ratio(answers, "new")
    line = f"M/M/{cell['docks']} rho={cell['rho']:.1f}: parktwin/raw SimPy {ratio_new:.2f}"
    line += f" ({_events_per_truck(new, 'mmc', cell):.2f} events/truck"
    line += f", raw {_events_per_truck(new, 'raw', cell):.2f})"
    ratio_old = None
    if old is not None:
        ratio_old = _ratio(answers, "base")
        line += (
            f"; base/raw {ratio_old:.2f} ({_events_per_truck(old, 'mmc', cell):.2f} events/truck)"
        )
    print(line, flush=True)
    return ratio_new, ratio_old


def _ask(worker: Worker, task: str, cell: dict, seed: int) -> dict:
    return worker.ask(task, **cell, seed=seed)


def _ratio(answers: dict, arm: str) -> float:
    return median_ratio(rate(answers[arm]), rate(answers["raw"]))


def _events_per_truck(worker: Worker, task: str, cell: dict) -> float:
    counted = worker.ask(task, **cell, seed=0, count=True)
    return counted["events"] / max(counted["trucks"], 1)


if __name__ == "__main__":
    main()
