"""Result files of ``parktwin optimize``: optimum.json, best.yaml and the report.

best.yaml is a scenario of the problem's base: the problem's own scenario (if any) and then the
best candidate's changes, so that ``parktwin run BASE -s best.yaml`` runs the chosen
configuration. The report gives the answer and its certificate in words first, then every
candidate with its standing, the decisions in the order they were made, and a chart of the
objective's 95% intervals.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import yaml

from twin.experiment.optimize import Optimum, optimum_dict
from twin.io.output import atomic_write_text
from twin.model.schema import Scenario
from twin.reports.charts import page_html, svg_intervals
from twin.text import fmt


def best_scenario(opt: Optimum, base_scenario: Scenario | None) -> dict[str, Any]:
    """The best (or, with none feasible, the closest) candidate as a scenario document."""
    doc = optimum_dict(opt)
    chosen = opt.best if opt.best is not None else opt.closest()
    values = ", ".join(f"{k} = {v}" for k, v in doc["best"]["values"].items())
    changes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    if base_scenario is not None:
        dumped = base_scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
        changes += dumped.get("changes", [])
        events += dumped.get("events", [])
    changes += [
        c.model_dump(mode="json", by_alias=True, exclude_none=True)
        for c in opt.candidates[chosen].changes
    ]
    scenario: dict[str, Any] = {
        "scenario": {
            "name": f"{opt.problem.problem.name}-best"[:200],
            "description": f"chosen by parktwin optimize: {values}"[:2000],
        },
    }
    if opt.problem.base is not None:
        scenario["base"] = opt.problem.base
    scenario["changes"] = changes
    if events:
        scenario["events"] = events
    return scenario


def _answer(doc: dict[str, Any], opt: Optimum) -> list[str]:
    best = doc["best"]
    values = ", ".join(f"{k} = {v}" for k, v in best["values"].items())
    target = opt.problem.objective.target
    o = best["objective"]
    crn = doc["certificate"]["common_random_numbers"]
    streams = "common random numbers" if crn else "independent streams"
    if opt.best is None:
        head = f"No candidate meets the constraints. The closest: {values}."
    elif not opt.outcome.complete:
        head = f"Not decided; the best mean so far: {values}."
    else:
        head = f"Best: {values}."
    return [
        head,
        f"{target}: {fmt(o['mean'])} [95% interval {fmt(o['ci95'][0])}, {fmt(o['ci95'][1])}].",
        doc["certificate"]["guarantee"],
        f"{doc['certificate']['total_replications']} replications in all ({streams}).",
    ]


def _rows(doc: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    keys = list(doc["candidates"][0]["values"]) if doc["candidates"] else []
    kpis = [c["kpi"] for c in doc["candidates"][0]["constraints"]] if doc["candidates"] else []
    header = ["#", *keys, "objective [95%]", *kpis, "replications", "status", "reason"]
    rows = []
    for n, c in enumerate(doc["candidates"], start=1):
        o = c["objective"]
        cells = [str(n), *(str(c["values"][k]) for k in keys)]
        cells.append(f"{fmt(o['mean'])} [{fmt(o['ci95'][0])}, {fmt(o['ci95'][1])}]")
        cells += [f"{fmt(r['mean'])} ({_verdict(r['feasible'])})" for r in c["constraints"]]
        cells += [str(c["replications"]), c["status"], c["reason"]]
        rows.append(cells)
    return header, rows


def _verdict(state: bool | None) -> str:
    return {True: "meets", False: "fails", None: "undecided"}[state]


def optimize_report(opt: Optimum) -> tuple[str, str]:
    """The human report, as Markdown and as a self-contained HTML page."""
    doc = optimum_dict(opt)
    title = f"{opt.problem.problem.name}: optimize"
    answer = _answer(doc, opt)
    header, rows = _rows(doc)
    decisions = [
        f"after {e['after_replications']} replications: candidate {e['candidate']} {e['what']}"
        for e in doc["eliminations"]
    ]
    md = [f"# {title}", "", *answer, "", "## Candidates", ""]
    md.append("| " + " | ".join(_md(h) for h in header) + " |")
    md.append("|" + "---|" * len(header))
    md += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    md += ["", "## Decisions, in order", "", *(f"- {d}" for d in decisions)]
    procedure = doc["certificate"]["procedure"]
    md += ["", "## Procedure", "", procedure, *doc["notes"]]
    entries = [
        (f"#{n}", c["objective"]["mean"], *c["objective"]["ci95"])
        for n, c in enumerate(doc["candidates"], start=1)
    ]
    body = (
        "".join(f"<p>{html.escape(line)}</p>" for line in answer)
        + svg_intervals(opt.problem.objective.target, "", entries)
        + "<h2>Candidates</h2>"
        + _html_table(header, rows)
        + "<h2>Decisions, in order</h2><ol>"
        + "".join(f"<li>{html.escape(d)}</li>" for d in decisions)
        + "</ol><h2>Procedure</h2>"
        + "".join(
            f"<p>{html.escape(t)}</p>" for t in [doc["certificate"]["procedure"], *doc["notes"]]
        )
    )
    return "\n".join(md) + "\n", page_html(title, body)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def write_optimum(out: Path, opt: Optimum, base_scenario: Scenario | None) -> list[Path]:
    """Write every file of ``parktwin optimize --out DIR``; return their paths."""
    markdown, page = optimize_report(opt)
    scenario = yaml.safe_dump(
        best_scenario(opt, base_scenario), sort_keys=False, allow_unicode=True
    )
    return [
        atomic_write_text(
            out / "optimum.json", json.dumps(optimum_dict(opt), indent=2, ensure_ascii=False) + "\n"
        ),
        atomic_write_text(out / "best.yaml", scenario),
        atomic_write_text(out / "report.md", markdown),
        atomic_write_text(out / "report.html", page),
    ]
