"""The meter stages of a calibration: levels or load shapes, shift weekdays, wastewater."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from twin.calibration.apply import Edit, significant
from twin.calibration.changes import after_last_change
from twin.calibration.fit_meters import (
    LevelFit,
    fit_levels,
    fit_ratio,
    predict,
    shift_share,
)
from twin.calibration.fit_shapes import ShapeChoice, ShapeFit, fit_shapes, slot_medians, week_of
from twin.calibration.fit_weekdays import day_range, infer_weekdays
from twin.calibration.read import METERS, MeterSeries
from twin.calibration.result import Calibration
from twin.calibration.uncertainty import (
    Interval,
    cell_median_draws,
    day_blocks,
    inside,
    jackknife,
    percentile,
    quantum,
    widen,
)
from twin.language import say
from twin.model.intervals import DAY, Clock
from twin.model.schema import WEEKDAYS as WEEKDAY_CODES
from twin.model.schema import LoadShape, Window
from twin.model.shapes import shape_average

LIMITS = {"power_kw": 1_000_000.0, "water_m3h": 100_000.0, "wastewater_m3h": 100_000.0}
WEEKDAY_METHOD = (
    "per weekday and date, the median share of the fitted shift load during that weekday's "
    "shift hours; a weekday is off when below 25% on every date (at least 14 days, each "
    "weekday seen twice), every metered power/water level agrees, and refitting without it "
    "lowers the mean absolute deviation by at least 10%"
)


Fitted = dict[str, dict[str, tuple[MeterSeries, LevelFit, tuple[float, float]]]]
NAMES = {
    "power": ("base_kw", "shift_kw", "level_kw"),
    "water": ("base_m3h", "shift_m3h", "level_m3h"),
}


def fit_meters(cal: Calibration, edit: Edit) -> None:
    """Fit every metered building: levels, shift weekdays, load shapes, wastewater ratios."""
    fitted = _level_fits(cal, edit)
    shifts = _shift_weekdays(cal, edit, fitted)
    predictions = _write_loads(cal, edit, fitted, shifts)
    _wastewater(cal, edit, predictions, shifts)
    others = sorted({s.asset for s in cal.data.meters.values() if s.kind != "building"})
    if others:
        cal.notes.append(say("calibration.note.other_meters", "en", meters=", ".join(others)))


def _part(quantity: str) -> str:
    return "power" if quantity == "power_kw" else "water"


def _level_fits(cal: Calibration, edit: Edit) -> Fitted:
    """Base + shift of every metered building power and water (absurd meters refused)."""
    clock = Clock.of(cal.source.park.start, cal.source.park.holidays)
    buildings = {b.id: b for b in cal.source.buildings}
    fitted: Fitted = {}
    for (asset, quantity), series in sorted(cal.data.meters.items()):
        if series.kind != "building" or quantity == "wastewater_m3h":
            continue
        building = buildings[asset]
        part = _part(quantity)
        section: Any = building.power if part == "power" else building.water
        if section is None:
            key = f"calibration.note.no_{part}_section"
            cal.notes.append(say(key, "en", asset=asset, quantity=quantity))
            continue
        train = series.window(*cal.training)
        base, shift, _ = NAMES[part]
        prior = (float(getattr(section, base)), float(getattr(section, shift)))
        refusal = implausible(train.value, quantity)
        fit = None
        if refusal is None:
            try:
                fit = fit_levels(train, building.shifts, clock, prior, cal.data.timebase.iso)
            except (ValueError, ArithmeticError) as exc:
                refusal = f"the fit failed: {exc}"
        if refusal is not None:
            edit.refuse(f"buildings[id={asset}].{part}", f"{quantity}: {refusal}")
            continue
        if fit is None:
            cal.notes.append(
                say("calibration.note.under_a_day", "en", asset=asset, quantity=quantity)
            )
            continue
        fitted.setdefault(asset, {})[quantity] = (train, fit, prior)
    return fitted


SHIFT_TIMES = (
    "weekdays from the meters; start and end times are the park file's, not fitted: the "
    "levels are fitted given them, and an edge moved by less than the readings' interval "
    "does not show"
)


def _shift_weekdays(cal: Calibration, edit: Edit, fitted: Fitted) -> dict[str, list[Window]]:
    """Each building's shifts, with the weekdays the meters show them off taken out."""
    clock = Clock.of(cal.source.park.start, cal.source.park.holidays)
    buildings = {b.id: b for b in cal.source.buildings}
    shifts = {b.id: list(b.shifts) for b in cal.source.buildings}
    for asset, all_meters in fitted.items():
        meters = {q: m for q, m in all_meters.items() if not _shaped(buildings[asset], q)}
        found = infer_weekdays(asset, meters, shifts[asset], clock, cal.data.timebase.iso)
        if found is None:
            continue
        cal.weekdays[asset] = found
        place = f"buildings[id={asset}].shifts"
        cal.identifiability[place] = SHIFT_TIMES
        if not found.inferred:
            edit.keep(place, found.note or "the meters show the shift load on every day it runs")
            continue
        shifts[asset] = list(found.windows)
        for quantity, refit in found.refits.items():
            train, _, prior = meters[quantity]
            all_meters[quantity] = (train, refit, prior)
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
            period=cal.span_text(cal.training),
            method=WEEKDAY_METHOD,
            evidence={
                q: {WEEKDAY_CODES[d]: [round(x, 3) for x in s.shares[d]] for d in found.off}
                for q, s in found.shares.items()
            },
            quality=mae,
        )
    return shifts


