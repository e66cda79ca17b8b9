"""The `parktwin` command line: thin Typer commands over the `twin` library.

Each command parses its options, makes one library call and maps known errors to exit codes:
0 success, 2 bad input, 1 internal error, 130 interrupted. Heavy libraries (scipy, pyvista) are
imported inside the commands, so `parktwin --help` stays fast.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

app = typer.Typer(
    name="parktwin",
    help="Digital twin simulator for industrial parks: simulate, compare what-ifs, calibrate, "
    "render in 3D.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one message on stderr and return the Exit to raise."""
    typer.echo(f"parktwin: {message}", err=True)
    return typer.Exit(code)


def _named(exc: Exception) -> str:
    """The message of a bad-input error; settings are called by their command-line flags."""
    from twin.errors import SettingError
    from twin.experiment.options import SETTING_FLAGS

    return exc.named(SETTING_FLAGS) if isinstance(exc, SettingError) else str(exc)


def _with_notes(message: str, exc: BaseException) -> str:
    """The message and the notes the library added to the error (where results went)."""
    return "; ".join([message, *getattr(exc, "__notes__", [])])


_terminated: list[int] = []
"""Set by the SIGTERM handler: an interruption then exits 143 instead of 130."""


def _on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (a scheduler, a container, `timeout`) stops the work like Ctrl-C does."""
    _terminated.append(signum)
    raise KeyboardInterrupt


def guarded(command: F) -> F:
    """Map errors to the exit codes of SPEC.md: never a traceback for bad input."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from twin.errors import InputError, UsageError

        try:
            return command(*args, **kwargs)
        except (InputError, UsageError) as exc:
            raise fail(_named(exc)) from None
        except KeyboardInterrupt as exc:
            if _terminated:
                raise fail(_with_notes("terminated (SIGTERM)", exc), EXIT_TERMINATED) from None
            raise fail(_with_notes("interrupted", exc), EXIT_INTERRUPTED) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if os.environ.get("PARKTWIN_DEBUG"):
                raise
            raise fail(
                _with_notes(
                    f"internal error: {type(exc).__name__}: {exc} "
                    "(set PARKTWIN_DEBUG=1 for the traceback and please report it)",
                    exc,
                ),
                EXIT_INTERNAL,
            ) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"parktwin {version('parktwin')}")
        except PackageNotFoundError:
            typer.echo("parktwin (not installed)")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Digital twin simulator for industrial parks."""


# --------------------------------------------------------------------------- presentation


class progress:
    """A rich progress bar on stderr that shows only for work longer than a moment."""

    def __init__(self, quiet: bool = False, label: str = "replications") -> None:
        self.quiet = quiet
        self.label = label
        self._bar: Any = None
        self._task: Any = None

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
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=None)
        return self.update

    def update(self, done: float, total: int) -> None:
        """Advance the bar to `done` of `total`."""
        self._bar.update(self._task, completed=done, total=total)

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


def print_kpis(doc: dict[str, Any], show_all: bool = False) -> None:
    """The KPI table of a kpis.json document, grouped and aligned.

    Without `show_all` only the headline KPIs are shown, and the caption says how many more.
    """
    from rich.console import Console
    from rich.table import Table

    from twin.text import fmt

    reps = doc["replications"]
    title = f"{doc['park']}" + (f" — {doc['scenario']}" if doc["scenario"] else "")
    table = Table(
        title=title,
        caption=f"{reps} replication(s), seed {doc['seed']}, {doc['horizon_days']:g} days after "
        f"{doc['warmup_days']:g} warm-up day(s)"
        + ("; 95% Student-t intervals" if reps > 1 else ""),
    )
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    if reps > 1:
        table.add_column("95% interval", justify="right")
    table.add_column("unit")
    previous = None
    shown = doc["kpis"] if show_all else headline_kpis(doc["kpis"])
    for name, k in shown.items():
        group = name.split(".")[0]
        if previous is not None and group != previous:
            table.add_section()
        previous = group
        row = [name, fmt(k["mean"])]
        if reps > 1:
            row.append(f"[{fmt(k['ci95'][0])}, {fmt(k['ci95'][1])}]")
        table.add_row(*row, k["unit"])
    hidden = len(doc["kpis"]) - len(shown)
    if hidden:
        table.caption = (
            f"{table.caption}\n{hidden} more KPIs (each dock group, production): --all or --json"
        )
    Console().print(table)


def _jobs(jobs: int) -> int:
    """`-j`, capped at the CPU cores this process may use (with a note when it was more)."""
    from twin.experiment.backends import usable_cores

    cores = usable_cores()
    if jobs > cores:
        typer.echo(
            f"parktwin: note: -j {jobs} is more than the {cores} CPU core(s) here; "
            f"using -j {cores} (more processes than cores only slow the run down)",
            err=True,
        )
    return min(jobs, cores)


def _settings(options: dict[str, Any]) -> Any:
    """The experiment settings of run, compare and sweep, from the command's option values."""
    from twin.experiment.options import ExperimentOptions

    return ExperimentOptions(
        days=options["days"],
        warmup=options["warmup_days"],
        seed=options["seed"],
        replications=options["replications"],
        jobs=_jobs(options["jobs"]) if options["scheduler"] is None else options["jobs"],
        backend=options["backend"],
        scheduler=options["scheduler"],
        step_min=options["step_min"],
        precision=options["precision"],
        kpis=tuple(options.get("kpi") or ()),
        max_replications=options.get("max_replications"),
        first_replication=options.get("first_replication", 0),
    ).settings()


