"""Result files: kpis.json, kpis.csv, the trace, the resolved park, report.md and report.html.

Every file goes through :mod:`twin.output` (written to a temporary name, then renamed), so a
failed or interrupted command never leaves a half-written file. The HTML report is one
self-contained page: charts are inline SVG, there are no external URLs.
"""

from __future__ import annotations

import csv
import html
import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from twin.experiment import Experiment, describe_choices
from twin.load import dump_park
from twin.output import atomic_write_text
from twin.schema import Park, Scenario
from twin.trace import Trace

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")


def kpi_rows(experiment: Experiment) -> list[dict[str, object]]:
    """One row per KPI: name, unit, mean, std, 95% interval."""
    doc = experiment.to_dict()["kpis"]
    return [
        {"kpi": name, "unit": k["unit"], "mean": k["mean"], "std": k["std"],
         "ci95_low": k["ci95"][0], "ci95_high": k["ci95"][1]}
        for name, k in doc.items()
    ]  # fmt: skip


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


def write_run(
    out: Path, experiment: Experiment, park: Park, scenario: Scenario | None = None
) -> list[Path]:
    """Write every result file of `parktwin run --out DIR`; return their paths."""
    written = [
        atomic_write_text(out / "kpis.json", experiment.to_json() + "\n"),
        atomic_write_text(out / "kpis.csv", csv_text(kpi_rows(experiment))),
        atomic_write_text(out / "park.yaml", dump_park(park)),
    ]
    if scenario is not None:
        written.append(
            atomic_write_text(
                out / "scenario.json",
                scenario.model_dump_json(by_alias=True, indent=2, exclude_none=True),
            )
        )
    if experiment.trace is not None:
        written.append(experiment.trace.save(out / "trace.npz"))
    markdown, page = run_report(experiment)
    written.append(atomic_write_text(out / "report.md", markdown))
    written.append(atomic_write_text(out / "report.html", page))
    return written


def run_report(experiment: Experiment) -> tuple[str, str]:
    """The human report of a run, as Markdown and as a self-contained HTML page."""
    title = f"{experiment.park}" + (f" — {experiment.scenario}" if experiment.scenario else "")
    s = experiment.settings
    intro = (
        f"{experiment.replications} replication(s), seed {s.seed}, {s.days:g} days after "
        f"{s.warmup_days:g} warm-up day(s). Intervals are Student-t 95% intervals of the mean."
    )
    choices = describe_choices(experiment.to_dict())
    if choices:
        intro += " " + " ".join(line if line.endswith(".") else line + "." for line in choices)
    rows = kpi_rows(experiment)
    lines = [
        f"# {title}",
        "",
        intro,
        "",
        "| KPI | unit | mean | 95% interval |",
        "|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['kpi']} | {row['unit']} | {fmt(row['mean'])} | "
            f"[{fmt(row['ci95_low'])}, {fmt(row['ci95_high'])}] |"
        )
    table = "".join(
        f"<tr><td>{html.escape(str(r['kpi']))}</td><td>{r['unit']}</td>"
        f"<td class=n>{fmt(r['mean'])}</td>"
        f"<td class=n>[{fmt(r['ci95_low'])}, {fmt(r['ci95_high'])}]</td></tr>"
        for r in rows
    )
    charts = trace_charts(experiment.trace) if experiment.trace is not None else ""
    page = page_html(
        title,
        f"<p>{html.escape(intro)}</p>{charts}<h2>KPIs</h2><table><tr><th>KPI</th><th>unit</th>"
        f"<th>mean</th><th>95% interval</th></tr>{table}</table>",
    )
    return "\n".join(lines) + "\n", page


