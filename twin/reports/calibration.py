"""The calibration report: ``report.md`` and a self-contained ``report.html`` with charts.

It opens with a summary table (one row per fitted asset: what was fitted, how well it fits the
training data, how well the fitted twin matches the held-out data, and a verdict) and a plain
list of what fits well and what does not, then gives every fit in detail: the data read and
dropped, each arrival model with its dispersion check, each family's service fit with AIC and
KS, each meter regression, the searches, and the validation with observed-against-simulated
charts (inline SVG from :func:`twin.reports.run.svg_chart`; no external resources).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.calibration.document import calibration_document, parameter_rows
from twin.calibration.fit_meters import (
    METHOD_LAD,
    METHOD_RATIO,
    METHOD_RATIO_FITTED,
    METHOD_SPLIT,
)
from twin.calibration.fit_weekdays import QUANTITY_WORDS, WeekdayFit, day_range
from twin.calibration.meters import SHIFT_TIMES
from twin.calibration.result import CalibrationInterrupted
from twin.calibration.spread import MIN_REPLICATIONS
from twin.calibration.trucks import LANES_UNSEEN
from twin.calibration.validation import (
    MIN_TRUCKS_JUDGED,
    ArrivalCheck,
    SeriesCheck,
    arrival_reason,
    meter_reason,
    queue_reason,
)
from twin.errors import InputError
from twin.io.dump import dump_park
from twin.io.output import atomic_write_text
from twin.io.result_folder import write_result
from twin.language import Language, read_back, say, unit_text
from twin.model.labels import asset_names
from twin.reports.charts import svg_chart
from twin.reports.page import (
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
from twin.text import DECIMAL_COMMA_LANGUAGES, fixed, fmt, localized

if TYPE_CHECKING:
    from twin.calibration import Calibration
    from twin.calibration.spread import Distance
    from twin.calibration.validation import QueueCheck, Validation

VERDICT_ORDER = {"poor": 0, "fair": 1, "good": 2, "-": 3}


@dataclass
class SummaryRow:
    """One line of the summary table."""

    asset: str
    what: str
    fitted: str
    fit: str
    validation: str
    verdict: str
    short: str = ""  # the validation in a few words, for the console


REPORT_FILES = ("report.md", "report.html", "calibration.json")


def write_report(cal: Calibration, folder: Path, lang: Language = "en") -> list[Path]:
    """Write report.md, report.html and calibration.json into `folder`; return their paths.

    `folder` is written file by file; :func:`save_calibration` makes it one unit. The report
    is in `lang`; calibration.json keeps ids and machine numbers.
    """
    markdown, page = calibration_report(cal, lang)
    document = json.dumps(calibration_document(cal), indent=1, ensure_ascii=False)
    return [
        atomic_write_text(folder / "report.md", markdown),
        atomic_write_text(folder / "report.html", page),
        atomic_write_text(folder / "calibration.json", document + "\n"),
    ]


def calibration_report(cal: Calibration, lang: Language = "en") -> tuple[str, str]:
    """The report as Markdown and as an HTML page, in `lang`.

    Everything the report says itself is in `lang`, assets called by name in the summary; so
    are the fitting modules' notes that the translation table holds (:func:`note_text`) and
    what reading the files dropped. A note the table does not hold stays English.
    """
    rows = summary_rows(cal, lang)
    title = say("calibration.title", lang, park=cal.source.park.name)
    intro = _intro(cal, lang)
    plain = _plain_words(cal, rows, lang)
    head, cells = _summary_head(lang), _summary_cells(rows)
    sections: list[tuple[str, list[str], list[str]]] = []  # (title, md parts, html parts)
    sections.append(
        (
            "Summary",
            [*md_table(head, cells), "", *md_list(plain)],
            [html_table(head, cells), html_list(plain)],
        )
    )
    sections.append(_data_section(cal, lang))
    if cal.arrivals:
        sections.append(_arrival_section(cal, lang))
    if cal.services:
        sections.append(_service_section(cal, lang))
    if cal.levels or cal.ratios:
        sections.append(_meter_section(cal, lang))
    if cal.gates or cal.counts:
        sections.append(_gates_docks_section(cal, lang))
    if cal.speed is not None or cal.docks:
        sections.append(_search_section(cal, lang))
    if cal.changes or cal.held_out_changes:
        sections.append(_changes_section(cal, lang))
    sections.append(_uncertainty_section(cal, lang))
    if cal.validation is not None:
        sections.append(_validation_section(cal, lang))
    if cal.notes:
        notes = [note_text(n, lang) for n in cal.notes]
        sections.append(("Notes", md_list(notes), [html_list(notes)]))
    md = [md_heading(1, title), "", *map(md_text, intro), ""]
    body = [html_paragraphs(intro)]
    for name, md_parts, html_parts in sections:
        heading = say(SECTIONS[name], lang)
        md += [md_heading(2, heading), "", *md_parts, ""]
        body.append(html_heading(2, heading) + "".join(html_parts))
    md.append(say("calibration.charts", lang))
    return "\n".join(md) + "\n", page_html(title, "".join(body), lang=lang)


SECTIONS = {
    "Summary": "calibration.section.summary",
    "Data read": "calibration.section.data",
    "Arrivals": "calibration.section.arrivals",
    "Service times": "calibration.section.services",
    "Meters": "calibration.section.meters",
    "Gates and docks (from the log)": "calibration.section.gates_docks",
    "Road speed and docks (searches)": "calibration.section.searches",
    "Changes": "calibration.section.changes",
    "Uncertainty and identifiability": "calibration.section.uncertainty",
    "Validation on the held-out span": "calibration.section.validation",
    "Notes": "calibration.section.notes",
}
"""Each section of the report and the text of its heading."""

VERDICT_WORDS = {"good", "fair", "poor"}
"""Verdicts shown in the output's language (``calibration.verdict.<verdict>``)."""


# --------------------------------------------------------------------------- summary