# --------------------------------------------------------------------------- shared options

ParkArg = Annotated[
    str | None,
    typer.Argument(help="Park file or bundled park name (default: the bundled yen-binh park)."),
]
ScenarioOpt = Annotated[
    str | None, typer.Option("--scenario", "-s", help="Scenario file or bundled scenario name.")
]
DaysOpt = Annotated[float, typer.Option("--days", min=0.01, help="Horizon in days.")]
WarmupOpt = Annotated[
    str, typer.Option("--warmup-days", "--warmup", help="Warm-up days before the horizon.")
]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Base seed.")]
RepsOpt = Annotated[str, typer.Option("--replications", "-r", help="Replications, or 'auto'.")]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")]
BackendOpt = Annotated[str, typer.Option("--backend", help="local or dask.")]
SchedulerOpt = Annotated[
    str | None, typer.Option("--scheduler", help="dask scheduler address (with --backend dask).")
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Folder to write results into.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print kpis.json instead of a table.")]
StepOpt = Annotated[
    float, typer.Option("--step-min", min=1, max=240, help="Utility time grid step, minutes.")
]
AllOpt = Annotated[bool, typer.Option("--all", help="Show every KPI, not only the headline.")]
PrecisionOpt = Annotated[
    float | None,
    typer.Option("--precision", help="With -r auto: target relative 95% half-width, e.g. 0.05."),
]


KpiOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--kpi",
        help="A KPI to focus on (repeat for several): -r auto watches it, run and sweep show it.",
    ),
]
MaxRepsOpt = Annotated[
    int | None,
    typer.Option("--max-replications", min=2, help="With -r auto: the cap (default 200)."),
]
FirstRepOpt = Annotated[
    int,
    typer.Option(
        "--first-replication",
        min=0,
        help="Index of the first replication; with -r 1 reruns one replication alone.",
    ),
]


@app.command()
@guarded
def run(
    park: ParkArg = None,
    scenario: ScenarioOpt = None,
    days: DaysOpt = 7.0,
    warmup_days: WarmupOpt = "1",
    seed: SeedOpt = 0,
    replications: RepsOpt = "1",
    jobs: JobsOpt = 1,
    backend: BackendOpt = "local",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    json_out: JsonOpt = False,
    step_min: StepOpt = 15.0,
    precision: PrecisionOpt = None,
    show_all: AllOpt = False,
    kpi: KpiOpt = None,
    max_replications: MaxRepsOpt = None,
    first_replication: FirstRepOpt = 0,
) -> None:
    """Simulate the park (optionally under a scenario) and print its KPIs."""

    from twin import api
    from twin.experiment.results import describe_choices

    settings = _settings(locals())
    with progress(quiet=json_out) as bar:
        result = api.run(park, scenario, settings, out=out, progress=bar)
    if json_out:
        typer.echo(result.to_json())
    else:
        doc = result.to_dict()
        if kpi:
            doc["kpis"] = {k: v for k, v in doc["kpis"].items() if k in kpi}
        print_kpis(doc, show_all or bool(kpi))
        for line in describe_choices(doc):
            typer.echo(line)
        if out is not None:
            typer.echo(f"wrote {out}/kpis.json, kpis.csv, trace.npz, park.yaml, report.md")


