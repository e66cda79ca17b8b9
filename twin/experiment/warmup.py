"""Choosing the warm-up: MSER-5 on the run's own output series.

A park starts empty, so the first hours of a run are not typical of the steady state. MSER
(the Marginal Standard Error Rule, White 1997) picks the truncation point d that minimises

    MSER(d) = sum_{i > d} (Y_i - mean(Y_{d+1..n}))^2 / (n - d)^2

over the batch means Y of the series (MSER-5: batches of 5 observations), searching only the
first half of the series, as is usual (deep in the tail the statistic is unreliable).

The series is the time-average number of trucks at docks (queued or in service, all dock
groups) per grid step, averaged over a few pilot replications that start empty (warm-up 0),
leave out the scenario's timed events (they happen in the horizon, after any warm-up) and run
the experiment's horizon, at least a week. Averaging across replications (as in Welch's method)
steadies the choice: the park's daily cycle makes a single replication's MSER curve flat and
noisy. Trucks at docks rather than only the queue, because queues are mostly empty with rare
bursts, and MSER, which minimises the variance of what is kept, likes to cut a burst off with
the warm-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.language import Language, say
from twin.sim.trace import Trace, occupancy_integral
from twin.text import fmt

MSER_BATCH = 5
PILOT_REPLICATIONS = 5
PILOT_MIN_DAYS = 7.0
MIN_BATCHES = 10
SERIES = "trucks at docks (queued or in service, all dock groups)"


def batch_means(series: Sequence[float] | np.ndarray, batch: int = MSER_BATCH) -> np.ndarray:
    """Means of consecutive batches of `batch` observations (a last partial batch is dropped)."""
    data = np.asarray(series, dtype=float)
    n = len(data) // batch
    return data[: n * batch].reshape(n, batch).mean(axis=1)


def mser_statistic(batches: np.ndarray) -> np.ndarray:
    """MSER(d) for every truncation d = 0 .. len(batches) - 1 (in batches)."""
    y = np.asarray(batches, dtype=float)
    n = len(y)
    kept = n - np.arange(n)
    s1 = np.cumsum(y[::-1])[::-1]
    s2 = np.cumsum((y * y)[::-1])[::-1]
    sse = np.maximum(s2 - s1 * s1 / kept, 0.0)
    return np.asarray(sse / kept.astype(float) ** 2)


def mser_truncation(
    series: Sequence[float] | np.ndarray, batch: int = MSER_BATCH, max_fraction: float = 0.5
) -> int:
    """How many observations of `series` to delete as warm-up, by MSER on batch means.

    Args:
        series: the output series, in time order.
        batch: observations per batch (5 for MSER-5).
        max_fraction: search truncation points in this leading share of the series only.

    Returns:
        The number of observations to delete, a multiple of `batch` (0 when the series
        shows no transient). Ties go to the earliest point.

    Raises:
        ValueError: when the series has fewer than two batches.
    """
    y = batch_means(series, batch)
    if len(y) < 2:
        raise ValueError(f"MSER needs at least {2 * batch} observations, got {len(series)}")
    stat = mser_statistic(y)[: int(len(y) * max_fraction) + 1]
    best = float(stat.min())
    # the first d within rounding of the minimum: a flat series keeps everything
    d = int(np.flatnonzero(stat <= best + 1e-12 * max(1.0, abs(best)))[0])
    return d * batch


def pilot_series(trace: Trace) -> np.ndarray:
    """The series MSER looks at: trucks at docks (queued or served), all groups, per step."""
    trucks = trace.trucks
    at_docks = occupancy_integral(trucks["dock_arrive"], trucks["dock_end"], trace.edges)
    return np.asarray(at_docks / np.diff(trace.edges), dtype=float)


@dataclass(frozen=True)
class WarmupChoice:
    """A warm-up chosen by MSER-5, with what it was chosen from (for kpis.json)."""

    days: float
    truncated_steps: int
    step_min: float
    pilot_days: float
    pilot_replications: int
    by_case: dict[str, float]

    @property
    def hours(self) -> float:
        """The warm-up in hours."""
        return self.days * 24.0

    def to_dict(self) -> dict[str, Any]:
        """The ``warmup_choice`` field of kpis.json and comparison.json."""
        return {
            "method": "MSER-5",
            "series": SERIES,
            "warmup_days": self.days,
            "truncated_steps": self.truncated_steps,
            "step_min": self.step_min,
            "pilot_days": self.pilot_days,
            "pilot_replications": self.pilot_replications,
            "by_case_days": self.by_case,
        }

    def describe(self) -> str:
        """One line for people."""
        return describe_warmup(self.to_dict())


def describe_warmup(choice: dict[str, Any], lang: Language = "en") -> str:
    """One line for people, in `lang`, from the ``warmup_choice`` field of a result document."""
    days = choice["warmup_days"]
    return say("choice.warmup", lang, days=fmt(days, lang=lang), hours=fmt(24 * days, lang=lang),
               series=choice["series"], pilots=choice["pilot_replications"],
               pilot_days=fmt(choice["pilot_days"], lang=lang))  # fmt: skip


def choose_warmup(
    series_by_case: dict[str, list[np.ndarray]], step_min: float, pilot_days: float
) -> WarmupChoice:
    """The warm-up for an experiment from the pilot series of each of its cases.

    Every case (baseline, scenarios, sweep points) must share one warm-up for their
    replications to stay paired, so the longest choice wins.

    Args:
        series_by_case: per case name, the pilot series of its pilot replications.
        step_min: the grid step of the series, minutes.
        pilot_days: the pilot runs' horizon.

    Returns:
        The choice, its length in days a whole number of grid steps.
    """
    steps: dict[str, int] = {}
    replications = 0
    for name, runs in series_by_case.items():
        length = min(len(s) for s in runs)
        mean = np.mean([np.asarray(s[:length], dtype=float) for s in runs], axis=0)
        steps[name] = mser_truncation(mean)
        replications = max(replications, len(runs))
    worst = max(steps.values(), default=0)
    return WarmupChoice(
        days=worst * step_min / 1440.0,
        truncated_steps=worst,
        step_min=step_min,
        pilot_days=pilot_days,
        pilot_replications=replications,
        by_case={name: n * step_min / 1440.0 for name, n in steps.items()},
    )
