"""The `parktwin` command line: thin Typer commands over the `twin` library.

Each command parses its options, makes one library call and prints the result; `guarded` maps
errors to exit codes (0 success, 2 bad input, 1 internal error, 130 interrupted, 143 terminated).
The helpers the commands share live beside this file in `console/`: the options, the flag of
each library parameter and the exit codes, signals, and the tables. Heavy libraries (scipy,
pyvista, the twin library itself) are imported inside the commands, so `parktwin --help` stays
fast.
"""

# No `from __future__ import annotations` here: typer reads the annotations of every command
# each time the command line starts, and each one written as a string costs it an eval.

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from console import startup
from console.errors import EXIT_BAD_INPUT, exit_status, fail, guarded, message
from console.options import (
    AlertOpt,
    AllOpt,
    BackendOpt,
    BrokerOpt,
    CameraOpt,
    CompareOpt,
    DaysOpt,
    FirstRepOpt,
    FollowOpt,
    HoursOpt,
    JobsOpt,
    JsonOpt,
    KpiOpt,
    LangOpt,
    MaterialityOpt,
    MaxRepsOpt,
    NowcastEveryOpt,
    OutOpt,
    ParkArg,
    PasswordOpt,
    PrecisionOpt,
    PrefixOpt,
    RepsOpt,
    ScenarioOpt,
    SchedulerOpt,
    SeedOpt,
    SeenOpt,
    SensorsOutOpt,
    SpeedOpt,
    StepOpt,
    StoreOpt,
    TargetOpt,
    TlsCaOpt,
    TraceOpt,
    UserOpt,
    WarmupOpt,
)
from console.signals import interrupt_on_sigterm, stop_on_signals
from console.tables import (
    echo_decision_warnings,
    echo_notes,
    forecast_lines,
    headroom_lines,
    n1_lines,
    print_calibration,
    print_comparison,
    print_decision,
    print_kpis,
    print_state,
    print_sweep,
    progress,
)

app = typer.Typer(
    name="parktwin",
    help="Digital twin simulator for industrial parks: simulate, compare what-ifs, calibrate, "
    "render in 3D.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help and usage errors: rich is slow to import
)


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
    sensors_out: SensorsOutOpt = None,
    lang: LangOpt = None,
) -> None:
    """Simulate the park (optionally under a scenario) and print its KPIs."""

    from console.experiment import settings_of
    from twin import api
    from twin.io.inputs import resolve_inputs
    from twin.model.labels import asset_names

    settings = settings_of(locals())
    inputs = resolve_inputs(park, scenario)
    language = api.output_language(lang, inputs.park)
    with progress(quiet=json_out) as bar:
        result = api.run_resolved(inputs, settings, out=out, progress=bar,
                                  sensors_out=sensors_out, lang=language)  # fmt: skip
    if json_out:
        typer.echo(result.to_json())
        echo_notes(result.to_dict(), warnings_only=True)
    else:
        doc = result.to_dict()
        if kpi:
            doc["kpis"] = {k: v for k, v in doc["kpis"].items() if k in kpi}
        print_kpis(doc, show_all or bool(kpi), language, asset_names(inputs.park))
        echo_notes(doc)
        if out is not None:
            typer.echo(f"wrote {out}/kpis.json, kpis.csv, trace.npz, park.yaml, report.md")
        if sensors_out is not None:
            typer.echo(f"wrote {sensors_out}/meters.csv, trucks.csv (replication 0's sensors)")


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
    sensors_out: SensorsOutOpt = None,
    lang: LangOpt = None,
    materiality: MaterialityOpt = None,
) -> None:
    """Baseline against each scenario with common random numbers and paired statistics."""
    import json

    from console.experiment import settings_of
    from twin import api

    park, scenarios = api.split_park_and_scenarios(names)
    settings = settings_of(locals())
    with progress(quiet=json_out) as bar:
        result = api.compare(
            park,
            scenarios,
            settings,
            out=out,
            progress=bar,
            sensors_out=sensors_out,
            lang=lang,
            materiality=materiality,
        )
    if json_out:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        echo_notes(result.to_dict(), warnings_only=True)
        return
    print_comparison(result, show_all)
    if out is not None:
        typer.echo(f"wrote {out}/comparison.json, comparison.csv, report.md, report.html")
    if sensors_out is not None:
        typer.echo(f"wrote {sensors_out}/: each case's sensors in a folder of its own")


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
    sensors_out: SensorsOutOpt = None,
    lang: LangOpt = None,
    target: TargetOpt = None,
) -> None:
    """Replicate each point of a one- or two-parameter grid; table and chart of the KPIs."""
    import json

    from console.experiment import settings_of
    from twin import api

    settings = settings_of(locals())
    with progress(quiet=json_out) as bar:
        result = api.sweep(park, scenario, vary or [], settings, kpis=kpi or (), out=out,
                           progress=bar, sensors_out=sensors_out, lang=lang,
                           target=target)  # fmt: skip
    if json_out:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        echo_notes(result.to_dict(), warnings_only=True)
        return
    print_sweep(result)
    if out is not None:
        typer.echo(f"wrote {out}/sweep.json, sweep.csv, report.md, report.html (with the chart)")
    if sensors_out is not None:
        typer.echo(f"wrote {sensors_out}/: each point's sensors in a folder, listed in points.csv")


