"""Load shapes from meters, and the choice between them and base + shift by AIC.

Three shapes of the park format (:class:`~twin.model.schema.LoadShape`) compete with the base +
shift levels of :mod:`.fit_meters`:

- ``daily``: one value per slot of the day, the same every day;
- ``day types``: a day for weekdays, one for Saturdays and one for Sundays and holidays;
- ``weekly``: one value per slot of the week.

Slots are quarter hours when the meter reads every 15 minutes or faster, else hours. Each
reading belongs to the slot holding the middle of its interval (exact for readings aligned
with the slots, as interval meters are). Like the levels, shapes are fitted by least absolute
deviations, which for slots is the median of each slot's readings: an outage or a leftover
glitch moves it little.

The models are compared by cross-validation over blocks of whole days: the training days are
cut into (up to) seven consecutive blocks, each model is fitted without a block and scored on
it by the mean absolute percentage error of the readings (the error the validation reports),
and the scores of the blocks are pooled. A shape replaces base + shift only when its score is
lower by more than 5% of base + shift's (and by 0.2 points), so a building that does run on
base + shift keeps its two levels and their plain meaning; meter noise alone cannot make a
24-value shape win. AIC under Laplace errors (``2n log(mean |residual|) + 2k``) is reported
beside it. The day-type model is a candidate with a week of data, each day type seen at least
once; the weekly one with two weeks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from twin.calibration.read import MeterSeries
from twin.calibration.uncertainty import day_blocks
from twin.language import Language, say
from twin.model.intervals import DAY, Clock
from twin.text import localized

CV_FOLDS = 7
CV_GAIN = 0.05  # a shape must lower the cross-validated MAPE by 5% of base + shift's ...
CV_POINTS = 0.2  # ... and by 0.2 percentage points
MIN_DAY_TYPE_DAYS = 7.0
MIN_WEEKLY_DAYS = 14.0


@dataclass(frozen=True)
class ShapeFit:
    """A load shape fitted to one meter: level × shape, with the evidence."""

    asset: str
    quantity: str
    model: str  # "daily", "day types" or "weekly"
    level: float  # the mean of the shape over a week, in the meter's unit
    shape: dict[str, list[float]]  # the LoadShape fields, normalised to a weekly mean of 1
    params: int
    n: int
    aic: float
    mape_pct: float  # in-sample, per reading
    daily_sd: float  # standard deviation of daily-mean residuals
    daily_n: int


@dataclass(frozen=True)
class ShapeChoice:
    """Every candidate's AIC for one meter and the model chosen."""

    aic: dict[str, float]  # "base + shift" and each shape fitted
    cv_mape: dict[str, float]  # cross-validated MAPE, %, of each model
    chosen: str
    shape: ShapeFit | None  # the chosen shape, None when base + shift stays
    cells: tuple[np.ndarray, int, str] | None = None  # the chosen shape's cell of each reading

    def summary(self, lang: Language = "en", name: Callable[[str], str] = str) -> str:
        """``cross-validated MAPE base + shift 3.1%, daily 1.2% ✓`` in words of `lang`, each
        model called `name(model)`."""
        models = ", ".join(
            f"{name(model)} {localized(f'{value:.2f}', lang)}%"
            + (" ✓" if model == self.chosen else "")
            for model, value in self.cv_mape.items()
        )
        return say("calibration.note.cv_mape", lang, models=models)


def slot_minutes(series: MeterSeries) -> float:
    """Quarter-hour slots for meters reading every 15 minutes or faster, else hours."""
    return 15.0 if series.step_min <= 15.0 + 1e-9 else 60.0


def day_types(
    days_from_start: np.ndarray, clock: Clock, park_start: str, holidays: list[str] | None
) -> np.ndarray:
    """Day type of each day index (0 weekday, 1 Saturday, 2 Sunday or holiday)."""
    weekday = (clock.start_weekday + days_from_start) % 7
    kind = np.where(weekday < 5, 0, np.where(weekday == 5, 1, 2))
    if holidays:
        day0 = datetime.fromisoformat(park_start).date()
        wanted = {date.fromisoformat(h) for h in holidays}
        for i, d in enumerate(days_from_start.tolist()):
            if day0 + timedelta(days=int(d)) in wanted:
                kind[i] = 2
    return kind


def fit_shapes(
    series: MeterSeries,
    clock: Clock,
    park_start: str,
    holidays: list[str] | None,
    levels: Callable[[np.ndarray], np.ndarray],
    levels_params: int = 2,
) -> ShapeChoice:
    """Fit every shape the data support and choose by cross-validation against base + shift.

    Args:
        series: The meter's training readings.
        clock: The park's clock.
        park_start: The park's ``start`` (for holidays).
        holidays: The park's holidays.
        levels: Fits base + shift on the readings of a mask and predicts every reading (the
            whole series' fit when the mask is all true).
        levels_params: Values the level fit estimated.
    """
    y = series.value
    every = np.ones(len(y), dtype=bool)
    aic = {"base + shift": _aic(y - levels(every), levels_params)}
    cells, day = _cells(series, clock, park_start, holidays)
    folds = day_blocks(day, CV_FOLDS)
    cv = {"base + shift": _cv(y, folds, levels)}
    fits: dict[str, ShapeFit] = {}
    for model, (cell, count) in cells.items():
        fit = _fit_cells(series, model, cell, count, day)
        if fit is None:
            continue
        score = _cv(y, folds, _slot_model(y, cell, count))
        if math.isfinite(score):
            fits[model] = fit
            aic[model] = fit.aic
            cv[model] = score
    best = min(fits, key=lambda m: cv[m], default=None)
    base = cv["base + shift"]
    if best is not None and cv[best] < min(base * (1 - CV_GAIN), base - CV_POINTS):
        return ShapeChoice(aic, cv, best, fits[best], (*cells[best], best))
    return ShapeChoice(aic, cv, "base + shift", None)


