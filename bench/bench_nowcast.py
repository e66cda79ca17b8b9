"""Nowcast bench: yen-binh, 4 h ahead, 20 replications, from a mid-morning state (target <= 3 s).

The state is real: the bundled sample (assets/sensors/yen-binh) up to 10:00 on its second day,
replayed into a temporary store without a broker, and read back with ``state_at``. Each round
times the nowcast (wall clock and this process's CPU time: one core) and, as a baseline in the
same round, the same 20 replications of the same 4 hours started empty (a cold start), so the
ratio says what the warm start costs. Medians over the rounds; on a loaded machine trust the CPU
time and the ratio more than the wall clock.

    python bench/bench_nowcast.py [--rounds 5] [--hours 4] [-r 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from twin.io.bundled import data_root
from twin.io.load import load_park
from twin.live.nowcast import nowcast
from twin.live.replay import replay_into_store
from twin.live.state import state_at
from twin.live.store import Store
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine

MOMENT = datetime(2026, 1, 6, 10, 0)


def mid_morning_state(park, folder: Path):
    """The sample's state at 10:00 on its second day (the whole sample is replayed)."""
    store_path = folder / "sample.db"
    replay_into_store(park, data_root() / "assets" / "sensors" / "yen-binh", store_path)
    with Store.open(store_path, read_only=True) as store:
        return state_at(park, store, MOMENT)


def timed(call) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hours", type=float, default=4)
    parser.add_argument("-r", "--replications", type=int, default=20)
    args = parser.parse_args()
    park = load_park("yen-binh")
    with tempfile.TemporaryDirectory() as folder:
        state = mid_morning_state(park, Path(folder))
    print(f"state at {MOMENT}: {len(state.trucks)} trucks, {len(state.outages)} outages")
    reps, hours = args.replications, args.hours
    cold_park = park.model_copy(
        update={"park": park.park.model_copy(update={"start": MOMENT.isoformat()})}
    )

    def warm() -> None:
        nowcast(park, state, hours=hours, replications=reps)

    def cold() -> None:
        for r in range(reps):
            run_engine(cold_park, spec=RunSpec(hours / 24, 0, 15, replication=r))

    warm()  # imports, caches
    walls, cpus, ratios = [], [], []
    for k in range(args.rounds):
        wall, cpu = timed(warm)
        cold_wall, cold_cpu = timed(cold)
        walls.append(wall)
        cpus.append(cpu)
        ratios.append(cpu / cold_cpu)
        print(
            f"round {k}: nowcast {wall:.2f} s wall, {cpu:.2f} s CPU; cold start "
            f"{cold_wall:.2f} s wall, {cold_cpu:.2f} s CPU; ratio {cpu / cold_cpu:.2f}"
        )
    print(
        f"yen-binh nowcast, {hours:g} h, {reps} replications, {args.rounds} rounds: median "
        f"{statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU (target "
        f"<= 3 s); warm/cold CPU ratio {statistics.median(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