@app.command()
@guarded
def optimize(
    problem: Annotated[
        str, typer.Argument(help="Decision-problem file (SPEC: Decision problem) or bundled name.")
    ],
    jobs: JobsOpt = 1,
    backend: BackendOpt = "local",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print optimum.json instead of a table.")
    ] = False,
    lang: LangOpt = None,
) -> None:
    """Choose the best configuration of a decision problem, with a statistical guarantee."""
    import json

    from console.experiment import capped_jobs
    from twin.api.decisions import optimize as run_optimize
    from twin.experiment.pareto import decision_dict

    with progress(quiet=json_out, label="optimize: replications") as bar:
        result = run_optimize(
            problem, capped_jobs(jobs), backend, scheduler, out, progress=bar, lang=lang
        )
    doc = decision_dict(result)
    if json_out:
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        echo_decision_warnings(doc)
    else:
        print_decision(doc)
        if out is not None:
            scenarios = "best.yaml" if doc["best"] is not None else "pareto-N.yaml"
            typer.echo(f"wrote {out}/optimum.json, {scenarios}, report.md, report.html")
    if result.interrupted:
        raise KeyboardInterrupt


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
    jobs: JobsOpt = 1,
    backend: BackendOpt = "local",
    scheduler: SchedulerOpt = None,
    lang: LangOpt = None,
) -> None:
    """Fit the park's parameters to sensor data; write a park file and a validation report."""
    from console.experiment import workers_of
    from twin import api
    from twin.api import calibrate_command
    from twin.reports.calibration import summary_rows

    def say(stage: str) -> None:
        if sys.stderr.isatty():
            typer.echo(f"parktwin: {stage} ...", err=True)

    workers = workers_of(jobs, backend, scheduler)
    with progress() as bar:
        result, written = calibrate_command(
            park, sensor_dir, out, report, holdout=holdout, replications=replications,
            seed=seed, search=not no_search, stages=say, workers=workers, progress=bar,
            lang=lang,
        )  # fmt: skip
    for file_report in result.data.reports:
        if file_report.n_dropped:
            typer.echo(f"parktwin: {file_report.summary()}", err=True)
    language = api.output_language(lang, result.source)
    print_calibration(summary_rows(result, language), result.park.park.name, language)
    typer.echo("wrote " + ", ".join(str(p) for p in written))
    if result.refused:
        refused = "; ".join(f"{place}: {why}" for place, why in sorted(result.refused.items()))
        raise fail(f"{sensor_dir}: fits refused (the park file's values kept): {refused}")


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
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of the clock, panels and labels: vi or en (default: the "
            "park's park.language, else en).",
        ),
    ] = None,
) -> None:
    """3D picture (.png), playback (.mp4, .gif) or standalone page (.html) of the park."""
    from console.experiment import warmup_option
    from twin.language import language_of
    from viz.offscreen import render_run
    from viz.options import RenderOptions, RunSource

    source = RunSource(park, scenario, trace, compare, days, warmup_option(warmup_days), seed)
    language = language_of(lang) if lang is not None else None  # None: the park's
    options = RenderOptions(at, start, end, size, fps, speed, camera, jobs=jobs, lang=language)
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
    from console.experiment import warmup_option
    from viz.interactive import show_run
    from viz.options import RenderOptions, RunSource

    source = RunSource(park, scenario, trace, compare, days, warmup_option(warmup_days), seed)
    show_run(source, RenderOptions(start=start, end=end, speed=speed, camera=camera))