def summary_rows(cal: Calibration, lang: Language = "en") -> list[SummaryRow]:
    """One row per fitted (or checked) asset: meters, flows, dock groups, roads.

    In `lang`, each asset is called by its name where it has one and verdicts are in words of
    that language; the fitted values and checks keep their figures.
    """
    rows = _summary_rows(cal, lang)
    if lang == "en":
        return rows
    names = asset_names(cal.source)
    for row in rows:
        row.asset = (
            say("calibration.roads", lang)
            if row.asset == "roads"
            else names.get(row.asset, row.asset)
        )
        row.what = say(WHAT[row.what], lang) if row.what in WHAT else row.what
        row.verdict = verdict_text(row.verdict, lang)
    return rows


WHAT = {
    "arrivals": "calibration.what.arrivals",
    "dock service, docks": "calibration.what.docks",
    "gate service": "calibration.what.gate",
    "shifts": "calibration.what.shifts",
    "power_kw": "calibration.what.power",
    "water_m3h": "calibration.what.water",
    "wastewater_ratio": "calibration.what.wastewater",
    "feeder power_kw": "calibration.what.feeder",
    "substation power_kw": "calibration.what.substation",
    "speed_kmh": "calibration.what.speed",
}
"""What a summary row fitted, in words of each language."""


def verdict_text(verdict: str, lang: Language) -> str:
    """A verdict (``good``, ``fair *``, ...) in `lang`; a change or ``-`` as it is."""
    word, star = verdict.rstrip(" *"), verdict[len(verdict.rstrip(" *")) :]
    return say(f"calibration.verdict.{word}", lang) + star if word in VERDICT_WORDS else verdict


def _summary_rows(cal: Calibration, lang: Language) -> list[SummaryRow]:
    val = cal.validation
    series = {(c.asset, c.quantity): c for c in val.series} if val else {}
    rows = _meter_rows(cal, series, lang)
    rows += [
        SummaryRow(
            c.asset,
            f"{c.kind} power_kw",
            say("calibration.cell.not_fitted", lang),
            "-",
            check_reason(c, lang),
            shown_verdict(c),
            _short_series(c, lang),
        )
        for c in (val.series if val else [])
        if c.kind != "building"
    ]
    rows += _flow_rows(cal, {c.name: c for c in val.arrivals} if val else {}, lang)
    rows += _gate_rows(cal, lang)
    rows += _group_rows(cal, val, lang)
    if cal.speed is not None:
        in_check = say("calibration.cell.in_turnaround_check", lang)
        rows.append(
            SummaryRow(
                "roads",
                "speed_kmh",
                say("calibration.cell.speeds", lang,
                    factor=localized(f"{cal.speed.factor:.3f}", lang)),
                say("calibration.cell.drives", lang, n=cal.speed.n),
                in_check,
                "-",
                in_check,
            )
        )  # fmt: skip
    return rows


def _meter_rows(
    cal: Calibration, series: dict[tuple[str, str], SeriesCheck], lang: Language
) -> list[SummaryRow]:
    def num(value: float) -> str:
        return fmt(value, lang=lang)

    rows: list[SummaryRow] = []
    buildings = {b.id: b for b in cal.source.buildings}
    for (asset, quantity), fit in sorted(cal.levels.items()):
        b = buildings[asset]
        unit = "kW" if quantity == "power_kw" else "m³/h"
        section: Any = b.power if quantity == "power_kw" else b.water
        names = ("base_kw", "shift_kw") if quantity == "power_kw" else ("base_m3h", "shift_m3h")
        base0, shift0 = (getattr(section, n) for n in names)
        check = series.get((asset, quantity))
        shaped = cal.shapes.get((asset, quantity))
        if shaped is not None and shaped.shape is not None:
            before = f"{num(base0)} + {num(shift0)}"
            level = f"{num(shaped.shape.level)} {unit}"
            shape = _shape_name(shaped.chosen, lang)
            fitted = say("calibration.cell.shape", lang, before=before, shape=shape, level=level)
            models = shaped.summary(lang, lambda model: _shape_name(model, lang))
            training = f"MAPE {fixed(shaped.shape.mape_pct, 1, lang)}% ({models})"
            notes: Sequence[str] = ()
        else:
            fitted = f"{num(base0)} + {num(shift0)} → {num(fit.base)} + {num(fit.shift)} {unit}"
            training = f"MAPE {fixed(fit.mape_pct, 1, lang)}%"
            training += "" if fit.separable else say("calibration.cell.sum_only", lang)
            notes = fit.notes
        rows.append(
            SummaryRow(
                asset,
                quantity,
                fitted,
                training,
                check_reason(check, lang) if check else "-",
                _verdict(shown_verdict(check) if check else "-", notes),
                _short_series(check, lang),
            )
        )
    in_check = say("calibration.cell.in_meter_checks", lang)
    for asset, found in sorted(cal.weekdays.items()):
        if not found.inferred and not found.note:
            continue
        days = sorted(found.off or _disputed(found))
        shares = ", ".join(
            f"{say(f'calibration.word.{QUANTITY_WORDS[q]}', lang)} ≤ "
            f"{100 * max(max(s.shares[d]) for d in days):.0f}%"
            for q, s in found.shares.items()
        )
        rows.append(
            SummaryRow(
                asset,
                "shifts",
                say("calibration.cell.run_days", lang, days=day_range(found.days))
                if found.inferred
                else say("calibration.cell.kept", lang),
                say(
                    "calibration.cell.shift_load",
                    lang,
                    days="/".join(say(f"viz.weekday.{d}", lang) for d in days),
                    shares=shares,
                ),
                in_check,
                "-" if found.inferred else "- *",
                in_check,
            )
        )
    for asset, ratio in sorted(cal.ratios.items()):
        water = buildings[asset].water
        check = series.get((asset, "wastewater_m3h"))
        rows.append(
            SummaryRow(
                asset,
                "wastewater_ratio",
                f"{num(water.wastewater_ratio if water else math.nan)} → {num(ratio.ratio)}",
                f"MAPE {fixed(ratio.mape_pct, 1, lang)}%",
                check_reason(check, lang) if check else "-",
                _verdict(shown_verdict(check) if check else "-", ratio.notes),
                _short_series(check, lang),
            )
        )
    return rows