def _print_comparison(comparison: Any, show_all: bool) -> None:
    """The comparison table (significant changes first) and one verdict line per scenario."""
    from rich.console import Console
    from rich.table import Table

    from twin.experiment.results import describe_choices

    doc = comparison.to_dict()
    summary = comparison.summary_table(show_all)
    hidden = summary["hidden"]
    reps = comparison.replications
    table = Table(
        title=f"{comparison.baseline.park}: baseline against {', '.join(comparison.labels)}",
        caption=f"{reps} paired replication(s) with common random numbers, seed {doc['seed']}, "
        f"{doc['horizon_days']:g} days after {doc['warmup_days']:.3g} warm-up day(s). "
        "Change = mean paired difference [95% interval] (% of baseline); "
        "bold = significant (interval excludes 0)."
        + (f"\n{hidden} more KPIs (dock groups, production): --all or --out" if hidden else ""),
    )
    table.add_column("KPI", overflow="fold")
    table.add_column("unit")
    for column in summary["columns"][2:]:
        table.add_column(column, justify="right")
    for section in ("changed", "unchanged"):
        if section == "unchanged" and summary["changed"] and summary["unchanged"]:
            table.add_section()
        for row in summary[section]:
            cells = [
                f"[bold]{c['text']}[/bold]" if c["significant"] else f"[dim]{c['text']}[/dim]"
                for c in row["cells"]
            ]
            table.add_row(row["kpi"], row["unit"], row["baseline"], *cells)
    console = Console()
    console.print(table)
    for line in describe_choices(doc):
        typer.echo(line)
    for line in comparison.verdicts():
        typer.echo(line)


@app.command()
@guarded
def compare(
    names: Annotated[
        list[str],
        typer.Argument(
            metavar="[PARK] SCENARIO",
            help="Optional park file or bundled park name, then scenario files or bundled "
            "scenario names. Without a park: the scenarios' base park.",
        ),
    ],
    days: DaysOpt = 7.0,
    warmup_days: WarmupOpt = "1",
    seed: SeedOpt = 0,
    replications: RepsOpt = "1",
    jobs: JobsOpt = 1,
    backend: BackendOpt = "local",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print comparison.json instead of a table.")
    ] = False,
    step_min: StepOpt = 15.0,
    precision: PrecisionOpt = None,
    kpi: KpiOpt = None,
    max_replications: MaxRepsOpt = None,
    show_all: AllOpt = False,
) -> None:
    """Baseline against each scenario with common random numbers and paired statistics."""
    import json

    from twin import api

    park, scenarios = api.split_park_and_scenarios(names)
    settings = _settings(locals())
    with progress(quiet=json_out) as bar:
        result = api.compare(park, scenarios, settings, out=out, progress=bar)
    if json_out:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    _print_comparison(result, show_all)
    if out is not None:
        typer.echo(f"wrote {out}/comparison.json, comparison.csv, report.md, report.html")


def _print_sweep(result: Any) -> None:
    """The sweep's table: parameters, then each KPI's mean [95% interval], with a bar."""
    from rich.console import Console
    from rich.table import Table

    from twin.experiment.results import describe_choices
    from twin.experiment.sweeps import labels_of
    from twin.text import fmt

    doc = result.to_dict()
    reps = result.replications
    table = Table(
        title=f"{result.park}" + (f" — {result.scenario}" if result.scenario else "") + ": sweep",
        caption=f"{reps} replication(s) per point, common random numbers, seed {doc['seed']}, "
        f"{doc['horizon_days']:g} days after {doc['warmup_days']:.3g} warm-up day(s)"
        + ("; mean [95% interval]" if reps > 1 else ""),
    )
    for name in labels_of(result.varies):
        table.add_column(name, justify="right", overflow="fold")
    for kpi in result.kpis:
        unit = doc["points"][0]["kpis"].get(kpi, {}).get("unit", "")
        table.add_column(
            f"{kpi}" + (f" ({unit})" if unit else ""), justify="right", overflow="fold"
        )
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
            cells[-1] += f" ({done} of {reps} replications)"
        for kpi in result.kpis:
            k = point["kpis"].get(kpi)
            if k is None:
                cells.append("-")
            elif reps > 1:
                cells.append(f"{fmt(k['mean'])} [{fmt(k['ci95'][0])}, {fmt(k['ci95'][1])}]")
            else:
                cells.append(fmt(k["mean"]))
        if result.kpis:
            cells.append("█" * round(12 * max(mean or 0.0, 0.0) / top))
        table.add_row(*cells)
    Console().print(table)
    for line in describe_choices(doc):
        typer.echo(line)


