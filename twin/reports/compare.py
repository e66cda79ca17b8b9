"""Result files of `parktwin compare`, and its human report.

compare writes comparison.json, comparison.csv, report.md and report.html (plus the resolved
baseline park and scenarios). Every file goes through :mod:`twin.io.output` (temporary name, then
rename). The HTML page is self-contained: inline CSS and inline SVG charts
(:mod:`twin.reports.charts`), no external URLs, so it opens offline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from twin.experiment.comparison import VERDICT_KPIS, Comparison, Row
from twin.experiment.results import describe_choices
from twin.io.dump import dump_park
from twin.io.output import atomic_write_text
from twin.model.intervals import Clock
from twin.model.schema import Park, Scenario
from twin.reports.charts import svg_chart, svg_intervals
from twin.reports.page import (
    Markup,
    html_list,
    html_paragraphs,
    html_table,
    html_text,
    md_heading,
    md_list,
    md_table,
    md_text,
    page_html,
)
from twin.sim.trace import Trace
from twin.text import csv_text, fmt


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


SIGNIFICANCE = (
    "Bold: significant. Change: mean of the paired differences [95% interval] (relative to "
    "the baseline mean)."
)


def comparison_report(comparison: Comparison) -> tuple[str, str]:
    """The human report of a comparison, as Markdown and as a self-contained HTML page."""
    doc = comparison.to_dict()
    s = comparison.settings
    title = f"{comparison.baseline.park}: baseline against {', '.join(comparison.labels)}"
    intro = [
        f"{comparison.replications} paired replication(s) per case with common random numbers, "
        f"seed {s.seed}, {s.days:g} days after {s.warmup_days:.3g} warm-up day(s). A change is "
        "significant when the 95% interval of the paired differences excludes 0.",
        *describe_choices(doc),
    ]
    verdicts = comparison.verdicts()
    changed, unchanged, hidden = comparison.shown_kpis()
    by_key = {(r.kpi, r.scenario): r for r in comparison.rows()}
    md = [md_heading(1, title), "", *map(md_text, intro), "", "## Verdict", "", *md_list(verdicts)]
    md += ["", "## Changes", "", SIGNIFICANCE, ""]
    head, cells = _change_table(comparison, changed + unchanged, by_key, markdown=True)
    md += md_table(head, cells)
    if hidden:
        md += ["", f"{hidden} more KPIs (each dock group, production) in comparison.csv."]
    head, cells = _change_table(comparison, changed + unchanged, by_key, markdown=False)
    body = (
        html_paragraphs(intro)
        + "<h2>Verdict</h2>"
        + html_list(verdicts)
        + f"<h2>Changes</h2><p>{SIGNIFICANCE}</p>"
        + html_table(head, cells, numeric=range(2, len(head)))
        + _interval_charts(comparison.labels, changed, by_key)
        + profile_charts(_traces(comparison))
        + _every_kpi_html(comparison.rows())
    )
    return "\n".join(md) + "\n", page_html(title, body)


def _change_cell(row: Row | None, bold: Callable[[str], str] | None = None) -> str:
    """A scenario's change of one KPI for a table, through `bold` when significant."""
    if row is None or math.isnan(row.delta):
        return "-"
    text = (
        f"{row.change()} ({fmt(row.delta_pct)}%)" if not math.isnan(row.delta_pct) else row.change()
    )
    return Markup(bold(text)) if bold is not None and row.significant else text


def _change_table(
    comparison: Comparison,
    kpis: Sequence[str],
    by_key: dict[tuple[str, str], Row],
    markdown: bool,
) -> tuple[list[str], list[list[str]]]:
    """The table of the shown KPIs: unit, baseline mean, each scenario's change.

    The scenarios' column headings say when pairs are missing; a significant change is bold.
    """
    labels = comparison.labels
    head = ["KPI", "unit", "baseline", *(comparison.column(label) for label in labels)]
    bold = _md_bold if markdown else _html_bold
    cells = []
    for kpi in kpis:
        base = by_key.get((kpi, labels[0]))
        changes = [_change_cell(by_key.get((kpi, label)), bold) for label in labels]
        cells.append(
            [kpi, base.unit if base else "", fmt(base.baseline_mean if base else None), *changes]
        )
    return head, cells


def _md_bold(text: str) -> str:
    return f"**{md_text(text)}**"


def _html_bold(text: str) -> str:
    return f"<b>{html_text(text)}</b>"


def _interval_charts(
    labels: Sequence[str], changed: Sequence[str], by_key: dict[tuple[str, str], Row]
) -> str:
    """The 95% intervals of every case, side by side, for the KPIs that changed (16 at most)."""
    chart_kpis = [k for k, _ in VERDICT_KPIS if k in changed] + [
        k for k in changed if k not in dict(VERDICT_KPIS)
    ]
    charts = []
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
    if not charts:
        return ""
    return "<h2>95% intervals, side by side</h2><div>" + "".join(charts) + "</div>"


def _traces(comparison: Comparison) -> dict[str, Trace | None]:
    """The kept trace of each case, by label."""
    traces = {"baseline": comparison.baseline.trace}
    pairs = zip(comparison.labels, comparison.scenarios, strict=True)
    traces.update({label: e.trace for label, e in pairs})
    return traces


def _every_kpi_html(rows: Sequence[Row]) -> str:
    """Every row of the comparison, folded."""
    head = ["scenario", "KPI", "unit", "baseline", "scenario", "change"]
    cells = [
        [r.scenario, r.kpi, r.unit, fmt(r.baseline_mean), fmt(r.mean), _change_cell(r)]
        for r in rows
    ]
    marked = {i for i, r in enumerate(rows) if r.significant}
    table = html_table(head, cells, numeric={3, 4, 5}, marked=marked)
    return f"<h2>Every KPI</h2><details><summary>show</summary>{table}</details>"


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