SHAPES = {
    "base + shift": "calibration.shape.base_shift",
    "daily": "calibration.shape.daily",
    "day types": "calibration.shape.day_types",
    "weekly": "calibration.shape.weekly",
}
"""A load shape's name in words of each language."""


FIXED_NOTES = {
    METHOD_LAD: "calibration.note.lad",
    METHOD_SPLIT: "calibration.note.split",
    METHOD_RATIO: "calibration.note.ratio",
    METHOD_RATIO_FITTED: "calibration.note.ratio_fitted",
    SHIFT_TIMES: "calibration.note.shift_times",
    LANES_UNSEEN: "calibration.note.lanes_unseen",
}
"""The fitting modules' notes that hold no figure, each with its text in every language."""


FIGURE_NOTES = (
    "calibration.note.at_gate",
    "calibration.note.unlogged_flows",
    "calibration.note.gate_deconvolution",
    "calibration.note.cannot_split",
    "calibration.note.not_identifiable",
    "calibration.note.other_meters",
    "calibration.note.level_change",
    "calibration.note.meters_disagree",
    "calibration.note.weekly_pattern",
    "calibration.note.how_every_day",
    "calibration.note.how_workday",
    "calibration.note.not_validated",
    "calibration.note.validation_interrupted",
    "calibration.note.numerical",
    "calibration.note.stage_trucks",
    "calibration.note.stage_meters",
    "calibration.note.stage_changes",
    "calibration.note.stage_validation",
    "calibration.note.ratio_capped",
    "calibration.note.daily_above",
    "calibration.note.daily_below",
    "calibration.note.level_shift_day",  # before level_shift, whose {at} would take "day 9"
    "calibration.note.level_shift",
    "calibration.note.no_power_section",
    "calibration.note.no_water_section",
    "calibration.note.under_a_day",
    "calibration.note.wastewater_no_water",
    "calibration.note.wastewater_few",
    "calibration.note.routes_disagree",
    "calibration.note.at_flow",
    "calibration.note.at_dock_group",
    "calibration.note.arrivals_under_a_day",
    "calibration.note.rate_change",
    "calibration.note.service_change",
    "calibration.note.service_gaps",
)
"""The fitting modules' notes said through the table (most with figures or names in them), and
the parts said within them (``how``, ``stage``): read back from their English text
(:func:`twin.language.read_back`) and said again in the report's language."""

NOTE_NAMES = frozenset(
    {"gate", "flows", "meters", "asset", "quantity", "at", "flow", "group", "unit", "warnings"}
)
"""Fields of those notes that name ids, fields, units or times, or quote a library's warning,
not figures: kept as they are."""

NESTED_NOTES = frozenset({"note", "how", "stage"})
"""Fields of those notes that hold a note (or a part) of their own, said in the language too."""

NOTE_WORDS = (
    "calibration.word.and",
    "calibration.word.power_meter",
    "calibration.word.water_meter",
    *(f"calibration.word.day.{d}" for d in range(7)),
)
"""Words within those notes' figures (weekdays, meters) said in the report's language."""


def note_text(note: str, lang: Language) -> str:
    """A fitting module's note in `lang`: one of :data:`FIXED_NOTES` or :data:`FIGURE_NOTES`
    (its figures in `lang`'s style, a note within it in `lang` too), else as it is."""
    if note in FIXED_NOTES:
        return say(FIXED_NOTES[note], lang)
    found = read_back(note, FIGURE_NOTES)
    if found is None or lang == "en":
        return note
    key, fields = found
    for name, value in fields.items():
        if name in NESTED_NOTES:
            fields[name] = note_text(value, lang)
        elif name not in NOTE_NAMES:
            for word in NOTE_WORDS:
                value = value.replace(say(word, "en"), say(word, lang))
            fields[name] = localized(value, lang)
    return say(key, lang, **fields)


def _notes_text(notes: Sequence[str], lang: Language) -> str:
    return "; ".join(note_text(n, lang) for n in notes) or "-"


def _shape_name(shape: str, lang: Language) -> str:
    return say(SHAPES[shape], lang) if shape in SHAPES else shape


def _flow_rows(
    cal: Calibration, checks: dict[str, ArrivalCheck], lang: Language
) -> list[SummaryRow]:
    rows: list[SummaryRow] = []
    flows = {f.id: f for f in cal.source.logistics.flows}
    family = len(checks)
    for fid, fit in sorted(cal.arrivals.items()):
        before = float(np.mean(flows[fid].weekly_rates())) * 24
        check = checks.get(fid)
        rows.append(
            SummaryRow(
                fid,
                "arrivals",
                say(
                    "calibration.cell.per_day",
                    lang,
                    before=fmt(before, lang=lang),
                    after=fmt(fit.per_day, lang=lang),
                    model=fit.choice,
                ),
                "Poisson"
                if fit.daily.poisson
                else say(
                    "calibration.cell.not_poisson",
                    lang,
                    index=localized(f"{fit.daily.index:.1f}", lang),
                ),
                check_reason(check, lang, family) if check else "-",
                _verdict(shown_verdict(check) if check else "-", ()),
                say(
                    "calibration.short.arrivals",
                    lang,
                    p=localized(_p_cell(check.chi2_p, check.chi2_p_adjusted), lang),
                    inside=check.days_in_band,
                    days=check.days,
                )
                if check
                else "-",
            )
        )
    return rows