def _shaped(building: Any, quantity: str) -> bool:
    """Whether the park file gives this load as a level and a shape (shifts do not drive it)."""
    section = building.power if _part(quantity) == "power" else building.water
    return section is not None and section.shape is not None


def _write_loads(
    cal: Calibration, edit: Edit, fitted: Fitted, shifts: dict[str, list[Window]]
) -> dict[str, Predict]:
    """Write base + shift, or a load shape when AIC clearly prefers one; the water models."""
    clock = Clock.of(cal.source.park.start, cal.source.park.holidays)
    info = cal.source.park
    water: dict[str, Predict] = {}
    for asset, meters in fitted.items():
        for quantity, (whole, first_fit, prior) in meters.items():
            train, fit = _follow_change(cal, whole, first_fit, shifts[asset], clock, prior)
            cal.levels[(asset, quantity)] = fit
            cal.meter_windows[(asset, quantity)] = list(shifts[asset])
            refits = LevelRefits(train, fit, shifts[asset], clock, prior)
            choice = fit_shapes(train, clock, info.start, info.holidays, refits.predict)
            cal.shapes[(asset, quantity)] = choice
            guard = _load_intervals(cal, asset, quantity, refits, choice)
            if choice.shape is None:
                predictor = _levels_predictor(fit, shifts[asset], clock)
            else:
                predictor = _shape_predictor(choice.shape, clock, info.start, info.holidays)
            params = 2 if choice.shape is None else choice.shape.params
            meter = (asset, quantity)
            held = _file_shape_held(cal, edit, meter, train, (predictor, params), guard)
            if held is not None:
                predictor = held
            elif choice.shape is None:
                _write_levels(cal, edit, (asset, quantity), fit, prior, choice, guard)
            else:
                _write_shape(cal, edit, asset, quantity, choice, prior)
            if quantity == "water_m3h":
                water[asset] = predictor
    return water


SHAPE_MARGIN = 10.0
"""Laplace log-likelihood by which a fitted load shape must beat the file's to replace it."""


