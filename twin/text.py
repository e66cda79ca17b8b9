"""Numbers and tables as text: for people (:func:`fmt`), for CSV files and for JSON documents."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence


def csv_text(rows: Sequence[dict[str, object]]) -> str:
    """Rows of dicts as CSV text (header from the first row)."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def fmt(value: object, digits: int = 3) -> str:
    """A number for people: fixed significant digits, thousands separators, '-' for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float | int):
        number = float(value)
        if abs(number) >= 1000:
            return f"{number:,.0f}"
        return f"{number:.{digits}g}" if number != 0 else "0"
    return str(value)


def interval_text(low: object, high: object) -> str:
    """An interval for people: ``[low, high]``, each end by :func:`fmt`."""
    return f"[{fmt(low)}, {fmt(high)}]"


def json_number(value: float | None) -> float | None:
    """A number for a JSON document: a float, or None (null) for NaN and missing values."""
    return None if value is None or math.isnan(value) else float(value)
