"""CSV files as columns of byte strings, split by numpy, with a report of the rows dropped.

The bytes are split into lines and fields with ``np.flatnonzero`` on newlines and commas, and
each column is copied out of one sliding-window view of the buffer in a single call: no
Python loop over rows. A file with quoted fields takes the :mod:`csv` module's path instead
(correct, slower). Rows with the wrong number of fields are dropped into a :class:`FileReport`
with their line numbers; a bad header is an :class:`~twin.errors.InputError` on line 1.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twin.errors import InputError
from twin.language import TEXT, Language, read_back, say
from twin.text import localized

MAX_FIELD_BYTES = 256


@dataclass
class FileReport:
    """What happened to the rows of one file: kept, dropped by reason with example lines."""

    file: str
    rows: int = 0
    kept: int = 0
    dropped: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    conflicts: list[int] = field(default_factory=list)  # repeats with another value

    def drop(self, reason: str, lines: Iterable[int]) -> None:
        """Record rows dropped for `reason`, by line number."""
        found = [int(x) for x in lines]
        if found:
            self.dropped.setdefault(reason, []).extend(found)

    @property
    def n_dropped(self) -> int:
        """Number of rows dropped, all reasons."""
        return sum(len(v) for v in self.dropped.values())

    def lines_text(self, reason: str, limit: int = 5, lang: Language = "en") -> str:
        """'lines 3, 17, 90 and 4 more' for one reason."""
        return lines_text(self.dropped[reason], limit, lang)

    def summary(self, lang: Language = "en") -> str:
        """One paragraph in `lang`: rows read, rows used, each reason for dropping with its
        lines, then the notes."""

        def count(n: int) -> str:
            return localized(f"{n:,}", lang)

        head = say("calibration.data.head", lang, file=self.file, rows=count(self.rows),
                   kept=count(self.kept))  # fmt: skip
        parts = [
            f"{count(len(lines))} {drop_text(reason, len(lines), lang)} "
            f"({self.lines_text(reason, lang=lang)})"
            for reason, lines in sorted(self.dropped.items(), key=lambda kv: -len(kv[1]))
        ]
        text = head + (
            say("calibration.data.dropped", lang) + "; ".join(parts)
            if parts
            else say("calibration.data.nothing_dropped", lang)
        )
        notes = [note if lang == "en" else drop_text(note, 1, lang) for note in self.notes]
        if self.conflicts:
            notes.append(say("calibration.data.conflicts", lang, n=count(len(self.conflicts)),
                             lines=lines_text(self.conflicts, lang=lang)))  # fmt: skip
        return text + "".join(f". {note}" for note in notes) + "."


READ_KEYS = tuple(k for k in TEXT if k.startswith(("calibration.drop.", "calibration.data.")))
"""The texts of the reasons for dropping rows and of the notes on reading a file."""


def drop_text(reason: str, count: int, lang: Language = "en") -> str:
    """A reason for dropping rows (or a note) as :meth:`FileReport.drop` holds it, in English
    with "(s)" markers, written for `count` rows in `lang` (a reason the table does not hold
    stays English)."""
    found = read_back(reason, READ_KEYS) if lang != "en" else None
    if found is None:
        return plural(reason, count)
    key, fields = found
    for name in ("hint", "kind"):
        if name in fields:
            fields[name] = drop_text(fields[name], count, lang)
    return say(key, lang, **fields)


def plural(reason: str, count: int) -> str:
    """A reason written with "(s)" markers, for one thing or several."""
    return reason.replace("(s)", "" if count == 1 else "s")


def lines_text(lines: Iterable[int], limit: int = 5, lang: Language = "en") -> str:
    """'lines 3, 17, 90 and 4 more': line numbers for people, in `lang`."""
    ordered = sorted(int(x) for x in lines)
    shown = ", ".join(str(x) for x in ordered[:limit])
    if len(ordered) > limit:
        shown += say("calibration.data.more", lang, n=localized(f"{len(ordered) - limit:,}", lang))
    return say(f"calibration.data.{'lines' if len(ordered) > 1 else 'line'}", lang, shown=shown)


@dataclass
class Table:
    """Columns of a CSV file as stripped byte strings, with the file line of every row."""

    path: Path
    header: list[str]
    columns: dict[str, np.ndarray]
    lines: np.ndarray


@dataclass
class _Fields:
    """A CSV split into rows and fields, before any field is copied out."""

    header: list[str]
    count: np.ndarray  # fields in each data row
    lengths: list[np.ndarray]  # bytes of field j in each row (0 where the row is malformed)
    lines: np.ndarray  # file line of each data row
    take: Callable[[int, np.ndarray], np.ndarray]  # field j of the given rows as an S array


def read_table(path: Path, expected: Sequence[str], report: FileReport) -> Table:
    """Read a CSV file whose header names some of the `expected` columns.

    Rows with the wrong number of fields or an over-long field are dropped into `report`.
    Spreadsheet exports are read as they come: a UTF-8 byte-order mark, CRLF line ends, a
    UTF-16 file, and ``;`` as separator with decimal commas (noted in `report`). A header
    column not in `expected` is ignored with a note, unless it looks like a misspelling of an
    expected column the header lacks (an :class:`InputError` on line 1).
    """
    name = str(path)
    try:
        buf = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    buf = _utf8(buf, name, report)
    if not np.any(buf > ord(" ")):  # zero bytes, or only blank lines
        raise InputError(name, "is empty; expected a header row and data rows", line=1)
    buf = _comma_separated(buf, name, report)
    quoted = bool((buf == ord('"')).any())
    fields = _split_quoted(buf) if quoted else _split_plain(buf)
    if fields is None:
        raise InputError(name, "is empty; expected a header row and data rows", line=1)
    header = [h.strip().lower() for h in fields.header]
    _check_header(header, expected, name, report)
    if len(set(header)) != len(header):
        raise InputError(name, "a column name appears twice in the header", "header", 1)
    lines = fields.lines
    report.rows = len(lines)
    wrong = fields.count != len(header)
    for n_fields in np.unique(fields.count[wrong]).tolist():
        key = f"calibration.drop.field_count.{'one' if n_fields == 1 else 'other'}"
        reason = say(key, "en", n=n_fields, expected=len(header))
        report.drop(reason, lines[fields.count == n_fields])
    too_long = ~wrong & np.any([n > MAX_FIELD_BYTES for n in fields.lengths], axis=0)
    report.drop(say("calibration.drop.long_field", "en", limit=MAX_FIELD_BYTES), lines[too_long])
    rows = np.flatnonzero(~wrong & ~too_long)
    columns = {
        c: np.strings.strip(fields.take(j, rows)) for j, c in enumerate(header) if c in expected
    }
    return Table(path, header, columns, lines[rows])


def _utf8(buf: np.ndarray, name: str, report: FileReport) -> np.ndarray:
    """The file's bytes as UTF-8 without a byte-order mark (UTF-16 files are converted)."""
    head = buf[:2].tobytes()
    if head in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = buf.tobytes().decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(name, "starts like UTF-16 but is not valid UTF-16", line=1) from None
        report.notes.append(say("calibration.data.utf16", "en"))
        buf = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    if buf[:3].tobytes() == b"\xef\xbb\xbf":
        buf = buf[3:]
    return buf