def _file_shape_held(
    cal: Calibration,
    edit: Edit,
    meter: tuple[str, str],
    train: MeterSeries,
    fitted: tuple[Predict, int],
    guard: dict[str, Interval],
) -> Predict | None:
    """The file's load shape and level when the data support them (recorded as kept).

    They hold when the file's level lies in the fitted shape's 99.9% level interval (when a
    shape was fitted) and the fitted model (`fitted`, with `params` parameters: shape or
    levels) does not beat the file's shape by more than its parameters plus
    :data:`SHAPE_MARGIN` in Laplace log-likelihood, n log(MAE_file / MAE_fit) (Akaike).
    """
    asset, quantity = meter
    part = _part(quantity)
    building = next(b for b in cal.source.buildings if b.id == asset)
    section: Any = building.power if part == "power" else building.water
    level_name = NAMES[part][2]
    if section is None or section.shape is None:
        return None
    file_level = float(getattr(section, level_name))
    if level_name in guard and not inside(file_level, guard[level_name]):
        return None
    info = cal.source.park
    clock = Clock.of(info.start, info.holidays)
    predictor = _form_predictor(section.shape, file_level, clock, info.start, info.holidays)
    y = train.value
    model, params = fitted
    mae_file = float(np.mean(np.abs(y - predictor(train))))
    mae_fit = float(np.mean(np.abs(y - model(train))))
    gain = len(y) * math.log(max(mae_file, 1e-12) / mae_fit) if mae_fit > 0 else math.inf
    if gain > params + SHAPE_MARGIN:
        return None
    why = f"the data support the file's load shape and {level_name} {file_level:g}"
    edit.keep(f"buildings[id={asset}].{part}.{level_name}", why)
    edit.keep(f"buildings[id={asset}].{part}.shape", why)
    return predictor


def _follow_change(
    cal: Calibration,
    train: MeterSeries,
    fit: LevelFit,
    windows: list[Window],
    clock: Clock,
    prior: tuple[float, float],
) -> tuple[MeterSeries, LevelFit]:
    """The readings and levels after the meter's last change in level (recorded and noted)."""
    after, refit, change = after_last_change(train, fit, windows, clock, prior)
    if change is None:
        return train, fit
    cal.changes.append(change)
    cal.notes.append(
        say("calibration.note.level_change", "en", asset=change.asset, quantity=change.quantity,
            size=f"{change.size_pct:+.0f}", at=cal.data.timebase.iso(change.at_min),
            before=f"{change.before:,.4g}", after=f"{change.after:,.4g}")
    )  # fmt: skip
    return after, refit


def _load_intervals(
    cal: Calibration, asset: str, quantity: str, refits: LevelRefits, choice: ShapeChoice
) -> dict[str, Interval]:
    """Day-block jackknife intervals of the written levels (or the shape's level); the
    shape's slots get residual-bootstrap intervals (:func:`_slot_intervals`).

    Records the 95% intervals and returns the 99.9% ones (the guard), by field name.
    """
    part = _part(quantity)
    base, shift, level = NAMES[part]
    blocks = day_blocks(refits.days())
    where = f"buildings[id={asset}].{part}"
    step = quantum(refits.train.value)
    if choice.shape is not None:
        y = refits.train.value
        cells = choice.cells
        assert cells is not None
        reported, guard = jackknife(blocks, lambda m: (_week_level(y, cells, m),))
        cal.intervals[f"{where}.{level}"] = {level: widen(reported[0], step)}
        cal.profiles[f"{where}.shape"] = _slot_intervals(y, cells, f"{asset}.{quantity}")
        return {level: widen(guard[0], step)}

    if not refits.fit.separable and refits.windows:
        return _combined_interval(cal, where, (base, shift), refits, blocks, step)

    def levels(mask: np.ndarray) -> tuple[float, float]:
        found = refits.fit_on(mask)
        return found.base, found.shift

    reported, guard = jackknife(blocks, levels)
    cal.intervals[f"{where}.{base}"] = {base: widen(reported[0], step)}
    cal.intervals[f"{where}.{shift}"] = {shift: widen(reported[1], step)}
    return {base: widen(guard[0], step), shift: widen(guard[1], step)}


COMBINED = "combined"
"""The guard's key for the one combination of base and shift the data identify."""


