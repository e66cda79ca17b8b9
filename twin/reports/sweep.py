"""Result files of `parktwin sweep`, and its human report.

sweep writes sweep.json, sweep.csv, report.md and report.html (plus the resolved park), through
:mod:`twin.io.output`; the page's charts (:mod:`twin.reports.charts`) plot each KPI against the
varied parameter with its 95% interval.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from twin.experiment.results import Experiment, describe_choices
from twin.experiment.sweeps import Sweep, labels_of
from twin.io.dump import dump_park
from twin.io.output import atomic_write_text
from twin.language import say, unit_text
from twin.model.labels import kpi_label
from twin.model.schema import Park
from twin.reports.charts import svg_chart
from twin.reports.page import (
    html_heading,
    html_list,
    html_paragraphs,
    html_table,
    md_heading,
    md_list,
    md_table,
    md_text,
    page_html,
)
from twin.sim.kpi import kpi_range, unit_of
from twin.stats import summarize
from twin.text import csv_text, fmt, interval_text


def _interval(experiment: Experiment, kpi: str) -> tuple[float, float, float]:
    if kpi not in experiment.values:
        return math.nan, math.nan, math.nan
    s = summarize(experiment.values[kpi], kpi_range(kpi))
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
            lines[say("word.mean", sweep.lang)] = (x, np.array([s[0] for s in stats]))
            if sweep.replications > 1:
                lines[say("sweep.low", sweep.lang)] = (x, np.array([s[1] for s in stats]))
                lines[say("sweep.high", sweep.lang)] = (x, np.array([s[2] for s in stats]))
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
        unit = unit_text(unit_of(kpi), sweep.lang)
        label = kpi_label(kpi, sweep.lang, sweep.names)
        parts.append(html_heading(3, label) + svg_chart(lines, xlabel, unit, lang=sweep.lang))
    return "".join(parts)


def sweep_report(sweep: Sweep) -> tuple[str, str]:
    """The human report of a sweep, as Markdown and as a self-contained HTML page.

    It opens with the summary (the target's answer, each KPI's range) in the sweep's language.
    """
    doc = sweep.to_dict()
    s = sweep.settings
    lang = sweep.lang
    what = say("word.and", lang).join(f"{v.path}" for v in sweep.varies)
    title = f"{sweep.park}" + (f" — {sweep.scenario}" if sweep.scenario else "") + f": {what}"
    intro = [
        say("sweep.intro", lang, n=sweep.replications, seed=s.seed, days=f"{s.days:g}",
            warmup=f"{s.warmup_days:.3g}"),
        *describe_choices(doc, lang),
        *([say("note.few_replications", lang, n=sweep.replications)]
          if 2 <= sweep.replications <= 3 else []),
    ]  # fmt: skip
    header, table, marked = _table(sweep, doc)
    summary = doc["summary"]["text"]
    md = [md_heading(1, title), "", md_heading(2, say("compare.summary", lang)), ""]
    md += [*md_list(summary), "", *map(md_text, intro), "", *md_table(header, table)]
    markdown = "\n".join(md) + "\n"
    body = (
        html_heading(2, say("compare.summary", lang))
        + html_list(summary)
        + html_paragraphs(intro)
        + html_heading(2, say("sweep.charts", lang))
        + sweep_charts(sweep)
        + html_heading(2, say("sweep.table", lang))
        + html_table(header, table, numeric=range(len(header)), marked=marked)
    )
    return markdown, page_html(title, body, lang)


def _table(sweep: Sweep, doc: dict[str, Any]) -> tuple[list[str], list[list[str]], set[int]]:
    """The table's heading, its rows, and the row of the smallest setting meeting the target."""
    lang = sweep.lang
    names = labels_of(sweep.varies)
    target = doc.get("target")
    header = [*names, *(kpi_label(k, lang, sweep.names, unit_of(k)) for k in sweep.kpis)]
    if target is not None:
        header.append(say("sweep.target_column", lang, target=target["target"]))
    table = []
    for k, (point, experiment) in enumerate(zip(sweep.points, sweep.experiments, strict=True)):
        cells = [str(v) for v in point]
        missing = len(sweep.missing(k))
        if missing:
            done = sweep.replications - missing
            cells[-1] += say("sweep.incomplete", lang, done=done, total=sweep.replications)
        for kpi in sweep.kpis:
            mean, lo, hi = _interval(experiment, kpi)
            cells.append(
                f"{fmt(mean, lang=lang)} {interval_text(lo, hi, lang=lang)}"
                if sweep.replications > 1
                else fmt(mean, lang=lang)
            )
        if target is not None:
            row = target["points"][k]
            key = "sweep.yes" if row["meets"] else "sweep.no"
            cells.append(say(key, lang, bound=fmt(row["bound"], lang=lang)))
        table.append(cells)
    smallest = target["smallest"] if target is not None else None
    return header, table, {smallest} if smallest is not None else set()


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
