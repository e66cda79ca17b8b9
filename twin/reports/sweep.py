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
from twin.model.schema import Park
from twin.reports.charts import svg_chart
from twin.reports.page import (
    html_heading,
    html_paragraphs,
    html_table,
    md_heading,
    md_table,
    md_text,
    page_html,
)
from twin.sim.kpi import kpi_range
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
        parts.append(html_heading(3, kpi) + svg_chart(lines, xlabel, unit))
    return "".join(parts)


def sweep_report(sweep: Sweep) -> tuple[str, str]:
    """The human report of a sweep, as Markdown and as a self-contained HTML page."""
    doc = sweep.to_dict()
    s = sweep.settings
    names = labels_of(sweep.varies)
    what = " and ".join(f"{v.path}" for v in sweep.varies)
    title = f"{sweep.park}" + (f" — {sweep.scenario}" if sweep.scenario else "") + f": {what}"
    intro = [
        f"{sweep.replications} replication(s) per point with common random numbers, seed "
        f"{s.seed}, {s.days:g} days after {s.warmup_days:.3g} warm-up day(s); "
        "mean [95% interval].",
        *describe_choices(doc),
    ]
    header = [*names, *sweep.kpis]
    table = []
    for k, (point, experiment) in enumerate(zip(sweep.points, sweep.experiments, strict=True)):
        cells = [str(v) for v in point]
        missing = len(sweep.missing(k))
        if missing:
            done = sweep.replications - missing
            cells[-1] += f" (incomplete: {done} of {sweep.replications} replications)"
        for kpi in sweep.kpis:
            mean, lo, hi = _interval(experiment, kpi)
            cells.append(
                f"{fmt(mean)} {interval_text(lo, hi)}" if sweep.replications > 1 else fmt(mean)
            )
        table.append(cells)
    md = [md_heading(1, title), "", *map(md_text, intro), "", *md_table(header, table)]
    markdown = "\n".join(md) + "\n"
    body = (
        html_paragraphs(intro)
        + "<h2>Charts</h2>"
        + sweep_charts(sweep)
        + "<h2>Table</h2>"
        + html_table(header, table, numeric=range(len(header)))
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
