"""What the commands print on the terminal: tables, progress bars and short summaries.

rich loads inside the functions, so that ``parktwin --help`` stays fast.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import typer

REFRESH_S = 0.1
"""Least time between two drawings of a progress bar."""


class progress:
    """A rich progress bar on stderr that shows only for work longer than a moment.

    The bar is drawn when the work reports progress (at most every :data:`REFRESH_S`), never
    by a thread of its own: while this process runs one thread, its worker processes can be
    forked (a copy of this process, ready at once) rather than started by a fork server. The
    runner reports at least every tenth of a second while it waits for workers, so the
    spinner and clock keep moving.
    """

    def __init__(self, quiet: bool = False, label: str = "replications") -> None:
        self.quiet = quiet
        self.label = label
        self._bar: Any = None
        self._task: Any = None
        self._drawn = 0.0

    def __enter__(self) -> Callable[[float, int], None]:
        if self.quiet or not sys.stderr.isatty():
            return lambda done, total: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            "[progress.description]{task.description}",
            SpinnerColumn(),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
            auto_refresh=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=None)
        return self.update

    def update(self, done: float, total: int) -> None:
        """Advance the bar to `done` of `total`; draw it if it was not drawn just now."""
        self._bar.update(self._task, completed=done, total=total)
        now = time.monotonic()
        if now - self._drawn >= REFRESH_S or done == total:
            self._bar.refresh()
            self._drawn = now

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def headline_kpis(kpis: dict[str, Any], busiest: int = 5) -> dict[str, Any]:
    """Park-wide KPIs, gates, substations and the `busiest` dock groups by utilisation."""
    groups = sorted(
        {n.split(".")[1] for n in kpis if n.startswith("docks.")},
        key=lambda g: -(kpis[f"docks.{g}.utilization"]["mean"] or 0.0),
    )[:busiest]
    keep = {f"docks.{g}." for g in groups}
    return {
        n: k
        for n, k in kpis.items()
        if not n.startswith(("docks.", "production."))
        or any(n.startswith(prefix) for prefix in keep)
    }


def print_kpis(
    doc: dict[str, Any],
    show_all: bool = False,
    lang: str = "en",
    names: dict[str, str] | None = None,
) -> None:
    """The KPI table of a kpis.json document, grouped and aligned, in `lang` (``vi``, ``en``),
    assets by their `names`.

    Without `show_all` only the headline KPIs are shown, and the caption says how many more.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from twin.language import language_of, say, unit_text
    from twin.model.labels import kpi_label
    from twin.text import bounds_text, fmt

    language = language_of(lang)
    reps = doc["replications"]
    title = f"{doc['park']}" + (f" — {doc['scenario']}" if doc["scenario"] else "")
    caption = say("run.intro", language, n=reps, seed=doc["seed"], days=f"{doc['horizon_days']:g}",
                  warmup=f"{doc['warmup_days']:g}")  # fmt: skip
    table = Table(title=escape(title), caption=escape(caption))
    table.add_column(say("word.kpi", language))
    table.add_column(say("word.mean", language), justify="right")
    if reps > 1:
        table.add_column(say("word.interval", language), justify="right")
    table.add_column(say("word.unit", language))
    previous = None
    shown = doc["kpis"] if show_all else headline_kpis(doc["kpis"])
    for name, k in shown.items():
        group = name.split(".")[0]
        if previous is not None and group != previous:
            table.add_section()
        previous = group
        row = [escape(kpi_label(name, language, names or {})), fmt(k["mean"], lang=language)]
        if reps > 1:
            row.append(bounds_text(k["ci95"], language))
        table.add_row(*row, unit_text(k["unit"], language))
    hidden = len(doc["kpis"]) - len(shown)
    if hidden:
        more = say("console.hidden", language, n=hidden, options="--all / --json")
        table.caption = f"{table.caption}\n{escape(more)}"
    Console(emoji=False).print(table)


def echo_notes(doc: dict[str, Any], warnings_only: bool = False) -> None:
    """What a result's document notes for people: its warnings on stderr, the rest on stdout.

    Args:
        doc: a kpis.json, comparison.json or sweep.json document.
        warnings_only: only the warnings (beside a JSON document on stdout, which has them too).
    """
    from twin.experiment.results import describe_choices

    lines = [*describe_choices(doc), *(f"note: {n}" for n in doc.get("notes", []))]
    for line in lines:
        warning = line.startswith("warning: ")
        if warning or not warnings_only:
            typer.echo(line, err=warning)