def _cells(
    series: MeterSeries, clock: Clock, park_start: str, holidays: list[str] | None
) -> tuple[dict[str, tuple[np.ndarray, int]], np.ndarray]:
    """Each candidate model's cell of every reading and its number of cells; day indices."""
    slot = slot_minutes(series)
    per_day = round(DAY / slot)
    mid = series.t_min - series.interval_min / 2 + clock.start_offset_min
    day = np.floor(mid / DAY).astype(np.int64)
    slot_of_day = (np.floor((mid - day * DAY) / slot).astype(np.int64)) % per_day
    span_days = float(series.interval_min.sum()) / DAY
    kinds = day_types(day, clock, park_start, holidays)
    weekday = (clock.start_weekday + day) % 7
    cells = {"daily": (slot_of_day, per_day)}
    if span_days >= MIN_DAY_TYPE_DAYS and len(np.unique(kinds)) == 3:
        cells["day types"] = (kinds * per_day + slot_of_day, 3 * per_day)
    if span_days >= MIN_WEEKLY_DAYS:
        cells["weekly"] = (weekday * per_day + slot_of_day, 7 * per_day)
    return cells, day


def _cv(y: np.ndarray, folds: np.ndarray, fit: Callable[[np.ndarray], np.ndarray]) -> float:
    """MAPE (%) of predictions for each fold fitted without it, pooled over the folds."""
    errors = []
    positive = np.abs(y) > 1e-9 * max(float(np.abs(y).mean()), 1e-300)
    for k in np.unique(folds).tolist():
        held = folds == k
        predicted = fit(~held)
        use = held & positive
        errors.append(np.abs(predicted[use] - y[use]) / np.abs(y[use]))
    pooled = np.concatenate(errors) if errors else np.zeros(0)
    return float(pooled.mean()) * 100 if len(pooled) else math.nan


def _slot_model(y: np.ndarray, cell: np.ndarray, count: int) -> Callable[[np.ndarray], np.ndarray]:
    """Fits the cells' medians on a mask of readings and predicts every reading."""
    return lambda mask: slot_medians(y, cell, count, mask)[cell]


def slot_medians(y: np.ndarray, cell: np.ndarray, count: int, mask: np.ndarray) -> np.ndarray:
    """The median reading of each cell, from the readings of `mask` (NaN: none there).

    One sort by (cell, value) and two picks per cell: no loop over cells.
    """
    values, cells = y[mask], cell[mask]
    order = np.lexsort((values, cells))
    ordered = values[order]
    n = np.bincount(cells, minlength=count)[:count]
    first = np.concatenate([[0], np.cumsum(n)[:-1]])
    out = np.full(count, math.nan)
    seen = n > 0
    low = first[seen] + (n[seen] - 1) // 2
    high = first[seen] + n[seen] // 2
    out[seen] = (ordered[low] + ordered[high]) / 2
    return np.maximum(out, 0.0)


def _aic(resid: np.ndarray, k: int) -> float:
    """AIC under Laplace errors (constants dropped): 2n log(mean |r|) + 2k."""
    scale = max(float(np.mean(np.abs(resid))), 1e-300)
    return 2 * len(resid) * math.log(scale) + 2 * k


def _fit_cells(
    series: MeterSeries, model: str, cell: np.ndarray, count: int, day: np.ndarray
) -> ShapeFit | None:
    """The median of each cell's readings, as a shape of the park format."""
    y = series.value
    values = slot_medians(y, cell, count, np.ones(len(y), dtype=bool))
    if np.isnan(values).any():
        return None  # a slot never read: this model cannot be written
    per_day = count // {"daily": 1, "day types": 3, "weekly": 7}[model]
    week = week_of(model, values, per_day)
    level = float(week.mean())
    if level <= 0:
        return None
    resid = y - values[cell]
    days = np.unique(day, return_inverse=True)[1]
    daily = np.bincount(days, resid) / np.maximum(np.bincount(days), 1)
    positive = np.abs(y) > 1e-9 * max(float(np.abs(y).mean()), 1e-300)
    mape = float(np.mean(np.abs(resid[positive] / y[positive]))) * 100 if positive.any() else 0.0
    return ShapeFit(
        asset=series.asset,
        quantity=series.quantity,
        model=model,
        level=level,
        shape=_shape_fields(model, values / level, per_day),
        params=count,
        n=len(y),
        aic=_aic(resid, count),
        mape_pct=mape,
        daily_sd=float(np.std(daily, ddof=1)) if len(daily) > 2 else math.nan,
        daily_n=len(daily),
    )


def week_of(model: str, values: np.ndarray, per_day: int) -> np.ndarray:
    """The cells' values laid over a week (Monday first)."""
    if model == "daily":
        return np.tile(values, 7)
    if model == "day types":
        wd, sat, sun = values[:per_day], values[per_day : 2 * per_day], values[2 * per_day :]
        return np.concatenate([np.tile(wd, 5), sat, sun])
    return values


def _shape_fields(model: str, values: np.ndarray, per_day: int) -> dict[str, Any]:
    """The LoadShape fields of a fitted shape (values to 4 significant digits)."""
    rounded = [float(f"{v:.4g}") for v in values.tolist()]
    if model == "daily":
        return {"daily": rounded}
    if model == "day types":
        return {
            "weekday": rounded[:per_day],
            "saturday": rounded[per_day : 2 * per_day],
            "sunday": rounded[2 * per_day :],
        }
    return {"weekly": rounded}