def _group_rows(cal: Calibration, val: Validation | None, lang: Language) -> list[SummaryRow]:
    checks = {c.group: c for c in val.queues} if val else {}
    replications = val.replications if val else 0
    rows: list[SummaryRow] = []
    groups = {g.id: g for g in cal.source.logistics.dock_groups}
    for gid in sorted(set(cal.services) | set(cal.docks) | set(cal.counts)):
        fit = cal.services.get(gid)
        found = cal.docks.get(gid) or cal.counts.get(gid)
        parts = []
        if fit is not None:
            before = _spec_short(groups[gid].service.model_dump(), lang)
            parts.append(f"{before} → {_spec_short(fit.best.spec, lang)}")
        if found is not None:
            parts.append(say("calibration.cell.docks", lang, before=found.current,
                             after=found.chosen))  # fmt: skip
        check = checks.get(gid)
        rows.append(
            SummaryRow(
                gid,
                "dock service, docks",
                "; ".join(parts),
                _ks_text(fit.best, lang) if fit else "-",
                check_reason(check, lang, replications=replications) if check else "-",
                _verdict(shown_verdict(check) if check else "-", ()),
                _queue_summary(check, lang) if check else "-",
            )
        )
    return rows


def _gate_rows(cal: Calibration, lang: Language) -> list[SummaryRow]:
    rows: list[SummaryRow] = []
    gates = {g.id: g for g in cal.source.logistics.gates}
    in_check = say("calibration.cell.in_gate_checks", lang)
    for gid, found in sorted(cal.gates.items()):
        fit = found.service
        before = _spec_short(gates[gid].service.model_dump(), lang)
        how = say("calibration.cell.from_gate_out" if "gate_out" in found.data
                  else "calibration.cell.deconvolved", lang)  # fmt: skip
        rows.append(
            SummaryRow(
                gid,
                "gate service",
                f"{before} → {_spec_short(fit.best.spec, lang)} ({how})"
                if fit
                else say("calibration.cell.kept_before", lang, before=before),
                say("calibration.cell.ks_trucks", lang, ks=_ks_text(fit.best, lang), n=found.used)
                if fit
                else say("calibration.cell.too_few_trucks", lang, n=found.used),
                in_check,
                "-",
                in_check,
            )
        )
    return rows


def _ks_text(best: Any, lang: Language) -> str:
    """``KS D 0.021 (p 0.28)``: a fit's Kolmogorov-Smirnov distance and p-value."""
    return localized(f"KS D {best.ks_d:.3f} (p {best.ks_p:.2g})", lang)


def check_reason(check: Any, lang: Language, family: int = 0, replications: int = 0) -> str:
    """A validation check's reason in `lang` (a family of `family` arrival checks; a queue
    check judged over `replications`); the text of a change (SPEC) stays as it is."""
    if lang == "en":
        return str(check.reason)
    if isinstance(check, SeriesCheck):
        reason = meter_reason(check.mape_pct, check.days_in_band, check.days, lang)
    elif isinstance(check, ArrivalCheck):
        reason = arrival_reason(check, check.chi2_p_adjusted, family, lang)
    else:
        finished = len(check.samples.get("turnaround", ()))
        reason = queue_reason(check.to_dock, check.turnaround, finished, check.p_adjusted,
                              replications, lang)  # fmt: skip
    if check.changed:
        return say("calibration.reason.changed", lang, changed=check.changed, reason=reason)
    return reason


def _disputed(found: WeekdayFit) -> set[int]:
    return {d for s in found.shares.values() for d in s.off}


def _short_series(check: Any, lang: Language) -> str:
    if check is None:
        return "-"
    return say("calibration.short.series", lang, mape=fixed(check.mape_pct, 1, lang),
               inside=check.days_in_band, days=check.days)  # fmt: skip


def shown_verdict(check: SeriesCheck | ArrivalCheck | QueueCheck) -> str:
    """The verdict, or "changed in validation span on DATE (+40%)" when the data changed."""
    return check.changed or check.verdict


def _verdict(verdict: str, notes: Sequence[str]) -> str:
    return verdict + (" *" if notes else "")


SUMMARY_COLUMNS = ("asset", "what", "fitted", "fit", "validation", "verdict")
"""The summary table's columns, each headed by the text ``calibration.col.<column>``."""


def _head(lang: Language, *columns: str) -> list[str]:
    """A detail table's header: each column ``calibration.head.<column>`` in `lang`."""
    return [say(f"calibration.head.{column}", lang) for column in columns]


def _summary_head(lang: Language) -> list[str]:
    return [say(f"calibration.col.{column}", lang) for column in SUMMARY_COLUMNS]


def _summary_cells(rows: list[SummaryRow]) -> list[list[str]]:
    return [[r.asset, r.what, r.fitted, r.fit, r.validation, r.verdict] for r in rows]


def _plain_words(cal: Calibration, rows: list[SummaryRow], lang: Language) -> list[str]:
    """What fits well and what does not, in sentences: the verdicts in `lang`, then the fits'
    own notes."""
    if cal.validation is None:
        return [say("calibration.not_validated", lang)]
    by: dict[str, list[str]] = {"good": [], "fair": [], "poor": []}
    words = {verdict_text(v, lang): v for v in by}
    for r in rows:
        verdict = words.get(r.verdict.rstrip(" *"))
        if verdict is not None:
            by[verdict].append(f"{r.asset} ({r.what})")
    changed = [f"{r.asset} ({r.what}) {r.verdict}" for r in rows if r.verdict.startswith("chang")]
    out = [say("calibration.changed", lang, items="; ".join(changed))] if changed else []
    for verdict, key in (("good", "fits_well"), ("fair", "fits_roughly"), ("poor", "fits_not")):
        if by[verdict]:
            out.append(say(f"calibration.{key}", lang, items=", ".join(by[verdict])))
    for asset, shifts in sorted(cal.weekdays.items()):
        if shifts.inferred:
            out.append(f"{asset}: {shifts.summary()}.")
        if shifts.note:
            out.append(f"{asset}: {note_text(shifts.note, lang)}.")
    for (asset, quantity), fit in sorted(cal.levels.items()):
        shaped = cal.shapes.get((asset, quantity))
        if shaped is not None and shaped.shape is not None:
            out.append(say("calibration.follows_shape", lang, place=f"{asset} {quantity}",
                           shape=_shape_name(shaped.chosen, lang)))  # fmt: skip
            continue  # the notes were about what two levels cannot follow
        for note in fit.notes:
            out.append(f"{asset} {quantity}: {note_text(note, lang)}.")
    for fid, arrival in sorted(cal.arrivals.items()):
        if not arrival.daily.poisson:
            out.append(f"{fid}: {arrival.daily.verdict(lang)}.")
    for found in cal.docks.values():
        if found.chosen != found.current or found.note.startswith("kept"):
            out.append(f"{found.group}: {found.note}.")
    for count in cal.counts.values():
        if count.chosen != count.current or not count.identified:
            out.append(f"{count.group}: {count.note_in(lang)}.")
    for place, why in sorted(cal.refused.items()):
        out.append(say("calibration.refused", lang, place=place, why=why))
    out.append(say("calibration.starred", lang))
    return out


