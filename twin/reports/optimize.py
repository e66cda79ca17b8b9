"""Result files of ``parktwin optimize``: optimum.json, best.yaml and the report.

best.yaml is a scenario of the problem's base: the problem's own scenario (if any) and then the
best candidate's changes, so that ``parktwin run BASE -s best.yaml`` runs the chosen
configuration. The report gives the answer and its certificate in words first, then every
candidate with its standing, the decisions in the order they were made, and a chart of the
objective's 95% intervals.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from twin.experiment.optimize import Candidate, Optimum, optimum_dict
from twin.experiment.pareto import ParetoSet, pareto_dict
from twin.io.output import atomic_write_text
from twin.language import TEXT, Language, say
from twin.model.labels import kpi_label
from twin.model.problem import DecisionProblem
from twin.model.schema import Scenario
from twin.reports.charts import svg_intervals
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
from twin.text import bounds_text, fmt


def candidate_scenario(
    problem: DecisionProblem, candidate: Candidate, base_scenario: Scenario | None, name: str
) -> dict[str, Any]:
    """A candidate as a scenario document of the problem's base (its own scenario first)."""
    values = ", ".join(f"{k} = {v}" for k, v in candidate.values.items())
    changes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    if base_scenario is not None:
        dumped = base_scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
        changes += dumped.get("changes", [])
        events += dumped.get("events", [])
    changes += [
        c.model_dump(mode="json", by_alias=True, exclude_none=True) for c in candidate.changes
    ]
    scenario: dict[str, Any] = {
        "scenario": {
            "name": name[:200],
            "description": f"chosen by parktwin optimize: {values}"[:2000],
        },
    }
    if problem.base is not None:
        scenario["base"] = problem.base
    scenario["changes"] = changes
    if events:
        scenario["events"] = events
    return scenario


def best_scenario(opt: Optimum, base_scenario: Scenario | None) -> dict[str, Any]:
    """The best (or, with none feasible, the closest) candidate as a scenario document."""
    chosen = opt.best if opt.best is not None else opt.closest()
    name = f"{opt.problem.problem.name}-best"
    return candidate_scenario(opt.problem, opt.candidates[chosen], base_scenario, name)


STANDINGS = (
    (re.compile(r"infeasible: constraint (.+)"), "optimize.reason.infeasible"),
    (re.compile(r"eliminated by candidate (.+)"), "optimize.reason.eliminated"),
    (re.compile(r"constraint (.+)"), "optimize.reason.constraint"),
    (re.compile(r"by candidate (\d+) \(clearly\)"), "optimize.reason.clearly"),
    (re.compile(r"by candidate (-?\d+) \(by means only\)"), "optimize.reason.by_means"),
)
"""The standings of optimum.json with a number in them, and their keys."""


def standing_text(reason: str, lang: Language) -> str:
    """A candidate's standing (optimum.json's ``reason`` or decision) in `lang`."""
    fixed = {
        "selected": "optimize.reason.selected",
        "feasible": "optimize.reason.feasible",
        "best mean among those left": "optimize.reason.best_mean",
        "still in contention when the procedure stopped": "optimize.reason.open",
        "no candidate is better on every objective": "optimize.reason.front",
    }
    if reason in fixed:
        return say(fixed[reason], lang)
    for pattern, key in STANDINGS:
        match = pattern.fullmatch(reason)
        if match:
            return say(key, lang, which=match[1])
    return reason


def status_text(status: str, lang: Language) -> str:
    """A candidate's status in `lang`."""
    key = f"optimize.status.{status}"
    return say(key, lang) if key in TEXT else status


def _rows(doc: dict[str, Any], lang: Language) -> tuple[list[str], list[list[str]]]:
    keys = list(doc["candidates"][0]["values"]) if doc["candidates"] else []
    kpis = [c["kpi"] for c in doc["candidates"][0]["constraints"]] if doc["candidates"] else []
    columns = ("objective_column", "replications_column", "status_column", "reason_column")
    objective, replications, status, reason = (say(f"optimize.{c}", lang) for c in columns)
    constraints = [kpi_label(k, lang, {}) for k in kpis]
    header = ["#", *keys, objective, *constraints, replications, status, reason]
    rows = []
    for n, c in enumerate(doc["candidates"], start=1):
        o = c["objective"]
        cells = [str(n), *(str(c["values"][k]) for k in keys)]
        cells.append(f"{fmt(o['mean'], lang=lang)} {bounds_text(o['ci95'], lang)}")
        cells += [
            f"{fmt(r['mean'], lang=lang)} ({_verdict(r['feasible'], lang)})"
            for r in c["constraints"]
        ]
        cells += [str(c["replications"]), status_text(c["status"], lang),
                  standing_text(c["reason"], lang)]  # fmt: skip
        rows.append(cells)
    return header, rows