@app.command()
@guarded
def sweep(
    park: ParkArg = None,
    scenario: ScenarioOpt = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            help="PATH=A:B[:STEP] or PATH=A,B,C, e.g. "
            "'logistics.dock_groups[id=sevt-p1-docks].docks=18:24:2'; once or twice.",
        ),
    ] = None,
    days: DaysOpt = 7.0,
    warmup_days: WarmupOpt = "1",
    seed: SeedOpt = 0,
    replications: RepsOpt = "1",
    jobs: JobsOpt = 1,
    backend: BackendOpt = "local",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print sweep.json instead of a table.")
    ] = False,
    step_min: StepOpt = 15.0,
    precision: PrecisionOpt = None,
    kpi: KpiOpt = None,
    max_replications: MaxRepsOpt = None,
) -> None:
    """Replicate each point of a one- or two-parameter grid; table and chart of the KPIs."""
    import json

    from twin import api

    settings = _settings(locals())
    with progress(quiet=json_out) as bar:
        result = api.sweep(park, scenario, vary or [], settings, kpis=kpi or (), out=out,
                           progress=bar)  # fmt: skip
    if json_out:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    _print_sweep(result)
    if out is not None:
        typer.echo(f"wrote {out}/sweep.json, sweep.csv, report.md, report.html (with the chart)")


@app.command()
@guarded
def calibrate(
    park: Annotated[str, typer.Argument(help="Park file or bundled park name to fit.")],
    sensor_dir: Annotated[
        Path,
        typer.Argument(help="Folder with meters.csv and/or trucks.csv, or a live store (.db)."),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the fitted park (.json: JSON, else YAML).")
    ],
    report: Annotated[
        Path | None, typer.Option("--report", help="Folder for report.md and report.html.")
    ] = None,
    holdout: Annotated[
        float, typer.Option("--holdout", help="Share of the data, at its end, kept to validate.")
    ] = 0.2,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications",
            "-r",
            min=1,
            help="Validation replications [default: 20, fewer for a held-out span over 20 "
            "days; 3 or more judge waits against the model's own spread].",
        ),
    ] = None,
    seed: SeedOpt = 0,
    no_search: Annotated[
        bool, typer.Option("--no-search", help="Skip the simulation search for dock counts.")
    ] = False,
) -> None:
    """Fit the park's parameters to sensor data; write a park file and a validation report."""
    from twin.live.export import calibrate_source as fit_park
    from twin.reports.calibration import summary_rows, write_outputs

    def say(stage: str) -> None:
        if sys.stderr.isatty():
            typer.echo(f"parktwin: {stage} ...", err=True)

    result = fit_park(park, sensor_dir, holdout, replications, seed, not no_search, say)
    written = write_outputs(result, out, report)
    for file_report in result.data.reports:
        if file_report.n_dropped:
            typer.echo(f"parktwin: {file_report.summary()}", err=True)
    _print_calibration(summary_rows(result), result.park.park.name)
    typer.echo("wrote " + ", ".join(str(p) for p in written))
    if result.refused:
        refused = "; ".join(f"{place}: {why}" for place, why in sorted(result.refused.items()))
        raise fail(f"{sensor_dir}: fits refused (the park file's values kept): {refused}")


def _print_calibration(rows: list[Any], name: str) -> None:
    """The calibration summary as a table."""
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{name}: calibration",
        caption="base + shift levels; arrivals per day; service distribution and docks. "
        "Validation on the held-out span; * see the notes in the report.",
    )
    for column in ("asset", "what", "file → fitted", "fit", "validation", "verdict"):
        table.add_column(column)
    colours = {"good": "green", "fair": "yellow", "poor": "red"}
    for row in rows:
        verdict = row.verdict.rstrip(" *")
        style = colours.get(verdict, "")
        shown = f"[{style}]{row.verdict}[/{style}]" if style else row.verdict
        table.add_row(row.asset, row.what, row.fitted, row.fit, row.short, shown)
    Console(width=None if sys.stdout.isatty() else 150).print(table)


def _warmup_option(text: str) -> float | str:
    """``--warmup-days`` of render and show: a number of days, or ``auto``."""
    from twin.experiment.options import ExperimentOptions

    auto, days = ExperimentOptions(warmup=text).warmup_choice()
    return "auto" if auto else days


