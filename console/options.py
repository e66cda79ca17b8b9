"""The options the commands share: each flag, its type, default range and help, named once.

Importing this module loads typer only, so that ``parktwin --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
SensorsOutOpt = Annotated[
    Path | None,
    typer.Option(
        "--sensors-out",
        help="Folder for what the sensors would have recorded in replication 0 (meters.csv, "
        "trucks.csv; compare and sweep: one subfolder per scenario or point).",
    ),
]
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


StoreOpt = Annotated[Path, typer.Option("--store", help="The live store file (SQLite).")]

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
FollowOpt = Annotated[
    bool,
    typer.Option(
        "--follow/--no-follow",
        help="Re-estimate arrival rates and meter levels from the data before the state, "
        "after the last change found there (on by default).",
    ),
]
NowcastEveryOpt = Annotated[
    float | None,
    typer.Option("--nowcast-every", help="Nowcast every MIN minutes of park time."),
]
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Language of the report and tables: vi or en [default: park.language, else en].",
    ),
]
MaterialityOpt = Annotated[
    Path | None,
    typer.Option(
        "--materiality",
        help="YAML/JSON file of thresholds per KPI family (wait, energy, production, ...) from "
        "which a change matters.",
    ),
]
TargetOpt = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="A goal such as 'trucks.wait_mean_min<=20': the smallest setting that meets it "
        "with 95% confidence is marked.",
    ),
]
