"""The meter stages of a calibration: levels or load shapes, shift weekdays, wastewater."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from twin.calibration.apply import Edit, significant
from twin.calibration.fit_meters import (
    LevelFit,
    fit_levels,
    fit_ratio,
    predict,
    shift_share,
)
from twin.calibration.fit_shapes import ShapeChoice, ShapeFit, fit_shapes
from twin.calibration.fit_weekdays import day_range, infer_weekdays
from twin.calibration.read import METERS, MeterSeries
from twin.calibration.result import Calibration
from twin.intervals import Clock
from twin.schema import WEEKDAYS as WEEKDAY_CODES
from twin.schema import LoadShape, Window
from twin.shapes import shape_average

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
        cal.notes.append(
            f"feeder and substation meters ({', '.join(others)}) are not fitted to; they are "
            "compared with the fitted twin in the validation"
        )


def _part(quantity: str) -> str:
    return "power" if quantity == "power_kw" else "water"


def _level_fits(cal: Calibration, edit: Edit) -> Fitted:
    """Base + shift of every metered building power and water (absurd meters refused)."""
    clock = Clock.of(cal.source.park.start)
    buildings = {b.id: b for b in cal.source.buildings}
    fitted: Fitted = {}
    for (asset, quantity), series in sorted(cal.data.meters.items()):
        if series.kind != "building" or quantity == "wastewater_m3h":
            continue
        building = buildings[asset]
        part = _part(quantity)
        section: Any = building.power if part == "power" else building.water
        if section is None:
            cal.notes.append(
                f"building '{asset}' has {quantity} readings but no {part} section in the park "
                f"file; add one (with its {'feeder' if part == 'power' else 'rates'}) to fit it"
            )
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
            cal.notes.append(f"{asset} {quantity}: under a day of readings, not fitted")
            continue
        fitted.setdefault(asset, {})[quantity] = (train, fit, prior)
    return fitted


def _shift_weekdays(cal: Calibration, edit: Edit, fitted: Fitted) -> dict[str, list[Window]]:
    """Each building's shifts, with the weekdays the meters show them off taken out."""
    clock = Clock.of(cal.source.park.start)
    buildings = {b.id: b for b in cal.source.buildings}
    shifts = {b.id: list(b.shifts) for b in cal.source.buildings}
    for asset, meters in fitted.items():
        found = infer_weekdays(asset, meters, shifts[asset], clock, cal.data.timebase.iso)
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
            period=cal.span_text(cal.training),
            method=WEEKDAY_METHOD,
            evidence={
                q: {WEEKDAY_CODES[d]: [round(x, 3) for x in s.shares[d]] for d in found.off}
                for q, s in found.shares.items()
            },
            quality=mae,
        )
    return shifts


def _write_loads(
    cal: Calibration, edit: Edit, fitted: Fitted, shifts: dict[str, list[Window]]
) -> dict[str, Predict]:
    """Write base + shift, or a load shape when AIC clearly prefers one; the water models."""
    clock = Clock.of(cal.source.park.start)
    info = cal.source.park
    water: dict[str, Predict] = {}
    for asset, meters in fitted.items():
        for quantity, (train, fit, prior) in meters.items():
            cal.levels[(asset, quantity)] = fit
            levels = _levels_refit(train, fit, shifts[asset], clock, prior)
            choice = fit_shapes(train, clock, info.start, info.holidays, levels)
            cal.shapes[(asset, quantity)] = choice
            if choice.shape is None:
                _write_levels(cal, edit, asset, quantity, fit, prior, choice)
                predictor = _levels_predictor(fit, shifts[asset], clock)
            else:
                _write_shape(cal, edit, asset, quantity, choice, prior)
                predictor = _shape_predictor(choice.shape, clock, info.start, info.holidays)
            if quantity == "water_m3h":
                water[asset] = predictor
    return water


def _write_levels(
    cal: Calibration,
    edit: Edit,
    asset: str,
    quantity: str,
    fit: LevelFit,
    prior: tuple[float, float],
    choice: ShapeChoice,
) -> None:
    part = _part(quantity)
    inferred = asset in cal.weekdays and cal.weekdays[asset].inferred
    days = (
        f" (shifts on {day_range(cal.weekdays[asset].days)} only, as inferred)" if inferred else ""
    )
    for name, value, was in zip(NAMES[part][:2], (fit.base, fit.shift), prior, strict=True):
        edit.set(
            f"buildings[id={asset}].{part}.{name}",
            significant(value, 4),
            was,
            source=METERS,
            period=cal.span_text(cal.training),
            readings=fit.n,
            method=fit.method + days + f"; kept against load shapes by {choice.summary()}",
            data=f"{METERS} {quantity}",
            quality=f"MAPE {fit.mape_pct:.1f}% per reading, R² {fit.r2:.3f}",
        )
    building = next(b for b in cal.source.buildings if b.id == asset)
    section: Any = building.power if part == "power" else building.water
    if section is not None and section.shape is not None:  # the file's shape gives way
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


def _levels_refit(
    train: MeterSeries,
    fit: LevelFit,
    windows: list[Window],
    clock: Clock,
    prior: tuple[float, float],
) -> Callable[[np.ndarray], np.ndarray]:
    """Base + shift fitted on the readings of a mask, predicted at every reading."""
    whole = predict(fit, train, windows, clock)

    def refit(mask: np.ndarray) -> np.ndarray:
        if mask.all():
            return whole
        part = replace(
            train,
            t_min=train.t_min[mask],
            value=train.value[mask],
            interval_min=train.interval_min[mask],
            lines=train.lines[mask],
        )
        again = fit_levels(part, windows, clock, prior)
        return whole if again is None else predict(again, train, windows, clock)

    return refit


def _levels_predictor(fit: LevelFit, windows: list[Window], clock: Clock) -> Predict:
    return lambda series: predict(fit, series, windows, clock)


def _shape_predictor(
    shape: ShapeFit, clock: Clock, start: str, holidays: list[str] | None
) -> Predict:
    form = LoadShape.model_validate(shape.shape)

    def at(series: MeterSeries) -> np.ndarray:
        begin = series.t_min - series.interval_min
        return shape.level * shape_average(form, clock, begin, series.t_min, start, holidays)

    return at


def _wastewater(
    cal: Calibration, edit: Edit, water_models: dict[str, Predict], shifts: dict[str, list[Window]]
) -> None:
    """Each building's wastewater ratio, against its water meter or its fitted water."""
    clock = Clock.of(cal.source.park.start)
    buildings = {b.id: b for b in cal.source.buildings}
    for (asset, quantity), series in sorted(cal.data.meters.items()):
        if quantity != "wastewater_m3h":
            continue
        water_section = buildings[asset].water
        if water_section is None:
            cal.notes.append(
                f"building '{asset}' has wastewater readings but no water section; not fitted"
            )
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
            cal.notes.append(f"{asset} wastewater: too few readings to fit the ratio")
            continue
        cal.ratios[asset] = ratio
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
