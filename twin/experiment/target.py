"""A sweep's target (``KPI<=V``): which settings meet it, and the smallest one that does.

A point meets ``KPI<=V`` (or ``<``) when the one-sided 95% upper bound of the KPI's mean over
its replications, ``mean + t(0.95, n-1) * s / sqrt(n)`` (Student-t), is at most `V`; for
``>=`` (or ``>``) the one-sided 95% lower bound must be at least `V`. So a point marked as
meeting the target does so with 95% confidence in the mean, each point on its own (no
correction for looking at several). With one replication there is no bound and no point is
marked. The smallest setting is the first meeting point in the order of the parameter
values (numbers ascending; other values in the order given), first parameter first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.errors import UsageError
from twin.stats import t_quantile
from twin.text import json_number

_TARGET = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")

CONFIDENCE = "one-sided 95% Student-t bound of the mean"


@dataclass(frozen=True)
class Target:
    """A goal for one KPI: ``kpi op value``."""

    kpi: str
    op: str
    value: float

    @property
    def text(self) -> str:
        """The target as written: ``trucks.wait_mean_min<=20``."""
        return f"{self.kpi}{self.op}{self.value:g}"

    @property
    def upper(self) -> bool:
        """True for an upper limit (``<=``, ``<``)."""
        return self.op in ("<=", "<")

    def met_by(self, bound: float) -> bool:
        """True when a one-sided bound of the mean meets the target."""
        if math.isnan(bound):
            return False
        return {
            "<=": bound <= self.value,
            "<": bound < self.value,
            ">=": bound >= self.value,
            ">": bound > self.value,
        }[self.op]


def parse_target(text: str, kpis: Sequence[str]) -> Target:
    """A target from ``KPI<=V`` (also ``<``, ``>=``, ``>``) for one of `kpis`.

    Raises:
        UsageError: not of that form, or a KPI the park does not have.
    """
    match = _TARGET.match(text)
    if match is None:
        raise UsageError(
            f"`target` must look like 'trucks.wait_mean_min<=20' (KPI, <=, <, >= or >, a "
            f"number), not {text!r}"
        )
    kpi, op, number = match.groups()
    try:
        value = float(number)
    except ValueError:
        raise UsageError(f"`target`: {number!r} is not a number") from None
    if not math.isfinite(value):
        raise UsageError(f"`target`: {number!r} is not a finite number")
    if kpi not in kpis:
        raise UsageError(f"`target`: the park has no KPI {kpi!r}")
    return Target(kpi, op, value)


def one_sided_bound(values: Sequence[float], upper: bool) -> tuple[float, float]:
    """``(mean, one-sided 95% bound)`` of replication values (NaN bound under 2 values)."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if len(data) == 0:
        return math.nan, math.nan
    mean = float(data.mean())
    if len(data) < 2:
        return mean, math.nan
    half = t_quantile(len(data) - 1, 0.90) * float(data.std(ddof=1)) / math.sqrt(len(data))
    return mean, mean + half if upper else mean - half


def _order(points: Sequence[tuple[Any, ...]]) -> list[int]:
    """Point indices from the smallest setting to the largest (see the module's docstring)."""

    def key(k: int) -> tuple[Any, ...]:
        return tuple(
            (0, float(v), 0)
            if isinstance(v, int | float) and not isinstance(v, bool)
            else (1, 0.0, k)
            for v in points[k]
        )

    return sorted(range(len(points)), key=key)


def target_result(
    target: Target, points: Sequence[tuple[Any, ...]], values: Sequence[Sequence[float]]
) -> dict[str, Any]:
    """The ``target`` of sweep.json: each point's mean, bound and verdict, and the smallest
    point that meets the target (``smallest``, an index into ``points``, or null)."""
    rows = []
    for k in range(len(points)):
        mean, bound = one_sided_bound(values[k], target.upper)
        rows.append({"mean": json_number(mean), "bound": json_number(bound),
                     "meets": target.met_by(bound)})  # fmt: skip
    smallest = next((k for k in _order(points) if rows[k]["meets"]), None)
    return {
        "target": target.text,
        "kpi": target.kpi,
        "op": target.op,
        "value": target.value,
        "confidence": CONFIDENCE,
        "points": rows,
        "smallest": smallest,
    }
