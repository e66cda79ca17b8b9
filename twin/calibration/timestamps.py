"""Timestamps and numbers of sensor files, parsed a whole column at a time.

Timestamps are local ISO 8601 (``2026-01-05T06:15``; a space for the ``T`` is accepted). The
common form ``YYYY-MM-DDTHH:MM[:SS]`` is parsed by digit arithmetic on the bytes; any other is
left to numpy's parser. One with an offset (``+07:00``, ``+0700``, ``Z``) is an instant and is
turned into the park's local time with the park's time zone. Times become minutes from
``park.start`` (float), the engine's time axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from twin.errors import InputError
from twin.model.schema import Park

CHUNK = 8192
DIGITS16 = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15]  # digit positions of YYYY-MM-DDTHH:MM
SEPARATORS16 = [4, 7, 10, 13]
SEPARATOR_CODES = np.array([ord("-"), ord("-"), ord("T"), ord(":")], dtype=np.uint8)


@dataclass(frozen=True)
class Timebase:
    """Local calendar time <-> minutes from the park's start (the engine's time axis)."""

    start: np.datetime64  # park.start as local datetime64[s]
    zone: str

    @classmethod
    def of(cls, park: Park) -> Timebase:
        """The time base of a park: time 0 is ``park.start`` in ``park.timezone``."""
        return cls(np.datetime64(park.park.start, "s"), park.park.timezone)

    def minutes(self, local: np.ndarray) -> np.ndarray:
        """Minutes from the start of local ``datetime64[s]`` times (NaT becomes NaN)."""
        seconds = (local - self.start).astype("timedelta64[s]").astype(np.float64)
        seconds[np.isnat(local)] = np.nan
        return seconds / 60.0

    def local(self, minutes: float) -> datetime:
        """The local calendar time of a time in minutes."""
        moment = self.start + np.timedelta64(round(minutes * 60), "s")
        return moment.astype(datetime)

    def iso(self, minutes: float) -> str:
        """Local ISO time ``YYYY-MM-DDTHH:MM`` of a time in minutes."""
        return self.local(minutes).strftime("%Y-%m-%dT%H:%M")

    def to_local(self, utc: np.ndarray) -> np.ndarray:
        """UTC ``datetime64[s]`` instants as naive local park time."""
        try:
            zone = ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError("park", f"unknown time zone '{self.zone}'", "park.timezone") from None
        hours = utc.astype("datetime64[h]")
        unique, inverse = np.unique(hours, return_inverse=True)
        offsets = np.array(
            [
                datetime.fromtimestamp(int(h.astype("datetime64[s]").astype(np.int64)), UTC)
                .astimezone(zone)
                .utcoffset()
                .total_seconds()  # type: ignore[union-attr]
                for h in unique
            ],
            dtype=np.int64,
        )
        return utc + offsets[inverse].astype("timedelta64[s]")


def parse_times(column: np.ndarray, timebase: Timebase) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from the park's start of a byte-string column of ISO 8601 timestamps.

    Returns the minutes (NaN for an empty cell or a bad one) and a mask of the bad cells
    (not empty, but not a timestamp). Vectorised; only chunks that fail are parsed one by one.
    """
    n = len(column)
    width = max(column.dtype.itemsize, 1)
    codes = np.zeros((n, width), dtype=np.uint8)
    if n:
        codes[:] = np.ascontiguousarray(column).view(np.uint8).reshape(n, width)
    length = (codes != 0).sum(axis=1)
    empty = length == 0
    rows = np.arange(n)

    def at(pos: np.ndarray) -> np.ndarray:
        return codes[rows, np.clip(pos, 0, width - 1)]

    shaped = (length >= 10) & (at(np.full(n, 4)) == ord("-")) & (at(np.full(n, 7)) == ord("-"))
    if width > 10:
        codes[:, 10] = np.where(codes[:, 10] == ord(" "), ord("T"), codes[:, 10])
        shaped &= (length == 10) | (codes[:, 10] == ord("T"))
    offset_s = np.zeros(n, dtype=np.int64)
    has_offset = np.zeros(n, dtype=bool)
    zulu = shaped & (length > 10) & (at(length - 1) == ord("Z"))
    codes[rows[zulu], length[zulu] - 1] = 0
    has_offset |= zulu

    sign = at(length - 6)
    colon = (
        shaped
        & ~zulu
        & (length >= 22)
        & ((sign == ord("+")) | (sign == ord("-")))
        & (at(length - 3) == ord(":"))
    )
    sign4 = at(length - 5)
    compact = shaped & ~zulu & ~colon & (length >= 21) & ((sign4 == ord("+")) | (sign4 == ord("-")))
    for mask, base, minute_at, size in ((colon, length - 6, 4, 6), (compact, length - 5, 3, 5)):
        if not mask.any():
            continue
        idx = rows[mask]
        b = base[mask]
        hh = _digit(codes, idx, b + 1) * 10 + _digit(codes, idx, b + 2)
        mm = _digit(codes, idx, b + minute_at) * 10 + _digit(codes, idx, b + minute_at + 1)
        ok = (hh >= 0) & (hh <= 23) & (mm >= 0) & (mm <= 59)
        sign_of = np.where(codes[idx, b] == ord("-"), -1, 1)
        offset_s[idx] = sign_of * (hh * 3600 + mm * 60)
        shaped[idx[~ok]] = False
        for k in range(size):
            codes[idx, b + k] = 0
        has_offset[idx] = True
    length = (codes != 0).sum(axis=1)
    fast, stamp = _fixed_format(codes, length)
    failed = np.zeros(n, dtype=bool)
    slow = shaped & ~empty & ~fast
    if slow.any():
        text = codes[slow].view(f"S{width}").reshape(int(slow.sum()))
        stamp[slow], failed[slow] = _cast(text, "datetime64[s]", np.zeros(len(text), bool))
    bad = (~empty & ~shaped) | failed
    years = stamp.astype("datetime64[Y]").astype(np.int64) + 1970
    bad |= ~np.isnat(stamp) & ((years < 1900) | (years > 2200))
    stamp[bad | empty] = np.datetime64("NaT")
    if has_offset.any():
        shifted = has_offset & ~np.isnat(stamp)
        utc = stamp[shifted] - offset_s[shifted].astype("timedelta64[s]")
        stamp[shifted] = timebase.to_local(utc)
    return timebase.minutes(stamp), bad