def trace_charts(trace: Trace) -> str:
    """Charts of replication 0: park power and dock queues over the horizon."""
    mask = trace.edges[:-1] >= 0
    days = trace.edges[:-1][mask] / 1440.0
    power = trace.series["building_power_demand_kw"][mask].sum(axis=1) / 1000.0
    served = trace.series["building_power_served_kw"][mask].sum(axis=1) / 1000.0
    queues = trace.series["dock_queue_mean"][mask]
    busiest: list[int] = np.argsort(-queues.mean(axis=0))[:5].tolist() if queues.size else []
    return (
        "<h2>Power (replication 0)</h2>"
        + svg_chart({"demand": (days, power), "served": (days, served)}, "day", "MW")
        + "<h2>Dock queues (replication 0, busiest groups)</h2>"
        + svg_chart(
            {trace.names["dock_groups"][j]: (days, queues[:, j]) for j in busiest},
            "day",
            "trucks waiting",
        )
    )


def nice_ticks(low: float, high: float, count: int = 5, inside: bool = False) -> list[float]:
    """About `count` round tick values (steps of 1, 2 or 5 times a power of ten) covering
    ``[low, high]``; with `inside`, only those within it."""
    if not high > low:
        return [low]
    raw = (high - low) / count
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = np.floor(low / step) * step
    ticks = [
        float(round(first + k * step, 12)) for k in range(int(np.ceil((high - first) / step)) + 1)
    ]
    if inside:
        ticks = [t for t in ticks if low - 1e-9 <= t <= high + 1e-9]
    return ticks


def svg_chart(
    lines: dict[str, tuple[np.ndarray, np.ndarray]],
    xlabel: str,
    ylabel: str,
    width: int = 760,
    height: int = 260,
) -> str:
    """A small inline SVG line chart with axes, ticks and a legend."""
    if not lines:
        return "<p>(no data)</p>"
    left, right, top, bottom = 56, 150, 12, 36
    xs = np.concatenate([x for x, _ in lines.values()])
    ys = np.concatenate([y for _, y in lines.values()])
    x0, x1 = float(xs.min()), float(xs.max()) or 1.0
    top_value = float(np.nanmax(ys)) if ys.size and np.isfinite(np.nanmax(ys)) else 1.0
    y_ticks = nice_ticks(0.0, top_value if top_value > 0 else 1.0)
    y1 = max(float(y_ticks[-1]), top_value)
    pw, ph = width - left - right, height - top - bottom

    def sx(x: np.ndarray) -> np.ndarray:
        return left + (x - x0) / ((x1 - x0) or 1.0) * pw

    def sy(y: np.ndarray) -> np.ndarray:
        return top + ph - y / y1 * ph

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ccc"/>',
    ]
    for yv in y_ticks:
        yp = sy(np.array(yv))
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{yp:.1f}" y2="{yp:.1f}" stroke="#eee"/>'
        )
        parts.append(f'<text x="{left - 4}" y="{yp + 4:.1f}" text-anchor="end">{fmt(yv)}</text>')
    for xv in nice_ticks(x0, x1, inside=True):
        xp = sx(np.array(xv))
        parts.append(
            f'<text x="{xp:.1f}" y="{top + ph + 14}" text-anchor="middle">{fmt(xv, 2)}</text>'
        )
    parts.append(
        f'<text x="{left + pw / 2}" y="{height - 4}" text-anchor="middle">{html.escape(xlabel)}'
        f'</text><text x="12" y="{top + ph / 2}" transform="rotate(-90 12 {top + ph / 2})" '
        f'text-anchor="middle">{html.escape(ylabel)}</text>'
    )
    for n, (name, (x, y)) in enumerate(lines.items()):
        color = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx(x), sy(y), strict=True))
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{points}"/>'
        )
        ly = top + 14 + 16 * n
        parts.append(
            f'<line x1="{left + pw + 10}" x2="{left + pw + 28}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{color}" stroke-width="3"/><text x="{left + pw + 32}" y="{ly}">'
            f"{html.escape(str(name))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def page_html(title: str, body: str) -> str:
    """A self-contained HTML page (inline CSS, no external resources)."""
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 8px;"
        "text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
        ".sig{font-weight:bold}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}"
        "<p style='color:#888'>Made by parktwin.</p></body></html>"
    )