def print_comparison(comparison: Any, show_all: bool) -> None:
    """The summary first, then the comparison table (significant changes first) and one
    verdict line per scenario, in the comparison's language."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from twin.language import say

    lang = comparison.lang
    doc = comparison.to_dict()
    summary = comparison.summary_table(show_all)
    hidden = summary["hidden"]
    caption = say("console.compare_caption", lang, n=comparison.replications, seed=doc["seed"],
                  days=f"{doc['horizon_days']:g}", warmup=f"{doc['warmup_days']:.3g}")  # fmt: skip
    if hidden:
        caption += "\n" + say("console.hidden", lang, n=hidden, options="--all / --out")
    title = say("compare.title", lang, park=comparison.baseline.park,
                scenarios=", ".join(comparison.labels))  # fmt: skip
    table = Table(title=escape(title), caption=escape(caption))
    table.add_column(escape(summary["columns"][0]), overflow="fold")
    table.add_column(escape(summary["columns"][1]))
    for column in summary["columns"][2:]:
        table.add_column(escape(column), justify="right")
    for section in ("changed", "unchanged"):
        if section == "unchanged" and summary["changed"] and summary["unchanged"]:
            table.add_section()
        for row in summary[section]:
            cells = [
                f"[bold]{escape(c['text'])}[/bold]"
                if c["significant"]
                else f"[dim]{escape(c['text'])}[/dim]"
                for c in row["cells"]
            ]
            table.add_row(escape(row["label"]), row["unit"], row["baseline"], *cells)
    for line in doc["summary"]["text"]:
        typer.echo(line)
    Console().print(table)
    echo_notes(doc)
    for line in comparison.verdicts():
        typer.echo(line)


def print_sweep(result: Any) -> None:
    """The sweep's table: parameters, then each KPI's mean [95% interval], with a bar."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from twin.experiment.sweeps import labels_of
    from twin.language import say
    from twin.model.labels import kpi_label
    from twin.text import bounds_text, fmt

    doc = result.to_dict()
    reps = result.replications
    lang = result.lang
    caption = say("sweep.intro", lang, n=reps, seed=doc["seed"], days=f"{doc['horizon_days']:g}",
                  warmup=f"{doc['warmup_days']:.3g}")  # fmt: skip
    title = f"{result.park}" + (f" — {result.scenario}" if result.scenario else "")
    table = Table(title=escape(title), caption=escape(caption))
    for name in labels_of(result.varies):
        table.add_column(escape(name), justify="right", overflow="fold")
    for kpi in result.kpis:
        unit = doc["points"][0]["kpis"].get(kpi, {}).get("unit", "")
        label = kpi_label(kpi, lang, result.names, unit)
        table.add_column(escape(label), justify="right", overflow="fold")
    if result.kpis:
        table.add_column("")
    means = [
        (point["kpis"].get(result.kpis[0], {}).get("mean") if result.kpis else None)
        for point in doc["points"]
    ]
    top = max((m for m in means if m is not None), default=0.0) or 1.0
    for point, values, mean in zip(doc["points"], result.points, means, strict=True):
        cells = [str(v) for v in values]
        if point.get("missing_replications"):  # say it beside the point's parameter values
            done = reps - len(point["missing_replications"])
            cells[-1] += say("sweep.incomplete", lang, done=done, total=reps)
        for kpi in result.kpis:
            k = point["kpis"].get(kpi)
            if k is None:
                cells.append("-")
            elif reps > 1:
                cells.append(f"{fmt(k['mean'], lang=lang)} {bounds_text(k['ci95'], lang)}")
            else:
                cells.append(fmt(k["mean"], lang=lang))
        if result.kpis:
            cells.append("█" * round(12 * max(mean or 0.0, 0.0) / top))
        table.add_row(*cells)
    Console().print(table)
    echo_notes(doc)
    for line in doc["summary"]["text"]:
        typer.echo(line)


def print_calibration(rows: list[Any], name: str, lang: str = "en") -> None:
    """The calibration summary as a table, in `lang` (the rows already are)."""
    from rich.console import Console
    from rich.table import Table

    from twin.language import language_of, say
    from twin.reports.calibration import SUMMARY_COLUMNS, verdict_text

    language = language_of(lang)
    table = Table(
        title=say("calibration.console_title", language, park=name),
        caption=say("calibration.console_caption", language),
    )
    for column in SUMMARY_COLUMNS:
        table.add_column(say(f"calibration.console_col.{column}", language))
    colours = {
        verdict_text(v, language): c for v, c in (("good", "green"), ("fair", "yellow"),
                                                  ("poor", "red"))
    }  # fmt: skip
    for row in rows:
        verdict = row.verdict.rstrip(" *")
        style = colours.get(verdict, "")
        shown = f"[{style}]{row.verdict}[/{style}]" if style else row.verdict
        table.add_row(row.asset, row.what, row.fitted, row.fit, row.short, shown)
    Console(width=None if sys.stdout.isatty() else 150).print(table)


