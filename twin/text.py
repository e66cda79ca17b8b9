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


DECIMAL_COMMA = str.maketrans({",": ".", ".": ","})
"""English separators to Vietnamese ones: the decimal comma and the thousands dot."""

DECIMAL_COMMA_LANGUAGES = frozenset({"vi"})
"""Languages that write 1.234,5 rather than 1,234.5."""


def fmt(value: object, digits: int = 3, lang: str = "en") -> str:
    """A number for people: fixed significant digits, thousands separators, '-' for none.

    Args:
        value: a number (anything else is shown as it is).
        digits: significant digits below 1000 (above, whole numbers).
        lang: the output's language: ``vi`` writes ``1.234`` and ``4,5``, ``en`` ``1,234``
            and ``4.5``. Machine formats (JSON, CSV) never use this function.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if not isinstance(value, float | int):
        return str(value)
    number = float(value)
    if abs(number) >= 1000:
        text = f"{number:,.0f}"
    else:
        text = f"{number:.{digits}g}" if number != 0 else "0"
    return localized(text, lang)


def signed(value: float, lang: str = "en") -> str:
    """A change with its sign, by :func:`fmt` (``+4.9``, ``-0.3``, ``0``; ``+4,9`` in vi)."""
    text = fmt(value, lang=lang)
    return text if text.startswith("-") or text in ("0", "-") else f"+{text}"


def fixed(value: float, decimals: int, lang: str = "en", sign: bool = False) -> str:
    """A number with a fixed count of decimals (``0.953`` pu, ``+4.2``%), in `lang`'s style."""
    if math.isnan(value):
        return "-"
    text = f"{value:{'+' if sign else ''},.{decimals}f}"
    return localized(text, lang)


def localized(text: str, lang: str) -> str:
    """A number written the English way (``1,234.5``) with `lang`'s separators."""
    return text.translate(DECIMAL_COMMA) if lang in DECIMAL_COMMA_LANGUAGES else text


def interval_text(low: object, high: object, lang: str = "en") -> str:
    """An interval for people: ``[low, high]`` (``[low; high]`` where the comma is decimal)."""
    between = "; " if lang in DECIMAL_COMMA_LANGUAGES else ", "
    return f"[{fmt(low, lang=lang)}{between}{fmt(high, lang=lang)}]"


def bounds_text(bounds: Sequence[object], lang: str = "en") -> str:
    """An interval given as its two bounds (a ``ci95`` list): :func:`interval_text`."""
    low, high = bounds
    return interval_text(low, high, lang)


def json_number(value: float | None) -> float | None:
    """A number for a JSON document: a float, or None (null) for NaN and missing values."""
    return None if value is None or math.isnan(value) else float(value)
