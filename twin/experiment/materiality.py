"""Whether a change matters: a materiality threshold per KPI family.

Significance says a change is real; materiality says it is big enough to act on. A change
*matters* when it is significant, is at least the family's ``floor``, and reaches its
``absolute`` threshold or its ``relative_pct`` threshold (either may be left out). The
defaults, documented in the how-to "Read the summary, choose the language":

| family | KPIs (last part of the name) | matters from |
| --- | --- | --- |
| wait | ``wait_mean_min``, ``turnaround_mean_min`` | 5 min or 10% (never under 0.5 min) |
| queue | ``queue_mean`` | 1 truck or 10% (never under 0.1) |
| utilization | ``utilization`` | 0.05 (5 points of dock use) |
| trucks | ``arrived``, ``completed``, ``in_park_end`` | 1% (never under 1 truck) |
| energy | ``energy_mwh``, ``unserved_mwh``, ``losses_mwh`` | 1 MWh |
| power | ``peak_mw`` | 1 MW or 5% |
| loading | ``peak_load_pct``, ``loading_max_pct`` | 5 percentage points |
| voltage | ``v_min_pu`` | 0.01 pu |
| water | ``demand_m3``, ``shortfall_m3``, ``overflow_m3`` | 100 m³ or 5% |
| production | ``units`` | 1% (never under 1 unit) |
| other | a plugin's KPIs | 5% |

A materiality file (``--materiality FILE``, YAML or JSON; the how-to "Read the summary, choose
the language") overrides some families:
``{wait: {absolute: 2, relative_pct: 5}, energy: {absolute: 0.5}}``; a family it leaves out
keeps its default, and a threshold set to null is not used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from twin.errors import InputError
from twin.model.labels import split_kpi

FAMILY_OF_METRIC = {
    "wait_mean_min": "wait",
    "turnaround_mean_min": "wait",
    "queue_mean": "queue",
    "utilization": "utilization",
    "arrived": "trucks",
    "completed": "trucks",
    "in_park_end": "trucks",
    "energy_mwh": "energy",
    "unserved_mwh": "energy",
    "losses_mwh": "energy",
    "peak_mw": "power",
    "peak_load_pct": "loading",
    "loading_max_pct": "loading",
    "v_min_pu": "voltage",
    "demand_m3": "water",
    "shortfall_m3": "water",
    "overflow_m3": "water",
    "units": "production",
}
"""The materiality family of each KPI, by the last part of its name."""

FAMILY_UNITS = {
    "wait": "min", "queue": "trucks", "trucks": "trucks", "energy": "MWh", "power": "MW",
    "voltage": "pu", "water": "m3", "production": "units",
}  # fmt: skip
"""The unit of each family's absolute threshold (utilization is a share, loading in points)."""


@dataclass(frozen=True)
class Threshold:
    """When a change of one KPI family matters (see the module's docstring)."""

    absolute: float | None = None
    relative_pct: float | None = None
    floor: float = 0.0

    def reached(self, delta: float, delta_pct: float) -> bool:
        """True when a change of `delta` (`delta_pct` percent) reaches this threshold."""
        size = abs(delta)
        if math.isnan(size) or size < self.floor or size == 0:
            return False
        by_size = self.absolute is not None and size >= self.absolute
        by_share = (
            self.relative_pct is not None
            and not math.isnan(delta_pct)
            and abs(delta_pct) >= self.relative_pct
        )
        return by_size or by_share

    def score(self, delta: float, delta_pct: float) -> float:
        """How many thresholds the change is worth (the larger of the two ratios)."""
        ratios = [abs(delta) / self.absolute] if self.absolute else []
        if self.relative_pct and not math.isnan(delta_pct):
            ratios.append(abs(delta_pct) / self.relative_pct)
        return max(ratios, default=0.0)

    def to_dict(self) -> dict[str, float | None]:
        """The threshold as a JSON object."""
        return {"absolute": self.absolute, "relative_pct": self.relative_pct, "floor": self.floor}


DEFAULT_THRESHOLDS: dict[str, Threshold] = {
    "wait": Threshold(5.0, 10.0, 0.5),
    "queue": Threshold(1.0, 10.0, 0.1),
    "utilization": Threshold(0.05),
    "trucks": Threshold(None, 1.0, 1.0),
    "energy": Threshold(1.0),
    "power": Threshold(1.0, 5.0),
    "loading": Threshold(5.0),
    "voltage": Threshold(0.01),
    "water": Threshold(100.0, 5.0),
    "production": Threshold(None, 1.0, 1.0),
    "other": Threshold(None, 5.0),
}


def family_of(kpi: str) -> str:
    """The materiality family of a KPI (``other`` for one this module does not know)."""
    return FAMILY_OF_METRIC.get(split_kpi(kpi)[2], "other")


@dataclass(frozen=True)
class Materiality:
    """The thresholds in force: the defaults, some overridden by a file."""

    thresholds: Mapping[str, Threshold] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))

    def threshold(self, kpi: str) -> Threshold:
        """The threshold of a KPI's family."""
        return self.thresholds[family_of(kpi)]

    def matters(self, kpi: str, delta: float, delta_pct: float, significant: bool) -> bool:
        """True when a significant change of `kpi` reaches its family's threshold."""
        return significant and self.threshold(kpi).reached(delta, delta_pct)

    def to_dict(self) -> dict[str, dict[str, float | None]]:
        """Every family's threshold, as a JSON object."""
        return {name: t.to_dict() for name, t in self.thresholds.items()}

    @classmethod
    def from_document(cls, data: Any, file: str) -> Materiality:
        """The defaults overridden by a materiality document (a mapping of families).

        Raises:
            InputError: not a mapping, an unknown family or field, or a threshold that is not
                a number of at least 0 (the message names the file and the field).
        """
        if not isinstance(data, dict):
            raise InputError(file, "expected a mapping of KPI families to thresholds")
        thresholds = dict(DEFAULT_THRESHOLDS)
        for name, given in data.items():
            if name not in thresholds:
                known = ", ".join(DEFAULT_THRESHOLDS)
                raise InputError(file, f"unknown KPI family (expected one of: {known})", str(name))
            thresholds[name] = _threshold(given, thresholds[name], file, str(name))
        return cls(thresholds)


def _threshold(given: Any, default: Threshold, file: str, place: str) -> Threshold:
    if not isinstance(given, dict):
        raise InputError(file, "expected a mapping with absolute, relative_pct or floor", place)
    values = default.to_dict()
    for key, value in given.items():
        if key not in values:
            raise InputError(
                file, "unknown field (expected absolute, relative_pct or floor)", f"{place}.{key}"
            )
        ok = value is None and key != "floor"
        ok = ok or (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value >= 0
        )
        if not ok:
            raise InputError(
                file, f"must be a number of at least 0, not {value!r}", f"{place}.{key}"
            )
        values[key] = None if value is None else float(value)
    return Threshold(values["absolute"], values["relative_pct"], values["floor"] or 0.0)
