"""The truck stages of a calibration: arrivals, dock services and counts, gates, roads."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from twin.calibration.apply import Edit, significant
from twin.calibration.changes import MeterChange, arrivals_after_last_change, service_change
from twin.calibration.fit_arrivals import ArrivalFit, fit_arrivals, judge_file_rates
from twin.calibration.fit_docks import (
    DockCount,
    fit_dock_count,
    freed_at_start,
    resolution,
    staffing_contradictions,
)
from twin.calibration.fit_gates import GateFit, fit_gate
from twin.calibration.fit_service import ServiceFit, file_ks_p, fit_service, frozen
from twin.calibration.rate_intervals import model_intervals, scaled_intervals, week_counts
from twin.calibration.read import TRUCKS, TruckLog
from twin.calibration.result import Calibration
from twin.calibration.search import fit_road_speed
from twin.calibration.uncertainty import (
    GUARD,
    bootstrap_median,
    bootstrap_moments,
    inside,
    poisson_rate,
    widen,
)
from twin.language import say
from twin.model.intervals import DAY, Clock
from twin.model.schema import DockGroup, Flow

MODELS = {
    "hourly": "24 rates, the same every day",
    "weekday": "24 hourly rates × a factor per weekday",
    "weekly": "a rate for each of the 168 hours of the week",
}


def fit_trucks(cal: Calibration, edit: Edit) -> None:
    trucks = cal.data.trucks
    if trucks is None:
        return
    park = cal.source
    clock = Clock.of(park.park.start, park.park.holidays)
    lo = math.floor((trucks.first_min + clock.start_offset_min) / 60.0) * 60.0
    lo -= clock.start_offset_min
    hi = min(cal.split, trucks.last_min)
    period = cal.span_text((lo, hi))
    _fit_flows(cal, edit, (lo, hi), period)
    _fit_services(cal, edit, lo, hi, period)
    dock_free = _fit_dock_counts(cal, edit, (lo, hi), period)
    _fit_gates(cal, edit, (lo, hi), period, dock_free)
    _fit_roads(cal, edit, (lo, hi), period)


def _fit_flows(cal: Calibration, edit: Edit, window: tuple[float, float], period: str) -> None:
    """Each logged flow's arrival profile, unless the file's rates are supported."""
    trucks = cal.data.trucks
    assert trucks is not None
    lo, hi = window
    flows = {f.id: f for f in cal.source.logistics.flows}
    for fid in sorted(set(trucks.flow.tolist())):
        place = f"logistics.flows[id={fid}]"
        times = trucks.arrive[(trucks.flow == fid) & ~np.isnan(trucks.arrive)]
        if hi - lo < DAY or len(times) < 1:
            short = say("calibration.note.arrivals_under_a_day", "en")
            cal.notes.append(say("calibration.note.at_flow", "en", flow=fid, note=short))
        elif flows[fid].timetable is not None:
            edit.keep(
                place,
                "scheduled (timetable): kept as the file has it, not fitted as a Poisson process",
            )
        else:
            _fit_flow(cal, edit, flows[fid], times, window, period)


def _fit_flow(
    cal: Calibration,
    edit: Edit,
    flow: Flow,
    times: np.ndarray,
    window: tuple[float, float],
    period: str,
) -> None:
    """One flow: its rates after the last change in them, kept when the data support them."""
    place = f"logistics.flows[id={flow.id}]"
    clock = Clock.of(cal.source.park.start, cal.source.park.holidays)
    fit, flow_window, change = _rates_after_change(cal, flow.id, times, window, clock)
    cal.arrivals[flow.id] = fit
    reported, _ = poisson_rate(fit.n, fit.exposure_h / 24.0, fit.daily.index)
    cal.intervals[place] = {"per_day": reported}
    counts_w, expo_w = week_counts(times, flow_window, clock)
    test = judge_file_rates(fit, np.asarray(flow.weekly_rates()), times, flow_window, clock)
    if test.replace_by is None and change is None:
        cal.profiles[place] = model_intervals(fit, fit.choice, counts_w, expo_w)
        edit.keep(place, f"the data support the file's rates ({test.summary()})")
        return
    replace_by = test.replace_by or "scaled"  # after a change, the file's rates are old
    value: dict[str, Any] = dict.fromkeys(_RATE_FIELDS)
    if replace_by == "scaled":
        key, rates = _scaled_rates(flow, test.factor)
        how = f"the file's rates × {test.factor:.4g} (maximum likelihood)"
        file_rates = np.atleast_1d(_scaled_rates(flow, 1.0)[1])
        expo = expo_w.reshape(7, 24).sum(axis=0) if len(file_rates) == 24 else expo_w
        expo = expo.sum(keepdims=True) if len(file_rates) == 1 else expo
        cal.profiles[place] = scaled_intervals(file_rates, counts_w, expo, fit.daily.index)
    else:
        key = "hourly_profile" if replace_by == "hourly" else "weekly_profile"
        rates = fit.hourly if key == "hourly_profile" else fit.weekday_or_weekly(replace_by)
        how = f"model '{replace_by}' ({MODELS[replace_by]})"
        cal.profiles[place] = model_intervals(fit, replace_by, counts_w, expo_w)
    value[key] = [significant(r, 4) for r in np.atleast_1d(rates).tolist()]
    if key == "rate_per_hour":
        value[key] = value[key][0]
    edit.set(
        place,
        value,
        None,
        field=key,
        was_per_day=significant(float(np.mean(flow.weekly_rates())) * 24, 4),
        per_day=significant(fit.n / (fit.exposure_h / 24.0), 4),
        source=TRUCKS,
        period=period,
        trucks=fit.n,
        data="trucks.csv arrive",
        method="Poisson-process maximum likelihood of piecewise-constant hourly rates: "
        f"{how}, the lowest AIC among the models that reject the file's rates at 0.1%; "
        + test.summary(),
        quality=fit.daily.verdict(),
    )


def _rates_after_change(
    cal: Calibration, fid: str, times: np.ndarray, window: tuple[float, float], clock: Clock
) -> tuple[ArrivalFit, tuple[float, float], MeterChange | None]:
    """A flow's fit on its window, refitted after the last change in its rate (noted)."""
    fit = fit_arrivals(fid, times, window, clock)
    flow_window, change = arrivals_after_last_change(fid, times, window, clock, fit)
    if change is None:
        return fit, window, None
    cal.changes.append(change)
    said = say("calibration.note.rate_change", "en", size=f"{change.size_pct:+.0f}",
               at=cal.data.timebase.iso(change.at_min), before=f"{change.before:.4g}",
               after=f"{change.after:.4g}")  # fmt: skip
    cal.notes.append(say("calibration.note.at_flow", "en", flow=fid, note=said))
    return fit_arrivals(fid, times, flow_window, clock), flow_window, change