def _intro(cal: Calibration, lang: Language) -> list[str]:
    held, val = cal.held_out, cal.validation
    text = say("calibration.intro", lang, folder=cal.data.folder,
               period=cal.span_text(cal.period), training=cal.span_text(cal.training))  # fmt: skip
    if held:
        text += say("calibration.intro_held_out", lang, held=cal.span_text(held))
    if val:
        text += say("calibration.intro_validation", lang, n=val.replications, seed=val.seed)
    return [text + ".", say("calibration.verdicts", lang)]


# --------------------------------------------------------------------------- sections


def _data_section(cal: Calibration, lang: Language) -> tuple[str, list[str], list[str]]:
    summaries = [r.summary(lang) for r in cal.data.reports]
    return "Data read", md_list(summaries), [html_list(summaries)]


def _arrival_section(cal: Calibration, lang: Language) -> tuple[str, list[str], list[str]]:
    head = _head(lang, "flow", "trucks", "days", "model_aic", "per_day", "daily_counts")
    cells = []
    for fid, fit in sorted(cal.arrivals.items()):
        aic = ", ".join(
            f"{name} {value:.0f}" + (" ✓" if name == fit.choice else "")
            for name, value in fit.aic.items()
        )
        cells.append(
            [
                fid,
                str(fit.n),
                localized(f"{fit.exposure_h / 24:.1f}", lang),
                aic,
                fmt(fit.per_day, lang=lang),
                fit.daily.verdict(lang),
            ]
        )
    text = [say("calibration.text.arrivals", lang)]
    charts = []
    for fid, fit in sorted(cal.arrivals.items()):
        rates = fit.weekly_rates()
        x = np.arange(168) / 24.0
        charts.append(
            f"<h3>{html_text(fid)}</h3>"
            + svg_chart(
                {say("calibration.chart.fitted_rate", lang): (x, rates)},
                say("calibration.chart.day_of_week", lang),
                say("calibration.chart.trucks_per_hour", lang),
                height=180,
                lang=lang,
            )
        )
    return (
        "Arrivals",
        [*text, "", *md_table(head, cells)],
        [f"<p>{html_text(text[0])}</p>", html_table(head, cells), *charts],
    )


def _service_section(cal: Calibration, lang: Language) -> tuple[str, list[str], list[str]]:
    md: list[str] = [say("calibration.text.services", lang)]
    page = [f"<p>{html_text(md[0])}</p>"]
    head = _head(lang, "family", "parameters", "log_l", "delta_aic", "ks_d", "ks_p")
    for gid, fit in sorted(cal.services.items()):
        cells = [
            [
                f.family,
                _spec_text(f.spec, lang),
                localized(f"{f.loglik:.1f}", lang),
                localized(f"{f.aic - fit.best.aic:.1f}", lang),
                localized(f"{f.ks_d:.3f}", lang),
                localized(f"{f.ks_p:.3g}", lang),
            ]
            for f in fit.fits
        ]
        margin = fit.fits[1].aic - fit.best.aic if len(fit.fits) > 1 else math.inf
        line = say("calibration.text.services_chosen", lang, n=fit.n, censored=fit.n_censored,
                   family=fit.best.family)  # fmt: skip
        if margin < 2:
            line += say("calibration.text.uncertain_choice", lang, other=fit.fits[1].family,
                        margin=localized(f"{margin:.1f}", lang))  # fmt: skip
        md += ["", md_heading(3, gid), "", md_text(line), "", *md_table(head, cells)]
        page.append(f"<h3>{html_text(gid)}</h3><p>{html_text(line)}</p>" + html_table(head, cells))
    return "Service times", md, page


def _meter_section(cal: Calibration, lang: Language) -> tuple[str, list[str], list[str]]:
    head = _head(lang, "building", "quantity", "readings", "step", "base", "shift", "mape", "r2",
                 "method", "notes")  # fmt: skip
    cells = [
        [
            a,
            q,
            str(f.n),
            f"{localized(f'{f.step_min:g}', lang)} {unit_text('min', lang)}",
            fmt(f.base, lang=lang),
            fmt(f.shift, lang=lang),
            f"{fixed(f.mape_pct, 1, lang)}%",
            localized(f"{f.r2:.3f}", lang),
            note_text(f.method, lang),
            _notes_text(f.notes, lang),
        ]
        for (a, q), f in sorted(cal.levels.items())
    ]
    head2 = _head(lang, "building", "readings", "wastewater_ratio", "mape", "method", "notes")
    cells2 = [
        [a, str(r.n), fmt(r.ratio, lang=lang), f"{fixed(r.mape_pct, 1, lang)}%",
         note_text(r.method, lang),
         _notes_text(r.notes, lang)]
        for a, r in sorted(cal.ratios.items())
    ]  # fmt: skip
    text = say("calibration.text.meters", lang)
    md = [text, "", *md_table(head, cells)]
    page = [f"<p>{html_text(text)}</p>", html_table(head, cells)]
    if cells2:
        md += ["", *md_table(head2, cells2)]
        page.append(html_table(head2, cells2))
    return "Meters", md, page


