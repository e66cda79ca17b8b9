"""The back-test's files: backtest.json, backtest.csv, report.md and report.html, and its verdict.

The verdict says, per metric, whether the nowcast's error at the horizon is below both
baselines' and whether its 90% band holds about 90% of the outcomes (80-98% counts as
calibrated: what a back-test on data from a known park should show).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from twin.io.output import atomic_write_text
from twin.live.backtest import Backtest, Outcome, Score
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
from twin.text import csv_text, fmt

COVERAGE_OK = (0.80, 0.98)
LABELS = {
    "docks.queue": "dock queue (trucks, every dock group)",
    "trucks.in_park": "trucks in the park",
    "trucks.gate_to_dock_min": "gate-to-dock time (min)",
    "meters.power_kw": "power (kW, every metered building)",
    "meters.water_m3h": "water (m³/h, every metered building)",
}


def verdict_lines(result: Backtest) -> list[str]:
    """One line per metric, then the overall verdict."""
    lines, wins = [], 0
    low, high = COVERAGE_OK
    scores = result.scores()
    for name, m in scores.items():
        if not m.n:
            lines.append(f"{name}: no outcome to score")
            continue
        wins += m.beats_both
        band = "calibrated" if low <= m.coverage90 <= high else "miscalibrated"
        lines.append(
            f"{name}: MAE {fmt(m.mae)} vs persistence {fmt(m.mae_persistence)}, cold start "
            f"{fmt(m.mae_cold)} ({'beats both' if m.beats_both else 'does not beat both'}); "
            f"90% band holds {fmt(100 * m.coverage90)}% ({band}); bias {m.bias:+.3g} "
            f"(cold start {m.bias_cold:+.3g}); n = {m.n}"
        )
    lines.append(
        f"verdict: at {result.hours:g} h the nowcast beats persistence and the cold start on "
        f"{wins} of {len(scores)} metrics over {len(result.origins)} origins"
    )
    return lines


def following_lines(result: Backtest) -> list[str]:
    """What following found: one line per change (or why there is none)."""
    if not result.follow:
        return ["following off: every origin's nowcast ran on the park's own rates and levels"]
    if not result.changes:
        return ["following on: no change found in arrival rates or meter levels"]
    return [
        f"{c['name']}: changed {c['size_pct']:+.1f}% from {c['time']} "
        f"(first seen at the origin {c['first_seen']})"
        for c in result.changes
    ]


def outcome_rows(outcomes: list[Outcome]) -> list[dict[str, object]]:
    """The outcomes as CSV rows."""
    return [
        {
            "origin": o.origin.isoformat(timespec="minutes"),
            "series": o.series,
            "metric": o.metric,
            "truth": o.truth,
            "nowcast": o.nowcast,
            "p05": o.p05,
            "p95": o.p95,
            "persistence": o.persistence,
            "cold": o.cold,
            "cold_p05": o.cold_p05,
            "cold_p95": o.cold_p95,
        }
        for o in outcomes
    ]


def write_backtest(out: Path, result: Backtest, source: str) -> list[Path]:
    """Write backtest.json, backtest.csv, report.md and report.html into `out`."""
    verdict = verdict_lines(result)
    doc = {**result.document(), "source": source, "verdict": verdict}
    markdown, page = _report(result, source, verdict)
    return [
        atomic_write_text(out / "backtest.json", json.dumps(doc, indent=2, ensure_ascii=False)),
        atomic_write_text(out / "backtest.csv", csv_text(outcome_rows(result.outcomes))),
        atomic_write_text(out / "report.md", markdown),
        atomic_write_text(out / "report.html", page),
    ]


def _table(scores: dict[str, Score]) -> list[list[str]]:
    rows = [["metric", "n", "MAE nowcast", "MAE persistence", "MAE cold start",
             "90% band coverage", "cold band coverage", "bias nowcast / cold",
             "RMSE nowcast / persistence / cold"]]  # fmt: skip
    for name, m in scores.items():
        cover = [fmt(100 * v) + "%" if not math.isnan(v) else "-" for v in
                 (m.coverage90, m.coverage90_cold)]  # fmt: skip
        rows.append([name, str(m.n), fmt(m.mae), fmt(m.mae_persistence),
                     fmt(m.mae_cold), *cover, _joined(m.bias, m.bias_cold),
                     _joined(m.rmse, m.rmse_persistence, m.rmse_cold)])  # fmt: skip
    return rows


def _joined(*figures: float) -> str:
    """Several figures of one metric in one cell, ``-`` for a missing one."""
    return " / ".join(fmt(x) for x in figures)


def _report(result: Backtest, source: str, verdict: list[str]) -> tuple[str, str]:
    title = f"Back-test of {result.park}"
    intro = (
        f"{len(result.origins)} origins every {result.every_min:g} min from "
        f"{result.first_origin} to {result.last_origin}; horizon {result.hours:g} h; "
        f"{result.replications} replications; source {source}."
    )
    left_out = result.flows_left_out
    note = (
        f"Flows with no truck in the history, left out: {', '.join(left_out)}." if left_out else ""
    )
    rows = _table(result.scores())
    md = [md_heading(1, title), "", md_text(intro), ""] + ([md_text(note), ""] if note else [])
    followed = following_lines(result)
    md += [*md_table(rows[0], rows[1:]), "", *md_list(verdict), ""]
    md += [md_heading(2, "Following"), "", *md_list(followed), ""]
    body = [html_paragraphs([intro, note] if note else [intro])]
    body += [html_table(rows[0], rows[1:]), html_list(verdict)]
    body += [html_heading(2, "Following"), html_list(followed)]
    body += [_chart(result, metric) for metric in result.scores()]
    return "\n".join(md), page_html(title, "".join(body))


def _chart(result: Backtest, metric: str) -> str:
    """What happened at each horizon's end against the three forecasts (dock queues summed)."""
    by_origin: dict[Any, list[Outcome]] = {}
    for o in result.outcomes:
        if o.metric == metric and o.complete():
            by_origin.setdefault(o.origin, []).append(o)
    if not by_origin:
        return ""
    origins = sorted(by_origin)
    hours = np.array([(t - origins[0]).total_seconds() / 3600.0 for t in origins])

    def line(field: str) -> np.ndarray:
        return np.array([sum(getattr(o, field) for o in by_origin[t]) for t in origins])

    lines = {name: (hours, line(field)) for name, field in
             (("happened", "truth"), ("nowcast", "nowcast"), ("p05", "p05"), ("p95", "p95"),
              ("persistence", "persistence"), ("cold start", "cold"))}  # fmt: skip
    chart = svg_chart(lines, f"origin, hours after {origins[0]:%Y-%m-%d %H:%M}", LABELS[metric])
    return html_heading(2, f"{LABELS[metric]} {result.hours:g} h ahead") + chart