def _scaled_rates(flow: Flow, factor: float) -> tuple[str, Any]:
    """The file's own rate field, scaled."""
    if flow.rate_per_hour is not None:
        return "rate_per_hour", np.array([flow.rate_per_hour * factor])
    if flow.hourly_profile is not None:
        return "hourly_profile", np.asarray(flow.hourly_profile) * factor
    return "weekly_profile", np.asarray(flow.weekly_rates()) * factor


LANES_UNSEEN = "not observed without gate_out: the file's lanes"
"""What the log cannot tell of a gate's lanes when it has no gate_out times."""

_RATE_FIELDS = ("rate_per_hour", "hourly_profile", "weekly_profile", "timetable")


def _fit_roads(cal: Calibration, edit: Edit, window: tuple[float, float], period: str) -> None:
    """One factor on every road's speed, unless the file's speeds are supported."""
    trucks = cal.data.trucks
    assert trucks is not None
    park = cal.source
    speed = fit_road_speed(park, trucks, window)
    cal.speed = speed
    if speed is None:
        if park.logistics.roads:
            edit.keep("logistics.roads[*].speed_kmh", "too few trucks with dock_end and depart")
        return
    reported, guard = bootstrap_median(speed.ratios, "roads")
    shortest = min(route for _, _, route in speed.per_flow.values())
    step = max(resolution(trucks.dock_end), resolution(trucks.depart)) / shortest
    reported, guard = widen(reported, step), widen(guard, step)
    if inside(1.0, guard):
        edit.keep(
            "logistics.roads[*].speed_kmh",
            f"the data support the file's speeds (drive factor {speed.factor:.3f}, 99.9% "
            f"interval {guard[0]}..{guard[1]} holds 1)",
        )
    for road in park.logistics.roads:
        place = f"logistics.roads[id={road.id}].speed_kmh"
        low, high = reported
        cal.intervals[place] = {
            "speed_kmh": [_divided(road.speed_kmh, high), _divided(road.speed_kmh, low)]
        }
        if inside(1.0, guard):
            continue
        edit.set(
            place,
            _divided(road.speed_kmh, speed.factor),
            road.speed_kmh,
            source=TRUCKS,
            period=period,
            trucks=speed.n,
            method="one factor on all roads: median of (depart − dock_end) / route drive",
            data="trucks.csv dock_end/depart",
            quality=f"drives take {speed.factor:.2f}× the file's time",
        )