@app.command()
@guarded
def n1(
    park: ParkArg = None,
    scenario: ScenarioOpt = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="Study the live state of this store (SQLite) instead (--days does not apply).",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help='The moment, "day D HH:MM" (default: the peak demand); with --store an ISO '
            "time, park-local (default: the latest).",
        ),
    ] = None,
    hours: Annotated[
        float, typer.Option("--hours", min=0.01, max=1000, help="How long each outage lasts.")
    ] = 4.0,
    days: DaysOpt = 7.0,
    seed: SeedOpt = 0,
    out: OutOpt = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print n1.json instead of a table.")
    ] = False,
    lang: LangOpt = None,
) -> None:
    """Every single outage of the power network: restoration, unserved load, ranked; n1.json."""
    import json

    from twin import api
    from twin.experiment.settings import Settings
    from twin.io.inputs import read_park
    from twin.model.labels import asset_names
    from viz.clock import parse_day_time

    model = read_park(park)
    language = api.output_language(lang, model)
    if store is not None:
        from twin.api.live import n1_store_command

        result = n1_store_command(
            park, store, at, scenario=scenario, hours=hours, seed=seed, out=out, lang=language
        )
    else:
        at_min = None if at is None else parse_day_time(at, "--at")
        settings = Settings(days=days, seed=seed)
        with progress(quiet=json_out, label="n1: runs") as bar:
            result = api.n1(
                park, scenario, at_min, hours, settings, out, lang=language, progress=bar
            )
    if json_out:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    typer.echo("\n".join(n1_lines(result, language, asset_names(model))))
    if out is not None:
        typer.echo(f"wrote {out}/n1.json, report.md")


@app.command()
@guarded
def headroom(
    park: ParkArg = None,
    scenario: ScenarioOpt = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help='The moment, "day D HH:MM" (default: the peak demand).'),
    ] = None,
    power_factor: Annotated[
        float,
        typer.Option(
            "--power-factor", min=0.3, max=1.0, help="Power factor of the new load (lagging)."
        ),
    ] = 0.95,
    n1: Annotated[
        bool,
        typer.Option("--n1", help="Also the headroom that keeps every single outage secure (N-1)."),
    ] = False,
    days: DaysOpt = 7.0,
    seed: SeedOpt = 0,
    out: OutOpt = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print headroom.json instead of a table.")
    ] = False,
    lang: LangOpt = None,
) -> None:
    """The largest new load each bus of the power network can take; headroom.json."""
    import json

    from twin import api
    from twin.experiment.settings import Settings
    from twin.io.inputs import read_park
    from twin.model.labels import asset_names
    from viz.clock import parse_day_time

    model = read_park(park)
    language = api.output_language(lang, model)
    at_min = None if at is None else parse_day_time(at, "--at")
    settings = Settings(days=days, seed=seed)
    with progress(quiet=json_out, label="headroom") as bar:
        result = api.headroom(
            park, scenario, at_min, power_factor, settings, out, lang=language, progress=bar, n1=n1
        )
    if json_out:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    typer.echo("\n".join(headroom_lines(result, language, asset_names(model))))
    if out is not None:
        typer.echo(f"wrote {out}/headroom.json, report.md")


