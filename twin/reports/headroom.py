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
        if "v_pu" in limit:
            element += f" {fixed(limit['v_pu'], 3, lang)} pu"
        elif "loading_pct" in limit:
            element += f" {fixed(limit['loading_pct'], 0, lang)}%"
        parts.append(f"{kind} {element}")
    return ", ".join(parts) or "-"


def room_text(room: dict[str, Any], lang: Language = "en") -> str:
    """A headroom in MW, in `lang`'s style (``at least`` when the bus took all that was tried)."""
    text = number_text(room["headroom_mw"], lang)
    return say("headroom.at_least", lang, mw=text) if room["at_least"] else text


def headroom_cells(
    row: dict[str, Any], lang: Language = "en", names: Mapping[str, str] | None = None
) -> list[str]:
    """A bus's cells: its id and label, its headroom in MW and what binds; with N-1, also its
    N-1 headroom, the outage that sets it and what binds then."""
    names = names or {}
    cells = [
        row["id"],
        row["label"],
        room_text(row, lang),
        binding_text(row["binding"], lang, names),
    ]
    if "n1" in row:
        n1 = row["n1"]
        outage = names.get(n1["outage"], n1["outage"]) if n1["outage"] else "-"
        cells += [room_text(n1, lang), outage, binding_text(n1["binding"], lang, names)]
    return cells


COLUMNS = ("bus", "label", "mw", "binding")
N1_COLUMNS = ("n1_mw", "n1_outage", "n1_binding")


def _intro(result: dict[str, Any], lang: Language) -> str:
    key = "headroom.intro" if result["base_within_limits"] else "headroom.intro_broken"
    text = say(key, lang, n=len(result["buses"]), mw=number_text(result["demand_mw"], lang),
               pf=fixed(result["power_factor"], 2, lang),
               limit=fmt(result["v_min_pu"], lang=lang))  # fmt: skip
    if "n1" in result:
        text += " " + n1_sentence(result, lang)
    return text


def n1_sentence(result: dict[str, Any], lang: Language = "en") -> str:
    """What the N-1 headroom keeps secure, and the outages the park does not withstand now."""
    insecure = result["n1"]["insecure_now"]
    return say("headroom.intro_n1", lang, n=result["n1"]["outages"] - len(insecure),
               insecure=", ".join(insecure) or "-")  # fmt: skip


def headroom_report(
    result: dict[str, Any], lang: Language = "en", names: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """The report as Markdown and as a self-contained HTML page, in `lang`."""
    title = say("headroom.title", lang, park=result["park"], at=moment_text(result["at"], lang))
    intro = _intro(result, lang)
    keys = COLUMNS + (N1_COLUMNS if "n1" in result else ())
    head = [say(f"headroom.col.{key}", lang) for key in keys]
    cells = [headroom_cells(row, lang, names) for row in result["buses"]]
    markdown = [md_heading(1, title), "", md_text(intro), "", *md_table(head, cells)]
    body = html_paragraphs([intro]) + html_table(head, cells, numeric=(2, 4))
    return "\n".join(markdown) + "\n", page_html(title, body, lang=lang)