def _divided(speed: float, factor: float | None) -> float | None:
    """A road speed divided by a drive factor, capped at the format's 200 km/h."""
    if factor is None or factor <= 0:
        return None
    return significant(min(speed / factor, 200.0), 3)


def _fit_services(cal: Calibration, edit: Edit, lo: float, hi: float, period: str) -> None:
    """Each dock group's service distribution, fitted after the last change in its times."""
    trucks = cal.data.trucks
    assert trucks is not None
    start = trucks.dock_start
    in_window = (start >= lo) & (start < hi)
    groups = {g.id: g for g in cal.source.logistics.dock_groups}
    for gid in sorted(set(trucks.dock_group[in_window].tolist())):
        mine = in_window & (trucks.dock_group == gid)
        complete, censored, gaps = _service_times(trucks, mine, hi)
        change = service_change(gid, start[mine & _complete(trucks, hi)], complete)
        if change is not None:
            _note_service_change(cal, change, group=gid)
            complete, censored, _ = _service_times(trucks, mine & (start >= change.at_min), hi)
        fit = fit_service(gid, complete, censored)
        place = f"logistics.dock_groups[id={gid}].service"
        if gaps:
            left = say("calibration.note.service_gaps", "en", gaps=str(gaps))
            cal.notes.append(say("calibration.note.at_dock_group", "en", group=gid, note=left))
        if fit is None:
            edit.keep(place, f"only {len(complete)} complete service times (need 20)")
            continue
        cal.services[gid] = fit
        _write_service(
            cal,
            edit,
            place,
            fit,
            groups[gid].service.model_dump(mode="json"),
            complete,
            period=period,
            services=fit.n,
            censored=fit.n_censored,
            data="trucks.csv dock_start/dock_end",
            method="maximum likelihood (right-censored at the end of the span) of every "
            f"family; lowest AIC chosen{_after(cal, change)}",
        )


def _after(cal: Calibration, change: MeterChange | None) -> str:
    """``; on the services after the change of 2026-01-26T10:14`` (or nothing)."""
    if change is None:
        return ""
    return f"; on the services after the change of {cal.data.timebase.iso(change.at_min)}"


def _complete(trucks: TruckLog, hi: float) -> np.ndarray:
    """Visits whose dock service ended by `hi`."""
    return ~np.isnan(trucks.dock_end) & (trucks.dock_end <= hi)


