"""Result files: kpis.json, kpis.csv, the trace, the resolved park, report.md and report.html.

Every file goes through :mod:`twin.io.output` (written to a temporary name, then renamed), so a
failed or interrupted command never leaves a half-written file. The HTML report is one
self-contained page: charts are inline SVG, there are no external URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from twin.experiment.results import Experiment, describe_choices
from twin.io.dump import dump_park
from twin.io.output import atomic_write_text
from twin.language import Language, say, unit_text
from twin.model.labels import asset_names, kpi_label
from twin.model.schema import Park, Scenario
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
    out: Path,
    experiment: Experiment,
    park: Park,
    scenario: Scenario | None = None,
    lang: Language = "en",
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
    markdown, page = run_report(experiment, lang, asset_names(park))
    written.append(atomic_write_text(out / "report.md", markdown))
    written.append(atomic_write_text(out / "report.html", page))
    return written


def run_report(
    experiment: Experiment, lang: Language = "en", names: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """The human report of a run, as Markdown and as a self-contained HTML page, in `lang`."""
    names = names or {}
    title = f"{experiment.park}" + (f" — {experiment.scenario}" if experiment.scenario else "")
    s = experiment.settings
    intro = say("run.intro", lang, n=experiment.replications, seed=s.seed, days=f"{s.days:g}",
                warmup=f"{s.warmup_days:g}")  # fmt: skip
    choices = describe_choices(experiment.to_dict(), lang)
    if choices:
        intro += " " + " ".join(line if line.endswith(".") else line + "." for line in choices)
    if 2 <= experiment.replications <= 3:
        intro += " " + say("note.few_replications", lang, n=experiment.replications)
    words = ("word.kpi", "word.unit", "word.mean", "word.interval")
    head = [say(k, lang) for k in words]
    cells = [
        [kpi_label(str(r["kpi"]), lang, names), unit_text(str(r["unit"]), lang),
         fmt(r["mean"], lang=lang), interval_text(r["ci95_low"], r["ci95_high"], lang=lang)]
        for r in kpi_rows(experiment)
    ]  # fmt: skip
    lines = [md_heading(1, title), "", md_text(intro), "", *md_table(head, cells)]
    charts = trace_charts(experiment.trace, lang) if experiment.trace is not None else ""
    page = page_html(
        title,
        html_paragraphs([intro])
        + charts
        + html_heading(2, say("run.kpis", lang))
        + html_table(head, cells, numeric={2, 3}),
        lang,
    )
    return "\n".join(lines) + "\n", page


def trace_charts(trace: Trace, lang: Language = "en") -> str:
    """Charts of replication 0: park power and dock queues over the horizon."""
    mask = trace.edges[:-1] >= 0
    days = trace.edges[:-1][mask] / 1440.0
    power = trace.series["building_power_demand_kw"][mask].sum(axis=1) / 1000.0
    served = trace.series["building_power_served_kw"][mask].sum(axis=1) / 1000.0
    queues = trace.series["dock_queue_mean"][mask]
    busiest: list[int] = np.argsort(-queues.mean(axis=0))[:5].tolist() if queues.size else []
    day = say("chart.day", lang)
    power_lines = {
        say("chart.demand", lang): (days, power),
        say("chart.served", lang): (days, served),
    }
    return (
        html_heading(2, say("run.power", lang))
        + svg_chart(power_lines, day, "MW", lang=lang)
        + html_heading(2, say("run.queues", lang))
        + svg_chart(
            {trace.names["dock_groups"][j]: (days, queues[:, j]) for j in busiest},
            day,
            say("chart.trucks_waiting", lang),
            lang=lang,
        )
    )