def _gates_docks_section(cal: Calibration, lang: Language) -> tuple[str, list[str], list[str]]:
    md: list[str] = []
    page: list[str] = []
    head = _head(lang, "gate", "trucks_logged", "times_used", "chosen", "method")
    cells = [
        [
            g,
            str(f.trucks),
            str(f.used),
            _spec_text(f.service.best.spec, lang)
            if f.service
            else say("calibration.cell.kept_too_few", lang),
            note_text(f.method, lang),
        ]
        for g, f in sorted(cal.gates.items())
    ]
    if cells:
        heading = say("calibration.sub.gates", lang)
        md += [md_heading(3, heading), "", *md_table(head, cells), ""]
        page += [html_heading(3, heading), html_table(head, cells)]
    head = _head(lang, "dock_group", "services", "most_at_once", "waits_seen", "file_fitted",
                 "reading")  # fmt: skip
    cells = [
        [
            g,
            str(c.services),
            str(c.lower),
            str(c.waits),
            f"{c.current} → {c.chosen}",
            c.note_in(lang),
        ]
        for g, c in sorted(cal.counts.items())
    ]
    if cells:
        text = say("calibration.text.dock_counts", lang)
        heading = say("calibration.sub.docks", lang)
        md += [md_heading(3, heading), "", text, "", *md_table(head, cells)]
        page += [html_heading(3, heading), f"<p>{html_text(text)}</p>", html_table(head, cells)]
    return "Gates and docks (from the log)", md, page


def _search_section(cal: Calibration, lang: Language) -> tuple[str, list[str], list[str]]:
    md: list[str] = []
    page: list[str] = []
    if cal.speed is not None:
        s = cal.speed
        text = say("calibration.text.speed", lang, n=s.n, factor=localized(f"{s.factor:.3f}", lang))
        text += "".join(say("calibration.text.note", lang, note=n) for n in s.notes)
        head = _head(lang, "flow", "trucks", "observed_drive", "file_drive")
        cells = [
            [f, str(n), localized(f"{o:.2f}", lang), localized(f"{m:.2f}", lang)]
            for f, (n, o, m) in sorted(s.per_flow.items())
        ]
        md += [text, "", *md_table(head, cells), ""]
        page += [f"<p>{html_text(text)}</p>", html_table(head, cells)]
    if cal.docks:
        text = say("calibration.text.dock_search", lang)
        counts = sorted({k for d in cal.docks.values() for k in d.simulated})
        head = [*_head(lang, "dock_group", "observed"),
                *[say("calibration.head.k_docks", lang, k=k) for k in counts],
                *_head(lang, "result")]  # fmt: skip
        cells = []
        for gid, d in sorted(cal.docks.items()):
            row = [gid, localized(f"{d.observed_mean:.1f} ± {d.observed_se:.1f}", lang)]
            for k in counts:
                sim = d.simulated.get(k)
                mark = say("calibration.cell.file_mark", lang) if k == d.current else ""
                row.append(localized(f"{sim[0]:.1f} ± {sim[1]:.1f}", lang) + mark if sim else "")
            row.append(d.note)
            cells.append(row)
        md += [text, "", *md_table(head, cells)]
        page += [f"<p>{html_text(text)}</p>", html_table(head, cells)]
    return "Road speed and docks (searches)", md, page


def _changes_section(cal: Calibration, lang: Language) -> tuple[str, list[str], list[str]]:
    """Every change point found: in the training span (followed) and near the held-out span."""
    text = say("calibration.text.changes", lang)
    head = _head(lang, "asset", "quantity", "from", "before", "after", "size", "span")
    spans = [(c, say("calibration.cell.span_training", lang)) for c in cal.changes]
    spans += [(c, say("calibration.cell.span_validation", lang)) for c in cal.held_out_changes]
    cells = [
        [
            c.asset,
            c.quantity,
            cal.data.timebase.iso(c.at_min),
            fmt(c.before, lang=lang),
            fmt(c.after, lang=lang),
            f"{c.size_pct:+.0f}%"
            if math.isfinite(c.size_pct)
            else say("calibration.cell.from_zero", lang),
            span,
        ]
        for c, span in spans
    ]
    md = [text, "", *md_table(head, cells)]
    return "Changes", md, [f"<p>{html_text(text)}</p>", html_table(head, cells)]


def _uncertainty_section(cal: Calibration, lang: Language) -> tuple[str, list[str], list[str]]:
    """Intervals of every fitted value, what moved beyond them, what the data cannot tell."""
    rows = parameter_rows(cal, (cal.park.metadata or {}).get("calibration", {}))
    text = say("calibration.text.uncertainty", lang)
    head = _head(lang, "place", "before", "fitted", "interval", "moved", "identifiability")
    cells = [
        [
            r["place"],
            _value_text(r["before"], lang),
            _value_text(r["fitted"], lang),
            "; ".join(f"{k} {_interval_text(v, lang)}" for k, v in r["ci95"].items()) or "-",
            say("calibration.cell.yes", lang) if r["moved"] else "",
            ""
            if r["identifiability"] == "identified by the data"
            else note_text(r["identifiability"], lang),
        ]
        for r in rows
        if r["ci95"] or r["identifiability"] != "identified by the data"
    ]
    moved = [r["place"] for r in rows if r["moved"]]
    summary = (
        say("calibration.text.moved", lang, n=len(moved), places=", ".join(moved))
        if moved
        else say("calibration.text.none_moved", lang)
    )
    md = [text, "", md_text(summary), "", *md_table(head, cells)]
    page = [f"<p>{html_text(text)}</p><p>{html_text(summary)}</p>", html_table(head, cells)]
    return "Uncertainty and identifiability", md, page


