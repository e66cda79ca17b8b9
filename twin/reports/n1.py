"""The N-1 report: n1.json and a table of every contingency, worst first (Markdown and HTML)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from twin.io.output import atomic_write_text
from twin.language import Language, say
from twin.reports.page import html_paragraphs, html_table, md_heading, md_table, md_text, page_html
from twin.text import fixed, fmt, localized

COLUMNS = (
    "outage",
    "kind",
    "secure",
    "unserved_mw",
    "unserved_mwh",
    "max_loading_pct",
    "min_v_pu",
    "trucks_delayed",
    "restored_by",
    "buildings_unserved",
)
"""The fields of a contingency in the report's table, each headed by the text ``n1.col.<field>``."""

SECURE_V_PU = 0.95


def write_n1(
    out: Path, result: dict[str, Any], lang: Language = "en", names: Mapping[str, str] | None = None
) -> list[Path]:
    """Write n1.json, report.md and report.html of `parktwin n1 --out DIR`.

    The report is in `lang`, with assets called by their `names` where they have one; n1.json
    keeps ids and machine numbers.
    """
    markdown, page = n1_report(result, lang, names)
    return [
        atomic_write_text(out / "n1.json", json.dumps(result, ensure_ascii=False, indent=1) + "\n"),
        atomic_write_text(out / "report.md", markdown),
        atomic_write_text(out / "report.html", page),
    ]


def number_text(value: float, lang: Language = "en") -> str:
    """A figure of the table: up to three decimals, trailing zeros dropped, in `lang`'s style."""
    return localized(f"{value:.3f}".rstrip("0").rstrip("."), lang)


def _cell(value: Any, lang: Language, names: Mapping[str, str]) -> str:
    if isinstance(value, bool):
        return say("n1.yes" if value else "n1.no", lang)
    if isinstance(value, list):
        return ", ".join(names.get(v, v) for v in value) or "-"
    if isinstance(value, float):
        return number_text(value, lang)
    return str(value)


def row_cells(row: dict[str, Any], lang: Language, names: Mapping[str, str]) -> list[str]:
    """A contingency's cells: the outage by name, its kind and figures in `lang`."""
    cells = [_cell(row[key], lang, names) for key in COLUMNS]
    cells[0] = names.get(row["outage"], row["outage"])
    cells[1] = say(f"n1.kind.{row['kind']}", lang)
    cells[COLUMNS.index("trucks_delayed")] = fmt(row["trucks_delayed"], lang=lang)
    return cells


def moment_text(at: str, lang: Language) -> str:
    """The moment of the study in `lang`: ``day 1 06:00`` is ``ngày 1 06:00`` in vi."""
    match = re.fullmatch(r"day (\d+) (\d\d:\d\d)", at)
    return say("n1.day", lang, day=match[1], time=match[2]) if match else at


