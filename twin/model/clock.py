"""Calendar time as park time: the one reader of ISO 8601 times given from outside.

Live messages, the command line (``state --at``, ``nowcast --at``, ``backtest --from``) and the
web API's query times all read a time through :func:`park_time`. A time with an offset
(``2026-01-07T10:00+02:00``) is converted to the park's own clock; a time without one is taken
as park time already. The result is naive: the park's wall-clock time, as the store keeps it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from twin.errors import ParktwinError

EXAMPLE = "2026-01-07T10:00"
"""An ISO 8601 time as the messages show it."""


class BadTime(ParktwinError, ValueError):
    """A text that is no ISO 8601 time, or one that leaves the calendar once converted.

    The message says what is wrong with the text; the caller names the field or option.
    """


def park_time(text: str, zone: str | ZoneInfo) -> datetime:
    """An ISO 8601 time as naive park-local time; an offset is converted to the park's zone.

    Args:
        text: the time, e.g. ``2026-01-07T10:00`` (park time) or ``2026-01-07T10:00+02:00``.
        zone: the park's time zone (``park.park.timezone``) or its :class:`ZoneInfo`.

    Returns:
        The wall-clock time in the park, without a time zone.

    Raises:
        BadTime: not an ISO 8601 time, or one whose conversion leaves the years 1 to 9999.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadTime(f"'{text[:40]}' is not an ISO 8601 time (e.g. {EXAMPLE})") from None
    if moment.tzinfo is None:
        return moment
    park_zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    try:
        return moment.astimezone(park_zone).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise BadTime(
            f"'{text[:40]}' is outside the years 1 to 9999 in park time ({park_zone.key})"
        ) from None
