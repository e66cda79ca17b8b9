"""Scenario comparison: the baseline against each scenario, paired over replications.

Every case runs the same replications, and replication i of each draws from the same random
streams (common random numbers), so a scenario's effect is read from the paired differences
``scenario_i - baseline_i``: their mean is ``delta``, their Student-t 95% interval is
``delta_ci95``, and the change is ``significant`` when that interval excludes 0. A scenario that
changes nothing has every difference exactly 0.

Pure: nothing here reads files or prints. :func:`twin.api.compare` loads the inputs and runs
the cases; :mod:`twin.reports.compare` writes the files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.experiment.materiality import Materiality
from twin.experiment.results import Experiment
from twin.experiment.settings import Settings
from twin.experiment.summary import change_text, compare_summary, scenario_summary
from twin.language import Language, say, unit_text
from twin.model.labels import kpi_label
from twin.sim.kpi import kpi_range, unit_of
from twin.sim.trace import pandas_module
from twin.stats import paired_delta, summarize
from twin.text import fmt, json_number

if TYPE_CHECKING:
    import pandas as pd

VERDICT_KPIS: tuple[tuple[str, str], ...] = (
    ("trucks.wait_mean_min", "truck wait"),
    ("trucks.turnaround_mean_min", "turnaround"),
    ("trucks.completed", "trucks served"),
    ("power.peak_mw", "peak power"),
    ("power.energy_mwh", "energy"),
    ("power.unserved_mwh", "unserved energy"),
    ("water.demand_m3", "water drawn"),
    ("water.shortfall_m3", "water shortfall"),
    ("wastewater.overflow_m3", "wastewater overflow"),
)
"""The park-wide KPIs a verdict line may name, with their names for people."""

DETAIL_PREFIXES = ("docks.", "production.")
"""KPIs of single dock groups and buildings: shown when they change, as many as fit."""

MAX_DETAIL_ROWS = 12


@dataclass(frozen=True)
class Row:
    """One KPI of one scenario against the baseline (a row of comparison.json)."""

    kpi: str
    scenario: str
    unit: str
    mean: float
    ci95: tuple[float, float]
    baseline_mean: float
    baseline_ci95: tuple[float, float]
    delta: float
    delta_pct: float
    delta_ci95: tuple[float, float]
    significant: bool
    pairs: int

    def to_table_row(self) -> dict[str, Any]:
        """The row for a table: intervals as ``*_low``/``*_high`` columns, NaN kept."""
        return {
            "kpi": self.kpi,
            "scenario": self.scenario,
            "unit": self.unit,
            "mean": self.mean,
            "ci95_low": self.ci95[0],
            "ci95_high": self.ci95[1],
            "baseline_mean": self.baseline_mean,
            "delta": self.delta,
            "delta_pct": self.delta_pct,
            "delta_ci95_low": self.delta_ci95[0],
            "delta_ci95_high": self.delta_ci95[1],
            "significant": self.significant,
        }

    def to_dict(self) -> dict[str, Any]:
        """The row as in SPEC.md (NaN as null), plus the baseline's interval."""
        return {
            "kpi": self.kpi,
            "scenario": self.scenario,
            "unit": self.unit,
            "mean": json_number(self.mean),
            "ci95": [json_number(self.ci95[0]), json_number(self.ci95[1])],
            "baseline_mean": json_number(self.baseline_mean),
            "baseline_ci95": [
                json_number(self.baseline_ci95[0]),
                json_number(self.baseline_ci95[1]),
            ],
            "delta": json_number(self.delta),
            "delta_pct": json_number(self.delta_pct),
            "delta_ci95": [json_number(self.delta_ci95[0]), json_number(self.delta_ci95[1])],
            "significant": self.significant,
            "pairs": self.pairs,
        }

    def change(self, with_unit: bool = True, lang: Language = "en") -> str:
        """The change for people: ``+4.9 min [4.4, 5.4]`` (without the unit if told)."""
        unit = self.unit if with_unit else ""
        return change_text(self.delta, self.delta_ci95, self.pairs, unit, lang)


