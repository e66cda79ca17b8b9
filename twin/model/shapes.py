"""Load shapes on the time axis: the average of a daily or weekly shape over any interval.

A :class:`~twin.model.schema.LoadShape` is piecewise constant on the slots of its week (hours or
quarter hours, Monday 00:00 first), normalised to a mean of 1. Its integral over time is then
piecewise linear, so the average over any interval, a grid step of the engine or a meter's
reading, is exact: the difference of the integral at the two ends over the length. Holidays
(``park.holidays``) take Sunday's day of a shape given by day type.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np

from twin.model.intervals import DAY, Clock
from twin.model.schema import LoadShape

WEEK = 7 * DAY


def week_profile(shape: LoadShape) -> np.ndarray:
    """The shape's values over a week, normalised to a mean of 1."""
    values = np.asarray(shape.week(), dtype=float)
    return values / values.mean()


def shape_average(
    shape: LoadShape,
    clock: Clock,
    start: np.ndarray,
    end: np.ndarray,
    park_start: str | None = None,
    holidays: list[str] | None = None,
) -> np.ndarray:
    """The shape's mean over each interval ``[start, end)`` (minutes from the park's start).

    Args:
        shape: The load shape.
        clock: The park's clock (time of day and weekday at time 0).
        start: Interval starts, minutes; `end` the ends (same length, end > start).
        park_start: ISO date-time of time 0, needed only with `holidays`.
        holidays: Dates that take Sunday's day of a shape given by day type.
    """
    start = np.asarray(start, dtype=float)
    end = np.asarray(end, dtype=float)
    if not len(start):
        return np.zeros(0)
    week = week_profile(shape)
    slot = WEEK / len(week)
    lo = math.floor((float(start.min()) + clock.start_offset_min) / DAY) * DAY
    hi = math.ceil((float(end.max()) + clock.start_offset_min) / DAY) * DAY
    knots = np.arange(lo, hi + slot / 2, slot)  # local minutes from midnight of day 0
    first_weekday_min = clock.start_weekday * DAY
    index = (np.floor((knots[:-1] + first_weekday_min) / slot).astype(np.int64)) % len(week)
    values = week[index]
    if holidays and shape.weekday is not None and park_start is not None:
        values = _holidays_as_sunday(values, week, knots, slot, park_start, holidays)
    cumulative = np.concatenate([[0.0], np.cumsum(values * slot)])
    local = knots - clock.start_offset_min  # back to minutes from the park's start
    area = np.interp(end, local, cumulative) - np.interp(start, local, cumulative)
    length = end - start
    out = np.zeros(len(start))
    np.divide(area, length, out=out, where=length > 0)
    return out


def _holidays_as_sunday(
    values: np.ndarray,
    week: np.ndarray,
    knots: np.ndarray,
    slot: float,
    park_start: str,
    holidays: list[str],
) -> np.ndarray:
    """Slot values with each holiday's slots replaced by Sunday's."""
    day0 = datetime.fromisoformat(park_start).date()
    per_day = round(DAY / slot)
    sunday = week[6 * per_day : 7 * per_day]
    out = values.copy()
    first_day = round(knots[0] / DAY)
    wanted = {date.fromisoformat(h) for h in holidays}
    for k in range((len(knots) - 1) // per_day):
        if day0 + timedelta(days=first_day + k) in wanted:
            out[k * per_day : (k + 1) * per_day] = sunday
    return out