TraceOpt = Annotated[
    Path | None,
    typer.Option("--trace", help="Play a saved run (a folder from 'run --out') instead."),
]
CompareOpt = Annotated[
    str | None, typer.Option("--compare", help="Scenario to show beside the run (A/B).")
]
CameraOpt = Annotated[
    str, typer.Option("--camera", help="Camera preset: overview, oblique or top.")
]


@app.command()
@guarded
def render(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="File to write: .png (a moment), .mp4 or .gif (a span), .html (a page)."
        ),
    ],
    park: ParkArg = None,
    scenario: ScenarioOpt = None,
    trace: TraceOpt = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help='Moment of a .png/.html: "day D HH:MM" (day 0 10:00).'),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help='First moment of a video (default "day 0 00:00").')
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last moment of a video (default: a day later).")
    ] = None,
    size: Annotated[str, typer.Option("--size", help="Picture size WIDTHxHEIGHT.")] = "1280x720",
    fps: Annotated[float, typer.Option("--fps", min=1, max=120, help="Video frames/second.")] = 25,
    speed: Annotated[
        float, typer.Option("--speed", min=0.001, help="Simulated minutes per second of video.")
    ] = 60,
    compare: CompareOpt = None,
    camera: CameraOpt = "overview",
    days: Annotated[
        float | None,
        typer.Option("--days", min=0.01, help="Horizon in days (default: just enough)."),
    ] = None,
    warmup_days: WarmupOpt = "1",
    seed: SeedOpt = 0,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Processes drawing a long mp4.")
    ] = None,
) -> None:
    """3D picture (.png), playback (.mp4, .gif) or standalone page (.html) of the park."""
    from viz.offscreen import render_run
    from viz.options import RenderOptions, RunSource

    source = RunSource(park, scenario, trace, compare, days, _warmup_option(warmup_days), seed)
    options = RenderOptions(at, start, end, size, fps, speed, camera, jobs=jobs)
    with progress(label="frames") as bar:
        written = render_run(out, source, options, progress=bar)
    typer.echo(f"wrote {written}")


@app.command()
@guarded
def show(
    park: ParkArg = None,
    scenario: ScenarioOpt = None,
    trace: TraceOpt = None,
    start: Annotated[
        str | None, typer.Option("--from", help='First moment on the slider, "day D HH:MM".')
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last moment on the slider (default: the end).")
    ] = None,
    speed: Annotated[
        float, typer.Option("--speed", min=0.001, help="Simulated minutes per second playing.")
    ] = 60,
    compare: CompareOpt = None,
    camera: CameraOpt = "overview",
    days: Annotated[
        float | None, typer.Option("--days", min=0.01, help="Horizon in days (default: 1).")
    ] = None,
    warmup_days: WarmupOpt = "1",
    seed: SeedOpt = 0,
) -> None:
    """Interactive 3D window with a time slider and play/pause (needs a display)."""
    from viz.interactive import show_run
    from viz.options import RenderOptions, RunSource

    source = RunSource(park, scenario, trace, compare, days, _warmup_option(warmup_days), seed)
    show_run(source, RenderOptions(start=start, end=end, speed=speed, camera=camera))


