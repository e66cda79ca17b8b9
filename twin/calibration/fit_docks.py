"""Docks staffed, read from the observed dock occupancy (``dock_start`` .. ``dock_end``).

The number of services in progress at once never exceeds the docks staffed, so its maximum
over the log is a lower bound of the count. When trucks were also seen *waiting* for a dock,
the docks were all busy then, and the maximum is the count itself. A truck waited when its
service starts at the instant another one ends while every dock seen in use is busy (the
engine, like a real dock, gives a freed dock to the next truck in the queue at once). A log
timed to the second cannot tell instants closer than a second apart: the tolerance is the
timestamps' resolution. A service without ``dock_end`` counts as running to the end of the log
when it started shortly before (less than twice the longest service); an older one is a gap in
the log and is left out.

Without such waits the count is identified only from below: any count from the maximum up
gives the same queues (none), and the file's count is kept when it is at least the maximum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twin.language import Language, say
from twin.model.schema import Staffing

MIN_WAITS = 5  # waits that identify the count (a few coincidences can happen by chance)


@dataclass(frozen=True)
class DockCount:
    """The staffed count of one dock group, from its occupancy."""

    group: str
    current: int  # the park file's count
    lower: int  # most services in progress at once
    chosen: int
    waits: int  # trucks seen waiting for a dock while all were busy
    services: int
    identified: bool  # the waits show the docks saturated: the count is `lower`
    hourly_max: tuple[int, ...]  # most services at once by hour of the day
    hourly_waits: tuple[int, ...] = ()  # waits at that hour's most, by hour of the day

    def schedule(self) -> list[tuple[int, int, int]]:
        """Staffing windows the data show: (start hour, end hour, docks), end exclusive.

        An hour is staffed below the peak when its trucks waited (at least 5 times) while
        fewer docks than the peak were busy: the docks were all busy at that smaller count.
        Consecutive such hours with the same count make one window (wrapping past midnight).
        """
        if not self.identified or len(self.hourly_waits) != 24:
            return []
        staffed = [
            m if w >= MIN_WAITS and m < self.lower else None
            for m, w in zip(self.hourly_max, self.hourly_waits, strict=True)
        ]
        if all(c is None for c in staffed) or all(c is not None for c in staffed):
            return []
        first = next(h for h in range(24) if staffed[h] != staffed[h - 1])
        windows: list[tuple[int, int, int]] = []
        h = first
        for _ in range(24):
            count = staffed[h % 24]
            if count is not None and (
                not windows or windows[-1][1] != h or windows[-1][2] != count
            ):
                windows.append((h, h + 1, count))
            elif count is not None:
                windows[-1] = (windows[-1][0], h + 1, count)
            h += 1
        return [(a % 24, b % 24, c) for a, b, c in windows]

    @property
    def ci95(self) -> tuple[int, int | None]:
        """The counts the data allow: exactly `lower`, or `lower` and up (None: no bound)."""
        return (self.lower, self.lower) if self.identified else (self.lower, None)

    @property
    def note(self) -> str:
        """A sentence on what the occupancy says (English: :meth:`note_in`)."""
        return self.note_in("en")

    def note_in(self, lang: Language) -> str:
        """A sentence on what the occupancy says, in `lang`."""
        if self.identified:
            return say("docks.identified", lang, n=self.lower, waits=self.waits)
        kept = (
            say("docks.kept", lang)
            if self.chosen == self.current
            else say("docks.raised", lang, current=self.current)
        )
        return say("docks.unbounded", lang, n=self.lower, chosen=self.chosen, kept=kept)


def resolution(times: np.ndarray) -> float:
    """The timestamps' resolution in minutes: 1 (whole minutes), 1/60 (seconds) or finer."""
    finite = times[np.isfinite(times)]
    if not len(finite):
        return 1e-6
    for step in (1.0, 1.0 / 60.0):
        if np.allclose(finite / step, np.round(finite / step), atol=1e-6, rtol=0):
            return step
    return 1e-6