def _service_times(
    trucks: TruckLog, mine: np.ndarray, hi: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """Complete service times (by start) of the visits `mine`, the censored ones, and gaps.

    A visit without dock_end is still at the dock when the record ends only if it started
    near the end (within twice the longest service); one that started long before is a gap
    in the log, left out and counted.
    """
    start, end = trucks.dock_start, trucks.dock_end
    done = mine & _complete(trucks, hi)
    complete = (end - start)[done]
    longest = float(complete.max()) if len(complete) else 0.0
    past_split = mine & ~np.isnan(end) & (end > hi)
    missing = mine & np.isnan(end)
    running = missing & (trucks.last_min - start <= 2.0 * longest)
    censored = np.concatenate(
        [(hi - start)[past_split], (np.minimum(hi, trucks.last_min) - start)[running]]
    )
    return complete, censored, int((missing & ~running).sum())


def _note_service_change(
    cal: Calibration, change: MeterChange, group: str | None = None, gate: str | None = None
) -> None:
    """Keep a change in service times of a dock `group` or a `gate` and say it in the notes."""
    cal.changes.append(change)
    said = say("calibration.note.service_change", "en", size=f"{change.size_pct:+.0f}",
               at=cal.data.timebase.iso(change.at_min), before=f"{change.before:.3g}",
               after=f"{change.after:.3g}")  # fmt: skip
    if gate is not None:
        cal.notes.append(say("calibration.note.at_gate", "en", gate=gate, note=said))
    else:
        cal.notes.append(say("calibration.note.at_dock_group", "en", group=group, note=said))


def _write_service(
    cal: Calibration,
    edit: Edit,
    place: str,
    fit: ServiceFit,
    was: dict[str, Any],
    times: np.ndarray,
    **record: Any,
) -> None:
    """Write a fitted service distribution, unless the data support the file's.

    The file's distribution is supported when the KS test of the times against it (exact:
    nothing estimated) gives p ≥ 0.001 and its mean lies in the 99.9% interval of the mean.
    """
    reported, guard = bootstrap_moments(times, place)
    cal.intervals[place] = reported
    p = file_ks_p(was, times)
    mean = float(frozen(was).mean()) if p is not None else math.nan
    if p is not None and p >= 1 - GUARD and "mean" in guard and inside(mean, guard["mean"]):
        edit.keep(
            place,
            f"the data support the file's distribution (KS p = {p:.2g} against it; its mean "
            f"{mean:.4g} lies in the 99.9% interval)",
        )
        return
    best = fit.best
    spec = {k: (significant(v, 4) if k != "dist" else v) for k, v in best.spec.items()}
    edit.set(
        place,
        spec,
        was,
        source=TRUCKS,
        quality=f"KS D {best.ks_d:.3f}, p {best.ks_p:.3g}; the file's distribution: "
        + (f"KS p {p:.2g}" if p is not None else "not continuous"),
        **record,
    )


def _fit_dock_counts(
    cal: Calibration, edit: Edit, window: tuple[float, float], period: str
) -> np.ndarray:
    """Docks staffed from occupancy; returns, per truck, whether it surely waited for no dock."""
    trucks = cal.data.trucks
    assert trucks is not None
    lo, hi = window
    clock = Clock.of(cal.source.park.start, cal.source.park.holidays)
    tol = max(resolution(trucks.dock_start), resolution(trucks.dock_end))
    dock_free = np.zeros(len(trucks), dtype=bool)
    groups = {g.id: g for g in cal.source.logistics.dock_groups}
    for gid in sorted(set(trucks.dock_group.tolist())):
        rows = np.flatnonzero((trucks.dock_group == gid) & np.isfinite(trucks.dock_start))
        start, end = trucks.dock_start[rows], trucks.dock_end[rows]
        dock_free[rows] = ~freed_at_start(start, end, tol)
        inside = (start >= lo) & (start < hi)
        hours = (np.floor((start + clock.start_offset_min) / 60.0) % 24).astype(np.int64)
        found = fit_dock_count(
            gid, groups[gid].docks, start[inside], end[inside], trucks.last_min, hours[inside]
        )
        if found is None:
            continue
        cal.counts[gid] = found
        place = f"logistics.dock_groups[id={gid}].docks"
        low, high = found.ci95
        cal.intervals[place] = {"docks": [float(low), None if high is None else float(high)]}
        if not found.identified:
            cal.identifiability[place] = (
                f"bounded from below only: no truck was seen waiting for a dock, so every count "
                f"from {found.lower} up gives the same queues; the file's count is kept when it "
                "is at least that"
            )
        _write_staffing(cal, edit, groups[gid], found, period)
        if found.chosen == found.current:
            edit.keep(place, found.note)
            continue
        edit.set(
            place,
            found.chosen,
            found.current,
            source=TRUCKS,
            period=period,
            services=found.services,
            method="dock occupancy: most services in progress at once (a lower bound), and "
            "the count itself when trucks waited for a dock while all were busy",
            data="trucks.csv dock_start/dock_end",
            quality=found.note,
        )
    return dock_free


def _write_staffing(
    cal: Calibration, edit: Edit, group: DockGroup, found: DockCount, period: str
) -> None:
    """A staffing schedule where the occupancy shows hours saturated below the peak, and
    the file's windows the log contradicts replaced (with the hours that refute them)."""
    place = f"logistics.dock_groups[id={group.id}].staffing"
    schedule = found.schedule()
    windows = [{"start": f"{a:02d}:00", "end": f"{b:02d}:00", "docks": c} for a, b, c in schedule]
    was = [w.model_dump(mode="json", exclude_none=True) for w in group.staffing or []]
    against = staffing_contradictions(list(group.staffing or []), found.hourly_max)
    if schedule:
        cal.intervals[place] = {f"{a:02d}:00-{b:02d}:00": [c, c] for a, b, c in schedule}
    if windows == was or (not windows and not was):
        return
    if not windows and not against:
        cal.identifiability[place] = (
            "bounded from below only: no truck waited for a dock below the peak count, so the "
            "windows' docks are at least the most services seen at once in their hours"
        )
        edit.keep(place, "the occupancy shows no hours staffed below the peak count")
        return
    edit.set(
        place,
        windows or None,
        was or None,
        source=TRUCKS,
        period=period,
        method="by hour of the day, the most services at once where trucks waited for a dock "
        "(at least 5 times): hours saturated below the peak count are staffed at that count; "
        "a file's window with more services at once in its hours than it staffs is refuted",
        data="trucks.csv dock_start/dock_end",
        **({"quality": "; ".join(f"the log refutes {t}" for t in against)} if against else {}),
        hourly_max=list(found.hourly_max),
        hourly_waits=list(found.hourly_waits),
    )


def _fit_gates(
    cal: Calibration, edit: Edit, window: tuple[float, float], period: str, dock_free: np.ndarray
) -> None:
    trucks = cal.data.trucks
    assert trucks is not None
    for gate in cal.source.logistics.gates:
        place = f"logistics.gates[id={gate.id}].service"
        found = fit_gate(cal.source, gate.id, trucks, window, dock_free)
        if found is None:
            if (trucks.gate == gate.id).any():
                edit.keep(place, "fewer than 20 trucks logged through the gate")
            continue
        cal.notes.extend(
            say("calibration.note.at_gate", "en", gate=gate.id, note=n) for n in found.notes
        )
        change = service_change(gate.id, found.arrivals, found.times)
        if change is not None:
            _note_service_change(cal, change, gate=gate.id)
            after = found.arrivals >= change.at_min
            found = replace(
                found,
                service=fit_service(gate.id, found.times[after]),
                times=found.times[after],
                arrivals=found.arrivals[after],
                used=int(after.sum()),
                method=found.method + _after(cal, change),
            )
        cal.gates[gate.id] = found
        if found.service is None:
            edit.keep(place, f"only {found.used} trucks with a usable gate time (need 20)")
            continue
        _write_service(
            cal,
            edit,
            place,
            found.service,
            gate.service.model_dump(mode="json"),
            found.times,
            period=period,
            trucks=found.used,
            method=found.method,
            data=found.data,
        )
        _record_lanes(cal, edit, found, period)


def _record_lanes(cal: Calibration, edit: Edit, found: GateFit, period: str) -> None:
    """The gate's lanes: fitted from the log with gate_out (kept when it supports the file's),
    unidentifiable without it (the file's count, said so)."""
    place = f"logistics.gates[id={found.gate}].lanes"
    if "gate_out" not in found.data:
        cal.identifiability[place] = LANES_UNSEEN
        cal.unidentified.add(place)
        edit.keep(place, "not observed without gate_out")
        return
    low, high = found.lanes_ci
    cal.intervals[place] = {"lanes": [float(low), None if high is None else float(high)]}
    if high is None:
        cal.identifiability[place] = (
            f"bounded from below only: from {low} lanes up the gate log is explained alike "
            "(profile likelihood within the 95% bound), as a gate cannot show lanes it "
            "never needs"
        )
    method = (
        "profile likelihood of the gate's service times over the lane counts that explain "
        "the log (rebuilt FCFS queue, no negative service); the file's count unless rejected "
        "at 0.1%"
    )
    if found.lanes == found.file_lanes:
        edit.keep(place, f"the gate log supports the file's {found.file_lanes} ({method})")
        return
    edit.set(
        place,
        found.lanes,
        found.file_lanes,
        source=TRUCKS,
        period=period,
        method=method,
        data=found.data,
    )


def logged_groups(cal: Calibration) -> set[str]:
    trucks = cal.data.trucks
    return set() if trucks is None else set(trucks.dock_group.tolist())


def record_search(cal: Calibration, edit: Edit) -> None:
    for group, found in cal.docks.items():
        place = f"logistics.dock_groups[id={group}].docks"
        if found.chosen != found.current:
            edit.set(
                place,
                found.chosen,
                found.current,
                source=TRUCKS,
                period=cal.span_text(cal.training),
                method="simulation search over docks (± 2, widening while the best count is "
                "on the edge) with common random numbers, matching the mean time from gate "
                "arrival to dock start",
                data="trucks.csv arrive/dock_start",
                quality=found.note,
            )
        else:
            edit.keep(place, found.note)


def distrust_irregular(cal: Calibration) -> None:
    """Keep the file's docks where arrivals are not Poisson: the search cannot be trusted."""
    for group, found in list(cal.docks.items()):
        flows = [f.id for f in cal.source.logistics.flows if f.dock_group == group]
        irregular = [f for f in flows if f in cal.arrivals and cal.arrivals[f].daily.p_over < 0.01]
        if irregular and found.chosen != found.current:
            cal.docks[group] = replace(
                found,
                chosen=found.current,
                note=(
                    f"kept at {found.current}: arrivals of {', '.join(irregular)} vary more from "
                    "day to day than a Poisson process, so the twin's queues are too short at "
                    f"any count (the search would say {found.chosen}, "
                    f"{found.observed_mean:.1f} min observed against "
                    f"{found.simulated[found.current][0]:.1f} simulated)"
                ),
            )
