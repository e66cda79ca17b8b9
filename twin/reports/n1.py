"""The N-1 report: n1.json and a table of every contingency, worst first (Markdown and HTML)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twin.io.output import atomic_write_text
from twin.reports.page import html_paragraphs, html_table, md_heading, md_table, md_text, page_html

COLUMNS = (
    ("outage", "outage"),
    ("kind", "kind"),
    ("secure", "secure"),
    ("unserved_mw", "unserved MW"),
    ("unserved_mwh", "unserved MWh"),
    ("max_loading_pct", "max loading %"),
    ("min_v_pu", "min V pu"),
    ("trucks_delayed", "trucks delayed"),
    ("restored_by", "restored by"),
    ("buildings_unserved", "buildings unserved"),
)


def write_n1(out: Path, result: dict[str, Any]) -> list[Path]:
    """Write n1.json, report.md and report.html of `parktwin n1 --out DIR`."""
    markdown, page = n1_report(result)
    return [
        atomic_write_text(out / "n1.json", json.dumps(result, ensure_ascii=False, indent=1) + "\n"),
        atomic_write_text(out / "report.md", markdown),
        atomic_write_text(out / "report.html", page),
    ]


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, list):
        return ", ".join(value) or "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def n1_report(result: dict[str, Any]) -> tuple[str, str]:
    """The report as Markdown and as a self-contained HTML page."""
    rows = result["contingencies"]
    insecure = sum(not r["secure"] for r in rows)
    title = f"N-1 of {result['park']} at {result['at']}"
    intro = (
        f"{len(rows)} single outage(s), each lasting {result['hours']:g} h from the moment; "
        f"{insecure} not secure (load left unserved after restoration, a rating exceeded or a "
        "bus below 0.95 pu). Worst first."
    )
    head = [label for _, label in COLUMNS]
    cells = [[_cell(r[key]) for key, _ in COLUMNS] for r in rows]
    markdown = [md_heading(1, title), "", md_text(intro), "", *md_table(head, cells)]
    numeric = range(3, 8)
    body = html_paragraphs([intro]) + html_table(head, cells, numeric=numeric)
    return "\n".join(markdown) + "\n", page_html(title, body)