@app.command()
@guarded
def validate(
    files: Annotated[list[str], typer.Argument(help="Park or scenario files, or bundled names.")],
) -> None:
    """Check park and scenario files and print what is wrong."""
    from twin.errors import InputError
    from twin.io.inputs import checked_file
    from twin.model.sanity import sanity_warnings

    failed = 0
    for source in files:
        try:
            kind, name, park = checked_file(source)
        except InputError as exc:
            typer.echo(f"parktwin: {exc}", err=True)
            failed += 1
        else:
            typer.echo(f"ok: {source} ({kind} '{name}')")
            for warning in sanity_warnings(park):
                typer.echo(f"warning: {source}: {warning}", err=True)
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


@app.command()
@guarded
def state(
    park: ParkArg = None,
    store: StoreOpt = Path("live.db"),
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="ISO time, park-local (default: the latest); from the store's first message "
            "to 24 h after its last.",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the state document.")] = False,
    lang: LangOpt = None,
) -> None:
    """The park's state at a moment, from the live store: trucks by stage, outages, meters."""
    import json

    from twin import api
    from twin.io.inputs import read_park
    from twin.live.run import state as state_doc
    from twin.model.labels import asset_names

    model = read_park(park)
    language = api.output_language(lang, model)
    doc = state_doc(park, store, at)
    if json_out:
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print_state(doc, language, asset_names(model))


def _nowcast_setup(
    every: float | None,
    hours: float,
    replications: int,
    alert: list[str] | None,
    seen: bool,
    follow: bool = True,
) -> Any:
    """The live run's setup for ``--nowcast-every`` (None without it)."""
    if every is None:
        return None
    from twin.api.live import nowcast_setup

    return nowcast_setup(
        every, hours=hours, replications=replications, alerts=alert or [], seen_only=seen,
        follow=follow,
    )  # fmt: skip


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
    follow_data: FollowOpt = True,
) -> None:
    """Follow the park live into the store: from MQTT until SIGINT/SIGTERM, or a recording."""
    if (broker is None) == (replay is None):
        raise fail("give either --broker URL or --replay SENSOR_DIR")
    setup = _nowcast_setup(nowcast_every, hours, replications, alert, seen_flows_only, follow_data)
    if replay is not None:
        from twin.live.run import live_replay

        with stop_on_signals() as stop:
            stats = live_replay(park, replay, store, speed, stop=stop, setup=setup)
        typer.echo(f"parktwin: {stats.summary()}", err=True)
        return
    if speed is not None:
        raise fail("--speed goes with --replay (a broker feed runs at the park's pace)")
    try:
        from twin.live.feed import follow
    except ModuleNotFoundError as exc:
        raise _paho_missing(exc) from None
    assert broker is not None
    with stop_on_signals() as stop:
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
            stop=stop,
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
    with stop_on_signals() as stop:
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
            stop=stop,
        )
    typer.echo(
        f"published {done.messages} messages in {done.payloads} payloads, "
        f"{done.seconds:.1f} s ({done.rate_per_s:.0f} messages/s)"
    )


