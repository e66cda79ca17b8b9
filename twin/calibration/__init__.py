"""Calibration: fit a park's parameters to sensor data and validate the fitted twin.

``calibrate(park, sensor_dir)`` reads the sensor CSVs (:mod:`.read`), splits the data period
into a training span and a held-out span (the last 20% by default), fits on the training span

- each logged flow's arrival profile (:mod:`.fit_arrivals`),
- each logged dock group's service distribution (:mod:`.fit_service`),
- each metered building's power and water levels and wastewater ratio (:mod:`.fit_meters`),
  and the weekdays its shifts do not run when the meters clearly show them (:mod:`.fit_weekdays`),
- each gate's service from ``gate_out``, or by deconvolution without it (:mod:`.fit_gates`),
- each dock group's staffed count from its observed occupancy (:mod:`.fit_docks`),
- the road speed from the drive out, and the docks staffed by simulation where the log has
  no service times to read them from (:mod:`.search`),

writes them into a copy of the park with their provenance (:mod:`.apply`), and simulates the
fitted park over the held-out span to compare it with what was measured (:mod:`.validate`).
:func:`write_outputs` writes the fitted park and the report (:mod:`.report`).

A fitted value the park format refuses (not finite, out of range: readings of 1e308 kW) is
refused for its asset and named (:attr:`Calibration.refused`); the rest goes on. Numerical
warnings of the libraries are caught and become notes naming the stage.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from twin.calibration.apply import Edit, apply_edit, significant
from twin.calibration.fit_arrivals import ArrivalFit, fit_arrivals
from twin.calibration.fit_docks import DockCount, fit_dock_count, freed_at_start, resolution
from twin.calibration.fit_gates import GateFit, fit_gate
from twin.calibration.fit_meters import (
    LevelFit,
    RatioFit,
    fit_levels,
    fit_ratio,
    predict,
    shift_share,
)
from twin.calibration.fit_service import ServiceFit, fit_service
from twin.calibration.fit_weekdays import WeekdayFit, day_range, infer_weekdays
from twin.calibration.read import METERS, TRUCKS, SensorData, read_sensors
from twin.calibration.search import DockSearch, SpeedFit, fit_road_speed, search_docks
from twin.calibration.validate import Validation, validate
from twin.errors import UsageError
from twin.intervals import DAY, Clock
from twin.schema import WEEKDAYS as WEEKDAY_CODES
from twin.schema import Park

__all__ = ["Calibration", "calibrate", "write_outputs"]

Progress = Callable[[str], None]
LIMITS = {"power_kw": 1_000_000.0, "water_m3h": 100_000.0, "wastewater_m3h": 100_000.0}
MODELS = {
    "hourly": "24 rates, the same every day",
    "weekday": "24 hourly rates × a factor per weekday",
    "weekly": "a rate for each of the 168 hours of the week",
}
WEEKDAY_METHOD = (
    "per weekday and date, the median share of the fitted shift load during that weekday's "
    "shift hours; a weekday is off when below 25% on every date (at least 14 days, each "
    "weekday seen twice), every metered power/water level agrees, and refitting without it "
    "lowers the mean absolute deviation by at least 10%"
)


@contextmanager
def quiet(notes: list[str], stage: str) -> Iterator[None]:
    """Run a stage with numerical and library warnings caught; each becomes one note."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        yield
    seen = sorted({str(w.message) for w in caught})
    if seen:
        notes.append(
            f"{stage}: numerical warning(s) ({'; '.join(seen[:3])}); the values it gave were "
            "checked against the park format's ranges"
        )


