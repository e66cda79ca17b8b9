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
from twin.language import Language, say, unit_text
from twin.model.intervals import Clock
from twin.model.schema import Park, Scenario
from twin.reports.charts import svg_chart, svg_intervals
from twin.reports.page import (
    Markup,
    html_heading,
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


def profile_charts(traces: dict[str, Trace | None], lang: Language = "en") -> str:
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
    hour = say("chart.hour", lang)
    return (
        html_heading(2, say("compare.profiles", lang))
        + html_heading(3, say("compare.profile_queues", lang))
        + svg_chart(queues, hour, say("chart.trucks_waiting", lang), lang=lang)
        + html_heading(3, say("compare.profile_power", lang))
        + svg_chart(power, hour, "MW", lang=lang)
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


def comparison_report(comparison: Comparison) -> tuple[str, str]:
    """The human report of a comparison, as Markdown and as a self-contained HTML page.

    It is written in the comparison's language, assets by name, and opens with the summary a
    manager reads first (:mod:`twin.experiment.summary`).
    """
    doc = comparison.to_dict()
    s = comparison.settings
    lang = comparison.lang
    baseline = say("word.baseline", lang)
    title = say("compare.title", lang, park=comparison.baseline.park,
                scenarios=", ".join(comparison.labels))  # fmt: skip
    intro = [
        say("compare.intro", lang, n=comparison.replications, seed=s.seed, days=f"{s.days:g}",
            warmup=f"{s.warmup_days:.3g}"),
        *describe_choices(doc, lang),
        *few_replications(comparison.replications, lang),
    ]  # fmt: skip
    summary = doc["summary"]["text"]
    verdicts = comparison.verdicts()
    changed, unchanged, hidden = comparison.shown_kpis()
    by_key = {(r.kpi, r.scenario): r for r in comparison.rows()}
    significance = say("compare.significance", lang)
    md = [md_heading(1, title), "", md_heading(2, say("compare.summary", lang)), ""]
    md += [_md_summary_line(line) for line in summary[:-1]]
    md += ["", md_text(summary[-1]), "", *map(md_text, intro), ""]
    md += [md_heading(2, say("compare.verdict", lang)), "", *md_list(verdicts), ""]
    md += [md_heading(2, say("compare.changes", lang)), "", md_text(significance), ""]
    head, cells = _change_table(comparison, changed + unchanged, by_key, markdown=True)
    md += md_table(head, cells)
    if hidden:
        md += ["", md_text(say("compare.hidden", lang, n=hidden))]
    head, cells = _change_table(comparison, changed + unchanged, by_key, markdown=False)
    body = (
        html_heading(2, say("compare.summary", lang))
        + _summary_html(summary[:-1])
        + f"<p style='color:#555'>{html_text(summary[-1])}</p>"
        + html_paragraphs(intro)
        + html_heading(2, say("compare.verdict", lang))
        + html_list(verdicts)
        + html_heading(2, say("compare.changes", lang))
        + html_paragraphs([significance])
        + html_table(head, cells, numeric=range(2, len(head)))
        + _interval_charts(comparison, changed, by_key)
        + profile_charts(_traces(comparison, baseline), lang)
        + _every_kpi_html(comparison)
    )
    return "\n".join(md) + "\n", page_html(title, body, lang)


def few_replications(replications: int, lang: Language) -> list[str]:
    """A note that the intervals are wide because of few replications (2 or 3), else none."""
    return [say("note.few_replications", lang, n=replications)] if 2 <= replications <= 3 else []


def _md_summary_line(line: str) -> str:
    """A summary line as a Markdown list item; a scenario's details nested under its verdict."""
    indent = "  " if line.startswith("  ") else ""
    return f"{indent}- {md_text(line.strip())}"


def _summary_html(lines: Sequence[str]) -> str:
    """The summary: a scenario's verdict, then its indented details as a list."""
    parts: list[str] = []
    items: list[str] = []
    for line in lines:
        if line.startswith("  "):
            items.append(line.strip())
            continue
        if items:
            parts.append(html_list(items))
            items = []
        parts.append(f"<p><b>{html_text(line)}</b></p>")
    if items:
        parts.append(html_list(items))
    return "".join(parts)


def _change_cell(row: Row | None, lang: Language, bold: Callable[[str], str] | None = None) -> str:
    """A scenario's change of one KPI for a table, through `bold` when significant."""
    if row is None or math.isnan(row.delta):
        return "-"
    change = row.change(lang=lang)
    text = (
        f"{change} ({fmt(row.delta_pct, lang=lang)}%)" if not math.isnan(row.delta_pct) else change
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
    lang = comparison.lang
    words = [say(k, lang) for k in ("word.kpi", "word.unit", "word.baseline")]
    head = [*words, *(comparison.column(label) for label in labels)]
    bold = _md_bold if markdown else _html_bold
    cells = []
    for kpi in kpis:
        base = by_key.get((kpi, labels[0]))
        changes = [_change_cell(by_key.get((kpi, label)), lang, bold) for label in labels]
        unit = unit_text(base.unit, lang) if base else ""
        base_mean = fmt(base.baseline_mean if base else None, lang=lang)
        cells.append([comparison.label(kpi), unit, base_mean, *changes])
    return head, cells


def _md_bold(text: str) -> str:
    return f"**{md_text(text)}**"


def _html_bold(text: str) -> str:
    return f"<b>{html_text(text)}</b>"


def _interval_charts(
    comparison: Comparison, changed: Sequence[str], by_key: dict[tuple[str, str], Row]
) -> str:
    """The 95% intervals of every case, side by side, for the KPIs that changed (16 at most)."""
    labels = comparison.labels
    baseline = say("word.baseline", comparison.lang)
    chart_kpis = [k for k, _ in VERDICT_KPIS if k in changed] + [
        k for k in changed if k not in dict(VERDICT_KPIS)
    ]
    charts = []
    for kpi in chart_kpis[:16]:
        entries = []
        first = by_key.get((kpi, labels[0]))
        if first is not None:
            entries.append((baseline, first.baseline_mean, *first.baseline_ci95))
        for label in labels:
            row = by_key.get((kpi, label))
            if row is not None:
                entries.append((label, row.mean, *row.ci95))
        unit = unit_text(first.unit, comparison.lang) if first is not None else ""
        charts.append(svg_intervals(comparison.label(kpi), unit, entries, lang=comparison.lang))
    if not charts:
        return ""
    return (
        html_heading(2, say("compare.intervals", comparison.lang)) + f"<div>{''.join(charts)}</div>"
    )


def _traces(comparison: Comparison, baseline: str) -> dict[str, Trace | None]:
    """The kept trace of each case, by label (the baseline's under `baseline`)."""
    traces = {baseline: comparison.baseline.trace}
    pairs = zip(comparison.labels, comparison.scenarios, strict=True)
    traces.update({label: e.trace for label, e in pairs})
    return traces


def _every_kpi_html(comparison: Comparison) -> str:
    """Every row of the comparison, folded."""
    lang = comparison.lang
    rows = comparison.rows()
    head = [say(k, lang) for k in ("word.scenario", "word.kpi", "word.unit", "word.baseline",
                                   "word.scenario", "word.change")]  # fmt: skip
    cells = [
        [r.scenario, comparison.label(r.kpi), unit_text(r.unit, lang),
         fmt(r.baseline_mean, lang=lang), fmt(r.mean, lang=lang), _change_cell(r, lang)]
        for r in rows
    ]  # fmt: skip
    marked = {i for i, r in enumerate(rows) if r.significant}
    table = html_table(head, cells, numeric={3, 4, 5}, marked=marked)
    title = html_heading(2, say("compare.every_kpi", lang))
    return f"{title}<details><summary>{say('word.show', lang)}</summary>{table}</details>"


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
