"""``calibration.json``: every parameter and every validation check, for machines (SPEC.md).

One entry per place the calibration fitted or kept: the asset (the id in the place), the field,
the value before and after, the 95% interval of each fitted quantity (:mod:`.uncertainty`),
the method and the data used, whether the file's value lies outside the interval (``moved``),
and what the data could not tell (``identifiability``). Validation rows give the held-out
checks: hourly MAPE of every meter, KS distance of every dock group's gate-to-dock time and
turnaround, and the hourly MAPE of every flow's arrivals.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import TypeAdapter

from twin.calibration.apply import value_at
from twin.calibration.changes import MeterChange
from twin.calibration.result import Calibration
from twin.calibration.spread import Distance
from twin.calibration.validation import ArrivalCheck, QueueCheck, SeriesCheck
from twin.model.dist import Sampler
from twin.model.schema import Distribution

ASSET = re.compile(r"\[id=([^\]]+)\]")
DISTRIBUTION: TypeAdapter[Any] = TypeAdapter(Distribution)


def calibration_document(cal: Calibration) -> dict[str, Any]:
    """The calibration.json document of a calibration."""
    record = (cal.park.metadata or {}).get("calibration", {})
    held = cal.held_out
    return {
        "park": cal.source.park.name,
        "fitted_span": _span(cal, cal.training),
        "validation_span": _span(cal, held) if held else None,
        "parameters": parameter_rows(cal, record),
        "validation": validation_rows(cal),
        "refused": [{"place": p, "reason": r} for p, r in sorted(cal.refused.items())],
        "combinations": [{"place": p, **c} for p, c in sorted(cal.combinations.items())],
        "changes": [_change(cal, c) for c in cal.changes],
        "validation_changes": [_change(cal, c) for c in cal.held_out_changes],
        "notes": list(cal.notes),
    }


def _change(cal: Calibration, c: MeterChange) -> dict[str, Any]:
    """A change point as calibration.json has it: where, when, how large, found how."""
    return {
        "asset": c.asset,
        "quantity": c.quantity,
        "time": cal.data.timebase.iso(c.at_min),
        "before": round(c.before, 6),
        "after": round(c.after, 6),
        "size_pct": round(c.size_pct, 2) if math.isfinite(c.size_pct) else None,
        "method": c.method,
    }


def parameter_rows(cal: Calibration, record: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per fitted or kept place."""
    before = cal.source.model_dump(mode="json", exclude_none=True)
    after = cal.park.model_dump(mode="json", exclude_none=True)
    rows = []
    entries = [(p, e, False) for p, e in record.get("values", {}).items()]
    entries += [(p, {"method": f"kept: {why}"}, True) for p, why in record.get("kept", {}).items()]
    for place, entry, kept in entries:
        asset, field = _asset_field(place)
        field = entry.get("field", field) if isinstance(entry.get("field"), str) else field
        old, new = value_at(before, place), value_at(after, place)
        if isinstance(old, dict) and "field" in entry:  # a flow: its rate fields only
            old = {k: v for k, v in old.items() if k in _RATE_FIELDS}
            new = {k: v for k, v in (new or {}).items() if k in _RATE_FIELDS}
        identifiable = place not in cal.unidentified
        ci95 = cal.intervals.get(place, {}) if identifiable else {}
        rows.append(
            {
                "asset": asset,
                "field": field,
                "place": place,
                "before": old,
                "fitted": new,
                "ci95": ci95,
                "method": entry.get("method", ""),
                "data": entry.get("data", entry.get("source", "")),
                "kept": kept,
                "changed": old != new,
                "moved": moved(entry.get("was_per_day", old), ci95) if not kept else False,
                "identifiable": identifiable,
                "identifiability": cal.identifiability.get(place, "identified by the data"),
            }
            | ({"ci95_each": cal.profiles[place]} if place in cal.profiles else {})
        )
    return rows


_RATE_FIELDS = ("rate_per_hour", "hourly_profile", "weekly_profile", "timetable")


def moved(before: Any, ci95: dict[str, list[float | None]]) -> bool:
    """True when the file's value lies outside the fitted value's 95% interval.

    A distribution is compared by its mean, a flow by its trucks per day (`before` is then
    that number), a number as it is.
    """
    if not ci95 or before is None:
        return False
    if isinstance(before, dict) and "dist" in before:
        mean = Sampler(DISTRIBUTION.validate_python(before)).mean
        return "mean" in ci95 and _outside(mean, ci95["mean"])
    if isinstance(before, int | float) and len(ci95) == 1:
        (interval,) = ci95.values()
        return _outside(float(before), interval)
    return False


def validation_rows(cal: Calibration) -> list[dict[str, Any]]:
    """Every held-out check: meters (MAPE), dock groups (KS D), flows (MAPE)."""
    val = cal.validation
    if val is None:
        return []
    rows: list[dict[str, Any]] = []
    for c in val.series:
        rows.append(
            _row(c.asset, c.quantity, "mape_pct", c.mape_pct, c.verdict, c.reason) | _changed(c)
        )
    for q in val.queues:
        for quantity, x in (("gate_to_dock_min", q.to_dock), ("turnaround_min", q.turnaround)):
            rows.append(
                _row(q.group, quantity, "ks_d", x.d, q.verdict, q.reason)
                | _distance_fields(x)
                | {"p_adjusted": _finite(q.p_adjusted)}
                | _changed(q)
            )
    for a in val.arrivals:
        rows.append(
            _row(a.name, "arrivals_per_hour", "mape_pct", a.mape_pct, a.verdict, a.reason)
            | {
                "chi2_p": _finite(a.chi2_p),
                "chi2_p_adjusted": _finite(a.chi2_p_adjusted),
                "noise_floor_pct": _finite(a.floor_pct),
            }
            | _changed(a)
        )
    return rows


def _changed(check: SeriesCheck | ArrivalCheck | QueueCheck) -> dict[str, str]:
    """``{"changed": "changed in validation span on DATE (+40%)"}`` for a marked check."""
    return {"changed": check.changed} if check.changed else {}


def _distance_fields(x: Distance) -> dict[str, Any]:
    """A KS distance judged against the model's own spread, as calibration.json fields."""
    return {
        "p_value": _finite(x.p_value),
        "rank_p": _finite(x.rank_p),
        "model_d_median": _finite(x.spread[0]),
        "model_d_p95": _finite(x.spread[1]),
        "iid_ks_p": _finite(x.iid_p),
        "observed_mean": _finite(x.observed_mean),
        "simulated_mean": _finite(x.simulated_mean),
    }


def _row(asset: str, quantity: str, metric: str, value: float, verdict: str, why: str) -> dict:
    return {
        "asset": asset,
        "quantity": quantity,
        "metric": metric,
        "value": _finite(value),
        "verdict": verdict,
        "reason": why,
    }


def _finite(value: float) -> float | None:
    return round(float(value), 4) if math.isfinite(value) else None


def _outside(value: float, interval: list[float | None]) -> bool:
    low, high = interval
    return (low is not None and value < low) or (high is not None and value > high)


def _asset_field(place: str) -> tuple[str, str]:
    """``buildings[id=f1].power.base_kw`` -> (``f1``, ``power.base_kw``)."""
    found = list(ASSET.finditer(place))
    if not found:
        return place.split(".")[0], place
    last = found[-1]
    field = place[last.end() :].lstrip(".")
    return last.group(1), field or place[: last.start()].split(".")[-1]


def _span(cal: Calibration, span: tuple[float, float]) -> list[str]:
    return [cal.data.timebase.iso(span[0]), cal.data.timebase.iso(span[1])]