def _verdict(state: bool | None, lang: Language) -> str:
    key = {True: "optimize.meets", False: "optimize.fails", None: "optimize.open"}[state]
    return say(key, lang)


def optimize_report(opt: Optimum) -> tuple[str, str]:
    """The human report, as Markdown and as a self-contained HTML page, in `opt.lang`."""
    lang = opt.lang
    doc = optimum_dict(opt)
    title = say("optimize.title", lang, name=opt.problem.problem.name)
    answer = doc["summary"]["text"]
    header, rows = _rows(doc, lang)
    decisions = [
        say("optimize.decision", lang, n=e["after_replications"], candidate=e["candidate"],
            what=standing_text(e["what"], lang))
        for e in doc["eliminations"]
    ]  # fmt: skip
    procedure = [say("optimize.procedure_text", lang), *doc["notes"]]
    headings = [say(f"optimize.{k}", lang) for k in ("candidates", "decisions", "procedure")]
    md = [md_heading(1, title), "", md_heading(2, say("compare.summary", lang)), ""]
    md += [*(md_text(a) for a in answer), "", md_heading(2, headings[0])]
    md += ["", *md_table(header, rows), "", md_heading(2, headings[1]), ""]
    md += [*md_list(decisions), "", md_heading(2, headings[2]), ""]
    md += [md_text(p) for p in procedure]
    entries = [
        (f"#{n}", c["objective"]["mean"], *c["objective"]["ci95"])
        for n, c in enumerate(doc["candidates"], start=1)
    ]
    numeric = {header.index(say("optimize.objective_column", lang)), len(header) - 3}
    body = (
        html_heading(2, say("compare.summary", lang))
        + html_paragraphs(answer)
        + svg_intervals(kpi_label(opt.problem.single.target, lang, {}), "", entries, lang=lang)
        + html_heading(2, headings[0])
        + html_table(header, rows, numeric=numeric)
        + html_heading(2, headings[1])
        + html_list(decisions)
        + html_heading(2, headings[2])
        + html_paragraphs(procedure)
    )
    return "\n".join(md) + "\n", page_html(title, body, lang)


def write_decision(
    out: Path, result: Optimum | ParetoSet, base_scenario: Scenario | None
) -> list[Path]:
    """Write the files of a selection (:func:`write_optimum`) or of a Pareto set."""
    if isinstance(result, Optimum):
        return write_optimum(out, result, base_scenario)
    return write_pareto(out, result, base_scenario)


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


def pareto_report(result: ParetoSet) -> tuple[str, str]:
    """The report of a Pareto set, as Markdown and as a self-contained HTML page, in its
    language."""
    lang = result.lang
    doc = pareto_dict(result)
    title = say("pareto.title", lang, name=result.problem.problem.name)
    keys = list(doc["candidates"][0]["values"]) if doc["candidates"] else []
    goals = [g["target"] for g in doc["objectives"]]
    columns = (say("optimize.status_column", lang), say("optimize.reason_column", lang))
    header = ["#", *keys, *(f"{kpi_label(g, lang, {})} [95%]" for g in goals), *columns]
    rows = []
    for n, c in enumerate(doc["candidates"], start=1):
        cells = [str(n), *(str(c["values"][k]) for k in keys)]
        cells += [
            f"{fmt(o['mean'], lang=lang)} {bounds_text(o['ci95'], lang)}" for o in c["objectives"]
        ]
        rows.append([*cells, status_text(c["status"], lang), standing_text(c["reason"], lang)])
    intro = [*doc["summary"]["text"], *doc["notes"]]
    procedure = doc["certificate"]["procedure"]
    md = [md_heading(1, title), "", *(md_text(line) for line in intro), ""]
    md += [*md_table(header, rows), "", md_text(procedure)]
    body = html_paragraphs(intro) + html_table(header, rows) + html_paragraphs([procedure])
    return "\n".join(md) + "\n", page_html(title, body, lang)


def write_pareto(out: Path, result: ParetoSet, base_scenario: Scenario | None) -> list[Path]:
    """optimum.json (``pareto``), the report, and ``pareto-N.yaml`` per member of the set."""
    markdown, page = pareto_report(result)
    doc = pareto_dict(result)
    written = [
        atomic_write_text(
            out / "optimum.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        ),
        atomic_write_text(out / "report.md", markdown),
        atomic_write_text(out / "report.html", page),
    ]
    for n, i in enumerate(result.front(), start=1):
        name = f"{result.problem.problem.name}-pareto-{n}"
        scenario = candidate_scenario(result.problem, result.candidates[i], base_scenario, name)
        text = yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True)
        written.append(atomic_write_text(out / f"pareto-{n}.yaml", text))
    return written