def _comma_separated(buf: np.ndarray, name: str, report: FileReport) -> np.ndarray:
    """Turn a ``;``-separated file (a spreadsheet export, decimal commas) into a plain CSV.

    The separator is told from the header line: ``;`` and no ``,`` there. Commas in the data
    are then decimal commas (ids cannot hold a comma) and become points.
    """
    newline = np.flatnonzero(buf == 10)
    first = buf[: newline[0] if len(newline) else len(buf)]
    if (first == ord(",")).any():
        return buf
    if (first == ord(";")).any():
        out = buf.copy()
        decimal = out == ord(",")
        out[decimal] = ord(".")
        out[out == ord(";")] = ord(",")
        key = "semicolons_commas" if decimal.any() else "semicolons"
        report.notes.append(say(f"calibration.data.{key}", "en"))
        return out
    if (first == 9).any():
        raise InputError(
            name,
            "is tab-separated; save it as CSV with ',' (or ';') between the fields",
            "header",
            1,
        )
    return buf


def _check_header(
    header: list[str], expected: Sequence[str], name: str, report: FileReport
) -> None:
    """Refuse a misspelt expected column; note the columns that are not used."""
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    for column in extra:
        close = difflib.get_close_matches(column, missing, n=1, cutoff=0.75)
        if close:
            raise InputError(
                name,
                f"unknown column '{column}'; did you mean '{close[0]}'? "
                f"(expected {', '.join(expected)})",
                "header",
                1,
            )
    if extra:
        report.notes.append(say("calibration.data.unused_columns", "en", columns=", ".join(extra)))


