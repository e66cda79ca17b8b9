"""Sets of time intervals (minutes), and the clock that turns daily windows into them.

Shifts, dock hours, outages and "has power" are all interval sets over the simulated span.
Working with exact intervals, rather than a time grid, lets production and service times be
computed exactly and keeps the engine from scheduling an event per window.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from twin.model.schema import WEEKDAYS, Window, clock_minutes

DAY = 1440.0


@dataclass(frozen=True)
class Intervals:
    """Sorted, disjoint, half-open intervals ``[start, end)``."""

    starts: tuple[float, ...] = ()
    ends: tuple[float, ...] = ()

    @classmethod
    def of(cls, pairs: Iterable[tuple[float, float]]) -> Intervals:
        """Normalise any pairs: drop empty ones, sort, merge overlapping and touching ones."""
        merged: list[list[float]] = []
        for a, b in sorted((float(a), float(b)) for a, b in pairs if b > a):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return cls(tuple(a for a, _ in merged), tuple(b for _, b in merged))

    def __bool__(self) -> bool:
        return bool(self.starts)

    def pairs(self) -> list[tuple[float, float]]:
        """The intervals as (start, end) pairs."""
        return list(zip(self.starts, self.ends, strict=True))

    def union(self, other: Intervals) -> Intervals:
        """Time covered by either set."""
        return Intervals.of(self.pairs() + other.pairs())

    def complement(self, start: float, end: float) -> Intervals:
        """Time in ``[start, end)`` not covered by this set."""
        gaps: list[tuple[float, float]] = []
        cursor = start
        for a, b in self.pairs():
            if a > cursor:
                gaps.append((cursor, min(a, end)))
            cursor = max(cursor, b)
        if cursor < end:
            gaps.append((cursor, end))
        return Intervals.of(gaps)

    def intersect(self, other: Intervals) -> Intervals:
        """Time covered by both sets."""
        out: list[tuple[float, float]] = []
        i = j = 0
        a, b = self.pairs(), other.pairs()
        while i < len(a) and j < len(b):
            lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
            if lo < hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return Intervals.of(out)

    def measure(self, start: float = -math.inf, end: float = math.inf) -> float:
        """Total length covered inside ``[start, end)``."""
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.pairs())

    def coverage(self, edges: np.ndarray) -> np.ndarray:
        """Minutes covered in each step between consecutive grid `edges`."""
        if not self:
            return np.zeros(len(edges) - 1)
        knots = np.array([x for pair in self.pairs() for x in pair])
        covered = np.concatenate(
            [[0.0], np.cumsum(np.diff(knots) * (np.arange(len(knots) - 1) % 2 == 0))]
        )
        return np.diff(np.interp(edges, knots, covered))

    def next_on(self, t: float) -> float:
        """The first time at or after `t` inside the set (inf when there is none)."""
        k = bisect.bisect_right(self.ends, t)
        if k == len(self.ends):
            return math.inf
        return max(t, self.starts[k])

    def finish(self, start: float, work: float) -> float:
        """When `work` minutes of in-set time, counted from `start`, are done (inf if never)."""
        k = bisect.bisect_right(self.ends, start)
        t = start
        while k < len(self.starts):
            t = max(t, self.starts[k])
            room = self.ends[k] - t
            if work <= room:
                return t + work
            work -= room
            k += 1
        return math.inf


@dataclass(frozen=True)
class Clock:
    """Turns times of day and weekdays into simulated minutes from the horizon start."""

    start_offset_min: float  # minutes after midnight at t = 0
    start_weekday: int  # 0 = Monday, at t = 0
    holidays: frozenset[int] = frozenset()  # days (0 = the day of t = 0) run as Sundays

    @classmethod
    def of(cls, start: str, holidays: Sequence[str] | None = None) -> Clock:
        """The clock of a park whose horizon starts at ISO time `start`.

        `holidays` (ISO dates) take Sunday's hours of the week in :meth:`week_hour`.
        """
        moment = datetime.fromisoformat(start)
        days = frozenset((date.fromisoformat(h) - moment.date()).days for h in holidays or ())
        offset = moment.hour * 60.0 + moment.minute + moment.second / 60.0
        return cls(offset, moment.weekday(), days)

    def daily(self, windows: Sequence[Window], span: tuple[float, float]) -> Intervals:
        """Every occurrence of daily `windows` within `span` (windows past midnight wrap).

        A window with `days` opens only on those weekdays (a holiday counts as a Sunday); one
        that runs past midnight belongs to the day it opens on.
        """
        lo, hi = span
        first = math.floor((lo + self.start_offset_min) / DAY) - 1
        last = math.ceil((hi + self.start_offset_min) / DAY)
        pairs = []
        for window in windows:
            s, e = clock_minutes(window.start), clock_minutes(window.end)
            length = e - s if e > s else e + DAY - s
            open_on = {WEEKDAYS.index(d) for d in window.days} if window.days else None
            for day in range(first, last + 1):
                if open_on is not None and self.weekday(day) not in open_on:
                    continue
                a = day * DAY + s - self.start_offset_min
                pairs.append((max(a, lo), min(a + length, hi)))
        return Intervals.of(pairs)

    def weekday(self, day: int) -> int:
        """The weekday (0 = Monday) of day number `day` (0 = the day of t = 0); a holiday is
        a Sunday."""
        return 6 if day in self.holidays else (self.start_weekday + day) % 7

    def week_hour(self, t: np.ndarray) -> np.ndarray:
        """Hour of the week (0 = Monday 00:00 .. 167) at simulated times `t`; a holiday's
        hours are Sunday's."""
        minutes = np.asarray(t) + self.start_offset_min + self.start_weekday * DAY
        hours = (np.floor(minutes / 60.0).astype(np.int64)) % 168
        if not self.holidays:
            return hours
        day = np.floor((np.asarray(t) + self.start_offset_min) / DAY).astype(np.int64)
        holiday = np.isin(day, np.fromiter(self.holidays, dtype=np.int64))
        return np.where(holiday, 6 * 24 + hours % 24, hours)

    def hour_edges(self, span: tuple[float, float]) -> np.ndarray:
        """Simulated times of every full clock hour inside `span`."""
        lo, hi = span
        first = math.ceil((lo + self.start_offset_min) / 60.0)
        last = math.floor((hi + self.start_offset_min) / 60.0)
        return np.arange(first, last + 1) * 60.0 - self.start_offset_min