@dataclass
class Calibration:
    """A calibrated park with every fit, search and validation check behind it."""

    source: Park
    park: Park
    data: SensorData
    period: tuple[float, float]
    split: float
    arrivals: dict[str, ArrivalFit] = field(default_factory=dict)
    services: dict[str, ServiceFit] = field(default_factory=dict)
    levels: dict[tuple[str, str], LevelFit] = field(default_factory=dict)
    ratios: dict[str, RatioFit] = field(default_factory=dict)
    weekdays: dict[str, WeekdayFit] = field(default_factory=dict)  # shift weekdays, by building
    speed: SpeedFit | None = None
    docks: dict[str, DockSearch] = field(default_factory=dict)
    counts: dict[str, DockCount] = field(default_factory=dict)  # docks from occupancy
    gates: dict[str, GateFit] = field(default_factory=dict)
    validation: Validation | None = None
    notes: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # place -> why its fit was refused

    def quiet(self, stage: str) -> Any:
        """A context that runs a stage with library warnings caught, as notes naming it."""
        return quiet(self.notes, stage)

    @property
    def training(self) -> tuple[float, float]:
        """The span the fits used, minutes from the park's start."""
        return self.period[0], self.split

    @property
    def held_out(self) -> tuple[float, float] | None:
        """The span kept for validation, or None."""
        return (self.split, self.period[1]) if self.split < self.period[1] else None

    def span_text(self, span: tuple[float, float]) -> str:
        """``2026-01-05T00:00/2026-01-22T00:00``."""
        return f"{self.data.timebase.iso(span[0])}/{self.data.timebase.iso(span[1])}"


def calibrate(
    park: Park | str | Path,
    sensor_dir: str | Path,
    holdout: float = 0.2,
    replications: int = 5,
    seed: int = 0,
    search: bool = True,
    progress: Progress | None = None,
) -> Calibration:
    """Fit a park to the sensor data in a folder and validate it on a held-out span.

    Args:
        park: The park (or its file or bundled name) whose parameters are fitted.
        sensor_dir: Folder with ``meters.csv`` and/or ``trucks.csv`` (SPEC.md).
        holdout: Share of the data period, at its end, kept out of the fits and used to
            validate (0 fits on everything and skips validation).
        replications: Replications of the validation simulation.
        seed: Base seed of every simulation.
        search: Search the number of docks staffed by simulation.
        progress: Called with a short text before each stage.

    Returns:
        The fitted park with every fit and check.

    Raises:
        InputError: Unreadable or unusable sensor data, or ids the park lacks.
        UsageError: `holdout` outside [0, 0.9] or `replications` below 1.
    """
    from twin.load import load_park

    if not 0.0 <= holdout <= 0.9:
        raise UsageError(f"--holdout must be between 0 and 0.9, got {holdout}")
    if replications < 1:
        raise UsageError(f"--replications must be at least 1, got {replications}")
    say = progress or (lambda _: None)
    source = park if isinstance(park, Park) else load_park(park)
    say("reading sensor data")
    read_notes: list[str] = []
    with quiet(read_notes, "reading sensor data"):
        data = read_sensors(sensor_dir, source)
    period = data.period
    split = split_time(period, holdout, Clock.of(source.park.start))
    cal = Calibration(source, source, data, period, split, notes=read_notes)
    edit = Edit()
    say("fitting arrivals, gates, docks and service times")
    with cal.quiet("trucks"):
        _fit_trucks(cal, edit)
    say("fitting meters")
    with cal.quiet("meters"):
        _fit_meters(cal, edit)
    fitted = apply_edit(source, edit, _header(cal))
    unread = {g for g in _logged_groups(cal) if g not in cal.counts}
    if search and data.trucks is not None and unread:
        say("searching dock counts by simulation")
        cal.docks = search_docks(
            fitted, data.trucks, cal.training, data.timebase, groups=unread, seed=seed
        )
        _distrust_irregular(cal)
        _record_search(cal, edit)
        fitted = apply_edit(source, edit, _header(cal))
    cal.refused = dict(edit.refused)
    cal.park = fitted
    if cal.held_out is not None and cal.held_out[1] - cal.held_out[0] >= 60.0:
        say(f"validating on the held-out span ({replications} replications)")
        daily = {key: (fit.daily_sd, fit.daily_n) for key, fit in cal.levels.items()}
        with cal.quiet("validation"):
            cal.validation = validate(fitted, data, cal.held_out, daily, replications, seed)
    else:
        cal.notes.append("no held-out span: the fitted park was not validated")
    return cal


