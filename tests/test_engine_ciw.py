"""A peer check: a gate and a dock group in tandem against Ciw, an independent simulator.

Poisson arrivals pass an M/M/2 gate and then an M/M/3 dock group (no roads). By Burke's
theorem the gate's departures are Poisson again, so both stations are M/M/c queues whose mean
waits Erlang C gives: the engine's waits (advanced by its exact recursion), Ciw's and theory must
agree within the replications' spread.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.parks import one_dock_group
from tests.theory import erlang_c_wait
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.kpi import compute_kpis

ciw = pytest.importorskip("ciw")

RATE = 0.125  # trucks per minute
GATE_MEAN, LANES = 3.0, 2
DOCK_MEAN, DOCKS = 20.0, 3
DAYS, WARMUP_DAYS, REPLICATIONS = 20.0, 2.0, 8


def engine_waits(seed: int) -> tuple[float, float]:
    park = one_dock_group(
        docks=DOCKS,
        service={"dist": "exponential", "mean": DOCK_MEAN},
        rate_per_hour=RATE * 60,
        gate_service={"dist": "exponential", "mean": GATE_MEAN},
        lanes=LANES,
    )
    kpis = compute_kpis(run_engine(park, spec=RunSpec(DAYS, WARMUP_DAYS, seed=seed)))
    return kpis["gates.g1.wait_mean_min"], kpis["docks.d1.wait_mean_min"]


def ciw_waits(seed: int) -> tuple[float, float]:
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(RATE), None],
        service_distributions=[
            ciw.dists.Exponential(1 / GATE_MEAN),
            ciw.dists.Exponential(1 / DOCK_MEAN),
        ],
        routing=[[0.0, 1.0], [0.0, 0.0]],
        number_of_servers=[LANES, DOCKS],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    warmup, end = WARMUP_DAYS * 1440, (WARMUP_DAYS + DAYS) * 1440
    simulation.simulate_until_max_time(end)
    records = [r for r in simulation.get_all_records() if warmup <= r.arrival_date < end]
    gate, dock = (
        float(np.mean([r.waiting_time for r in records if r.node == node])) for node in (1, 2)
    )
    return gate, dock


@pytest.mark.slow
def test_tandem_gate_and_docks_agree_with_ciw_and_erlang_c() -> None:
    ours = np.array([engine_waits(seed) for seed in range(REPLICATIONS)])
    theirs = np.array([ciw_waits(seed) for seed in range(REPLICATIONS)])
    theory = [
        erlang_c_wait(LANES, RATE * GATE_MEAN / LANES, GATE_MEAN),
        erlang_c_wait(DOCKS, RATE * DOCK_MEAN / DOCKS, DOCK_MEAN),
    ]
    for station in (0, 1):
        a, b = ours[:, station], theirs[:, station]
        spread = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        assert abs(a.mean() - b.mean()) < 4 * spread, (station, a.mean(), b.mean())
        for sample in (a, b):
            half = 4 * sample.std(ddof=1) / math.sqrt(len(sample))
            assert abs(sample.mean() - theory[station]) < half, (station, sample, theory)