def _combined_interval(
    cal: Calibration,
    where: str,
    names: tuple[str, str],
    refits: LevelRefits,
    blocks: np.ndarray,
    step: float,
) -> dict[str, Interval]:
    """Base and shift of a building (nearly) always in shift: only base + shift × s̄ is seen.

    s̄ is the mean shift share of the readings. Base and shift are marked unidentifiable,
    with no interval; the combination gets the day-block jackknife interval, and its 99.9%
    one is the guard (key :data:`COMBINED`).
    """
    base, shift = names
    mean_share = float(shift_share(refits.train, refits.windows, refits.clock).mean())
    text = f"{base} + {shift}" + ("" if mean_share >= 0.995 else f" × {mean_share:.3f}")

    def combined(mask: np.ndarray) -> tuple[float]:
        found = refits.fit_on(mask)
        return (found.base + found.shift * mean_share,)

    reported, guard = jackknife(blocks, combined)
    note = say("calibration.note.not_identifiable", "en", share=f"{100 * mean_share:.0f}",
               combination=text)  # fmt: skip
    for name in names:
        cal.identifiability[f"{where}.{name}"] = note
        cal.unidentified.add(f"{where}.{name}")
    cal.combinations[where] = {
        "combination": text,
        "share": round(mean_share, 4),
        "fitted": round(combined(np.ones(len(refits.train.value), dtype=bool))[0], 6),
        "ci95": widen(reported[0], step),
    }
    return {COMBINED: widen(guard[0], step)}


