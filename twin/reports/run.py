"""Result files: kpis.json, kpis.csv, the trace, the resolved park, report.md and report.html.

Every file goes through :mod:`twin.io.output` (written to a temporary name, then renamed), so a
failed or interrupted command never leaves a half-written file. The HTML report is one
self-contained page: charts are inline SVG, there are no external URLs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twin.experiment.results import Experiment, describe_choices
from twin.io.dump import dump_park
from twin.io.output import atomic_write_text
from twin.model.schema import Park, Scenario
from twin.reports.charts import svg_chart
from twin.reports.page import (
    html_paragraphs,
    html_table,
    md_heading,
    md_table,
    md_text,
    page_html,
)
from twin.sim.trace import Trace
from twin.text import csv_text, fmt, interval_text


def kpi_rows(experiment: Experiment) -> list[dict[str, object]]:
    """One row per KPI: name, unit, mean, std, 95% interval."""
    doc = experiment.to_dict()["kpis"]
    return [
        {"kpi": name, "unit": k["unit"], "mean": k["mean"], "std": k["std"],
         "ci95_low": k["ci95"][0], "ci95_high": k["ci95"][1]}
        for name, k in doc.items()
    ]  # fmt: skip


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
    head = ["KPI", "unit", "mean", "95% interval"]
    cells = [
        [r["kpi"], r["unit"], fmt(r["mean"]), interval_text(r["ci95_low"], r["ci95_high"])]
        for r in kpi_rows(experiment)
    ]
    lines = [md_heading(1, title), "", md_text(intro), "", *md_table(head, cells)]
    charts = trace_charts(experiment.trace) if experiment.trace is not None else ""
    page = page_html(
        title,
        html_paragraphs([intro])
        + charts
        + "<h2>KPIs</h2>"
        + html_table(head, cells, numeric={2, 3}),
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