def compare_kpi(kpi: str, scenario: str, values: list[float], baseline: list[float]) -> Row:
    """The paired comparison of one KPI (values in replication order, NaN where missing).

    With fewer than two complete pairs there is no interval, and nothing is significant.
    """
    nan = math.nan
    bounds = kpi_range(kpi)
    s = summarize(values, bounds) if values else None
    b = summarize(baseline, bounds) if baseline else None
    pairs = sum(
        1 for x, y in zip(values, baseline, strict=False) if not (math.isnan(x) or math.isnan(y))
    )
    if s is not None and b is not None and pairs:
        d = paired_delta(values, baseline, bounds)
        delta, pct, ci = d.delta, d.delta_pct, d.ci95
        significant = d.significant and pairs >= 2
    else:
        delta, pct, ci, significant = nan, nan, (nan, nan), False
    return Row(
        kpi=kpi,
        scenario=scenario,
        unit=unit_of(kpi),
        mean=s.mean if s else nan,
        ci95=s.ci95 if s else (nan, nan),
        baseline_mean=b.mean if b else nan,
        baseline_ci95=b.ci95 if b else (nan, nan),
        delta=delta,
        delta_pct=pct,
        delta_ci95=ci,
        significant=significant,
        pairs=pairs,
    )


@dataclass
class Comparison:
    """A baseline and its scenarios, replicated with common random numbers.

    Attributes:
        baseline: the park as is.
        scenarios: one experiment per scenario, in the order given.
        labels: the scenarios' names as shown (unique).
        settings: the settings all cases ran with (the chosen warm-up and count with ``auto``).
        extra: what ``--warmup auto`` / ``-r auto`` chose, and completeness.
        names: asset ids to names for people (:func:`twin.model.labels.asset_names`).
        lang: the language of the verdicts, tables and summary.
        materiality: when a change matters (:mod:`twin.experiment.materiality`).
    """

    baseline: Experiment
    scenarios: list[Experiment]
    labels: list[str]
    settings: Settings
    extra: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    lang: Language = "en"
    materiality: Materiality = field(default_factory=Materiality)

    @property
    def replications(self) -> int:
        """Replications per case (a case where none finished has no values to count)."""
        return max(e.replications for e in [self.baseline, *self.scenarios])

    def kpi_names(self) -> list[str]:
        """Every KPI of any case: the baseline's first, then ones only scenarios have."""
        names = dict.fromkeys(self.baseline.values)
        for experiment in self.scenarios:
            names.update(dict.fromkeys(experiment.values))
        return list(names)

    def rows(self) -> list[Row]:
        """Every KPI of every scenario against the baseline, scenario by scenario."""
        return list(self._rows)

    @cached_property
    def _rows(self) -> tuple[Row, ...]:
        names = self.kpi_names()
        return tuple(
            compare_kpi(
                kpi, label, experiment.values.get(kpi, []), self.baseline.values.get(kpi, [])
            )
            for label, experiment in zip(self.labels, self.scenarios, strict=True)
            for kpi in names
        )

    def to_dict(self) -> dict[str, Any]:
        """The comparison.json document of SPEC.md.

        When replications are missing, ``missing_replications`` lists every replication that
        is not a complete pair in some scenario, ``missing_by_case`` each case's own missing
        replications, and each row says from how many ``pairs`` it was computed.
        """
        s = self.settings
        doc = {
            "baseline": self.baseline.park,
            "scenarios": list(self.labels),
            "replications": self.replications,
            "seed": s.seed,
            "horizon_days": s.days,
            "warmup_days": s.warmup_days,
            "rows": [row.to_dict() for row in self.rows()],
            **self.extra,
            "summary": self.summary(),
        }
        by_case = {label: self.missing(label) for label in ["baseline", *self.labels]}
        if any(by_case.values()):
            doc["complete"] = False
            doc["missing_replications"] = sorted({i for m in by_case.values() for i in m})
            doc["missing_by_case"] = by_case
        return doc

    def summary(self) -> dict[str, Any]:
        """The summary a manager reads first (:func:`twin.experiment.summary.compare_summary`)."""
        return compare_summary(self, self.names, self.materiality, self.lang)

    def label(self, kpi: str, unit: str | None = None) -> str:
        """A KPI in words, in the comparison's language, assets by name."""
        return kpi_label(kpi, self.lang, self.names, unit)

    def _experiment(self, label: str) -> Experiment:
        if label == "baseline":
            return self.baseline
        return self.scenarios[self.labels.index(label)]

    def missing(self, label: str) -> list[int]:
        """Replications of `label` (a scenario, or ``baseline``) that are not a complete pair.

        A scenario's replication is missing when it or the baseline's did not finish; the
        baseline's when it did not finish itself.
        """
        first = self.settings.first_replication
        done = _finished(self._experiment(label))
        if label != "baseline":
            done &= _finished(self.baseline)
        return [first + k for k in range(self.replications) if k not in done]

    def column(self, label: str) -> str:
        """A scenario's name as a column heading, with its pair count when some are missing."""
        missing = len(self.missing(label))
        if not missing:
            return label
        pairs = self.replications - missing
        return say("word.pairs_of", self.lang, label=label, pairs=pairs, total=self.replications)

    def cases(self) -> list[tuple[str, Experiment]]:
        """``("baseline", experiment)`` then ``(label, experiment)`` per scenario."""
        return [("baseline", self.baseline), *zip(self.labels, self.scenarios, strict=True)]

    def to_arrays(self) -> dict[str, dict[str, np.ndarray]]:
        """``{"baseline": {...}, "<scenario>": {...}}``: each case's KPI values per replication.

        Replication i of each case used the same random numbers.
        """
        return {label: experiment.to_arrays() for label, experiment in self.cases()}

    def to_frame(self, replications: bool = False) -> pd.DataFrame:
        """The rows of comparison.json as a table (intervals as ``*_low``/``*_high`` columns).

        Args:
            replications: instead, the columns ``case``, ``replication``, ``kpi``, ``value``.
        """
        pd = pandas_module()
        if replications:
            rows = [row for label, e in self.cases() for row in e.long_rows(label)]
            return pd.DataFrame(rows, columns=["case", "replication", "kpi", "value"])
        return pd.DataFrame([row.to_table_row() for row in self.rows()])

    def shown_kpis(self, show_all: bool = False) -> tuple[list[str], list[str], int]:
        """The KPIs for a summary table: (changed significantly, unchanged, hidden count).

        Park-wide KPIs (trucks, gates, power, water) are always shown; dock-group and
        production KPIs only when they changed significantly in some scenario, the largest
        relative changes first, at most :data:`MAX_DETAIL_ROWS` of them unless `show_all`.
        """
        by_kpi: dict[str, list[Row]] = {}
        for row in self.rows():
            by_kpi.setdefault(row.kpi, []).append(row)

        def size(kpi: str) -> float:
            pcts = [abs(r.delta_pct) for r in by_kpi[kpi] if r.significant]
            return max((p for p in pcts if not math.isnan(p)), default=0.0)

        changed = [k for k, rows in by_kpi.items() if any(r.significant for r in rows)]
        unchanged = [k for k in by_kpi if k not in changed]
        if show_all:
            return changed, unchanged, 0
        park_wide = [k for k in changed if not k.startswith(DETAIL_PREFIXES)]
        detail = sorted(
            (k for k in changed if k.startswith(DETAIL_PREFIXES)), key=lambda k: -size(k)
        )
        unchanged_park = [k for k in unchanged if not k.startswith(DETAIL_PREFIXES)]
        hidden = len(detail[MAX_DETAIL_ROWS:]) + len(unchanged) - len(unchanged_park)
        return park_wide + detail[:MAX_DETAIL_ROWS], unchanged_park, hidden

    def summary_table(self, show_all: bool = False) -> dict[str, Any]:
        """The table `parktwin compare` prints, as plain data (the web page shows it too).

        Returns:
            ``{"columns": [...], "changed": [row...], "unchanged": [row...], "hidden": n}``;
            a row is ``{"kpi", "label", "unit", "baseline", "cells": [{"text",
            "significant"}]}`` with one cell per scenario: the mean paired change [95%
            interval] and its percentage; ``label`` is the KPI in words, in the comparison's
            language.
        """
        changed, unchanged, hidden = self.shown_kpis(show_all)
        rows = {(r.kpi, r.scenario): r for r in self.rows()}

        def cell(row: Row | None) -> dict[str, Any]:
            if row is None or row.delta != row.delta:
                return {"text": "-", "significant": False}
            pct = (
                f" {fmt(row.delta_pct, lang=self.lang)}%" if row.delta_pct == row.delta_pct else ""
            )
            text = row.change(with_unit=False, lang=self.lang)
            text += pct.replace(" ", " +").replace("+-", "-")
            return {"text": text, "significant": row.significant}

        def line(name: str) -> dict[str, Any]:
            first = rows.get((name, self.labels[0]))
            return {
                "kpi": name,
                "label": self.label(name),
                "unit": unit_text(first.unit, self.lang) if first else "",
                "baseline": fmt(first.baseline_mean, lang=self.lang) if first else "-",
                "cells": [cell(rows.get((name, label))) for label in self.labels],
            }

        change = say("word.change", self.lang)
        changes = [f"{self.column(label)}: {change}" for label in self.labels]
        head = [say(k, self.lang) for k in ("word.kpi", "word.unit", "word.baseline")]
        return {
            "columns": [*head, *changes],
            "changed": [line(n) for n in changed],
            "unchanged": [line(n) for n in unchanged],
            "hidden": hidden,
        }

    def verdicts(self) -> list[str]:
        """One plain line per scenario with its significant park-wide changes.

        E.g. ``peak-season: Mean truck wait +4.9 min [4.4, 5.4], Peak power +3.1 MW [2.8,
        3.4]``, in the comparison's language; the asset most affected is named when its change
        matters (:mod:`twin.experiment.materiality`).
        """
        rows = self.rows()
        lang = self.lang
        lines = []
        for label in self.labels:
            missing = self.missing(label)
            pairs = self.replications - len(missing)
            total = self.replications
            if missing and pairs < 2:
                lines.append(
                    say("compare.no_verdict", lang, label=label, pairs=pairs, total=total,
                        missing=_indices(missing))
                )  # fmt: skip
                continue
            mine = {r.kpi: r for r in rows if r.scenario == label}
            parts = [
                f"{self.label(kpi)} {mine[kpi].change(lang=lang)}"
                for kpi, _ in VERDICT_KPIS
                if kpi in mine and mine[kpi].significant
            ]
            worst = self._most_affected(label, mine)
            if worst is not None:
                parts.append(
                    say("compare.most_affected_docks", lang, name=self.label(worst.kpi),
                        change=worst.change(lang=lang))
                )  # fmt: skip
            if not parts:
                key = "compare.one_replication" if total < 2 else "compare.no_change"
                parts.append(say(key, lang))
            partial = (
                say("compare.partial", lang, pairs=pairs, total=total, missing=_indices(missing))
                if missing
                else ""
            )
            lines.append(f"{label}: " + ", ".join(parts) + partial)
        return lines

    def _most_affected(self, label: str, rows: dict[str, Row]) -> Row | None:
        """The summary's most affected asset (None when no asset's change matters)."""
        worst = scenario_summary(self, label, self.names, self.materiality)["most_affected"]
        return rows[worst["kpi"]] if worst is not None else None


def _finished(experiment: Experiment) -> set[int]:
    """Positions of the replications of `experiment` that finished (some KPI has a value)."""
    done: set[int] = set()
    for values in experiment.values.values():
        done.update(k for k, v in enumerate(values) if not math.isnan(v))
    return done


def _indices(numbers: Sequence[int], shown: int = 12) -> str:
    """Replication indices for people, the middle left out of a long list."""
    if len(numbers) <= shown:
        return ", ".join(map(str, numbers))
    return f"{', '.join(map(str, numbers[:shown]))}, ... ({len(numbers)} in all)"


def unique_labels(names: Sequence[str]) -> list[str]:
    """Scenario names made unique (``name``, ``name #2``, ...) in the order given."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return out
