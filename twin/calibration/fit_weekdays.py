"""Shift weekdays from meters: which weekdays a building's shifts do not run.

A park file's shifts run every day unless a window names its ``days``. When the meters show a
weekday on which the shift load is missing, the calibration can say so in the park.

The rule, per building with shifts and a separable level fit (:func:`.fit_meters.fit_levels`):

1. Enough data: the meter's readings span at least 14 days and every weekday on which a
   shift opens is seen on at least two dates (with readings at least half inside that
   weekday's shift hours).
2. Per weekday and date, the share of the fitted shift load present during that weekday's
   shift hours: the median over those readings of ``(reading − base − shift × other) /
   (shift × own)``, where ``own`` is the reading's share in the shifts that open on that
   weekday and ``other`` its share in other days' shifts (a night shift running on).
3. A weekday is *off* on a meter when its share is below 25% on every date it was seen.
   Every meter of the building that passes 1 (power and, when metered, water) must agree,
   since the shifts drive both loads (and production): a weekday off on one meter and not on
   another is reported as a disagreement and changes nothing. At least one weekday stays on.
4. The levels are refitted with the off weekdays taken out of the shifts (``days`` = the
   weekdays that run); the inference is kept only when the mean absolute deviation of every
   meter that decided falls by at least 10%.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from twin.calibration.fit_meters import WEEKDAYS, LevelFit, fit_levels, shift_share
from twin.calibration.read import MeterSeries
from twin.language import say
from twin.model.intervals import DAY, Clock
from twin.model.schema import WEEKDAYS as DAY_CODES
from twin.model.schema import Window

OFF_SHARE = 0.25  # a weekday's shift load below this share of shift on every date: off
MIN_SPAN_DAYS = 14.0
MIN_DATES = 2
MIN_GAIN = 0.10  # the refit must lower the mean absolute deviation by this share
QUANTITY_WORDS = {"power_kw": "power", "water_m3h": "water"}


@dataclass(frozen=True)
class WeekdayShares:
    """Per weekday, the share of the fitted shift load seen on each date (one meter)."""

    quantity: str
    shares: dict[int, tuple[float, ...]]  # weekday (0 = Monday) -> share on each date

    @property
    def off(self) -> tuple[int, ...]:
        """Weekdays whose share is below :data:`OFF_SHARE` on every date."""
        return tuple(d for d, s in sorted(self.shares.items()) if max(s) < OFF_SHARE)


@dataclass(frozen=True)
class WeekdayFit:
    """What the meters say about a building's shift weekdays."""

    asset: str
    shares: dict[str, WeekdayShares]  # by quantity
    off: tuple[int, ...] = ()  # weekdays inferred off (empty: nothing changed)
    windows: tuple[Window, ...] = ()  # the shifts with ``days`` when inferred
    refits: dict[str, LevelFit] = field(default_factory=dict)
    mae: dict[str, tuple[float, float]] = field(default_factory=dict)  # before, after
    note: str = ""

    @property
    def inferred(self) -> bool:
        """Whether the shifts were given weekdays."""
        return bool(self.off)

    @property
    def days(self) -> list[str]:
        """The weekdays the shifts run on, as the park file writes them."""
        return sorted({d for w in self.windows for d in (w.days or DAY_CODES)}, key=DAY_CODES.index)

    def sources(self) -> str:
        """The meters behind the inference, in words."""
        names = [QUANTITY_WORDS[q] for q in self.shares if q in QUANTITY_WORDS]
        return " and ".join(names) + (" meters" if len(names) > 1 else " meter")

    def summary(self) -> str:
        """``shifts run mon-sat (Sunday off inferred from power meter)``."""
        return (
            f"shifts run {day_range(self.days)} ({_names(self.off)} off inferred from "
            f"{self.sources()})"
        )


def day_range(days: list[str]) -> str:
    """``mon-sat`` for a run of consecutive weekdays, else ``mon, wed, fri``."""
    idx = [DAY_CODES.index(d) for d in days]
    if len(idx) > 1 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{days[0]}-{days[-1]}"
    return ", ".join(days)