@app.command()
@guarded
def n1(
    park: ParkArg = None,
    scenario: ScenarioOpt = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help='The moment, "day D HH:MM" (default: the peak demand).'),
    ] = None,
    hours: Annotated[
        float, typer.Option("--hours", min=0.01, max=1000, help="How long each outage lasts.")
    ] = 4.0,
    days: DaysOpt = 7.0,
    seed: SeedOpt = 0,
    out: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every single outage of the power network: restoration, unserved load, ranked; n1.json."""
    import json

    from twin import api
    from twin.experiment.settings import Settings
    from viz.clock import parse_day_time

    at_min = None if at is None else parse_day_time(at, "--at")
    result = api.n1(park, scenario, at_min, hours, Settings(days=days, seed=seed), out)
    if json_out:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    typer.echo(f"N-1 at {result['at']} ({len(result['contingencies'])} outages, worst first)")
    for row in result["contingencies"]:
        typer.echo(
            f"  {row['outage']:<14} {row['kind']:<11} "
            f"{'secure' if row['secure'] else 'NOT SECURE':<10}"
            f" unserved {row['unserved_mw']:.2f} MW / {row['unserved_mwh']:.2f} MWh,"
            f" max loading {row['max_loading_pct']:.0f}%, min {row['min_v_pu']:.3f} pu,"
            f" trucks delayed {row['trucks_delayed']}"
        )
    if out is not None:
        typer.echo(f"wrote {out}/n1.json, report.md")


@app.command()
@guarded
def validate(
    files: Annotated[list[str], typer.Argument(help="Park or scenario files, or bundled names.")],
) -> None:
    """Check park and scenario files and print what is wrong."""
    from twin.errors import InputError
    from twin.io.inputs import check_file

    failed = 0
    for source in files:
        try:
            kind, name = check_file(source)
        except InputError as exc:
            typer.echo(f"parktwin: {exc}", err=True)
            failed += 1
        else:
            typer.echo(f"ok: {source} ({kind} '{name}')")
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
@guarded
def init(
    directory: Annotated[
        Path, typer.Argument(help="Folder to create (must not exist or be empty).")
    ],
) -> None:
    """Copy the bundled parks, scenarios and sample sensor data into DIR to edit."""
    from twin.io.bundled import copy_bundled

    copied = copy_bundled(directory)
    typer.echo(f"copied {len(copied)} files into {directory}")


@app.command()
@guarded
def schema(
    scenario: Annotated[
        bool, typer.Option("--scenario", help="Schema of scenario files instead of parks.")
    ] = False,
) -> None:
    """Print the JSON Schema of the park (or scenario) format, for editors."""
    import json

    from twin.model.assets import json_schema

    typer.echo(json.dumps(json_schema(scenario), indent=2, ensure_ascii=False))


# --------------------------------------------------------------------------- live twin
# `live`, `replay` and `state` (issue 12, part 1: feed, store, state, replay).

StoreOpt = Annotated[Path, typer.Option("--store", help="The live store file (SQLite).")]


def _print_state(doc: dict[str, Any]) -> None:
    """The state document as a few readable lines."""
    trucks = doc["trucks"]
    typer.echo(f"{doc['time']}: {trucks['in_park']} trucks in the park")
    for stage in ("gate_queue", "at_gate", "dock_queue", "in_service"):
        busy = {k: v for k, v in trucks[stage].items() if v}
        shown = ", ".join(f"{k} {v}" for k, v in busy.items()) or "none"
        typer.echo(f"  {stage.replace('_', ' ')}: {shown}")
    typer.echo(f"  on the road: {trucks['on_road']}, leaving: {trucks['leaving']}")
    for outage in doc["outages"]:
        end = outage["expected_end"] or "unknown"
        typer.echo(f"  outage: {outage['asset']} since {outage['since']}, expected end {end}")
    typer.echo(f"  meters: {sum(len(q) for q in doc['meters'].values())} with a reading")
    m = doc["messages"]
    counts = f"{m['stored']} stored, {m['rejected']} rejected, {m['duplicates']} duplicates"
    typer.echo(f"  messages: {counts}")


@app.command()
@guarded
def state(
    park: ParkArg = None,
    store: StoreOpt = Path("live.db"),
    at: Annotated[
        str | None, typer.Option("--at", help="ISO time, park-local (default: the latest).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the state document.")] = False,
) -> None:
    """The park's state at a moment, from the live store: trucks by stage, outages, meters."""
    import json

    from twin.live.run import state as state_doc

    doc = state_doc(park, store, at)
    if json_out:
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        _print_state(doc)


BrokerOpt = Annotated[
    str | None,
    typer.Option("--broker", help="mqtt://[USER[:PASS]@]HOST:PORT, or mqtts:// for TLS."),
]
PrefixOpt = Annotated[str, typer.Option("--topic-prefix", help="Topic prefix.")]
UserOpt = Annotated[str | None, typer.Option("--username", help="Broker user name.")]
PasswordOpt = Annotated[
    str | None,
    typer.Option("--password", help="Broker password (or set PARKTWIN_MQTT_PASSWORD)."),
]
TlsCaOpt = Annotated[
    str | None, typer.Option("--tls-ca", help="CA certificate file for TLS (turns TLS on).")
]
SpeedOpt = Annotated[
    str | None, typer.Option("--speed", help="Park time per wall time (600), or max.")
]


# Options of the nowcast (issue 12, part 2), shared with `live --nowcast-every`.
HoursOpt = Annotated[float, typer.Option("--hours", help="How far ahead, hours.")]
AlertOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--alert", help="Alert threshold SERIES=VALUE (repeatable), e.g. docks.d1.queue=8."
    ),
]
SeenOpt = Annotated[
    bool,
    typer.Option("--seen-flows-only", help="Leave out flows with no truck in the last day."),
]
NowcastEveryOpt = Annotated[
    float | None,
    typer.Option("--nowcast-every", help="Nowcast every MIN minutes of park time."),
]