def _slot_intervals(y: np.ndarray, cells: tuple[np.ndarray, int, str], key: str) -> list:
    """95% percentile intervals of a shape's slot values (cell medians over the weekly
    level), from a residual bootstrap of the cell medians (:func:`cell_median_draws`).

    A slot whose median reading is zero counts as zero in every draw's level and gets
    ``[0, None]``: relative deviations cannot scale it, and its upper bound is unknown.
    """
    cell, count, model = cells
    centre = slot_medians(y, cell, count, np.ones(len(y), dtype=bool))
    draws = cell_median_draws(y, cell, centre, key)
    zero = centre <= 0
    draws[:, zero] = 0.0
    per_day = count // {"daily": 1, "day types": 3, "weekly": 7}[model]
    week = np.array([week_of(model, row, per_day) for row in draws])
    if not np.isfinite(week).any(axis=1).all():
        return [[None, None] for _ in range(count)]
    levels = np.nanmean(week, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = percentile(draws / levels[:, None])
    return [[0.0, None] if z else bounds for z, bounds in zip(zero.tolist(), out, strict=True)]


def _week_level(y: np.ndarray, cells: tuple[np.ndarray, int, str], mask: np.ndarray) -> float:
    """The weekly mean of a shape's cell medians, fitted on the readings of `mask`."""
    cell, count, model = cells
    values = slot_medians(y, cell, count, mask)
    per_day = count // {"daily": 1, "day types": 3, "weekly": 7}[model]
    return float(np.nanmean(week_of(model, values, per_day)))


def _write_levels(
    cal: Calibration,
    edit: Edit,
    meter: tuple[str, str],
    fit: LevelFit,
    prior: tuple[float, float],
    choice: ShapeChoice,
    guard: dict[str, Interval],
) -> None:
    """Write base and shift, each unless the data support the file's value (99.9% interval)."""
    asset, quantity = meter
    part = _part(quantity)
    building = next(b for b in cal.source.buildings if b.id == asset)
    section: Any = building.power if part == "power" else building.water
    shaped = section is not None and section.shape is not None
    inferred = asset in cal.weekdays and cal.weekdays[asset].inferred
    # the file's levels are judged by the data unless the meter changed level (then they
    # are the old level's, fitted after the change)
    judged = not shaped and not any(
        c.asset == asset and c.quantity == quantity for c in cal.changes
    )
    days = (
        f" (shifts on {day_range(cal.weekdays[asset].days)} only, as inferred)" if inferred else ""
    )
    if COMBINED in guard and judged:
        share = cal.combinations[f"buildings[id={asset}].{part}"]["share"]
        if inside(prior[0] + prior[1] * share, guard[COMBINED]):
            for name in NAMES[part][:2]:
                edit.keep(
                    f"buildings[id={asset}].{part}.{name}",
                    "the data support the file's base and shift together (their identified "
                    f"combination's 99.9% interval {guard[COMBINED]})",
                )
            return
    for name, value, was in zip(NAMES[part][:2], (fit.base, fit.shift), prior, strict=True):
        place = f"buildings[id={asset}].{part}.{name}"
        if judged and name in guard and inside(was, guard[name]):
            low, high = guard[name]
            edit.keep(place, f"the data support the file's {was:g} (99.9% interval {low}..{high})")
            continue
        edit.set(
            place,
            significant(value, 4),
            was,
            source=METERS,
            period=cal.span_text(cal.training),
            readings=fit.n,
            method=fit.method + days + f"; kept against load shapes by {choice.summary()}",
            data=f"{METERS} {quantity}",
            quality=f"MAPE {fit.mape_pct:.1f}% per reading, R² {fit.r2:.3f}",
        )
    if shaped:  # the file's shape gives way
        for name in (NAMES[part][2], "shape"):
            edit.set(f"buildings[id={asset}].{part}.{name}", None, None, method=why_levels(choice))


def _write_shape(
    cal: Calibration,
    edit: Edit,
    asset: str,
    quantity: str,
    choice: ShapeChoice,
    prior: tuple[float, float],
) -> None:
    shape = choice.shape
    assert shape is not None
    part = _part(quantity)
    base, shift, level = NAMES[part]
    record = {
        "source": METERS,
        "period": cal.span_text(cal.training),
        "readings": shape.n,
        "data": f"{METERS} {quantity}",
    }
    why = f"replaced by a {shape.model} load shape, chosen by {choice.summary()}"
    edit.set(f"buildings[id={asset}].{part}.{base}", 0.0, prior[0], method=why, **record)
    edit.set(f"buildings[id={asset}].{part}.{shift}", 0.0, prior[1], method=why, **record)
    edit.set(
        f"buildings[id={asset}].{part}.{level}",
        significant(shape.level, 4),
        None,
        method="the mean of the fitted shape over a week",
        quality=f"MAPE {shape.mape_pct:.1f}% per reading",
        **record,
    )
    edit.set(
        f"buildings[id={asset}].{part}.shape",
        shape.shape,
        None,
        model=shape.model,
        method="median of the readings in each slot of the day (or week); model "
        f"chosen by {choice.summary()} (Laplace errors; a shape must win by more than 10)",
        **record,
    )


Predict = Callable[[MeterSeries], np.ndarray]


def why_levels(choice: ShapeChoice) -> str:
    """Why base + shift replaced the file's load shape."""
    return f"the file's load shape replaced by base + shift, chosen by {choice.summary()}"


class LevelRefits:
    """Base + shift refitted on masks of a meter's readings (each mask fitted once).

    The load-shape cross-validation and the day-block jackknife leave out the same blocks of
    days, so they share the refits.
    """

    def __init__(
        self,
        train: MeterSeries,
        fit: LevelFit,
        windows: list[Window],
        clock: Clock,
        prior: tuple[float, float],
    ) -> None:
        self.train, self.fit, self.windows, self.clock, self.prior = (
            train,
            fit,
            windows,
            clock,
            prior,
        )
        self._fits: dict[bytes, LevelFit] = {}

    def fit_on(self, mask: np.ndarray) -> LevelFit:
        """The levels fitted on the readings of `mask` (the whole fit when none is left out)."""
        if mask.all():
            return self.fit
        key = np.packbits(mask).tobytes()
        if key not in self._fits:
            t = self.train
            part = replace(
                t,
                t_min=t.t_min[mask],
                value=t.value[mask],
                interval_min=t.interval_min[mask],
                lines=t.lines[mask],
            )
            again = fit_levels(part, self.windows, self.clock, self.prior, diagnose=False)
            self._fits[key] = again if again is not None else self.fit
        return self._fits[key]

    def predict(self, mask: np.ndarray) -> np.ndarray:
        """The levels fitted on `mask`, at every reading."""
        return predict(self.fit_on(mask), self.train, self.windows, self.clock)

    def days(self) -> np.ndarray:
        """Local day index of each reading."""
        t = self.train
        mid = t.t_min - t.interval_min / 2 + self.clock.start_offset_min
        return np.floor(mid / DAY).astype(np.int64)


def _levels_predictor(fit: LevelFit, windows: list[Window], clock: Clock) -> Predict:
    return lambda series: predict(fit, series, windows, clock)


def _shape_predictor(
    shape: ShapeFit, clock: Clock, start: str, holidays: list[str] | None
) -> Predict:
    form = LoadShape.model_validate(shape.shape)
    return _form_predictor(form, shape.level, clock, start, holidays)


def _form_predictor(
    form: LoadShape, level: float, clock: Clock, start: str, holidays: list[str] | None
) -> Predict:
    """Each reading's mean of `level` × `form` over its interval."""

    def at(series: MeterSeries) -> np.ndarray:
        begin = series.t_min - series.interval_min
        return level * shape_average(form, clock, begin, series.t_min, start, holidays)

    return at


def _ratio_interval(
    wastewater: MeterSeries,
    water: MeterSeries | None,
    model: np.ndarray | None,
    full: float,
) -> tuple[Interval, Interval]:
    """Day-block jackknife intervals of the wastewater ratio: reported (95%) and guard."""
    mid = wastewater.t_min - wastewater.interval_min / 2
    blocks = day_blocks(np.floor(mid / DAY).astype(np.int64))

    def ratio_on(mask: np.ndarray) -> tuple[float]:
        part = replace(
            wastewater,
            t_min=wastewater.t_min[mask],
            value=wastewater.value[mask],
            interval_min=wastewater.interval_min[mask],
            lines=wastewater.lines[mask],
        )
        found = fit_ratio(part, water, None if model is None else model[mask])
        return (found.ratio if found is not None else full,)

    reported, guard = jackknife(blocks, ratio_on)
    # a ratio of readings rounded to `step`: its own resolution at the typical level
    typical = float(np.median(wastewater.value)) if len(wastewater.value) else 0.0
    step = quantum(wastewater.value) / typical if typical > 0 else 0.0
    return widen(reported[0], step), widen(guard[0], step)


def _wastewater(
    cal: Calibration, edit: Edit, water_models: dict[str, Predict], shifts: dict[str, list[Window]]
) -> None:
    """Each building's wastewater ratio, against its water meter or its fitted water."""
    clock = Clock.of(cal.source.park.start, cal.source.park.holidays)
    buildings = {b.id: b for b in cal.source.buildings}
    for (asset, quantity), series in sorted(cal.data.meters.items()):
        if quantity != "wastewater_m3h":
            continue
        water_section = buildings[asset].water
        if water_section is None:
            cal.notes.append(say("calibration.note.wastewater_no_water", "en", asset=asset))
            continue
        train = series.window(*cal.training)
        water = cal.data.meters.get((asset, "water_m3h"))
        model = None
        if asset in water_models:
            model = water_models[asset](train)
        elif water is None:
            w = water_section
            model = w.base_m3h + w.shift_m3h * shift_share(train, shifts[asset], clock)
        ratio = fit_ratio(train, water.window(*cal.training) if water else None, model)
        if ratio is None:
            cal.notes.append(say("calibration.note.wastewater_few", "en", asset=asset))
            continue
        cal.ratios[asset] = ratio
        water_train = water.window(*cal.training) if water else None
        place = f"buildings[id={asset}].water.wastewater_ratio"
        reported, guard = _ratio_interval(train, water_train, model, ratio.ratio)
        cal.intervals[place] = {"wastewater_ratio": reported}
        if inside(water_section.wastewater_ratio, guard):
            edit.keep(
                place,
                f"the data support the file's {water_section.wastewater_ratio:g} (99.9% "
                f"interval {guard[0]}..{guard[1]})",
            )
            continue
        edit.set(
            f"buildings[id={asset}].water.wastewater_ratio",
            significant(ratio.ratio, 3),
            water_section.wastewater_ratio,
            source=METERS,
            period=cal.span_text(cal.training),
            readings=ratio.n,
            method=ratio.method,
            data=f"{METERS} wastewater_m3h" + (", water_m3h" if water else ""),
            quality=f"MAPE {ratio.mape_pct:.1f}% per reading",
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
