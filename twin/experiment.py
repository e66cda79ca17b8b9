"""Replications of one park and scenario, serially or on worker processes.

Replication i always uses ``Streams(seed, i)``, whichever worker runs it and in whatever order,
so results are bit-identical for any number of workers, and replication i of every scenario
sees the same random numbers (common random numbers).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from twin.errors import UsageError
from twin.kpi import compute_kpis, unit_of
from twin.schema import Event, Park
from twin.sim.context import RunSpec
from twin.sim.engine import simulate
from twin.stats import Summary, summarize
from twin.trace import Trace

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Settings:
    """How to run an experiment (the options shared by run, compare and sweep)."""

    days: float = 7.0
    warmup_days: float = 1.0
    seed: int = 0
    replications: int = 1
    jobs: int = 1
    step_min: float = 15.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.days) and self.days > 0):
            raise UsageError(f"--days must be a positive number, got {self.days}")
        if not (math.isfinite(self.warmup_days) and self.warmup_days >= 0):
            raise UsageError(f"--warmup-days must be 0 or more, got {self.warmup_days}")
        if self.replications < 1:
            raise UsageError(f"--replications must be at least 1, got {self.replications}")
        if self.jobs < 1:
            raise UsageError(f"--jobs must be at least 1, got {self.jobs}")
        if self.days > 3660:
            raise UsageError(f"--days {self.days} is more than ten years; use at most 3660")

    def spec(self, replication: int) -> RunSpec:
        """The engine's spec for one replication."""
        return RunSpec(self.days, self.warmup_days, self.step_min, self.seed, replication)


@dataclass
class Experiment:
    """KPIs of every replication of one park and scenario, with their statistics."""

    park: str
    scenario: str | None
    settings: Settings
    values: dict[str, list[float]]
    trace: Trace | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def replications(self) -> int:
        """Number of replications run."""
        return len(next(iter(self.values.values()), []))

    def summary(self, kpi: str) -> Summary:
        """Statistics of one KPI over the replications."""
        return summarize(self.values[kpi])

    def to_dict(self) -> dict[str, Any]:
        """The kpis.json document of SPEC.md."""
        kpis = {}
        for name, values in self.values.items():
            s = summarize(values)
            kpis[name] = {
                "mean": _num(s.mean),
                "std": _num(s.std),
                "ci95": [_num(s.ci95[0]), _num(s.ci95[1])],
                "values": [_num(v) for v in values],
                "unit": unit_of(name),
            }
        return {
            "park": self.park,
            "scenario": self.scenario,
            "seed": self.settings.seed,
            "replications": self.replications,
            "horizon_days": self.settings.days,
            "warmup_days": self.settings.warmup_days,
            "kpis": kpis,
            **self.extra,
        }

    def to_json(self) -> str:
        """kpis.json as text (NaN written as null)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def _num(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def run_replication(
    park: Park, events: Sequence[Event], spec: RunSpec, scenario: str | None, keep_trace: bool
) -> tuple[dict[str, float], Trace | None]:
    """Simulate one replication; return its KPIs (and its trace when asked)."""
    trace = simulate(park, events, spec, scenario=scenario)
    return compute_kpis(trace), trace if keep_trace else None


def _run_batch(
    park_json: str, events_json: str, settings: Settings, reps: list[int], scenario: str | None
) -> list[tuple[int, dict[str, float], Trace | None]]:
    """A worker's task: several replications, parsed from JSON (cheap to send)."""
    from pydantic import TypeAdapter

    from twin.schema import Event as EventType

    park = Park.model_validate_json(park_json)
    events = TypeAdapter(list[EventType]).validate_json(events_json)
    return [
        (i, *run_replication(park, events, settings.spec(i), scenario, keep_trace=i == 0))
        for i in reps
    ]


def run_experiment(
    park: Park,
    events: Sequence[Event] = (),
    settings: Settings | None = None,
    scenario: str | None = None,
    progress: Progress | None = None,
    first: int = 0,
) -> Experiment:
    """Replications ``first .. first + settings.replications - 1`` of a park under events."""
    settings = settings or Settings()
    reps = list(range(first, first + settings.replications))
    results: dict[int, tuple[dict[str, float], Trace | None]] = {}
    done = 0
    if settings.jobs == 1 or len(reps) == 1:
        for i in reps:
            results[i] = run_replication(park, events, settings.spec(i), scenario, i == 0)
            done += 1
            if progress:
                progress(done, len(reps))
    else:
        from pydantic import TypeAdapter

        from twin.schema import Event as EventType

        park_json = park.model_dump_json(by_alias=True)
        events_json = TypeAdapter(list[EventType]).dump_json(list(events), by_alias=True).decode()
        batches = [reps[k :: settings.jobs * 2] for k in range(settings.jobs * 2)]
        with ProcessPoolExecutor(max_workers=settings.jobs) as pool:
            futures = [
                pool.submit(_run_batch, park_json, events_json, settings, batch, scenario)
                for batch in batches
                if batch
            ]
            for future in as_completed(futures):
                for i, kpis, trace in future.result():
                    results[i] = (kpis, trace)
                    done += 1
                    if progress:
                        progress(done, len(reps))
    names = list(results[reps[0]][0])
    values = {name: [results[i][0].get(name, math.nan) for i in reps] for name in names}
    return Experiment(
        park=park.park.name,
        scenario=scenario,
        settings=settings,
        values=values,
        trace=results[reps[0]][1],
    )