def _nowcast_setup(
    every: float | None, hours: float, replications: int, alert: list[str] | None, seen: bool
) -> Any:
    """The live run's setup for ``--nowcast-every`` (None without it)."""
    if every is None:
        return None
    from twin.api.live import nowcast_setup

    return nowcast_setup(
        every, hours=hours, replications=replications, alerts=alert or [], seen_only=seen
    )


def _paho_missing(exc: ModuleNotFoundError) -> typer.Exit:
    if exc.name and exc.name.startswith("paho"):
        return fail("the MQTT feed needs paho-mqtt: pip install 'parktwin[live]'")
    raise exc


@app.command()
@guarded
def live(
    park: ParkArg = None,
    broker: BrokerOpt = None,
    store: StoreOpt = Path("live.db"),
    replay: Annotated[
        Path | None, typer.Option("--replay", help="Feed a sensor folder instead of a broker.")
    ] = None,
    speed: SpeedOpt = None,
    topic_prefix: PrefixOpt = "parktwin",
    client_id: Annotated[
        str | None,
        typer.Option("--client-id", help="MQTT client id (default: derived from --store)."),
    ] = None,
    username: UserOpt = None,
    password: PasswordOpt = None,
    tls_ca: TlsCaOpt = None,
    tls_cert: Annotated[
        str | None, typer.Option("--tls-cert", help="Client certificate file for TLS.")
    ] = None,
    tls_key: Annotated[str | None, typer.Option("--tls-key", help="Client key file.")] = None,
    nowcast_every: NowcastEveryOpt = None,
    hours: HoursOpt = 4.0,
    replications: Annotated[
        int, typer.Option("--replications", "-r", help="Replications of each nowcast.")
    ] = 20,
    alert: AlertOpt = None,
    seen_flows_only: SeenOpt = False,
) -> None:
    """Follow the park live into the store: from MQTT until SIGINT/SIGTERM, or a recording."""
    if (broker is None) == (replay is None):
        raise fail("give either --broker URL or --replay SENSOR_DIR")
    setup = _nowcast_setup(nowcast_every, hours, replications, alert, seen_flows_only)
    if replay is not None:
        from twin.live.run import live_replay

        stats = live_replay(park, replay, store, speed, setup=setup)
        typer.echo(f"parktwin: {stats.summary()}", err=True)
        return
    if speed is not None:
        raise fail("--speed goes with --replay (a broker feed runs at the park's pace)")
    try:
        from twin.live.feed import follow
    except ModuleNotFoundError as exc:
        raise _paho_missing(exc) from None
    assert broker is not None
    follow(  # it reports on stderr as it goes, and a summary when it stops
        park,
        broker,
        store,
        prefix=topic_prefix,
        client_id=client_id,
        username=username,
        password=password,
        tls_ca=tls_ca,
        tls_cert=tls_cert,
        tls_key=tls_key,
        setup=setup,
    )


@app.command()
@guarded
def replay(
    sensor_dir: Annotated[Path, typer.Argument(help="Sensor folder to publish.")],
    broker: Annotated[
        str, typer.Option("--broker", help="mqtt://[USER[:PASS]@]HOST:PORT, or mqtts://.")
    ],
    park: Annotated[
        str | None, typer.Option("--park", help="Park whose ids the data use (default yen-binh).")
    ] = None,
    speed: SpeedOpt = None,
    topic_prefix: PrefixOpt = "parktwin",
    batch: Annotated[
        int, typer.Option("--batch", min=1, help="Messages per MQTT publish (a JSON array).")
    ] = 1,
    username: UserOpt = None,
    password: PasswordOpt = None,
    tls_ca: TlsCaOpt = None,
) -> None:
    """Publish recorded sensor data to a broker as live messages, in time order."""
    try:
        from twin.live.publisher import replay_to_broker
    except ModuleNotFoundError as exc:
        raise _paho_missing(exc) from None
    done = replay_to_broker(
        park,
        sensor_dir,
        broker,
        speed=speed,
        prefix=topic_prefix,
        batch=batch,
        username=username,
        password=password,
        tls_ca=tls_ca,
    )
    typer.echo(
        f"published {done.messages} messages in {done.payloads} payloads, "
        f"{done.seconds:.1f} s ({done.rate_per_s:.0f} messages/s)"
    )


