"""The page and table toolkit of every report: one escaping rule, tables, the page shell.

A report is written twice, as Markdown (``report.md``) and as a self-contained HTML page
(``report.html``). Text from the user's files (ids, names, scenario labels) goes into both, so
it is escaped by one rule per format:

- Markdown: :func:`md_text` puts a backslash before ``\\``, ``|``, ``<`` and ``&`` (so an id
  can neither split a table cell nor open an HTML tag or an entity) and turns line breaks into
  spaces (a cell is one line).
- HTML: :func:`html_text` is :func:`html.escape`.

Tables escape every heading and cell; a cell that is already in the target format (a bold
change, say) is wrapped in :class:`Markup` and goes in as it is. Numbers are written by
:func:`twin.text.fmt`, intervals by :func:`twin.text.interval_text`.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Iterable, Sequence

from twin.language import Language, say

_MD_SPECIAL = str.maketrans({"\\": "\\\\", "|": "\\|", "<": "\\<", "&": "\\&"})


class Markup(str):
    """Text already written in the table's format (Markdown or HTML): not escaped again."""

    __slots__ = ()


def md_text(text: object) -> str:
    """Any text for a Markdown report: special characters escaped, on one line."""
    if isinstance(text, Markup):
        return str(text)
    one_line = " ".join(str(text).replace("\r", "\n").split("\n"))
    return one_line.translate(_MD_SPECIAL)


def html_text(text: object) -> str:
    """Any text for an HTML page, escaped (markup passes as it is)."""
    if isinstance(text, Markup):
        return str(text)
    return html.escape(str(text))


def md_table(head: Sequence[object], rows: Iterable[Sequence[object]]) -> list[str]:
    """A Markdown table, one line per row, every heading and cell escaped."""
    lines = ["| " + " | ".join(md_text(h) for h in head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in rows]
    return lines


def html_table(
    head: Sequence[object],
    rows: Iterable[Sequence[object]],
    numeric: Collection[int] = (),
    marked: Collection[int] = (),
) -> str:
    """An HTML table, every heading and cell escaped.

    Args:
        head: the column headings.
        rows: the cells, row by row.
        numeric: the columns aligned as numbers (right, tabular figures).
        marked: the rows shown in bold (a significant change).
    """
    cells = []
    for i, row in enumerate(rows):
        tr = "<tr class=sig>" if i in marked else "<tr>"
        tds = "".join(
            (f"<td class=n>{html_text(c)}</td>" if k in numeric else f"<td>{html_text(c)}</td>")
            for k, c in enumerate(row)
        )
        cells.append(f"{tr}{tds}</tr>")
    ths = "".join(f"<th>{html_text(h)}</th>" for h in head)
    return f"<table><tr>{ths}</tr>{''.join(cells)}</table>"


def md_list(items: Iterable[object]) -> list[str]:
    """A Markdown bullet list, one line per item."""
    return [f"- {md_text(item)}" for item in items]


def html_list(items: Iterable[object]) -> str:
    """An HTML bullet list."""
    return "<ul>" + "".join(f"<li>{html_text(item)}</li>" for item in items) + "</ul>"


def html_paragraphs(lines: Iterable[object]) -> str:
    """One HTML paragraph per line."""
    return "".join(f"<p>{html_text(line)}</p>" for line in lines)


def md_heading(level: int, text: object) -> str:
    """A Markdown heading (``#`` repeated `level` times)."""
    return "#" * level + " " + md_text(text)


def html_heading(level: int, text: object) -> str:
    """An HTML heading ``<hN>``."""
    return f"<h{level}>{html_text(text)}</h{level}>"


def page_html(title: str, body: str, lang: Language = "en") -> str:
    """A self-contained HTML page (inline CSS, no external resources) in language `lang`."""
    return (
        f"<!DOCTYPE html><html lang={lang}><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 8px;"
        "text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
        ".sig{font-weight:bold}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}"
        f"<p style='color:#888'>{say('page.footer', lang)}</p></body></html>"
    )
