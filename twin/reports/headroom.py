"""The headroom report: headroom.json and a table of every bus, most room first (Markdown, HTML)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from twin.io.output import atomic_write_text
from twin.language import Language, say
from twin.reports.n1 import moment_text, number_text
from twin.reports.page import html_paragraphs, html_table, md_heading, md_table, md_text, page_html
from twin.text import fixed, fmt


def write_headroom(
    out: Path, result: dict[str, Any], lang: Language = "en", names: Mapping[str, str] | None = None
) -> list[Path]:
    """Write headroom.json, report.md and report.html of `parktwin headroom --out DIR`."""
    markdown, page = headroom_report(result, lang, names)
    text = json.dumps(result, ensure_ascii=False, indent=1) + "\n"
    return [
        atomic_write_text(out / "headroom.json", text),
        atomic_write_text(out / "report.md", markdown),
        atomic_write_text(out / "report.html", page),
    ]


def binding_text(
    binding: list[dict[str, Any]], lang: Language = "en", names: Mapping[str, str] | None = None
) -> str:
    """What breaks just above a bus's headroom, in words: ``line l3 at 100%``."""
    names = names or {}
    parts = []
    for limit in binding:
        if limit["kind"] == "convergence":
            parts.append(say("headroom.no_convergence", lang))
            continue
        element = names.get(limit["id"], limit["id"])
        kind = say(f"headroom.kind.{limit['kind']}", lang)
        value = (
            f"{fixed(limit['v_pu'], 3, lang)} pu"
            if "v_pu" in limit
            else f"{fixed(limit['loading_pct'], 0, lang)}%"
        )
        parts.append(f"{kind} {element} {value}")
    return ", ".join(parts) or "-"


def headroom_cells(
    row: dict[str, Any], lang: Language = "en", names: Mapping[str, str] | None = None
) -> list[str]:
    """A bus's cells: its id and label, its headroom in MW, and what binds."""
    room = number_text(row["headroom_mw"], lang)
    if row["at_least"]:
        room = say("headroom.at_least", lang, mw=room)
    return [row["id"], row["label"], room, binding_text(row["binding"], lang, names)]


def _intro(result: dict[str, Any], lang: Language) -> str:
    key = "headroom.intro" if result["base_within_limits"] else "headroom.intro_broken"
    return say(key, lang, n=len(result["buses"]), mw=number_text(result["demand_mw"], lang),
               pf=fixed(result["power_factor"], 2, lang),
               limit=fmt(result["v_min_pu"], lang=lang))  # fmt: skip


def headroom_report(
    result: dict[str, Any], lang: Language = "en", names: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """The report as Markdown and as a self-contained HTML page, in `lang`."""
    title = say("headroom.title", lang, park=result["park"], at=moment_text(result["at"], lang))
    intro = _intro(result, lang)
    head = [say(f"headroom.col.{key}", lang) for key in ("bus", "label", "mw", "binding")]
    cells = [headroom_cells(row, lang, names) for row in result["buses"]]
    markdown = [md_heading(1, title), "", md_text(intro), "", *md_table(head, cells)]
    body = html_paragraphs([intro]) + html_table(head, cells, numeric=range(2, 3))
    return "\n".join(markdown) + "\n", page_html(title, body, lang=lang)