def print_state(doc: dict[str, Any], lang: str = "en", names: dict[str, str] | None = None) -> None:
    """The state document as a few readable lines, in `lang`, assets by their `names`."""
    from twin.language import language_of, say

    language, names = language_of(lang), names or {}
    trucks = doc["trucks"]
    typer.echo(say("state.head", language, time=doc["time"], n=trucks["in_park"]))
    for stage in ("gate_queue", "at_gate", "dock_queue", "in_service"):
        busy = {k: v for k, v in trucks[stage].items() if v}
        shown = ", ".join(f"{names.get(k, k)} {v}" for k, v in busy.items())
        typer.echo(f"  {say(f'state.{stage}', language)}: {shown or say('state.none', language)}")
    typer.echo(say("state.road", language, road=trucks["on_road"], leaving=trucks["leaving"]))
    for outage in doc["outages"]:
        end = outage["expected_end"] or say("state.unknown", language)
        asset = names.get(outage["asset"], outage["asset"])
        typer.echo(say("state.outage", language, asset=asset, since=outage["since"], end=end))
    meters = sum(len(q) for q in doc["meters"].values())
    typer.echo(say("state.meters", language, n=meters))
    m = doc["messages"]
    typer.echo(say("state.messages", language, stored=m["stored"], rejected=m["rejected"],
                   duplicates=m["duplicates"]))  # fmt: skip


def forecast_lines(
    doc: dict[str, Any], busiest: int = 5, lang: str = "en", names: dict[str, str] | None = None
) -> list[str]:
    """The forecast for people, in `lang`: trucks in the park and the busiest dock queues at the
    horizon's end (mean and 90% band), then the alerts; dock groups by their `names`."""
    from twin.language import language_of, say
    from twin.text import fixed, fmt

    language, names = language_of(lang), names or {}
    series = doc["series"]
    docks = [n for n in series if n.startswith("docks.")]
    docks.sort(key=lambda n: -max((v for v in series[n]["mean"] if v is not None), default=0))
    lines = [
        say("nowcast.head", language, origin=doc["origin"], hours=fmt(doc["hours"], lang=language),
            n=doc["replications"], trucks=doc["state"]["trucks"])
    ]  # fmt: skip
    for name in ["trucks.in_park", *docks[:busiest]]:
        s = series[name]
        lines.append(
            say("nowcast.line", language, what=_series_text(name, language, names),
                time=s["time"][-1][11:16], mean=fixed(s["mean"][-1], 1, language),
                low=fixed(s["p05"][-1], 1, language), high=fixed(s["p95"][-1], 1, language))
        )  # fmt: skip
    for alert in doc["alerts"]:
        lines.append(
            say("nowcast.alert", language, what=_series_text(alert["series"], language, names),
                threshold=fmt(alert["threshold"], lang=language), time=alert["time"],
                p=f"{alert['probability']:.0%}", peak=f"{alert['peak_probability']:.0%}")
        )  # fmt: skip
    return lines


def _series_text(name: str, lang: Any, names: dict[str, str]) -> str:
    """A nowcast series in words: ``docks.<group>.queue`` by the group's name."""
    from twin.language import say

    if name == "trucks.in_park":
        return say("nowcast.trucks_in_park", lang)
    group = name.removeprefix("docks.").removesuffix(".queue")
    if name == f"docks.{group}.queue":
        return say("nowcast.dock_queue", lang, name=names.get(group, group))
    return name


