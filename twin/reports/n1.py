"""The N-1 report: n1.json and a table of every contingency, worst first (Markdown and HTML)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
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
    sources = [source_text(bus) for bus in result.get("buses", []) if bus["source"]]
    if sources:
        markdown += ["", md_text("Sources: " + "; ".join(sources) + ".")]
    numeric = range(3, 8)
    body = (
        html_paragraphs([intro])
        + plan_svg(result["lines"], result.get("buses", []))
        + html_paragraphs(["Sources: " + "; ".join(sources) + "."] if sources else [])
        + html_table(head, cells, numeric=numeric)
    )
    return "\n".join(markdown) + "\n", page_html(title, body)


def source_text(bus: dict[str, Any]) -> str:
    """A source bus in words: what it holds and where, and its busbar's voltage at the moment."""
    text = f"{bus['id']} ({bus['label']}) holds {bus['held_v_pu']:.3f} pu on its {bus['held_on']}"
    if bus["held_on"] != "busbar" and bus["v_pu"] is not None:
        text += f", its busbar {bus['v_pu']:.3f} pu at the moment (below by the transformers' drop)"
    return text


LOADING_COLOURS = ((60.0, "#2f9e44"), (90.0, "#f59f00"), (100.0, "#e8590c"))
"""Line colours by worst loading: up to 60%, 90%, 100%; red above."""


def plan_svg(
    lines: list[dict[str, Any]],
    buses: Sequence[dict[str, Any]] = (),
    width: int = 1000,
    height: int = 860,
) -> str:
    """A plan of the network: each line drawn in the colour of its worst loading in any N-1,
    each bus with its label (sources as squares) and its voltage at the moment as a tooltip."""
    drawn = [line for line in lines if "from" in line]
    placed = [bus for bus in buses if "position" in bus]
    if not drawn and not placed:
        return "<p>(no bus positions: no plan)</p>"
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
    parts += [_bus_svg(bus, at(bus["position"])) for bus in placed]
    parts.append(
        f"<text x='10' y='{height - 8}' font-size='12'>worst loading after restoration in "
        "any single outage: green up to 60%, amber 90%, orange 100%, red above</text></svg>"
    )
    return "".join(parts)


def _bus_svg(bus: dict[str, Any], where: str) -> str:
    """A bus on the plan: a dot (a square for a source), its label, its voltage as a tooltip."""
    x, y = (float(c) for c in where.split(","))
    if bus["source"]:
        volts = source_text(bus)
        mark = f"<rect x='{x - 5:.1f}' y='{y - 5:.1f}' width='10' height='10' fill='#1c7ed6'>"
    else:
        volts = "no supply" if bus["v_pu"] is None else f"{bus['v_pu']:.3f} pu at the moment"
        mark = f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3.5' fill='#495057'>"
    label = bus["label"] if len(bus["label"]) <= 24 else bus["label"][:23] + "…"
    return (
        f"{mark}<title>{html.escape(bus['id'])}: {html.escape(volts)}</title>"
        f"{'</rect>' if bus['source'] else '</circle>'}"
        f"<text x='{x + 6:.1f}' y='{y - 6:.1f}' font-size='10' fill='#343a40'>"
        f"{html.escape(label)}</text>"
    )
