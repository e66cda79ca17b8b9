"""A bench worker: runs timed engine tasks for the paired benches, one JSON line per task.

It imports `twin` from the source tree on its PYTHONPATH (the code under test or a baseline
checkout), so one bench can time two versions of the engine in the same run, round by round.
Started by :mod:`paired`; reads ``{"task": ..., **arguments}`` lines on stdin and answers each
with ``{"seconds": ..., "trucks": ..., ...}`` (``"events"`` instead of seconds when counting).
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import simpy
from bench_mmc import MEAN_SERVICE, parktwin_park, raw_simpy

Task = Callable[..., dict[str, Any]]


class EventCount:
    """Counts the SimPy events processed while active (every Environment.step)."""

    def __init__(self) -> None:
        self.events = 0
        self._step = simpy.Environment.step

    def __enter__(self) -> EventCount:
        step = self._step

        def counted(env: simpy.Environment) -> None:
            self.events += 1
            step(env)

        simpy.Environment.step = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        simpy.Environment.step = self._step  # type: ignore[method-assign]


def engine() -> Callable[..., Any]:
    """The engine's entry point in this tree (`run_engine`; `simulate` in older checkouts)."""
    from twin.sim import engine as module

    found: Callable[..., Any] = getattr(module, "run_engine", None) or module.simulate
    return found


def raw(docks: int, rho: float, days: float, seed: int) -> dict[str, Any]:
    """The plainest SimPy M/M/c program."""
    served = raw_simpy(days, docks, docks * rho / MEAN_SERVICE, seed)
    return {"trucks": served}


def mmc(docks: int, rho: float, days: float, seed: int) -> dict[str, Any]:
    """parktwin on the same M/M/c dock park."""
    from twin.sim.context import RunSpec

    park = parktwin_park(docks, docks * rho / MEAN_SERVICE * 60)
    trace = engine()(park, spec=RunSpec(horizon_days=days, warmup_days=0, step_min=60, seed=seed))
    return {"trucks": trace.n_trucks}


def scaled_park(name: str, scale: int) -> Any:
    """A bundled park with `scale` times the trucks of every flow, docks and gate lanes."""
    from twin.io.load import load_park

    park = load_park(name)
    if scale == 1:
        return park
    data = park.model_dump(mode="json", exclude_none=True, by_alias=True)
    logistics = data["logistics"]
    for gate in logistics["gates"]:
        gate["lanes"] *= scale
    for group in logistics["dock_groups"]:
        group["docks"] *= scale
    for flow in logistics["flows"]:
        for key in ("hourly_profile", "weekly_profile"):
            if key in flow:
                flow[key] = [rate * scale for rate in flow[key]]
        if "rate_per_hour" in flow:
            flow["rate_per_hour"] *= scale
    return load_park(data)


def park(name: str, days: float, warmup: float, seed: int, scale: int = 1) -> dict[str, Any]:
    """One replication of a bundled park (scaled), with its KPIs."""
    from twin.sim.context import RunSpec
    from twin.sim.kpi import compute_kpis

    trace = engine()(scaled_park(name, scale), spec=RunSpec(days, warmup, seed=seed))
    return {"trucks": trace.n_trucks, "completed": compute_kpis(trace)["trucks.completed"]}


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def replications(name: str, days: float, reps: int, jobs: int) -> dict[str, Any]:
    """`reps` replications through the runner with `jobs` worker processes; a digest of KPIs.

    Also the CPU seconds of this process and of its finished children (worker processes it
    forked; workers forked by a fork server are not its children and are not counted).
    """
    import twin

    cpu, children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    result = twin.run(name, None, twin.Settings(days=days, replications=reps, jobs=jobs))
    kpis = result.to_dict()["kpis"]
    digest = hashlib.sha256(json.dumps(kpis, sort_keys=True).encode()).hexdigest()[:16]
    return {
        "trucks": 0,
        "digest": digest,
        "cpu": _cpu(resource.RUSAGE_SELF) - cpu,
        "children_cpu": _cpu(resource.RUSAGE_CHILDREN) - children,
    }


def pool_start(jobs: int) -> dict[str, Any]:
    """Open a local backend of `jobs` workers, run a trivial task on it twice per worker, close.

    What a run with ``-j`` pays before and after its replications, whatever their length.
    """
    import os

    from twin.experiment.backends import open_backend

    with open_backend("local", jobs) as backend:
        for future in [backend.submit(os.getpid) for _ in range(2 * jobs)]:
            future.result()
    return {"trucks": 0}


TASKS: dict[str, Task] = {
    "raw": raw,
    "mmc": mmc,
    "park": park,
    "replications": replications,
    "pool_start": pool_start,
}


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """Run one task: timed, or with its SimPy events counted (``"count": true``)."""
    task = TASKS[request.pop("task")]
    if request.pop("count", False):
        with EventCount() as count:
            out = task(**request)
        return {**out, "events": count.events}
    start = time.perf_counter()
    out = task(**request)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**out, "seconds": seconds, "peak_mb": peak_mb}


def main() -> None:
    import twin

    print(json.dumps({"ready": twin.__file__}), flush=True)
    for line in sys.stdin:
        print(json.dumps(answer(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