def print_decision(doc: dict[str, Any]) -> None:
    """The candidates of ``parktwin optimize`` and the answer in words (a best or a Pareto set)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from twin.language import language_of, say
    from twin.reports.optimize import standing_text, status_text
    from twin.text import bounds_text, fmt

    summary = doc.get("summary")
    lang = language_of(summary["lang"] if summary else None)
    keys = list(doc["candidates"][0]["values"]) if doc["candidates"] else []
    goals = [g["target"] for g in doc["objectives"]] if doc["best"] is None else ["objective"]
    if summary:
        goals = [say("optimize.objective_column", lang)]
    columns = ("replications_column", "status_column", "reason_column")
    tail = [say(f"optimize.{c}", lang) for c in columns]
    title = f"{doc['problem']}: {say('optimize.candidates', lang)}"
    table = Table(title=escape(title), caption=escape(doc["certificate"]["guarantee"]))
    for k, name in enumerate([*keys, *goals, *tail]):
        justify = "right" if len(keys) <= k < len(keys) + len(goals) + 1 else "left"
        table.add_column(escape(name), justify=justify)  # type: ignore[arg-type]
    for c in doc["candidates"]:
        shown = c["objectives"] if doc["best"] is None else [c["objective"]]
        table.add_row(
            *(escape(str(c["values"][k])) for k in keys),
            *(f"{fmt(o['mean'], lang=lang)} {bounds_text(o['ci95'], lang)}" for o in shown),
            str(c["replications"]), escape(status_text(c["status"], lang)),
            escape(standing_text(c["reason"], lang)),
        )  # fmt: skip
    Console(width=None if sys.stdout.isatty() else 150).print(table)
    for line in summary["text"] if summary else [_answer_line(doc)]:
        typer.echo(line)
    echo_decision_warnings(doc)


def echo_decision_warnings(doc: dict[str, Any]) -> None:
    """The warnings among an optimum.json document's notes, on stderr."""
    for note in doc["notes"]:
        if note.startswith("warning: "):
            typer.echo(note, err=True)


def _answer_line(doc: dict[str, Any]) -> str:
    replications = doc["certificate"]["total_replications"]
    if doc["best"] is None:
        return f"Pareto set: {len(doc['pareto'])} candidate(s) ({replications} replications)"
    best = ", ".join(f"{k} = {v}" for k, v in doc["best"]["values"].items())
    verdict = "best" if doc["best"]["feasible"] else "no feasible candidate; closest"
    return f"{verdict}: {best} ({replications} replications)"


def n1_lines(result: dict[str, Any], lang: str, names: dict[str, str]) -> list[str]:
    """The N-1 study on the terminal: a heading, then one line per outage, worst first."""
    from twin.language import language_of, say
    from twin.reports.n1 import moment_text
    from twin.text import fixed, fmt

    language = language_of(lang)
    rows = result["contingencies"]
    lines = [say("n1.console_head", language, at=moment_text(result["at"], language), n=len(rows))]
    for row in rows:
        secure = say("n1.secure_word" if row["secure"] else "n1.insecure_word", language)
        figures = say("n1.console_row", language, mw=fixed(row["unserved_mw"], 2, language),
                      mwh=fixed(row["unserved_mwh"], 2, language),
                      loading=fixed(row["max_loading_pct"], 0, language),
                      v=fixed(row["min_v_pu"], 3, language),
                      trucks=fmt(row["trucks_delayed"], lang=language))  # fmt: skip
        outage = names.get(row["outage"], row["outage"])
        kind = say(f"n1.kind.{row['kind']}", language)
        lines.append(f"  {outage:<14} {kind:<11} {secure:<10} {figures}")
    return lines


def headroom_lines(result: dict[str, Any], lang: str, names: dict[str, str]) -> list[str]:
    """The headroom study on the terminal: a heading, then one line per bus, most room first."""
    from twin.language import language_of, say
    from twin.reports.headroom import binding_text, headroom_cells, n1_sentence, room_text
    from twin.reports.n1 import moment_text
    from twin.text import fixed

    language = language_of(lang)
    at = moment_text(result["at"], language)
    pf = fixed(result["power_factor"], 2, language)
    lines = [say("headroom.console_head", language, at=at, pf=pf)]
    if not result["base_within_limits"]:
        lines.append(say("headroom.intro_broken", language, n=len(result["buses"]),
                         mw=fixed(result["demand_mw"], 2, language), pf=pf,
                         limit=fixed(result["v_min_pu"], 2, language)))  # fmt: skip
    if "n1" in result:
        lines.append(n1_sentence(result, language))
    for row in result["buses"]:
        bus, label, room = headroom_cells(row, language, names)[:3]
        binds = binding_text(row["binding"], language, names)
        line = f"  {bus:<16} {room:>10} MW  {binds}"
        if "n1" in row:
            n1 = row["n1"]
            outage = names.get(n1["outage"], n1["outage"]) if n1["outage"] else "-"
            line += (f"  | N-1 {room_text(n1, language):>8} MW ({outage}): "
                     f"{binding_text(n1['binding'], language, names)}")  # fmt: skip
        lines.append(f"{line}  ({label})")
    return lines
