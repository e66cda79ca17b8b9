"""The result of replicating one park and scenario: :class:`Experiment` (kpis.json).

Comparisons (:mod:`twin.experiment.comparison`) and sweeps (:mod:`twin.experiment.sweeps`) are made
of experiments. Each result owns its conversions: ``to_dict`` (the JSON document), ``to_arrays``
(numpy) and ``to_frame`` (pandas, when installed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.experiment.replication import PrecisionReport
from twin.experiment.settings import Settings
from twin.experiment.warmup import describe_warmup
from twin.language import Language, say
from twin.model.sanity import warning_text
from twin.sim.kpi import kpi_range, unit_of
from twin.sim.trace import Trace, pandas_module
from twin.stats import Summary, summarize
from twin.text import json_number

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Experiment:
    """KPIs of every replication of one park and scenario, with their statistics.

    A replication that did not finish (interrupted, or failed twice) has NaN values; the
    ``extra`` fields say which (``complete: false``).
    """

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

    @property
    def complete(self) -> bool:
        """False when some replication is missing (interrupted or failed)."""
        return bool(self.extra.get("complete", True))

    def summary(self, kpi: str) -> Summary:
        """Statistics of one KPI over the replications."""
        return summarize(self.values[kpi], kpi_range(kpi))

    def to_dict(self) -> dict[str, Any]:
        """The kpis.json document of SPEC.md."""
        kpis = {}
        for name, values in self.values.items():
            s = summarize(values, kpi_range(name))
            kpis[name] = {
                "mean": json_number(s.mean),
                "std": json_number(s.std),
                "ci95": [json_number(s.ci95[0]), json_number(s.ci95[1])],
                "values": [json_number(v) for v in values],
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

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Each KPI's values, one per replication in replication order (NaN: did not finish)."""
        return {k: np.asarray(v, dtype=float) for k, v in self.values.items()}

    def to_frame(self, replications: bool = False) -> pd.DataFrame:
        """A row per KPI with its statistics (kpis.json as a table).

        Args:
            replications: instead, a row per replication and a column per KPI.
        """
        pd = pandas_module()
        if replications:
            return pd.DataFrame(
                self.values, index=pd.RangeIndex(self.replications, name="replication")
            )
        frame = pd.DataFrame([kpi_stats(k, v) for k, v in self.values.items()])
        return frame.set_index("kpi") if len(frame) else frame

    def long_rows(self, label: str) -> list[tuple[str, int, str, float]]:
        """``(label, replication, kpi, value)`` for every value, replications numbered as run."""
        first = self.settings.first_replication
        return [
            (label, first + i, kpi, value)
            for kpi, values in self.values.items()
            for i, value in enumerate(values)
        ]


def kpi_stats(kpi: str, values: list[float]) -> dict[str, Any]:
    """A table row of one KPI's statistics: kpi, unit, mean, std, ci95_low/high, replications."""
    s = summarize(values, kpi_range(kpi))
    return {
        "kpi": kpi,
        "unit": unit_of(kpi),
        "mean": s.mean,
        "std": s.std,
        "ci95_low": s.ci95[0],
        "ci95_high": s.ci95[1],
        "replications": len(values),
    }


def all_warnings(experiments: Sequence[Experiment]) -> list[str]:
    """The warnings of several experiments (a comparison's cases, a sweep's points), once each."""
    return list(dict.fromkeys(w for e in experiments for w in e.extra.get("warnings", [])))


def describe_choices(doc: dict[str, Any], lang: Language = "en") -> list[str]:
    """Lines for people from a document, in `lang`: its warnings, what ``--warmup auto`` and
    ``-r auto`` chose, and whether it is complete (the reports say why intervals are wide
    themselves). A model check's warning is said in `lang` too (:func:`warning_text`)."""
    lines = [
        say("choice.warning", lang, text=warning_text(w, lang)) for w in doc.get("warnings", [])
    ]
    if "warmup_choice" in doc:
        lines.append(describe_warmup(doc["warmup_choice"], lang))
    if "replication_rule" in doc:
        lines.append(PrecisionReport.from_dict(doc["replication_rule"]).describe(lang))
    if doc.get("complete") is False:
        missing = doc.get("missing_replications", [])
        why = say("choice.interrupted" if doc.get("interrupted") else "choice.failed", lang)
        lines.append(say("choice.incomplete", lang, why=why, missing=missing))
    return lines
