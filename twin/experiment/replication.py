"""The replication rule of ``-r auto``: replicate until every watched KPI is precise enough.

A sequential procedure: :data:`~twin.experiment.settings.INITIAL_REPLICATIONS` replications, then
more in rounds (:func:`next_round`) until the Student-t 95% half-width of each watched KPI is within
the relative precision of its mean in every case (:func:`check_precision`), or the cap is reached.
:class:`PrecisionReport` records how it ended. Its sibling :mod:`twin.experiment.warmup` chooses the
warm-up; :mod:`twin.experiment.runner` runs both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.language import Language, say
from twin.stats import summarize
from twin.text import fmt, json_number

MIN_ROUND = 5
"""Fewest replications a round of ``-r auto`` adds."""


@dataclass(frozen=True)
class PrecisionCheck:
    """Where the sequential procedure stands: is every watched KPI precise enough?

    Attributes:
        reached: every watched KPI of every case has a 95% half-width within the target.
        needed: the replications the current variance estimates call for.
        relative: per KPI, the worst relative half-width over the cases (NaN: unknown).
        measured: some watched KPI has a value; when none has (a horizon with no truck for a
            wait), more replications cannot judge the precision.
    """

    reached: bool
    needed: int
    relative: dict[str, float]
    measured: bool = True


def check_precision(
    cases: Sequence[dict[str, list[float]]], kpis: Iterable[str], target: float, cap: int
) -> PrecisionCheck:
    """Check the relative precision of `kpis` over replications, for every case.

    A KPI is precise enough when its 95% Student-t half-width is at most `target` times the
    absolute value of its mean (a KPI that does not vary is always precise). The number of
    replications needed is estimated from the usual ``n * (h / (target * |mean|))**2``.

    Args:
        cases: per case, the values of each KPI in replication order.
        kpis: the KPIs to check (those a case lacks, or that are NaN throughout, are skipped;
            a KPI with no value in any case has a NaN relative width, and when no KPI has
            one the precision is not reached).
        target: the relative half-width to reach, e.g. 0.05.
        cap: the largest number of replications the estimate may ask for.

    Returns:
        Whether it is reached, how many replications are needed, the worst relative widths.
    """
    reached = True
    needed = 0
    relative: dict[str, float] = {}
    measured = present = False
    for name in kpis:
        worst, seen = 0.0, False
        for values in cases:
            if name not in values:
                continue
            present = True
            data = np.asarray(values[name], dtype=float)
            finite = data[~np.isnan(data)]
            if len(finite) == 0:
                continue
            seen = measured = True
            n = len(finite)
            if n < 2:
                reached, worst = False, math.nan
                needed = max(needed, 2)
                continue
            s = summarize(finite.tolist())
            half = s.half_width
            if half == 0:
                rel = 0.0
            elif s.mean == 0:
                rel = math.inf
            else:
                rel = half / abs(s.mean)
            if not math.isnan(worst):
                worst = max(worst, rel)
            if rel > target:
                reached = False
                estimate = cap if math.isinf(rel) else math.ceil(n * (rel / target) ** 2)
                needed = max(needed, min(estimate, cap))
        relative[name] = worst if seen or not present else math.nan
    measured = measured or not present
    return PrecisionCheck(reached and measured, needed, relative, measured)


def next_round(done: int, needed: int, cap: int) -> int:
    """How many replications to add after `done`: towards `needed`, at most doubling.

    At least :data:`MIN_ROUND` are added, so that rounds are worth sending to
    workers, but never more than `done` (an early, noisy variance estimate cannot ask for
    hundreds at once) nor beyond `cap`. The rounds never depend on the number of workers, so
    `-r auto` stops at the same count on every backend.
    """
    add = max(needed - done, MIN_ROUND)
    return max(0, min(add, max(done, 1), cap - done))


@dataclass(frozen=True)
class PrecisionReport:
    """How `-r auto` ended, for kpis.json and the terminal."""

    target: float
    kpis: tuple[str, ...]
    replications: int
    reached: bool
    cap: int
    relative: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """The ``replication_rule`` field of kpis.json and comparison.json."""
        return {
            "method": "sequential",
            "precision": self.target,
            "kpis": list(self.kpis),
            "replications": self.replications,
            "reached": self.reached,
            "max_replications": self.cap,
            "relative_half_width": {k: json_number(v) for k, v in self.relative.items()},
        }

    @classmethod
    def from_dict(cls, rule: dict[str, Any]) -> PrecisionReport:
        """Read back :meth:`to_dict`."""
        return cls(
            rule["precision"],
            tuple(rule["kpis"]),
            rule["replications"],
            rule["reached"],
            rule["max_replications"],
            {k: math.nan if v is None else v for k, v in rule["relative_half_width"].items()},
        )

    def describe(self, lang: Language = "en") -> str:
        """One line for people, in `lang`."""
        widths = ", ".join(
            f"{k} ±{fmt(100 * v, 2, lang)}%" if math.isfinite(v) else f"{k} ±?"
            for k, v in self.relative.items()
        )
        key = "choice.replications_reached" if self.reached else "choice.replications_capped"
        if not self.reached and not any(math.isfinite(v) for v in self.relative.values()):
            key = "choice.replications_unmeasured"
        return say(key, lang, n=self.replications, cap=self.cap, widths=widths,
                   target=fmt(100 * self.target, 6, lang))  # fmt: skip
