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


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one message on stderr and return the Exit to raise."""
    typer.echo(f"parktwin: {message}", err=True)
    return typer.Exit(code)


def guarded(command: F) -> F:
    """Map errors to the exit codes of SPEC.md: never a traceback for bad input."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from twin.errors import InputError, UsageError

        try:
            return command(*args, **kwargs)
        except (InputError, UsageError) as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted; finished results were kept", EXIT_INTERRUPTED) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if os.environ.get("PARKTWIN_DEBUG"):
                raise
            raise fail(
                f"internal error: {type(exc).__name__}: {exc} "
                "(set PARKTWIN_DEBUG=1 for the traceback and please report it)",
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

    def __enter__(self) -> Callable[[int, int], None]:
        if self.quiet or not sys.stderr.isatty():
            return lambda done, total: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=None)
        return self.update

    def update(self, done: int, total: int) -> None:
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

    from twin.report import fmt

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
) -> None:
    """Simulate the park (optionally under a scenario) and print its KPIs."""

    from twin import api

    settings = api.settings_from_options(
        days=days,
        warmup=warmup_days,
        seed=seed,
        replications=replications,
        jobs=jobs,
        backend=backend,
        scheduler=scheduler,
        step_min=step_min,
        precision=precision,
    )
    with progress(quiet=json_out) as bar:
        result = api.run(park, scenario, settings, out=out, progress=bar)
    if json_out:
        typer.echo(result.to_json())
    else:
        print_kpis(result.to_dict(), show_all)
        if out is not None:
            typer.echo(f"wrote {out}/kpis.json, kpis.csv, trace.npz, park.yaml, report.md")


def _not_yet(name: str, issue: int) -> None:
    raise fail(f"'{name}' is not implemented yet (tracked in issue {issue})", EXIT_INTERNAL)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def compare(ctx: typer.Context) -> None:
    """Baseline against each scenario with common random numbers and paired statistics."""
    _not_yet("compare", 4)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def sweep(ctx: typer.Context) -> None:
    """Replicate each point of a one- or two-parameter grid; table and chart of the KPIs."""
    _not_yet("sweep", 4)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def calibrate(ctx: typer.Context) -> None:
    """Fit the park's parameters to sensor data; write a park file and a validation report."""
    _not_yet("calibrate", 5)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def render(ctx: typer.Context) -> None:
    """3D picture (.png), playback (.mp4, .gif) or standalone page (.html) of the park."""
    _not_yet("render", 6)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def show(ctx: typer.Context) -> None:
    """Interactive 3D window with a time slider (needs a display)."""
    _not_yet("show", 6)


@app.command()
@guarded
def validate(
    files: Annotated[list[str], typer.Argument(help="Park or scenario files, or bundled names.")],
) -> None:
    """Check park and scenario files and print what is wrong."""
    from twin.errors import InputError
    from twin.load import check_file

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
    from twin.output import copy_bundled

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

    from twin.schema import json_schema

    typer.echo(json.dumps(json_schema(scenario), indent=2, ensure_ascii=False))


def main() -> None:
    """Entry point of the `parktwin` console script."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("parktwin: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
