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
from twin.language import Language, say
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
from twin.text import csv_text, fixed, fmt, signed

COVERAGE_OK = (0.80, 0.98)
METRICS = (
    "docks.queue",
    "trucks.in_park",
    "trucks.gate_to_dock_min",
    "meters.power_kw",
    "meters.water_m3h",
)
"""The metrics a back-test scores, each named for people by the text ``backtest.metric.<name>``."""


def metric_text(name: str, lang: Language = "en") -> str:
    """A metric in words (an unknown one as its name)."""
    return say(f"backtest.metric.{name}", lang) if name in METRICS else name


def verdict_lines(result: Backtest, lang: Language = "en") -> list[str]:
    """One line per metric, then the overall verdict, in `lang`."""
    lines, wins = [], 0
    low, high = COVERAGE_OK
    scores = result.scores()
    for name, m in scores.items():
        what = metric_text(name, lang)
        if not m.n:
            lines.append(say("backtest.nothing_to_score", lang, what=what))
            continue
        wins += m.beats_both
        band = "backtest.calibrated" if low <= m.coverage90 <= high else "backtest.miscalibrated"
        lines.append(
            say("backtest.metric_line", lang, what=what, mae=fmt(m.mae, lang=lang),
                persistence=fmt(m.mae_persistence, lang=lang), cold=fmt(m.mae_cold, lang=lang),
                beats=say("backtest.beats" if m.beats_both else "backtest.not_beats", lang),
                coverage=fmt(100 * m.coverage90, lang=lang), band=say(band, lang),
                bias=signed(m.bias, lang), bias_cold=signed(m.bias_cold, lang), n=m.n)
        )  # fmt: skip
    lines.append(
        say("backtest.verdict", lang, hours=fmt(result.hours, lang=lang), wins=wins,
            total=len(scores), origins=len(result.origins))
    )  # fmt: skip
    return lines


def following_lines(result: Backtest, lang: Language = "en") -> list[str]:
    """What following found: one line per change (or why there is none), in `lang`."""
    if not result.follow:
        return [say("backtest.following_off", lang)]
    if not result.changes:
        return [say("backtest.following_none", lang)]
    return [
        say("backtest.change", lang, name=c["name"], size=fixed(c["size_pct"], 1, lang, sign=True),
            time=c["time"], first_seen=c["first_seen"])
        for c in result.changes
    ]  # fmt: skip


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


def write_backtest(out: Path, result: Backtest, source: str, lang: Language = "en") -> list[Path]:
    """Write backtest.json, backtest.csv, report.md and report.html into `out`.

    The report is in `lang`; backtest.json keeps its verdict in English, a machine document.
    """
    doc = {**result.document(), "source": source, "verdict": verdict_lines(result)}
    markdown, page = _report(result, source, lang)
    return [
        atomic_write_text(out / "backtest.json", json.dumps(doc, indent=2, ensure_ascii=False)),
        atomic_write_text(out / "backtest.csv", csv_text(outcome_rows(result.outcomes))),
        atomic_write_text(out / "report.md", markdown),
        atomic_write_text(out / "report.html", page),
    ]


TABLE_COLUMNS = ("metric", "n", "mae", "mae_persistence", "mae_cold", "coverage",
                 "coverage_cold", "bias", "rmse")  # fmt: skip
"""The columns of the scores' table; each heading is the text ``backtest.col.<column>``."""


def _table(scores: dict[str, Score], lang: Language) -> list[list[str]]:
    rows = [[say(f"backtest.col.{column}", lang) for column in TABLE_COLUMNS]]
    for name, m in scores.items():
        cover = [fmt(100 * v, lang=lang) + "%" if not math.isnan(v) else "-" for v in
                 (m.coverage90, m.coverage90_cold)]  # fmt: skip
        rows.append([metric_text(name, lang), str(m.n), fmt(m.mae, lang=lang),
                     fmt(m.mae_persistence, lang=lang), fmt(m.mae_cold, lang=lang), *cover,
                     _joined(lang, m.bias, m.bias_cold),
                     _joined(lang, m.rmse, m.rmse_persistence, m.rmse_cold)])  # fmt: skip
    return rows


def _joined(lang: Language, *figures: float) -> str:
    """Several figures of one metric in one cell, ``-`` for a missing one."""
    return " / ".join(fmt(x, lang=lang) for x in figures)


def _report(result: Backtest, source: str, lang: Language) -> tuple[str, str]:
    title = say("backtest.title", lang, park=result.park)
    intro = say("backtest.intro", lang, n=len(result.origins),
                every=fmt(result.every_min, lang=lang), first=result.first_origin,
                last=result.last_origin, hours=fmt(result.hours, lang=lang),
                replications=result.replications, source=source)  # fmt: skip
    left_out = result.flows_left_out
    note = say("backtest.left_out", lang, flows=", ".join(left_out)) if left_out else ""
    rows = _table(result.scores(), lang)
    verdict = verdict_lines(result, lang)
    md = [md_heading(1, title), "", md_text(intro), ""] + ([md_text(note), ""] if note else [])
    followed = following_lines(result, lang)
    following = say("backtest.following", lang)
    md += [*md_table(rows[0], rows[1:]), "", *md_list(verdict), ""]
    md += [md_heading(2, following), "", *md_list(followed), ""]
    body = [html_paragraphs([intro, note] if note else [intro])]
    body += [html_table(rows[0], rows[1:]), html_list(verdict)]
    body += [html_heading(2, following), html_list(followed)]
    body += [_chart(result, metric, lang) for metric in result.scores()]
    return "\n".join(md), page_html(title, "".join(body), lang=lang)


def _chart(result: Backtest, metric: str, lang: Language) -> str:
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

    lines = {say(f"backtest.line.{field}", lang): (hours, line(field))
             for field in ("truth", "nowcast", "p05", "p95", "persistence", "cold")}  # fmt: skip
    axis = say("backtest.axis", lang, first=f"{origins[0]:%Y-%m-%d %H:%M}")
    what = metric_text(metric, lang)
    chart = svg_chart(lines, axis, what, lang=lang)
    ahead = say("backtest.ahead", lang, what=what, hours=fmt(result.hours, lang=lang))
    return html_heading(2, ahead) + chart