def max_concurrency(start: np.ndarray, end: np.ndarray) -> tuple[int, np.ndarray]:
    """Most intervals ``[start, end)`` open at once, and the count after each start (by start).

    An interval ending at the instant another starts does not overlap it.
    """
    n = len(start)
    if not n:
        return 0, np.zeros(0, dtype=np.int64)
    times = np.concatenate([start, end])
    steps = np.concatenate([np.ones(n, dtype=np.int64), -np.ones(n, dtype=np.int64)])
    order = np.lexsort((steps, times))  # at equal times, ends (-1) before starts (+1)
    level = np.cumsum(steps[order])
    after = np.empty(2 * n, dtype=np.int64)
    after[order] = level
    return int(level.max()), after[:n]


def freed_at_start(start: np.ndarray, end: np.ndarray, tol: float) -> np.ndarray:
    """Starts within `tol` after (or at) some service's end: the truck may have waited."""
    ends = np.sort(end[np.isfinite(end)])
    first = np.searchsorted(ends, start - tol, side="left")
    last = np.searchsorted(ends, start, side="right")
    return last > first


def fit_dock_count(
    group: str,
    current: int,
    start: np.ndarray,
    end: np.ndarray,
    log_end: float,
    hour_of: np.ndarray | None = None,
) -> DockCount | None:
    """The staffed count of a group from its services; None under 20 complete services.

    Args:
        group: The dock group's id.
        current: The park file's count.
        start: Service starts, minutes; `end` the matching ends. A start without an end is
            a service still running when the log ends (`log_end`) if it started less than
            twice the longest service before; one older than that is a gap in the log and
            is left out.
        log_end: The last time in the log, minutes.
        hour_of: Hour of the day (0..23) of each start, for the by-hour maxima.
    """
    done = np.isfinite(start) & np.isfinite(end)
    if int(done.sum()) < 20:
        return None
    longest = float((end[done] - start[done]).max())
    running = np.isfinite(start) & ~np.isfinite(end) & (log_end - start <= 2.0 * longest)
    use = done | running
    start = start[use]
    end = np.where(running[use], np.inf, end[use])
    lower, level = max_concurrency(start, end)
    tol = max(resolution(np.concatenate([start, end[np.isfinite(end)]])), 1e-6)
    freed = freed_at_start(start, end, tol)
    waits = int((freed & (level >= lower)).sum())
    identified = waits >= MIN_WAITS
    chosen = lower if identified else max(current, lower)
    hourly = [0] * 24
    hourly_waits = [0] * 24
    if hour_of is not None:
        hours = hour_of[use].astype(np.int64)
        for h in range(24):
            mine = hours == h
            if mine.any():
                hourly[h] = int(level[mine].max())
                hourly_waits[h] = int((mine & freed & (level >= hourly[h])).sum())
    return DockCount(
        group,
        current,
        lower,
        chosen,
        waits,
        len(start),
        identified,
        tuple(hourly),
        tuple(hourly_waits),
    )


def staffing_contradictions(staffing: list[Staffing], hourly_max: tuple[int, ...]) -> list[str]:
    """The file's staffing windows the log contradicts, each in words.

    A truck starts service only on a staffed dock, so the services in progress just after a
    start never exceed the docks staffed then: an hour wholly inside a window with more at
    once than the window staffs refutes it. Windows limited to some weekdays are not
    checked (the hourly maxima pool every day).
    """
    if len(hourly_max) != 24:
        return []
    found = []
    for window in staffing:
        if window.days is not None:
            continue
        over = [h for h in _whole_hours(window.start, window.end) if hourly_max[h] > window.docks]
        if over:
            worst = max(over, key=lambda h: hourly_max[h])
            found.append(
                f"{window.start}-{window.end}: {hourly_max[worst]} services at once at "
                f"{worst:02d}:00, more than its {window.docks} docks"
            )
    return found


def _whole_hours(start: str, end: str) -> list[int]:
    """Hours of the day wholly inside a daily window (one ending by its start runs past 24:00)."""
    a = int(start[:2]) * 60 + int(start[3:5])
    b = int(end[:2]) * 60 + int(end[3:5])
    if b <= a:
        b += 1440
    return [h % 24 for h in range(math.ceil(a / 60), b // 60)]