def split_time(period: tuple[float, float], holdout: float, clock: Clock) -> float:
    """Where the held-out span starts: a midnight for a week or more of data, else an hour."""
    lo, hi = period
    if holdout <= 0:
        return hi
    raw = lo + (1.0 - holdout) * (hi - lo)
    unit = DAY if hi - lo >= 5 * DAY else 60.0
    split = round((raw + clock.start_offset_min) / unit) * unit - clock.start_offset_min
    if not lo < split < hi:
        split = raw
    return float(split)


def write_outputs(cal: Calibration, out: str | Path, report_dir: str | Path | None) -> list[Path]:
    """Write the fitted park and, when asked, report.md, report.html and calibration.json.

    The park is written as JSON when `out` ends in ``.json``, else as YAML.
    """
    from twin.calibration.report import write_report
    from twin.dump import dump_park
    from twin.output import atomic_write_text

    target = Path(out)
    if target.suffix.lower() == ".json":
        text = json.dumps(cal.park.model_dump(mode="json", exclude_none=True), indent=1)
        written = [atomic_write_text(target, text + "\n")]
    else:
        header = (
            f"# {cal.park.park.name}: calibrated by parktwin from {cal.data.folder}\n"
            f"# fitted on {cal.span_text(cal.training)}; metadata.calibration says where each\n"
            "# fitted value came from. Comments of the input park are not carried over.\n"
        )
        written = [atomic_write_text(target, header + dump_park(cal.park))]
    if report_dir is not None:
        written.extend(write_report(cal, Path(report_dir)))
    return written


# --------------------------------------------------------------------------- stages


def _header(cal: Calibration) -> dict[str, Any]:
    held = cal.held_out
    return {
        "by": "parktwin calibrate",
        "sensors": str(cal.data.folder),
        "period": cal.span_text(cal.period),
        "training": cal.span_text(cal.training),
        "held_out": cal.span_text(held) if held else None,
    }


def _logged_groups(cal: Calibration) -> set[str]:
    trucks = cal.data.trucks
    return set() if trucks is None else set(trucks.dock_group.tolist())


def _record_search(cal: Calibration, edit: Edit) -> None:
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


def _fit_trucks(cal: Calibration, edit: Edit) -> None:
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


