"""The summary a manager reads first: what changed, by how much, where, whether it matters,
and what it costs.

:func:`compare_summary` reads a comparison's rows and writes, per scenario, its changes that
matter (significant and past the materiality threshold of their family,
:mod:`twin.experiment.materiality`), ordered park-wide first and then by size; the asset most
affected (never a change that does not matter); the cost in lost production (the paired
difference of the park's total output, with its interval, and the buildings that lost) and
in unserved energy; and the KPIs of assets the scenario adds, which the baseline has no value
to compare with. The document is data (numbers, ids, names) plus ``text``, the same in words in
the output's language (:mod:`twin.language`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from twin.experiment.materiality import FAMILY_UNITS, Materiality, family_of
from twin.language import Language, say, with_unit
from twin.model.labels import kpi_label, split_kpi
from twin.sim.kpi import unit_of
from twin.stats import paired_delta, summarize
from twin.text import bounds_text, fmt, interval_text, json_number, signed

if TYPE_CHECKING:
    from twin.experiment.comparison import Comparison, Row

PRODUCTION = "production."
UNSERVED = "power.unserved_mwh"
CONSEQUENCES = ("queue", "utilization", "trucks", "other")
"""Families that follow from another change (a longer queue from a longer wait): an asset is
named most affected by one of them only when nothing else about it matters."""


def change_text(delta: float, ci95: Sequence[float], pairs: int, unit: str, lang: Language) -> str:
    """A change for people, with its unit and 95% interval: ``+4.9 min [4.4, 5.4]``."""
    shown = with_unit(signed(delta, lang), unit, lang)
    if pairs < 2:
        return shown
    lo, hi = ci95
    if hi - lo <= 1e-9 * max(1.0, abs(delta)) and delta != 0:
        return f"{shown} ({say('word.in_every_replication', lang)})"
    return f"{shown} {interval_text(lo, hi, lang)}"


def _change(row: Row, names: Mapping[str, str], materiality: Materiality) -> dict[str, Any]:
    _, asset, _ = split_kpi(row.kpi)
    return {
        "kpi": row.kpi,
        "asset": asset,
        "name": names.get(asset, asset) if asset else None,
        "family": family_of(row.kpi),
        "unit": row.unit,
        "baseline_mean": json_number(row.baseline_mean),
        "delta": json_number(row.delta),
        "delta_pct": json_number(row.delta_pct),
        "delta_ci95": [json_number(row.delta_ci95[0]), json_number(row.delta_ci95[1])],
        "pairs": row.pairs,
        "score": materiality.threshold(row.kpi).score(row.delta, row.delta_pct),
    }


def _production(
    comparison: Comparison, label: str, rows: Mapping[str, Row], names: Mapping[str, str]
) -> dict[str, Any] | None:
    """The paired change of the park's total production, and the buildings that lost."""
    base = comparison.baseline.values
    mine = comparison.scenarios[comparison.labels.index(label)].values
    kpis = [k for k in base if k.startswith(PRODUCTION) and k in mine]
    if not kpis:
        return None
    count = len(base[kpis[0]])
    total_base = [sum(base[k][i] for k in kpis) for i in range(count)]
    total_mine = [sum(mine[k][i] for k in kpis) for i in range(count)]
    d = paired_delta(total_mine, total_base)
    losses = [
        {"asset": split_kpi(k)[1], "name": names.get(split_kpi(k)[1] or "", split_kpi(k)[1]),
         "delta": json_number(rows[k].delta),
         "delta_ci95": [json_number(rows[k].delta_ci95[0]), json_number(rows[k].delta_ci95[1])]}
        for k in sorted(kpis, key=lambda k: rows[k].delta)
        if rows[k].significant and rows[k].delta < 0
    ]  # fmt: skip
    pairs = rows[kpis[0]].pairs
    return {
        "unit": "units",
        "delta": json_number(d.delta),
        "delta_pct": json_number(d.delta_pct),
        "delta_ci95": [json_number(d.ci95[0]), json_number(d.ci95[1])],
        "pairs": pairs,
        "significant": d.significant and pairs >= 2,
        "buildings_losing": losses,
    }