# --------------------------------------------------------------------------- nowcast, back-test
# `nowcast`, `backtest` and `live --nowcast-every` (issue 12, part 2: warm start, nowcast,
# back-test).


@app.command()
@guarded
def nowcast(
    park: ParkArg = None,
    store: StoreOpt = Path("live.db"),
    at: Annotated[
        str | None, typer.Option("--at", help="ISO time, park-local (default: the latest).")
    ] = None,
    hours: HoursOpt = 4.0,
    replications: Annotated[int, typer.Option("--replications", "-r", help="Replications.")] = 20,
    seed: SeedOpt = 0,
    alert: AlertOpt = None,
    seen_flows_only: SeenOpt = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print forecast.json.")] = False,
    out: OutOpt = None,
) -> None:
    """Forecast the next hours from the park's state in the live store (forecast.json)."""
    import json

    from twin.api.live import forecast_lines, nowcast_command

    doc = nowcast_command(
        park, store, at, hours=hours, replications=replications, seed=seed,
        alerts=alert or [], seen_only=seen_flows_only, out=out,
    )  # fmt: skip
    if json_out:
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(forecast_lines(doc)))


@app.command()
@guarded
def backtest(
    park_or_source: Annotated[
        list[str], typer.Argument(help="[PARK] SOURCE: a sensor folder or a live store.")
    ],
    every: Annotated[float, typer.Option("--every", help="Minutes between origins.")] = 60.0,
    hours: HoursOpt = 2.0,
    replications: Annotated[int, typer.Option("--replications", "-r", help="Replications.")] = 10,
    seed: SeedOpt = 0,
    start: Annotated[str | None, typer.Option("--from", help="First origin (ISO).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last origin (ISO).")] = None,
    out: OutOpt = None,
) -> None:
    """Nowcast at each origin of a recorded history and score it against what happened."""
    from twin.api.live import backtest_command
    from twin.reports.backtest import verdict_lines

    if not 1 <= len(park_or_source) <= 2:
        raise fail("give [PARK] SOURCE: an optional park, then a sensor folder or a store")
    park = park_or_source[0] if len(park_or_source) == 2 else None
    result = backtest_command(
        park, park_or_source[-1], every_min=every, hours=hours, replications=replications,
        seed=seed, start=start, end=end, out=out,
    )  # fmt: skip
    for line in verdict_lines(result):
        typer.echo(line)


# --------------------------------------------------------------------------- serve (issue 13)


@app.command()
@guarded
def serve(
    park: ParkArg = None,
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Live store to show (with --replay: where it is written)."),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option("--replay", help="Sensor folder replayed into the store in the background."),
    ] = None,
    speed: Annotated[
        str, typer.Option("--speed", help="Replay speed: simulated per wall-clock time, or max.")
    ] = "600",
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; off loopback a token is needed.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any).")] = 8050,
    token: Annotated[
        str | None,
        typer.Option("--token", help="Token every request must carry (or $PARKTWIN_TOKEN)."),
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=1, help="Seconds one what-if may run.")
    ] = 600,
    nowcast_every: Annotated[
        float,
        typer.Option(
            "--nowcast-every", help="With --replay: nowcast every MIN park minutes (0: off)."
        ),
    ] = 60,
    hours: HoursOpt = 4,
    replications: Annotated[
        int, typer.Option("--replications", "-r", min=1, help="Replications of each nowcast.")
    ] = 10,
    alert: AlertOpt = None,
    seen_flows_only: Annotated[
        bool,
        typer.Option(
            "--seen-flows-only/--all-flows",
            help="Nowcast only the flows with a truck in the last day (default: a recording "
            "that never shows a flow says nothing of its trucks).",
        ),
    ] = True,
) -> None:
    """The operations-centre web page and its HTTP API (until Ctrl+C)."""
    from web.server import serve as run_server

    nowcast: dict[str, Any] = {"every_min": nowcast_every, "hours": hours}
    nowcast.update(replications=replications, alerts=alert or [], seen_only=seen_flows_only)
    run_server(park, store, replay, speed, host, port, token, time_limit, say=typer.echo,
               nowcast=nowcast if nowcast_every > 0 else None)  # fmt: skip


def main() -> None:
    """Entry point of the `parktwin` console script."""
    import signal

    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        app()
    except KeyboardInterrupt:
        if _terminated:
            typer.echo("parktwin: terminated (SIGTERM)", err=True)
            sys.exit(EXIT_TERMINATED)
        typer.echo("parktwin: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
