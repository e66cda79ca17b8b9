"""The truck stages of a calibration: arrivals, dock services and counts, gates, roads."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from twin.calibration.apply import Edit, significant
from twin.calibration.fit_arrivals import fit_arrivals
from twin.calibration.fit_docks import fit_dock_count, freed_at_start, resolution
from twin.calibration.fit_gates import fit_gate
from twin.calibration.fit_service import fit_service
from twin.calibration.read import TRUCKS
from twin.calibration.result import Calibration
from twin.calibration.search import fit_road_speed
from twin.intervals import DAY, Clock

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
    clock = Clock.of(park.park.start)
    lo = math.floor((trucks.first_min + clock.start_offset_min) / 60.0) * 60.0
    lo -= clock.start_offset_min
    hi = min(cal.split, trucks.last_min)
    period = cal.span_text((lo, hi))
    flows = {f.id: (i, f) for i, f in enumerate(park.logistics.flows)}
    for fid in sorted(set(trucks.flow.tolist())):
        times = trucks.arrive[(trucks.flow == fid) & ~np.isnan(trucks.arrive)]
        if hi - lo < DAY or len(times) < 1:
            cal.notes.append(f"flow '{fid}': under a day of arrivals, not fitted")
            continue
        flow = flows[fid][1]
        if flow.timetable is not None:
            edit.keep(
                f"logistics.flows[id={fid}]",
                "scheduled (timetable): kept as the file has it, not fitted as a Poisson process",
            )
            continue
        fit = fit_arrivals(fid, times, (lo, hi), clock)
        cal.arrivals[fid] = fit
        profile = [significant(r, 4) for r in fit.rates.tolist()]
        key = "hourly_profile" if fit.choice == "hourly" else "weekly_profile"
        value: dict[str, Any] = {
            "rate_per_hour": None,
            "hourly_profile": None,
            "weekly_profile": None,
            "timetable": None,
        }
        value[key] = profile
        edit.set(
            f"logistics.flows[id={fid}]",
            value,
            None,
            field=key,
            was_per_day=significant(float(np.mean(flow.weekly_rates())) * 24, 4),
            per_day=significant(fit.per_day, 4),
            source=TRUCKS,
            period=period,
            trucks=fit.n,
            method="Poisson-process maximum likelihood of piecewise-constant hourly rates; "
            f"model '{fit.choice}' ({MODELS[fit.choice]}) chosen by AIC",
            quality=fit.daily.verdict(),
        )
    _fit_services(cal, edit, lo, hi, period)
    dock_free = _fit_dock_counts(cal, edit, (lo, hi), period)
    _fit_gates(cal, edit, (lo, hi), period, dock_free)
    speed = fit_road_speed(park, trucks, (lo, hi))
    cal.speed = speed
    if speed is not None:
        for road in park.logistics.roads:
            edit.set(
                f"logistics.roads[id={road.id}].speed_kmh",
                significant(min(road.speed_kmh / speed.factor, 200.0), 3),
                road.speed_kmh,
                source=TRUCKS,
                period=period,
                trucks=speed.n,
                method="one factor on all roads: median of (depart − dock_end) / route drive",
                quality=f"drives take {speed.factor:.2f}× the file's time",
            )
    elif park.logistics.roads:
        edit.keep("logistics.roads[*].speed_kmh", "fewer than 30 trucks with dock_end and depart")


def _fit_services(cal: Calibration, edit: Edit, lo: float, hi: float, period: str) -> None:
    trucks = cal.data.trucks
    assert trucks is not None
    start, end = trucks.dock_start, trucks.dock_end
    in_window = (start >= lo) & (start < hi)
    groups = {g.id: g for g in cal.source.logistics.dock_groups}
    for gid in sorted(set(trucks.dock_group[in_window].tolist())):
        mine = in_window & (trucks.dock_group == gid)
        done = mine & ~np.isnan(end) & (end <= hi)
        complete = (end - start)[done]
        longest = float(complete.max()) if len(complete) else 0.0
        past_split = mine & ~np.isnan(end) & (end > hi)
        missing = mine & np.isnan(end)
        # a visit without dock_end is still at the dock when the record ends only if it
        # started near the end; one that started long before is a gap in the log
        running = missing & (trucks.last_min - start <= 2.0 * longest)
        gaps = int((missing & ~running).sum())
        censored = np.concatenate(
            [(hi - start)[past_split], (np.minimum(hi, trucks.last_min) - start)[running]]
        )
        fit = fit_service(gid, complete, censored)
        place = f"logistics.dock_groups[id={gid}].service"
        if gaps:
            cal.notes.append(
                f"dock group '{gid}': {gaps} visit(s) without dock_end long before the end of "
                "the record were left out of the service fit"
            )
        if fit is None:
            edit.keep(place, f"only {len(complete)} complete service times (need 20)")
            continue
        cal.services[gid] = fit
        spec = {k: (significant(v, 4) if k != "dist" else v) for k, v in fit.best.spec.items()}
        edit.set(
            place,
            spec,
            groups[gid].service.model_dump(mode="json"),
            source=TRUCKS,
            period=period,
            services=fit.n,
            censored=fit.n_censored,
            method="maximum likelihood (right-censored at the end of the span) of every "
            "family; lowest AIC chosen",
            quality=f"KS D {fit.best.ks_d:.3f}, p {fit.best.ks_p:.3g}",
        )


def _fit_dock_counts(
    cal: Calibration, edit: Edit, window: tuple[float, float], period: str
) -> np.ndarray:
    """Docks staffed from occupancy; returns, per truck, whether it surely waited for no dock."""
    trucks = cal.data.trucks
    assert trucks is not None
    lo, hi = window
    clock = Clock.of(cal.source.park.start)
    tol = max(resolution(trucks.dock_start), resolution(trucks.dock_end))
    dock_free = np.zeros(len(trucks), dtype=bool)
    groups = {g.id: g for g in cal.source.logistics.dock_groups}
    for gid in sorted(set(trucks.dock_group.tolist())):
        rows = np.flatnonzero((trucks.dock_group == gid) & np.isfinite(trucks.dock_start))
        start, end = trucks.dock_start[rows], trucks.dock_end[rows]
        dock_free[rows] = ~freed_at_start(start, end, tol)
        inside = (start >= lo) & (start < hi)
        hours = (np.floor((start + clock.start_offset_min) / 60.0) % 24).astype(np.int64)
        found = fit_dock_count(gid, groups[gid].docks, start[inside], end[inside], 0, hours[inside])
        if found is None:
            continue
        cal.counts[gid] = found
        place = f"logistics.dock_groups[id={gid}].docks"
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
        cal.gates[gate.id] = found
        cal.notes.extend(f"gate '{gate.id}': {n}" for n in found.notes)
        if found.service is None:
            edit.keep(place, f"only {found.used} trucks with a usable gate time (need 20)")
            continue
        best = found.service.best
        spec = {k: (significant(v, 4) if k != "dist" else v) for k, v in best.spec.items()}
        edit.set(
            place,
            spec,
            gate.service.model_dump(mode="json"),
            source=TRUCKS,
            period=period,
            trucks=found.used,
            method=found.method,
            data=found.data,
            quality=f"KS D {best.ks_d:.3f}, p {best.ks_p:.3g}",
        )
        if found.lanes != found.file_lanes:
            edit.set(
                f"logistics.gates[id={gate.id}].lanes",
                found.lanes,
                found.file_lanes,
                source=TRUCKS,
                period=period,
                method="the fewest lanes with which the rebuilt gate queue has no negative "
                "service time",
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