# --------------------------------------------------------------------------- nowcast, back-test


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
    follow_data: FollowOpt = True,
    json_out: Annotated[bool, typer.Option("--json", help="Print forecast.json.")] = False,
    out: OutOpt = None,
    jobs: JobsOpt = 1,
    backend: BackendOpt = "local",
    scheduler: SchedulerOpt = None,
    lang: LangOpt = None,
) -> None:
    """Forecast the next hours from the park's state in the live store (forecast.json)."""
    import json

    from console.experiment import workers_of
    from twin import api
    from twin.api.live import nowcast_command
    from twin.io.inputs import read_park
    from twin.model.labels import asset_names

    model = read_park(park)
    language = api.output_language(lang, model)

    workers = workers_of(jobs, backend, scheduler)
    with progress(quiet=json_out) as bar:
        doc = nowcast_command(
            park, store, at, hours=hours, replications=replications, seed=seed,
            alerts=alert or [], seen_only=seen_flows_only, out=out, workers=workers,
            progress=bar, follow=follow_data,
        )  # fmt: skip
    if json_out:
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(forecast_lines(doc, lang=language, names=asset_names(model))))


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
    follow_data: FollowOpt = True,
    out: OutOpt = None,
    jobs: JobsOpt = 1,
    backend: BackendOpt = "local",
    scheduler: SchedulerOpt = None,
    lang: LangOpt = None,
) -> None:
    """Nowcast at each origin of a recorded history and score it against what happened."""
    from console.experiment import workers_of
    from twin import api
    from twin.api.live import backtest_command
    from twin.io.inputs import read_park
    from twin.reports.backtest import verdict_lines

    if not 1 <= len(park_or_source) <= 2:
        raise fail("give [PARK] SOURCE: an optional park, then a sensor folder or a store")
    park = park_or_source[0] if len(park_or_source) == 2 else None
    workers = workers_of(jobs, backend, scheduler)
    with progress() as bar:
        result = backtest_command(
            park, park_or_source[-1], every_min=every, hours=hours, replications=replications,
            seed=seed, start=start, end=end, out=out, workers=workers, progress=bar,
            follow=follow_data, lang=lang,
        )  # fmt: skip
    for line in verdict_lines(result, api.output_language(lang, read_park(park))):
        typer.echo(line)


# --------------------------------------------------------------------------- serve


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
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate", help="Feed the page from a simulation of the park (no sensors needed)."
        ),
    ] = False,
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", "-s", help="With --simulate: the scenario simulated."),
    ] = None,
    speed: Annotated[
        str | None,
        typer.Option(
            "--speed",
            help="Simulated time per wall-clock time, or max (--replay: default 600; "
            "--simulate: default 1, real time).",
        ),
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; off loopback a token is needed.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any).")] = 8050,
    token: Annotated[
        str | None,
        typer.Option("--token", help="Token every request must carry (or $PARKTWIN_TOKEN)."),
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit", min=1, max=86400, help="Seconds one what-if may run (at most a day)."
        ),
    ] = 600,
    nowcast_every: Annotated[
        float,
        typer.Option(
            "--nowcast-every",
            help="With --replay or --simulate: nowcast every MIN park minutes (0: off).",
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
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="The page's default language, vi or en (default: the park's "
            "park.language, else en; ?lang= in the address still chooses).",
        ),
    ] = None,
    keep_days: Annotated[
        float | None,
        typer.Option(
            "--keep-days",
            help="With --simulate: days of simulated time the store keeps; older data are "
            "deleted as the feed goes on (default 8).",
        ),
    ] = None,
) -> None:
    """The operations-centre web page and its HTTP API (until Ctrl+C)."""
    from web.server import serve as run_server

    nowcast: dict[str, Any] = {"every_min": nowcast_every, "hours": hours}
    nowcast.update(replications=replications, alerts=alert or [], seen_only=seen_flows_only)
    pace = speed if speed is not None else ("1" if simulate else "600")
    run_server(park, store, replay, pace, host, port, token, time_limit, say=typer.echo,
               nowcast=nowcast if nowcast_every != 0 else None, simulate=simulate,
               scenario=scenario, lang=lang, keep_days=keep_days)  # fmt: skip


def main() -> None:
    """Entry point of the `parktwin` console script."""
    startup.begin()
    interrupt_on_sigterm()
    try:
        app()
    except KeyboardInterrupt as exc:
        typer.echo(f"parktwin: {message(exc)}", err=True)
        sys.exit(exit_status(exc))
    finally:
        startup.end()


if __name__ == "__main__":
    main()