def _new_assets(
    comparison: Comparison, label: str, names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The KPIs of assets only the scenario has: their mean and 95% interval."""
    mine = comparison.scenarios[comparison.labels.index(label)].values
    out = []
    for kpi, values in mine.items():
        if kpi in comparison.baseline.values:
            continue
        s = summarize(values)
        asset = split_kpi(kpi)[1]
        out.append(
            {"kpi": kpi, "asset": asset, "name": names.get(asset or "", asset),
             "unit": unit_of(kpi), "mean": json_number(s.mean),
             "ci95": [json_number(s.ci95[0]), json_number(s.ci95[1])]}
        )  # fmt: skip
    return out


def scenario_summary(
    comparison: Comparison,
    label: str,
    names: Mapping[str, str],
    materiality: Materiality,
) -> dict[str, Any]:
    """The summary of one scenario against the baseline (see the module's docstring)."""
    rows = {r.kpi: r for r in comparison.rows() if r.scenario == label}
    pairs = comparison.replications - len(comparison.missing(label))
    material = [
        _change(r, names, materiality)
        for r in rows.values()
        if materiality.matters(r.kpi, r.delta, r.delta_pct, r.significant)
    ]
    park_wide = [c for c in material if c["asset"] is None]
    by_asset = sorted(
        (c for c in material if c["asset"] is not None),
        key=lambda c: (c["family"] in CONSEQUENCES, -c["score"]),
    )
    if pairs < 2:
        status = "undecided"
    elif material:
        status = "matters"
    elif any(r.significant for r in rows.values()):
        status = "small"
    else:
        status = "nothing"
    unserved = rows.get(UNSERVED)
    return {
        "scenario": label,
        "status": status,
        "changes": park_wide + by_asset,
        "most_affected": by_asset[0] if by_asset else None,
        "lost_production": _production(comparison, label, rows, names),
        "unserved_energy": _change(unserved, names, materiality) | {
            "significant": unserved.significant
        } if unserved is not None else None,
        "new_assets": _new_assets(comparison, label, names),
        "pairs": pairs,
        "total": comparison.replications,
    }  # fmt: skip


def compare_summary(
    comparison: Comparison,
    names: Mapping[str, str],
    materiality: Materiality,
    lang: Language,
) -> dict[str, Any]:
    """The ``summary`` of comparison.json: per scenario, and the same in words (``text``, whose
    last line is the materiality rule)."""
    scenarios = [
        scenario_summary(comparison, label, names, materiality) for label in comparison.labels
    ]
    return {
        "lang": lang,
        "materiality": materiality.to_dict(),
        "scenarios": scenarios,
        "text": [line for s in scenarios for line in scenario_lines(s, lang, names)]
        + [materiality_line(materiality, lang)],
    }


def _words(item: Mapping[str, Any], lang: Language, names: Mapping[str, str]) -> str:
    change = change_text(
        item["delta"] if item["delta"] is not None else math.nan,
        [math.nan if v is None else v for v in item["delta_ci95"]],
        item["pairs"],
        item["unit"],
        lang,
    )
    pct = item.get("delta_pct")
    if pct is not None:
        change += f" ({signed(pct, lang=lang)}%)"
    return say("summary.change", lang, what=kpi_label(item["kpi"], lang, names), change=change)


def scenario_lines(
    summary: Mapping[str, Any], lang: Language, names: Mapping[str, str]
) -> list[str]:
    """One scenario's summary in words: the verdict, each change that matters, the costs."""
    label = summary["scenario"]
    changes = summary["changes"]
    head = {
        "undecided": say("summary.undecided", lang, label=label),
        "matters": say("summary.matters", lang, label=label, count=len(changes)),
        "small": say("summary.small", lang, label=label),
        "nothing": say("summary.nothing", lang, label=label),
    }[summary["status"]]
    pairs, total = summary.get("pairs", 0), summary.get("total", 0)
    if summary["status"] != "undecided" and pairs < total:
        partial = say("summary.partial", lang, pairs=pairs, total=total)
        head = head.rstrip(".") + partial + "."
    lines = [head, *(f"  {_words(c, lang, names)}" for c in changes[:8])]
    worst = summary["most_affected"]
    if worst is not None:
        what = kpi_label(worst["kpi"], lang, names)
        lines.append(
            "  " + say("summary.most_affected", lang, what=what, change=_change_only(worst, lang))
        )
    lines += ["  " + line for line in _cost_lines(summary, lang)]
    if summary["new_assets"]:
        items = ", ".join(
            say("summary.new_kpi", lang, what=kpi_label(a["kpi"], lang, names),
                value=with_unit(fmt(a["mean"], lang=lang), a["unit"], lang) + " "
                + bounds_text(a["ci95"], lang))
            for a in summary["new_assets"][:12]
        )  # fmt: skip
        lines.append("  " + say("summary.new_assets", lang, label=label, items=items))
    return lines


def _change_only(item: Mapping[str, Any], lang: Language) -> str:
    ci = [math.nan if v is None else v for v in item["delta_ci95"]]
    return change_text(item["delta"], ci, item["pairs"], item["unit"], lang)


def _cost_lines(summary: Mapping[str, Any], lang: Language) -> list[str]:
    """Lost production and unserved energy, when either changed significantly."""
    lines = []
    production = summary["lost_production"]
    if production is not None and production["significant"]:
        losing = ", ".join(
            f"{b['name']} {signed(b['delta'], lang=lang)}"
            for b in production["buildings_losing"][:5]
        )
        where = say("summary.where", lang, items=losing) if losing else ""
        change = _change_only(production, lang)
        if production["delta_pct"] is not None:
            change += f" ({signed(production['delta_pct'], lang=lang)}%)"
        lines.append(say("summary.lost_production", lang, change=change, where=where))
    unserved = summary["unserved_energy"]
    if unserved is not None and unserved["significant"]:
        lines.append(say("summary.unserved", lang, change=_change_only(unserved, lang)))
    if not lines and summary["status"] != "undecided":
        lines.append(say("summary.no_cost", lang))
    return lines


def materiality_line(materiality: Materiality, lang: Language) -> str:
    """The thresholds in force, in words."""
    rules = []
    for family, t in materiality.thresholds.items():
        parts = []
        if t.absolute is not None:
            parts.append(with_unit(fmt(t.absolute, lang=lang), FAMILY_UNITS.get(family, ""), lang))
        if t.relative_pct is not None:
            parts.append(f"{fmt(t.relative_pct, lang=lang)}%")
        if parts:
            threshold = say("summary.or", lang).join(parts)
            rules.append(say("summary.rule", lang, family=say(f"family.{family}", lang),
                             threshold=threshold))  # fmt: skip
    return say("summary.materiality", lang, rules="; ".join(rules))