def _fixed_format(codes: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``YYYY-MM-DDTHH:MM[:SS]`` by digit arithmetic (the common case, and fast).

    Returns the mask of the rows in that exact form with a real date and time, and their
    ``datetime64[s]`` (NaT elsewhere); other rows are left to numpy's string parser.
    """
    n, width = codes.shape
    stamp = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    if width < 16 or not n:
        return np.zeros(n, dtype=bool), stamp
    cols = min(width, 19)
    head = codes[:, :cols] - np.uint8(ord("0"))  # digits become 0..9, anything else > 9
    seconds = (length == 19) & (cols == 19)
    ok = ((length == 16) | seconds) & np.all(head[:, DIGITS16] <= 9, axis=1)
    ok &= np.all(codes[:, SEPARATORS16] == SEPARATOR_CODES, axis=1)
    if cols == 19:
        ok &= ~seconds | ((codes[:, 16] == ord(":")) & (head[:, 17] <= 9) & (head[:, 18] <= 9))
    d = head.astype(np.int32)
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 5] * 10 + d[:, 6]
    day = d[:, 8] * 10 + d[:, 9]
    hour = d[:, 11] * 10 + d[:, 12]
    minute = d[:, 14] * 10 + d[:, 15]
    second = np.where(seconds, d[:, 17] * 10 + d[:, 18], 0) if cols == 19 else 0
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    date = months.astype("datetime64[D]") + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    ok &= date.astype("datetime64[M]") == months  # the day exists in that month
    clock = (hour * 3600 + minute * 60 + second).astype("timedelta64[s]")
    stamp[ok] = date[ok].astype("datetime64[s]") + clock[ok]
    return ok, stamp


def _digit(codes: np.ndarray, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The digit at column `pos` of each row (negative or above 9 when not a digit)."""
    return codes[rows, pos].astype(np.int64) - ord("0")


def parse_numbers(column: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Floats of a byte-string column: values, mask of empty cells, mask of bad cells."""
    empty = np.strings.str_len(column) == 0
    values, failed = _cast(column, "float64", empty)
    bad = failed | (~empty & ~np.isfinite(values))
    values[bad | empty] = np.nan
    return values, empty, bad


def _cast(text: np.ndarray, dtype: str, skip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cast a byte-string column in chunks; cells of a failing chunk are cast one by one."""
    is_time = dtype.startswith("datetime")
    missing = np.datetime64("NaT") if is_time else np.nan
    work = text.copy()
    work[skip] = b"NaT" if is_time else b"nan"
    if is_time:
        # numpy 2.4 crashes (segfault) when a bytes -> datetime64 cast fails inside a large
        # array; the str -> datetime64 cast raises cleanly, so go through str
        work = work.astype(f"U{max(work.dtype.itemsize, 3)}")
    out = np.empty(len(work), dtype=dtype)
    failed = np.zeros(len(work), dtype=bool)
    for lo in range(0, len(work), CHUNK):
        part = work[lo : lo + CHUNK]
        try:
            out[lo : lo + CHUNK] = part.astype(dtype)
        except (ValueError, OverflowError):
            for k, cell in enumerate(part.tolist()):
                try:
                    out[lo + k] = np.array([cell]).astype(dtype)[0]
                except (ValueError, OverflowError):
                    out[lo + k] = missing
                    failed[lo + k] = True
    return out, failed