def n1_report(
    result: dict[str, Any], lang: Language = "en", names: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """The report as Markdown and as a self-contained HTML page, in `lang`."""
    names = names or {}
    rows = result["contingencies"]
    insecure = sum(not r["secure"] for r in rows)
    title = say("n1.title", lang, park=result["park"], at=moment_text(result["at"], lang))
    intro = say("n1.intro", lang, n=len(rows), hours=fmt(result["hours"], lang=lang),
                insecure=insecure, limit=fmt(SECURE_V_PU, lang=lang))  # fmt: skip
    head = [say(f"n1.col.{key}", lang) for key in COLUMNS]
    cells = [row_cells(r, lang, names) for r in rows]
    markdown = [md_heading(1, title), "", md_text(intro), "", *md_table(head, cells)]
    sources = [source_text(bus, lang) for bus in result.get("buses", []) if bus["source"]]
    sources_line = say("n1.sources", lang, items="; ".join(sources)) if sources else ""
    if sources:
        markdown += ["", md_text(sources_line)]
    numeric = range(3, 8)
    body = (
        html_paragraphs([intro])
        + plan_svg(result["lines"], result.get("buses", []), lang=lang)
        + html_paragraphs([sources_line] if sources else [])
        + html_table(head, cells, numeric=numeric)
    )
    return "\n".join(markdown) + "\n", page_html(title, body, lang=lang)


def source_text(bus: dict[str, Any], lang: Language = "en") -> str:
    """A source bus in words: what it holds and where, and its busbar's voltage at the moment."""
    side = re.fullmatch(r"(.+) kV side", bus["held_on"])
    held_on = (
        say("n1.held_on_busbar", lang)
        if bus["held_on"] == "busbar" or side is None
        else say("n1.held_on_side", lang, kv=localized(side[1], lang))
    )
    text = say("n1.source", lang, id=bus["id"], label=bus["label"],
               v=fixed(bus["held_v_pu"], 3, lang), on=held_on)  # fmt: skip
    if bus["held_on"] != "busbar" and bus["v_pu"] is not None:
        text += say("n1.source_busbar", lang, v=fixed(bus["v_pu"], 3, lang))
    return text


LOADING_COLOURS = ((60.0, "#2f9e44"), (90.0, "#f59f00"), (100.0, "#e8590c"))
"""Line colours by worst loading: up to 60%, 90%, 100%; red above."""


def plan_svg(
    lines: list[dict[str, Any]],
    buses: Sequence[dict[str, Any]] = (),
    width: int = 1000,
    height: int = 860,
    lang: Language = "en",
) -> str:
    """A plan of the network: each line drawn in the colour of its worst loading in any N-1,
    each bus with its label (sources as squares) and its voltage at the moment as a tooltip."""
    drawn = [line for line in lines if "from" in line]
    placed = [bus for bus in buses if "position" in bus]
    if not drawn and not placed:
        return f"<p>{html.escape(say('n1.no_plan', lang))}</p>"
    points = [p for line in drawn for p in (line["from"], line["to"])]
    points += [bus["position"] for bus in placed]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    scale = min(width, height - 30) / span * 0.92

    def at(p: list[float]) -> str:
        return f"{20 + (p[0] - min(xs)) * scale:.1f},{height - 30 - (p[1] - min(ys)) * scale:.1f}"

    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"]
    for line in drawn:
        pct = line["worst_loading_pct"]
        colour = next((c for top, c in LOADING_COLOURS if pct <= top), "#e03131")
        a, b = at(line["from"]).split(","), at(line["to"]).split(",")
        parts.append(
            f"<line x1='{a[0]}' y1='{a[1]}' x2='{b[0]}' y2='{b[1]}' stroke='{colour}' "
            f"stroke-width='3'><title>{html.escape(line['id'])}: {pct:.0f}%</title></line>"
        )
    parts += [_bus_svg(bus, at(bus["position"]), lang) for bus in placed]
    legend = html.escape(say("n1.legend", lang))
    parts.append(f"<text x='10' y='{height - 8}' font-size='12'>{legend}</text></svg>")
    return "".join(parts)


def _bus_svg(bus: dict[str, Any], where: str, lang: Language) -> str:
    """A bus on the plan: a dot (a square for a source), its label, its voltage as a tooltip."""
    x, y = (float(c) for c in where.split(","))
    if bus["source"]:
        volts = source_text(bus, lang)
        mark = f"<rect x='{x - 5:.1f}' y='{y - 5:.1f}' width='10' height='10' fill='#1c7ed6'>"
    else:
        volts = (
            say("n1.no_supply", lang)
            if bus["v_pu"] is None
            else say("n1.v_at_moment", lang, v=fixed(bus["v_pu"], 3, lang))
        )
        mark = f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3.5' fill='#495057'>"
    label = bus["label"] if len(bus["label"]) <= 24 else bus["label"][:23] + "…"
    return (
        f"{mark}<title>{html.escape(bus['id'])}: {html.escape(volts)}</title>"
        f"{'</rect>' if bus['source'] else '</circle>'}"
        f"<text x='{x + 6:.1f}' y='{y - 6:.1f}' font-size='10' fill='#343a40'>"
        f"{html.escape(label)}</text>"
    )