def weekday_shares(
    series: MeterSeries, windows: list[Window], clock: Clock, fit: LevelFit
) -> WeekdayShares | None:
    """The share of the fitted shift load on each date, per weekday; None without enough data."""
    if not windows or not fit.separable or fit.shift <= 0 or not len(series.value):
        return None
    span = float(series.t_min.max() - (series.t_min - series.interval_min).min())
    if span < MIN_SPAN_DAYS * DAY:
        return None
    total = shift_share(series, windows, clock)
    mid = series.t_min - series.interval_min / 2
    local_day = (
        np.floor((mid + clock.start_offset_min) / DAY).astype(np.int64) + clock.start_weekday
    )
    shares: dict[int, tuple[float, ...]] = {}
    for day in range(7):
        mine = [_on(w, day) for w in windows if _opens(w, day)]
        if not mine:
            continue
        own = shift_share(series, mine, clock)
        inside = own >= 0.5
        if not inside.any():
            return None
        share = np.full(len(own), np.nan)
        share[inside] = (
            series.value[inside] - fit.base - fit.shift * (total[inside] - own[inside])
        ) / (fit.shift * own[inside])
        # the date a reading's shift opened on: its local day, or the day before past midnight
        date = np.floor((local_day - day) / 7.0).astype(np.int64)
        dates = np.unique(date[inside])
        if len(dates) < MIN_DATES:
            return None
        shares[day] = tuple(float(np.median(share[inside & (date == d)])) for d in dates)
    return WeekdayShares(series.quantity, shares) if shares else None


def infer_weekdays(
    asset: str,
    meters: dict[str, tuple[MeterSeries, LevelFit, tuple[float, float]]],
    windows: list[Window],
    clock: Clock,
    date_of: Callable[[float], str] | None = None,
) -> WeekdayFit | None:
    """Infer the weekdays a building's shifts do not run (see the module's rule).

    Args:
        asset: The building.
        meters: ``quantity -> (training readings, level fit, park file's levels)`` for its
            power and water meters.
        windows: Its shifts.
        clock: The park's clock.
        date_of: Names the date of a time, for the refits' notes.

    Returns:
        None when no meter has enough data; else what the meters show, with ``off`` empty
        when the shifts are left as they are (and ``note`` saying why, if a meter suggested
        otherwise).
    """
    shares: dict[str, WeekdayShares] = {}
    for quantity in ("power_kw", "water_m3h"):
        if quantity in meters:
            series, fit, _ = meters[quantity]
            found = weekday_shares(series, windows, clock, fit)
            if found is not None:
                shares[quantity] = found
    if not shares:
        return None
    proposed = {q: set(s.off) for q, s in shares.items()}
    off = sorted(set.intersection(*proposed.values()))
    disputed = sorted(set.union(*proposed.values()) - set(off))
    note = ""
    if disputed:
        words = []
        for q, s in shares.items():
            seen = ", ".join(
                f"{WEEKDAYS[d]} {100 * float(np.median(s.shares[d])):.0f}%" for d in disputed
            )
            words.append(f"{QUANTITY_WORDS[q]} meter {seen}")
        note = say("calibration.note.meters_disagree", "en", days=_names(tuple(disputed)),
                   shares="; ".join(words))  # fmt: skip
    running = {d for w in windows for d in range(7) if _opens(w, d)}
    if not off or not running - set(off):
        return WeekdayFit(asset, shares, note=note)
    new = _without(windows, set(off))
    refits: dict[str, LevelFit] = {}
    mae: dict[str, tuple[float, float]] = {}
    for quantity in shares:
        series, fit, prior = meters[quantity]
        refit = fit_levels(series, new, clock, prior, date_of)
        if refit is None:
            return WeekdayFit(asset, shares, note=note)
        before = _mae(series, fit, windows, clock)
        after = _mae(series, refit, new, clock)
        refits[quantity], mae[quantity] = refit, (before, after)
    if not all(after <= (1 - MIN_GAIN) * before for before, after in mae.values()):
        gains = "; ".join(f"{QUANTITY_WORDS[q]} {b:,.3g} → {a:,.3g}" for q, (b, a) in mae.items())
        note = (
            f"the shift load looks missing on {_names(tuple(off))}, but taking those days out "
            f"of the shifts does not fit clearly better (mean absolute deviation {gains}); "
            "shifts left as they are"
        )
        return WeekdayFit(asset, shares, mae=mae, note=note)
    return WeekdayFit(asset, shares, tuple(off), tuple(new), refits, mae, note)


def _opens(window: Window, day: int) -> bool:
    return window.days is None or DAY_CODES[day] in window.days


def _on(window: Window, day: int) -> Window:
    return window.model_copy(update={"days": [DAY_CODES[day]]})


def _without(windows: list[Window], off: set[int]) -> list[Window]:
    out = []
    for w in windows:
        days = [DAY_CODES[d] for d in range(7) if _opens(w, d) and d not in off]
        if days:
            out.append(w.model_copy(update={"days": days}))
    return out


def _mae(series: MeterSeries, fit: LevelFit, windows: list[Window], clock: Clock) -> float:
    fitted = fit.base + fit.shift * shift_share(series, windows, clock)
    return float(np.mean(np.abs(series.value - fitted)))


def _names(days: tuple[int, ...]) -> str:
    names = [WEEKDAYS[d] for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