def _split_plain(buf: np.ndarray) -> _Fields | None:
    """Split unquoted CSV bytes into rows and fields with numpy (no loop over rows)."""
    newlines = np.flatnonzero(buf == 10)
    starts = np.concatenate([[0], newlines + 1])
    ends = np.concatenate([newlines, [len(buf)]])
    line_no = np.arange(1, len(starts) + 1)
    ends = ends - ((ends > starts) & (buf[np.maximum(ends - 1, 0)] == 13))
    commas = np.flatnonzero(buf == ord(","))
    first = np.searchsorted(commas, starts)
    count = np.searchsorted(commas, ends) - first + 1
    keep = ~((ends == starts) | ((count == 1) & _all_space(buf, starts, ends)))
    starts, ends, line_no, first, count = (a[keep] for a in (starts, ends, line_no, first, count))
    if not len(starts):
        return None
    head = bytes(buf[starts[0] : ends[0]]).decode("utf-8", errors="replace")
    header = next(csv.reader([head]))
    k = len(header)
    starts, ends, line_no, first, count = (a[1:] for a in (starts, ends, line_no, first, count))
    valid = count == k
    last = max(len(commas) - 1, 0)
    bounds = []
    for j in range(k):
        s = starts if j == 0 else commas[np.minimum(first + j - 1, last)] + 1
        e = ends if j == k - 1 else commas[np.minimum(first + j, last)]
        bounds.append((np.where(valid, s, starts), np.where(valid, e, starts)))

    padded = np.concatenate([buf, np.zeros(MAX_FIELD_BYTES + 1, dtype=np.uint8)])

    def take(j: int, rows: np.ndarray) -> np.ndarray:
        s, e = bounds[j]
        return _gather(padded, s[rows], e[rows])

    return _Fields(header, count, [e - s for s, e in bounds], line_no, take)


def _all_space(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """True for short lines made only of spaces and tabs."""
    out = np.zeros(len(starts), dtype=bool)
    for i in np.flatnonzero(ends - starts <= 8).tolist():
        out[i] = not bytes(buf[starts[i] : ends[i]]).strip()
    return out


def _gather(buf: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Byte strings ``buf[s:e]`` of every row as one fixed-width ``S`` array.

    `buf` must be followed by at least the widest field's length of padding (see
    :func:`_split_plain`): each row is one window of a sliding view, copied in one call.
    """
    n = len(s)
    length = np.maximum(e - s, 0)
    width = max(1, int(length.max(initial=0)))
    out = np.lib.stride_tricks.sliding_window_view(buf, width)[s]
    out[np.arange(width)[None, :] >= length[:, None]] = 0
    return np.ascontiguousarray(out).view(f"S{width}").reshape(n)


def _split_quoted(buf: np.ndarray) -> _Fields | None:
    """The csv-module path for files with quoted fields: the same result, row by row."""
    text = buf.tobytes().decode("utf-8", errors="replace")
    reader = csv.reader(text.splitlines(keepends=True))
    rows: list[list[str]] = []
    line_no: list[int] = []
    start_line = 1
    for row in reader:
        if row and "".join(row).strip():
            rows.append(row)
            line_no.append(start_line)
        start_line = reader.line_num + 1
    if not rows:
        return None
    header, data = rows[0], rows[1:]
    k = len(header)
    count = np.array([len(r) for r in data], dtype=np.int64)
    cells = [[(r[j] if len(r) == k else "").encode("utf-8") for r in data] for j in range(k)]
    lengths = [np.array([len(c) for c in col], dtype=np.int64) for col in cells]

    def take(j: int, rows: np.ndarray) -> np.ndarray:
        width = max(1, int(lengths[j][rows].max(initial=0)))
        return np.array([cells[j][i] for i in rows.tolist()], dtype=f"S{width}")

    return _Fields(header, count, lengths, np.array(line_no[1:], dtype=np.int64), take)
