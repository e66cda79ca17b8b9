"""Moments of a run as users write them: ``"day D HH:MM"``, day 0 the first day of the horizon.

Simulated time is minutes from the start of the horizon (the warm-up is negative); this module
converts at the edge, in both directions, and knows nothing of rendering.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from twin.errors import UsageError
from twin.language import Language, say

_MOMENT = re.compile(r"^\s*day\s+(-?\d+)(?:\s*,?\s+(\d{1,2}):(\d{2}))?\s*$", re.IGNORECASE)
EXAMPLE = '"day 2 10:00"'


def parse_day_time(text: str | float | int, option: str = "time") -> float:
    """Minutes from the start of the horizon of a ``"day D HH:MM"`` moment.

    Args:
        text: The moment, e.g. ``"day 2 10:00"`` (``"day 2"`` means its midnight), or a
            number of minutes, passed through.
        option: The option name used in error messages, e.g. ``"--at"``.

    Returns:
        Minutes from the start of the horizon; day 0 00:00 is 0.

    Raises:
        UsageError: The text is not such a moment.
    """
    if isinstance(text, int | float):
        if not math.isfinite(text):
            raise UsageError(f"{option} must be a finite time, got {text}")
        return float(text)
    match = _MOMENT.match(text)
    if not match:
        raise UsageError(
            f"{option} '{text}' is not a moment of the run: write \"day D HH:MM\", "
            f"e.g. {EXAMPLE} (day 0 is the first day of the horizon)"
        )
    day = int(match.group(1))
    hours = int(match.group(2) or 0)
    minutes = int(match.group(3) or 0)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise UsageError(f"{option} '{text}': {hours:02d}:{minutes:02d} is not a time of day")
    return day * 1440.0 + hours * 60.0 + minutes


def format_moment(minutes: float) -> str:
    """The ``"day D HH:MM"`` text of a time in minutes (the inverse of :func:`parse_day_time`)."""
    whole = math.floor(minutes + 1e-9)
    day, rest = divmod(whole, 1440)
    return f"day {day} {rest // 60:02d}:{rest % 60:02d}"


def clock_parts(minutes: float, start: str | None = None, lang: Language = "en") -> tuple[str, str]:
    """An on-screen clock: ``("day 2  10:00", "Wed 07 Jan 2026")`` (in Vietnamese
    ``("ngày 2  10:00", "Thứ Tư 07/01/2026")``).

    Args:
        minutes: Simulated minutes from the start of the horizon.
        start: The park's calendar start (ISO date and time), or None for no date.
        lang: The language of the day and date.

    Returns:
        The day and time of the run, and the calendar date ("" when unknown).
    """
    moment, hhmm = format_moment(minutes).rsplit(" ", 1)
    day = say("viz.day", lang, n=moment.split(" ")[1])
    date = ""
    if start:
        try:
            when = datetime.fromisoformat(start) + timedelta(minutes=math.floor(minutes + 1e-9))
        except ValueError:
            pass
        else:
            date = (
                f"{when:%a %d %b %Y}"
                if lang == "en"
                else f"{say(f'viz.weekday.{when.weekday()}', lang)} {when:%d/%m/%Y}"
            )
    return f"{day}  {hhmm}", date


def check_within(minutes: float, lo: float, hi: float, option: str) -> None:
    """Raise a clear :class:`UsageError` when a moment lies outside the recorded run.

    Args:
        minutes: The moment, minutes from the start of the horizon.
        lo: The first recorded minute (minus the warm-up).
        hi: The end of the horizon.
        option: The option name for the message.
    """
    if not lo <= minutes <= hi:
        raise UsageError(
            f"{option} {format_moment(minutes)} is outside the run, which covers "
            f"{format_moment(lo)} to {format_moment(hi)}"
        )
