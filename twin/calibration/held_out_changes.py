"""Changes that make the held-out span unlike the fit: found over the whole data period.

The fits see the training span only, so a change inside the held-out span (or so close
before it that the training span holds under :data:`NEAR_DAYS` of the new level) leaves
them stale, and the held-out checks then measure the change, not the fit. Each check's
series is therefore searched for changes over the whole period with the same methods as
the fits (:mod:`.changes`): a meter's level against its fitted levels, a flow's daily
arrivals against its fitted profile, a dock group's log service times. A change found from
:data:`NEAR_DAYS` before the held-out start on marks the check: its verdict stays
``good``/``fair``/``poor`` (SPEC) and a ``changed`` text says "changed in validation span
on DATE (+40%)", which the report shows in place of the bare verdict. A change the fit
already followed (found in the training span, refitted after) marks nothing.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TypeVar

import numpy as np

from twin.calibration.changes import (
    MeterChange,
    arrivals_after_last_change,
    level_cuts,
    service_change,
)
from twin.calibration.fit_meters import shift_share
from twin.calibration.result import Calibration
from twin.calibration.validation import ArrivalCheck, QueueCheck, SeriesCheck
from twin.model.intervals import DAY, Clock

Check = TypeVar("Check", SeriesCheck, ArrivalCheck, QueueCheck)

NEAR_DAYS = 2.0
"""A change this many days before the held-out start or later makes the fit stale there."""


def mark_held_out_changes(cal: Calibration) -> list[MeterChange]:
    """Flag every held-out check whose series changed in (or just before) the held-out span.

    Returns the changes found (also kept in ``cal.held_out_changes``).
    """
    val = cal.validation
    if val is None:
        return []
    since = cal.split - NEAR_DAYS * DAY
    followed = {(c.asset, c.quantity): c.at_min for c in cal.changes}
    found = {
        (c.asset, c.quantity): c
        for c in [*_meter_changes(cal), *_flow_changes(cal), *_service_changes(cal)]
        if c.at_min >= since and abs(c.at_min - followed.get((c.asset, c.quantity), math.inf)) > DAY
    }
    cal.held_out_changes = list(found.values())
    val.series = [_marked(cal, c, found.get((c.asset, c.quantity))) for c in val.series]
    val.arrivals = [_marked(cal, c, found.get((c.name, "arrivals"))) for c in val.arrivals]
    val.queues = [_marked(cal, c, found.get((c.group, "service_min"))) for c in val.queues]
    return cal.held_out_changes


def changed_text(cal: Calibration, change: MeterChange) -> str:
    """``changed in validation span on 2026-01-29 (+40%)`` (or "just before" it)."""
    where = "in validation span" if change.at_min >= cal.split else "just before validation span"
    size = f"{change.size_pct:+.0f}%" if math.isfinite(change.size_pct) else "from zero"
    return f"changed {where} on {cal.data.timebase.iso(change.at_min)[:10]} ({size})"


def _marked(cal: Calibration, check: Check, change: MeterChange | None) -> Check:
    if change is None:
        return check
    text = changed_text(cal, change)
    reason = f"{text}: the fit is older than the held-out data; {check.reason}"
    return dataclasses.replace(check, changed=text, reason=reason)


def _meter_changes(cal: Calibration) -> list[MeterChange]:
    """The last change of each fitted meter over the whole period, against its fit.

    Its size is the ratio of the readings to the fit after the change over the ratio before
    (both per day, so the weekday mix does not count), times the fit's mean level.
    """
    clock = Clock.of(cal.source.park.start, cal.source.park.holidays)
    out = []
    for key, fit in cal.levels.items():
        series = cal.data.meters.get(key)
        windows = cal.meter_windows.get(key)
        if series is None or windows is None:
            continue
        starts, ratios, cuts = level_cuts(series, fit, windows, clock)
        if cuts:
            begin = cuts[-2] if len(cuts) > 1 else 0
            level = float((fit.base + fit.shift * shift_share(series, windows, clock)).mean())
            before = level * float(ratios[begin : cuts[-1]].mean())
            after = level * float(ratios[cuts[-1] :].mean())
            out.append(MeterChange(*key, float(starts[cuts[-1]]), before, after))
    return out


def _flow_changes(cal: Calibration) -> list[MeterChange]:
    """The last change in each fitted flow's arrival rate over the whole period.

    The fit is the one after any change in the training span, so its index of dispersion
    is the days' own variation: a flow whose days vary more than Poisson needs a larger
    step to count as a change.
    """
    trucks = cal.data.trucks
    if trucks is None:
        return []
    clock = Clock.of(cal.source.park.start, cal.source.park.holidays)
    lo = cal.training[0]
    out = []
    for fid, fit in cal.arrivals.items():
        times = trucks.arrive[(trucks.flow == fid) & ~np.isnan(trucks.arrive)]
        start = min(float(times.min()), lo) if len(times) else lo
        window = (start, cal.period[1])
        _, change = arrivals_after_last_change(fid, times, window, clock, fit, fit.daily.index)
        if change is not None:
            out.append(change)
    return out


def _service_changes(cal: Calibration) -> list[MeterChange]:
    """The last change in each dock group's service times over the whole period."""
    trucks = cal.data.trucks
    if trucks is None:
        return []
    out = []
    done = np.isfinite(trucks.dock_start) & np.isfinite(trucks.dock_end)
    for gid in cal.services:
        mine = done & (trucks.dock_group == gid)
        times = (trucks.dock_end - trucks.dock_start)[mine]
        change = service_change(gid, trucks.dock_start[mine], times)
        if change is not None:
            out.append(change)
    return out