def _value_text(value: Any, lang: Language) -> str:
    if isinstance(value, dict) and "dist" in value:
        return _spec_short(value, lang)
    if isinstance(value, dict):
        return ", ".join(
            f"{k}: {'…' if isinstance(v, list) else fmt(v, lang=lang)}" for k, v in value.items()
        )
    if isinstance(value, list):
        return say("calibration.cell.values", lang, n=len(value))
    if value is None and lang != "en":
        return "-"
    return fmt(value, lang=lang) if isinstance(value, int | float) else str(value)


def _interval_text(interval: list[float | None], lang: Language) -> str:
    low, high = interval
    between = "; " if lang in DECIMAL_COMMA_LANGUAGES else ", "
    shown_low = fmt(low, lang=lang) if low is not None else "?"
    return f"[{shown_low}{between}{fmt(high, lang=lang) if high is not None else '∞'}]"


def _validation_section(cal: Calibration, lang: Language) -> tuple[str, list[str], list[str]]:
    val = cal.validation
    assert val is not None
    md: list[str] = []
    page: list[str] = []
    for part in (_meter_checks, _arrival_checks, _queue_checks):
        more_md, more_page = part(val, lang)
        md += more_md
        page += more_page
    return "Validation on the held-out span", md, page


def _meter_checks(val: Validation, lang: Language) -> tuple[list[str], list[str]]:
    """Meters: hourly MAPE and days in band, with a chart each."""
    md: list[str] = []
    page: list[str] = []
    head = _head(lang, "meter", "hours", "hourly_mape", "days_in_band", "verdict")
    cells = [
        [
            f"{c.asset} {c.quantity}",
            str(len(c.hours)),
            f"{fixed(c.mape_pct, 1, lang)}%",
            f"{c.days_in_band}/{c.days}",
            verdict_text(shown_verdict(c), lang),
        ]
        for c in val.series
    ]
    observed, simulated = (
        say("calibration.chart.observed", lang),
        say("calibration.chart.simulated", lang),
    )
    if cells:
        heading = say("calibration.sub.meters", lang)
        md += [md_heading(3, heading), "", *md_table(head, cells), ""]
        page += [html_heading(3, heading), html_table(head, cells)]
        for c in sorted(val.series, key=lambda c: (VERDICT_ORDER[c.verdict], c.asset)):
            x = c.hours / 1440.0
            page.append(
                f"<h4>{html_text(c.asset)} {c.quantity}: "
                f"{html_text(verdict_text(shown_verdict(c), lang))} "
                f"({html_text(check_reason(c, lang))})</h4>"
                + svg_chart(
                    {observed: (x, c.observed), simulated: (x, c.simulated)},
                    say("calibration.chart.held_out_day", lang),
                    c.quantity,
                    height=200,
                    lang=lang,
                )
            )
    return md, page


def _arrival_checks(val: Validation, lang: Language) -> tuple[list[str], list[str]]:
    """Truck arrivals per flow, charts for those not good."""
    md: list[str] = []
    page: list[str] = []
    head = _head(lang, "flow", "per_day_obs_sim", "hourly_mape", "noise_alone", "chi2_holm",
                 "days_in_band", "verdict")  # fmt: skip
    cells = [
        [
            _flow_name(c.name, lang),
            localized(f"{c.observed_per_day:.1f} / {c.simulated_per_day:.1f}", lang),
            f"{c.mape_pct:.0f}%",
            f"{c.floor_pct:.0f}%",
            localized(_p_cell(c.chi2_p, c.chi2_p_adjusted), lang),
            f"{c.days_in_band}/{c.days}",
            verdict_text(shown_verdict(c), lang),
        ]
        for c in val.arrivals
    ]
    observed = say("calibration.chart.observed", lang)
    simulated = say("calibration.chart.simulated_mean", lang)
    if cells:
        heading = say("calibration.sub.arrivals", lang)
        md += [md_heading(3, heading), "", *md_table(head, cells), ""]
        page += [html_heading(3, heading), html_table(head, cells)]
        for a in val.arrivals:
            if a.name != "all logged flows" and a.verdict == "good":
                continue
            x = a.hours / 1440.0
            page.append(
                f"<h4>{html_text(_flow_name(a.name, lang))}: {verdict_text(a.verdict, lang)}</h4>"
                + svg_chart(
                    {observed: (x, a.observed), simulated: (x, a.simulated)},
                    say("calibration.chart.held_out_day", lang),
                    say("calibration.chart.trucks_per_hour", lang),
                    height=200,
                    lang=lang,
                )
            )
    return md, page


def _queue_checks(val: Validation, lang: Language) -> tuple[list[str], list[str]]:
    """Gate-to-dock and turnaround KS tests, with ECDF charts."""
    md: list[str] = []
    page: list[str] = []
    head = _head(lang, "dock_group", "trucks", "to_dock_ks", "mean_min_model", "turnaround_ks",
                 "mean_min_model", "p_holm", "verdict")  # fmt: skip
    cells = [
        [
            c.group,
            str(c.n_observed),
            localized(_distance_cell(c.to_dock), lang),
            localized(_mean_cell(c.to_dock), lang),
            localized(_distance_cell(c.turnaround), lang),
            localized(_mean_cell(c.turnaround), lang),
            localized(f"{c.p_adjusted:.2g}", lang),
            verdict_text(shown_verdict(c), lang),
        ]
        for c in val.queues
    ]
    note = say("calibration.text.queues", lang)
    if cells:
        heading = say("calibration.sub.queues", lang)
        md += [md_heading(3, heading), "", note, "", *md_table(head, cells)]
        page += [html_heading(3, heading), f"<p>{html_text(note)}</p>", html_table(head, cells)]
        for q in val.queues:
            obs, sim = q.samples.get("turnaround"), q.samples.get("turnaround_sim")
            if obs is None or sim is None or len(obs) < 2 or len(sim) < 2:
                continue
            page.append(
                f"<h4>{html_text(say('calibration.chart.turnaround', lang, group=q.group))}</h4>"
                + svg_chart(
                    {
                        say("calibration.chart.observed", lang): _ecdf(obs),
                        say("calibration.chart.simulated", lang): _ecdf(sim),
                    },
                    say("calibration.chart.minutes", lang),
                    unit_text("share", lang),
                    height=200,
                    lang=lang,
                )
            )
    return md, page