def _fit_meters(cal: Calibration, edit: Edit) -> None:
    data = cal.data
    park = cal.source
    clock = Clock.of(park.park.start)
    buildings = {b.id: b for b in park.buildings}
    window = cal.training
    period = cal.span_text(window)
    water_fits: dict[str, tuple[LevelFit, Any]] = {}
    fitted: dict[str, dict[str, tuple[Any, LevelFit, tuple[float, float]]]] = {}
    for (asset, quantity), series in sorted(data.meters.items()):
        if series.kind != "building" or quantity == "wastewater_m3h":
            continue
        building = buildings[asset]
        section = building.power if quantity == "power_kw" else building.water
        part = "power" if quantity == "power_kw" else "water"
        if section is None:
            cal.notes.append(
                f"building '{asset}' has {quantity} readings but no {part} section in the park "
                f"file; add one (with its {'feeder' if part == 'power' else 'rates'}) to fit it"
            )
            continue
        train = series.window(*window)
        prior = (
            (building.power.base_kw, building.power.shift_kw)
            if part == "power" and building.power
            else (building.water.base_m3h, building.water.shift_m3h)
            if building.water
            else (0.0, 0.0)
        )
        refusal = implausible(train.value, quantity)
        if refusal is None:
            try:
                fit = fit_levels(train, building.shifts, clock, prior, data.timebase.iso)
            except (ValueError, ArithmeticError) as exc:
                refusal = f"the fit failed: {exc}"
        if refusal is not None:
            edit.refuse(f"buildings[id={asset}].{part}", f"{quantity}: {refusal}")
            continue
        if fit is None:
            cal.notes.append(f"{asset} {quantity}: under a day of readings, not fitted")
            continue
        fitted.setdefault(asset, {})[quantity] = (train, fit, prior)
    shifts = {b.id: list(b.shifts) for b in park.buildings}
    for asset, meters in fitted.items():
        found = infer_weekdays(asset, meters, shifts[asset], clock, data.timebase.iso)
        if found is None:
            continue
        cal.weekdays[asset] = found
        if not found.inferred:
            continue
        shifts[asset] = list(found.windows)
        for quantity, refit in found.refits.items():
            train, _, prior = meters[quantity]
            meters[quantity] = (train, refit, prior)
        mae = "; ".join(
            f"{q}: mean absolute deviation {b:,.4g} → {a:,.4g}" for q, (b, a) in found.mae.items()
        )
        edit.set(
            f"buildings[id={asset}].shifts",
            [w.model_dump(mode="json", exclude_none=True) for w in found.windows],
            [w.model_dump(mode="json", exclude_none=True) for w in buildings[asset].shifts],
            days=found.days,
            was_days=_days_of(buildings[asset].shifts),
            inferred=found.summary(),
            source=METERS,
            period=period,
            method=WEEKDAY_METHOD,
            evidence={
                q: {WEEKDAY_CODES[d]: [round(x, 3) for x in s.shares[d]] for d in found.off}
                for q, s in found.shares.items()
            },
            quality=mae,
        )
    for asset, meters in fitted.items():
        for quantity, (train, fit, prior) in meters.items():
            cal.levels[(asset, quantity)] = fit
            part = "power" if quantity == "power_kw" else "water"
            names = ("base_kw", "shift_kw") if part == "power" else ("base_m3h", "shift_m3h")
            for name, value, was in zip(names, (fit.base, fit.shift), prior, strict=True):
                edit.set(
                    f"buildings[id={asset}].{part}.{name}",
                    significant(value, 4),
                    was,
                    source=METERS,
                    period=period,
                    readings=fit.n,
                    method=fit.method
                    + (
                        f" (shifts on {day_range(cal.weekdays[asset].days)} only, as inferred)"
                        if asset in cal.weekdays and cal.weekdays[asset].inferred
                        else ""
                    ),
                    quality=f"MAPE {fit.mape_pct:.1f}% per reading, R² {fit.r2:.3f}",
                )
            if part == "water":
                water_fits[asset] = (fit, train)
    for (asset, quantity), series in sorted(data.meters.items()):
        if quantity != "wastewater_m3h":
            continue
        building = buildings[asset]
        if building.water is None:
            cal.notes.append(
                f"building '{asset}' has wastewater readings but no water section; not fitted"
            )
            continue
        train = series.window(*window)
        water = data.meters.get((asset, "water_m3h"))
        model = None
        if asset in water_fits:
            model = predict(water_fits[asset][0], train, shifts[asset], clock)
        elif water is None:
            w = building.water
            model = w.base_m3h + w.shift_m3h * shift_share(train, shifts[asset], clock)
        ratio = fit_ratio(train, water.window(*window) if water else None, model)
        if ratio is None:
            cal.notes.append(f"{asset} wastewater: too few readings to fit the ratio")
            continue
        cal.ratios[asset] = ratio
        edit.set(
            f"buildings[id={asset}].water.wastewater_ratio",
            significant(ratio.ratio, 3),
            building.water.wastewater_ratio,
            source=METERS,
            period=period,
            readings=ratio.n,
            method=ratio.method,
            quality=f"MAPE {ratio.mape_pct:.1f}% per reading",
        )
    others = sorted({s.asset for s in data.meters.values() if s.kind != "building"})
    if others:
        cal.notes.append(
            f"feeder and substation meters ({', '.join(others)}) are not fitted to; they are "
            "compared with the fitted twin in the validation"
        )


def implausible(values: np.ndarray, quantity: str) -> str | None:
    """Why a meter's readings cannot be fitted (beyond the park format's range), or None."""
    limit = LIMITS.get(quantity, math.inf)
    if not len(values):
        return None
    typical = float(np.median(values))
    if not math.isfinite(typical) or typical > limit:
        return (
            f"the readings' median {typical:.3g} is beyond the park format's range "
            f"(at most {limit:,.0f}): a unit or export error?"
        )
    return None


def _days_of(windows: Any) -> list[str] | str:
    """The weekdays some window opens on, or "every day"."""
    if all(w.days is None for w in windows):
        return "every day"
    return [d for d in WEEKDAY_CODES if any(w.days is None or d in w.days for w in windows)]


def _distrust_irregular(cal: Calibration) -> None:
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
