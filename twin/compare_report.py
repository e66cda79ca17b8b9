"""Result files of `parktwin compare` and `parktwin sweep`, and their human reports.

compare writes comparison.json, comparison.csv, report.md and report.html (plus the resolved
baseline park and scenarios); sweep writes sweep.json, sweep.csv, report.md and report.html.
Every file goes through :mod:`twin.output` (temporary name, then rename). The HTML pages are
self-contained: inline CSS and inline SVG charts, no external URLs, so they open offline.

The table, number format, line chart and page shell are :mod:`twin.report`'s; this module adds
the interval chart and the hour-of-day profiles.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from twin.comparison import VERDICT_KPIS, Comparison, Row
from twin.experiment import Experiment, describe_choices
from twin.intervals import Clock
from twin.load import dump_park
from twin.output import atomic_write_text
from twin.report import PALETTE, csv_text, fmt, page_html, svg_chart
from twin.schema import Park, Scenario
from twin.stats import summarize
from twin.sweeps import Sweep, labels_of
from twin.trace import Trace

# --------------------------------------------------------------------------- charts


def svg_intervals(
    title: str,
    unit: str,
    entries: Sequence[tuple[str, float, float, float]],
    width: int = 460,
) -> str:
    """A small inline SVG of 95% intervals side by side: one row per case.

    Args:
        title: the KPI's name, above the chart.
        unit: the unit, under the axis.
        entries: ``(case, mean, low, high)`` per row, top to bottom.
        width: the picture's width in pixels.

    Returns:
        The ``<svg>`` element (or a note when there is nothing to draw).
    """
    finite = [e for e in entries if not any(math.isnan(v) for v in e[1:])]
    if not finite:
        return f"<p>{html.escape(title)}: (no data)</p>"
    left, right, top, row_h = 130, 70, 22, 20
    height = top + row_h * len(entries) + 26
    lo = min(e[2] for e in finite)
    hi = max(e[3] for e in finite)
    pad = (hi - lo) * 0.08 or max(abs(hi), 1.0) * 0.05
    x0, x1 = lo - pad, hi + pad
    if lo >= 0 > x0:  # a KPI that cannot be negative gets no negative axis
        x0 = 0.0
    pw = width - left - right

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
        f'<text x="4" y="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    axis_y = top + row_h * len(entries) + 4
    for k in range(5):
        xv = x0 + (x1 - x0) * k / 4
        xp = sx(xv)
        parts.append(
            f'<line x1="{xp:.1f}" x2="{xp:.1f}" y1="{top}" y2="{axis_y}" stroke="#eee"/>'
            f'<text x="{xp:.1f}" y="{axis_y + 12}" text-anchor="middle">{fmt(xv)}</text>'
        )
    parts.append(
        f'<text x="{left + pw / 2:.1f}" y="{height - 1}" text-anchor="middle">'
        f"{html.escape(unit)}</text>"
    )
    for n, (name, mean, low, high) in enumerate(entries):
        y = top + row_h * n + row_h / 2
        color = PALETTE[n % len(PALETTE)]
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{html.escape(name)}</text>'
        )
        if any(math.isnan(v) for v in (mean, low, high)):
            continue
        parts.append(
            f'<line x1="{sx(low):.1f}" x2="{sx(high):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{color}" stroke-width="2"/>'
            f'<line x1="{sx(low):.1f}" x2="{sx(low):.1f}" y1="{y - 5:.1f}" y2="{y + 5:.1f}" '
            f'stroke="{color}"/><line x1="{sx(high):.1f}" x2="{sx(high):.1f}" '
            f'y1="{y - 5:.1f}" y2="{y + 5:.1f}" stroke="{color}"/>'
            f'<circle cx="{sx(mean):.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>'
            f'<text x="{left + pw + 6}" y="{y + 4:.1f}">{fmt(mean)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def hourly_profile(trace: Trace, values: np.ndarray) -> np.ndarray:
    """Average of a per-step series by hour of day (park time) over the horizon: 24 values."""
    starts = trace.edges[:-1]
    inside = starts >= 0
    offset = Clock.of(str(trace.meta.get("start", "2026-01-05T00:00"))).start_offset_min
    hour = np.floor((starts[inside] + offset) / 60.0).astype(np.int64) % 24
    weight = np.diff(trace.edges)[inside]
    total = np.bincount(hour, weights=np.asarray(values)[inside] * weight, minlength=24)
    time = np.bincount(hour, weights=weight, minlength=24)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(time > 0, total / np.where(time > 0, time, 1.0), np.nan)


def profile_charts(traces: dict[str, Trace | None]) -> str:
    """Hour-of-day profiles of dock queues and power drawn, one line per case."""
    hours = np.arange(24, dtype=float)
    queues: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    power: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, trace in traces.items():
        if trace is None:
            continue
        queue = trace.series["dock_queue_mean"]
        queues[name] = (hours, hourly_profile(trace, queue.sum(axis=1)))
        served = trace.series["building_power_served_kw"].sum(axis=1) / 1000.0
        power[name] = (hours, hourly_profile(trace, served))
    if not queues:
        return ""
    return (
        "<h2>Hourly profiles (replication 0, averaged by hour of day)</h2>"
        "<h3>Trucks waiting at docks, all groups</h3>"
        + svg_chart(queues, "hour of day", "trucks waiting")
        + "<h3>Power drawn (served), park</h3>"
        + svg_chart(power, "hour of day", "MW")
    )


# --------------------------------------------------------------------------- compare


def comparison_csv_rows(comparison: Comparison) -> list[dict[str, object]]:
    """comparison.csv: the rows of comparison.json with intervals as two columns."""
    return [
        {
            "kpi": r.kpi,
            "scenario": r.scenario,
            "unit": r.unit,
            "mean": d["mean"],
            "ci95_low": d["ci95"][0],
            "ci95_high": d["ci95"][1],
            "baseline_mean": d["baseline_mean"],
            "delta": d["delta"],
            "delta_pct": d["delta_pct"],
            "delta_ci95_low": d["delta_ci95"][0],
            "delta_ci95_high": d["delta_ci95"][1],
            "significant": d["significant"],
        }
        for r in comparison.rows()
        for d in [r.to_dict()]
    ]


def _intro(doc: dict[str, Any], settings_line: str) -> list[str]:
    return [settings_line, *describe_choices(doc)]


def comparison_report(comparison: Comparison) -> tuple[str, str]:
    """The human report of a comparison, as Markdown and as a self-contained HTML page."""
    doc = comparison.to_dict()
    s = comparison.settings
    title = f"{comparison.baseline.park}: baseline against {', '.join(comparison.labels)}"
    intro = _intro(
        doc,
        f"{comparison.replications} paired replication(s) per case with common random numbers, "
        f"seed {s.seed}, {s.days:g} days after {s.warmup_days:.3g} warm-up day(s). A change is "
        "significant when the 95% interval of the paired differences excludes 0.",
    )
    verdicts = comparison.verdicts()
    changed, unchanged, hidden = comparison.shown_kpis()
    by_key = {(r.kpi, r.scenario): r for r in comparison.rows()}
    labels = comparison.labels

    def cell(row: Row | None, bold: tuple[str, str]) -> str:
        if row is None or math.isnan(row.delta):
            return "-"
        text = (
            f"{row.change()} ({fmt(row.delta_pct)}%)"
            if not math.isnan(row.delta_pct)
            else row.change()
        )
        return f"{bold[0]}{text}{bold[1]}" if row.significant else text

    md = [f"# {title}", "", *intro, "", "## Verdict", "", *[f"- {v}" for v in verdicts], ""]
    md += ["## Changes", "", "Bold: significant. Change: mean of the paired differences "
           "[95% interval] (relative to the baseline mean).", ""]  # fmt: skip
    md.append("| KPI | unit | baseline | " + " | ".join(labels) + " |")
    md.append("|---|---|---|" + "---|" * len(labels))
    for kpi in changed + unchanged:
        base = by_key.get((kpi, labels[0]))
        cells = [cell(by_key.get((kpi, label)), ("**", "**")) for label in labels]
        md.append(
            f"| {kpi} | {base.unit if base else ''} | {fmt(base.baseline_mean if base else None)}"
            f" | " + " | ".join(cells) + " |"
        )
    if hidden:
        md += ["", f"{hidden} more KPIs (each dock group, production) in comparison.csv."]
    markdown = "\n".join(md) + "\n"

    head = "".join(f"<th>{html.escape(label)}</th>" for label in labels)
    body_rows = []
    for kpi in changed + unchanged:
        base = by_key.get((kpi, labels[0]))
        tds = "".join(
            f"<td class=n>{cell(by_key.get((kpi, label)), ('<b>', '</b>'))}</td>"
            for label in labels
        )
        body_rows.append(
            f"<tr><td>{html.escape(kpi)}</td><td>{base.unit if base else ''}</td>"
            f"<td class=n>{fmt(base.baseline_mean if base else None)}</td>{tds}</tr>"
        )
    charts = []
    chart_kpis = [k for k, _ in VERDICT_KPIS if k in changed] + [
        k for k in changed if k not in dict(VERDICT_KPIS)
    ]
    for kpi in chart_kpis[:16]:
        entries = []
        for label in ["baseline", *labels]:
            row = by_key.get((kpi, labels[0] if label == "baseline" else label))
            if row is None:
                continue
            if label == "baseline":
                entries.append((label, row.baseline_mean, *row.baseline_ci95))
            else:
                entries.append((label, row.mean, *row.ci95))
        unit = by_key[(kpi, labels[0])].unit if (kpi, labels[0]) in by_key else ""
        charts.append(svg_intervals(kpi, unit, entries))
    traces = {"baseline": comparison.baseline.trace}
    traces.update({label: e.trace for label, e in zip(labels, comparison.scenarios, strict=True)})
    all_rows = "".join(
        f"<tr{' class=sig' if r.significant else ''}><td>{html.escape(r.scenario)}</td>"
        f"<td>{html.escape(r.kpi)}</td><td>{r.unit}</td><td class=n>{fmt(r.baseline_mean)}</td>"
        f"<td class=n>{fmt(r.mean)}</td><td class=n>{cell(r, ('', ''))}</td></tr>"
        for r in comparison.rows()
    )
    body = (
        "".join(f"<p>{html.escape(line)}</p>" for line in intro)
        + "<h2>Verdict</h2><ul>"
        + "".join(f"<li>{html.escape(v)}</li>" for v in verdicts)
        + "</ul><h2>Changes</h2><p>Bold: significant. Change: mean of the paired differences "
        "[95% interval] (relative to the baseline mean).</p>"
        f"<table><tr><th>KPI</th><th>unit</th><th>baseline</th>{head}</tr>"
        + "".join(body_rows)
        + "</table>"
        + (
            "<h2>95% intervals, side by side</h2><div>" + "".join(charts) + "</div>"
            if charts
            else ""
        )
        + profile_charts(traces)
        + "<h2>Every KPI</h2><details><summary>show</summary><table><tr><th>scenario</th>"
        "<th>KPI</th><th>unit</th><th>baseline</th><th>scenario</th><th>change</th></tr>"
        + all_rows
        + "</table></details>"
    )
    return markdown, page_html(title, body)


def write_comparison(
    out: Path,
    comparison: Comparison,
    park: Park,
    scenarios: Sequence[Scenario] = (),
) -> list[Path]:
    """Write every file of `parktwin compare --out DIR`; return their paths."""
    markdown, page = comparison_report(comparison)
    documents = [s.model_dump(mode="json", by_alias=True, exclude_none=True) for s in scenarios]
    return [
        atomic_write_text(
            out / "comparison.json",
            json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False) + "\n",
        ),
        atomic_write_text(out / "comparison.csv", csv_text(comparison_csv_rows(comparison))),
        atomic_write_text(out / "park.yaml", dump_park(park)),
        atomic_write_text(
            out / "scenarios.json", json.dumps(documents, indent=2, ensure_ascii=False) + "\n"
        ),
        atomic_write_text(out / "report.md", markdown),
        atomic_write_text(out / "report.html", page),
    ]


# --------------------------------------------------------------------------- sweep


def _interval(experiment: Experiment, kpi: str) -> tuple[float, float, float]:
    if kpi not in experiment.values:
        return math.nan, math.nan, math.nan
    s = summarize(experiment.values[kpi])
    return s.mean, s.ci95[0], s.ci95[1]


def sweep_csv_rows(sweep: Sweep) -> list[dict[str, object]]:
    """sweep.csv: one row per point and KPI, every KPI."""
    names = labels_of(sweep.varies)
    rows: list[dict[str, object]] = []
    for point, experiment in zip(sweep.points, sweep.experiments, strict=True):
        for kpi, k in experiment.to_dict()["kpis"].items():
            row: dict[str, object] = dict(zip(names, point, strict=True))
            row.update(
                {"kpi": kpi, "unit": k["unit"], "mean": k["mean"], "std": k["std"],
                 "ci95_low": k["ci95"][0], "ci95_high": k["ci95"][1]}
            )  # fmt: skip
            rows.append(row)
    return rows


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def sweep_charts(sweep: Sweep) -> str:
    """One line chart per shown KPI against the first parameter (a line per second value)."""
    first = sweep.varies[0]
    names = labels_of(sweep.varies)
    numeric = _numeric(first.values)
    xs = {v: (float(v) if numeric else float(k)) for k, v in enumerate(first.values)}
    xlabel = (
        names[0]
        if numeric
        else f"{names[0]} (" + ", ".join(f"{k}={v}" for k, v in enumerate(first.values)) + ")"
    )
    parts = []
    for kpi in sweep.kpis:
        lines: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if len(sweep.varies) == 1:
            stats = [_interval(e, kpi) for e in sweep.experiments]
            x = np.array([xs[p[0]] for p in sweep.points])
            lines["mean"] = (x, np.array([s[0] for s in stats]))
            if sweep.replications > 1:
                lines["95% low"] = (x, np.array([s[1] for s in stats]))
                lines["95% high"] = (x, np.array([s[2] for s in stats]))
        else:
            for value in sweep.varies[1].values:
                chosen = [
                    (p, e)
                    for p, e in zip(sweep.points, sweep.experiments, strict=True)
                    if p[1] == value
                ]
                lines[f"{names[1]}={value}"] = (
                    np.array([xs[p[0]] for p, _ in chosen]),
                    np.array([_interval(e, kpi)[0] for _, e in chosen]),
                )
        unit = sweep.experiments[0].to_dict()["kpis"].get(kpi, {}).get("unit", "")
        parts.append(f"<h3>{html.escape(kpi)}</h3>" + svg_chart(lines, xlabel, unit))
    return "".join(parts)


def sweep_report(sweep: Sweep) -> tuple[str, str]:
    """The human report of a sweep, as Markdown and as a self-contained HTML page."""
    doc = sweep.to_dict()
    s = sweep.settings
    names = labels_of(sweep.varies)
    what = " and ".join(f"{v.path}" for v in sweep.varies)
    title = f"{sweep.park}" + (f" — {sweep.scenario}" if sweep.scenario else "") + f": {what}"
    intro = _intro(
        doc,
        f"{sweep.replications} replication(s) per point with common random numbers, seed "
        f"{s.seed}, {s.days:g} days after {s.warmup_days:.3g} warm-up day(s); "
        "mean [95% interval].",
    )
    header = [*names, *sweep.kpis]
    table = []
    for point, experiment in zip(sweep.points, sweep.experiments, strict=True):
        cells = [str(v) for v in point]
        for kpi in sweep.kpis:
            mean, lo, hi = _interval(experiment, kpi)
            cells.append(
                f"{fmt(mean)} [{fmt(lo)}, {fmt(hi)}]" if sweep.replications > 1 else fmt(mean)
            )
        table.append(cells)
    md = [f"# {title}", "", *intro, ""]
    md.append("| " + " | ".join(header) + " |")
    md.append("|" + "---|" * len(header))
    md += ["| " + " | ".join(row) + " |" for row in table]
    markdown = "\n".join(md) + "\n"
    body = (
        "".join(f"<p>{html.escape(line)}</p>" for line in intro)
        + "<h2>Charts</h2>"
        + sweep_charts(sweep)
        + "<h2>Table</h2><table><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in header)
        + "</tr>"
        + "".join(
            "<tr>" + "".join(f"<td class=n>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in table
        )
        + "</table>"
    )
    return markdown, page_html(title, body)


def write_sweep(out: Path, sweep: Sweep, park: Park) -> list[Path]:
    """Write every file of `parktwin sweep --out DIR`; return their paths."""
    markdown, page = sweep_report(sweep)
    return [
        atomic_write_text(
            out / "sweep.json", json.dumps(sweep.to_dict(), indent=2, ensure_ascii=False) + "\n"
        ),
        atomic_write_text(out / "sweep.csv", csv_text(sweep_csv_rows(sweep))),
        atomic_write_text(out / "park.yaml", dump_park(park)),
        atomic_write_text(out / "report.md", markdown),
        atomic_write_text(out / "report.html", page),
    ]