def _flow_name(name: str, lang: Language) -> str:
    """A flow's id, or the check of all logged flows together in words of `lang`."""
    return say("calibration.cell.all_flows", lang) if name == "all logged flows" else name


def _p_cell(raw: float, adjusted: float) -> str:
    """``0.0094 (0.066)``: a p-value and, where it differs, the same after Holm's correction."""
    if not math.isfinite(adjusted) or adjusted == raw:
        return f"{raw:.2g}"
    return f"{raw:.2g} ({adjusted:.2g})"


def _distance_cell(x: Distance) -> str:
    """``0.14 (0.07-0.15)``: the observed distance and the model's own spread."""
    return _in_band(x.d, x.spread, ".2f")


def _mean_cell(x: Distance) -> str:
    """``6.0 (5.9-12.7)``: the observed mean and the replications' 5-95%."""
    return _in_band(x.observed_mean, x.means, ".1f")


def _in_band(value: float, band: tuple[float, float], spec: str) -> str:
    """A value and, when there is one, the band the model's replications give."""
    if not math.isfinite(value):
        return "-"
    if not math.isfinite(band[0]):
        return format(value, spec)
    return f"{value:{spec}} ({band[0]:{spec}}-{band[1]:{spec}})"


def _queue_summary(check: QueueCheck, lang: Language) -> str:
    """The console's cell: both distances and the family-wise p."""
    if check.n_observed < MIN_TRUCKS_JUDGED:
        return say("calibration.short.few_trucks", lang)
    judged = (
        localized(f"p {check.p_adjusted:.2g}", lang)
        if math.isfinite(check.p_adjusted)
        else say("calibration.short.no_spread", lang, least=MIN_REPLICATIONS)
    )
    return say("calibration.short.queues", lang, to_dock=localized(f"{check.to_dock.d:.2f}", lang),
               turnaround=localized(f"{check.turnaround.d:.2f}", lang), judged=judged)  # fmt: skip


# --------------------------------------------------------------------------- helpers


def _ecdf(values: np.ndarray, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(values)
    q = np.linspace(0, 1, min(points, len(x)))
    return np.quantile(x, q), q


def _spec_short(spec: dict[str, Any], lang: Language = "en") -> str:
    """``gamma 40/12``: a distribution in a few characters (``gamma 40,5/12`` in vi)."""
    figures = "/".join(fmt(v, lang=lang) for k, v in spec.items() if k != "dist")
    return f"{spec.get('dist')} {figures}"


def _spec_text(spec: dict[str, Any], lang: Language = "en") -> str:
    params = ", ".join(f"{k} {fmt(v, lang=lang)}" for k, v in spec.items() if k != "dist")
    return f"{spec.get('dist')}({params})"


def write_park_file(cal: Calibration, out: str | Path) -> Path:
    """Write the fitted park atomically: JSON when `out` ends in ``.json``, else YAML.

    Raises:
        InputError: the file cannot be written (the message names it).
    """
    target = Path(out)
    if target.suffix.lower() == ".json":
        text = json.dumps(cal.park.model_dump(mode="json", exclude_none=True), indent=1) + "\n"
    else:
        text = (
            f"# {cal.park.park.name}: calibrated by parktwin from {cal.data.folder}\n"
            f"# fitted on {cal.span_text(cal.training)}; metadata.calibration says where each\n"
            "# fitted value came from. Comments of the input park are not carried over.\n"
        ) + dump_park(cal.park)
    try:
        return atomic_write_text(target, text)
    except OSError as exc:
        raise InputError(str(target), f"could not be written ({exc.strerror or exc})") from None


def save_calibration(
    out: str | Path,
    report_dir: str | Path | None,
    compute: Callable[[], Calibration],
    command: str = "parktwin calibrate",
    lang: Language = "en",
) -> tuple[Calibration, list[Path]]:
    """Compute a calibration, then write the fitted park and, when asked, the report folder
    (its report in `lang`).

    The report folder (report.md, report.html, calibration.json) is a result folder
    (:func:`twin.io.result_folder.write_result`): checked and locked before `compute` runs,
    staged, stamped with a run id and ``manifest.json``, and swapped in whole. The park file
    is written before the folder is swapped in, so a park that cannot be written leaves the
    folder as it was; a park file inside the report folder is written into it as one of its
    files. A calibration interrupted in its validation (:class:`CalibrationInterrupted`) is a
    partial result: its report and fitted park go into the report folder, or ``DIR.partial``
    beside a complete one, and the park file `out` is left as it was.

    Returns:
        The calibration, and the files written (the park file first).
    """
    target = Path(out)
    if report_dir is None:
        cal = compute()
        return cal, [write_park_file(cal, target)]
    folder = Path(report_dir)
    inside = target.parent.resolve() == folder.resolve()

    def write(staging: Path, cal: Calibration) -> None:
        park_file = staging / target.name if inside or cal.interrupted else target
        write_park_file(cal, park_file)
        write_report(cal, staging, lang)

    def salvage(exc: BaseException) -> Calibration | None:
        return exc.calibration if isinstance(exc, CalibrationInterrupted) else None

    written = "the fits, not validated, were written to"
    cal = write_result(folder, command, compute, write, salvage=salvage, salvaged=written)
    return cal, [target, *(folder / name for name in REPORT_FILES)]


def write_outputs(
    cal: Calibration, out: str | Path, report_dir: str | Path | None, lang: Language = "en"
) -> list[Path]:
    """Write a calibration's fitted park and, when asked, its report folder (see
    :func:`save_calibration`); return the files written."""
    return save_calibration(out, report_dir, lambda: cal, lang=lang)[1]
