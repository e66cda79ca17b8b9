"""The library calls behind every command: what the CLI does is one call away from Python."""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from twin.api.recording import (
    NamedCase,
    check_apart,
    folder_names,
    record_cases,
    sensors_folder,
    write_points,
)
from twin.calibration import Calibration
from twin.errors import InputError, UsageError
from twin.experiment.comparison import Comparison, unique_labels
from twin.experiment.n1 import n1_analysis
from twin.experiment.results import Experiment, all_warnings
from twin.experiment.runner import (
    Interrupted,
    ReplicationError,
    check_horizons,
    check_kpi_names,
    choose_warmup_for,
    kpi_names,
    run_cases,
)
from twin.experiment.settings import Case, Settings, Workers
from twin.experiment.sweeps import (
    Sweep,
    default_kpis,
    labels_of,
    parse_varies,
    sweep_cases,
    unchanged_parameters,
)
from twin.experiment.workload import expected_result_bytes
from twin.io.inputs import (
    ParkSource,
    ScenarioSource,
    common_base,
    read_base,
    read_scenario,
    resolve_inputs,
)
from twin.io.load import file_kind
from twin.io.result_folder import write_result
from twin.live.export import calibrate_source
from twin.model.scenario import apply_scenario
from twin.model.schema import Park, Scenario
from twin.reports.calibration import save_calibration
from twin.reports.compare import write_comparison
from twin.reports.n1 import write_n1
from twin.reports.run import write_run
from twin.reports.sweep import write_sweep
from twin.sim.engine import run_engine
from twin.sim.trace import Trace


def _finished(experiments: Sequence[Experiment]) -> bool:
    """True when some replication of some experiment finished (worth writing)."""
    return any(
        any(not math.isnan(v) for v in values)
        for experiment in experiments
        for values in experiment.values.values()
    )


R = TypeVar("R")


def _experiment_result(
    out: Path | None,
    command: str,
    expected_bytes: int,
    compute: Callable[[], R],
    write: Callable[[Path, R], object],
    partial: Callable[[Sequence[Experiment]], R],
    sensors_out: Path | None = None,
    record: Callable[[Path, R], object] | None = None,
) -> R:
    """Run an experiment and, with `out`, write its result there (:func:`write_result`).

    When the replications are interrupted or fail, the finished ones (``partial``) are
    written, beside a complete earlier result rather than over it, and the error says where.
    With `sensors_out`, `record` writes what the sensors recorded there once the experiment
    is done (:mod:`twin.api.recording`); that folder is checked before any work too.
    """

    def salvage(exc: BaseException) -> R | None:
        if isinstance(exc, Interrupted | ReplicationError) and _finished(exc.experiments):
            return partial(exc.experiments)
        return None

    described = f"parktwin {command} ({' '.join(sys.argv)[:200]})"
    check_apart(out, sensors_out)
    with sensors_folder(sensors_out, described) as recording:
        result = write_result(out, described, compute, write, expected_bytes, salvage)
        if recording is not None and record is not None:
            recording.write(lambda folder: record(folder, result))
    return result


def run(
    park: ParkSource | None = None,
    scenario: ScenarioSource | None = None,
    settings: Settings | None = None,
    out: Path | None = None,
    progress: Callable[[float, int], None] | None = None,
    sensors_out: Path | None = None,
) -> Experiment:
    """Simulate a park (under an optional scenario) and return its KPIs over replications.

    With `out`, also writes kpis.json, kpis.csv, trace.npz, park.yaml and the report there, as
    one unit (:mod:`twin.io.result_folder`); the destination is checked before simulating. When
    interrupted or when a replication fails, the finished replications are written (beside a
    complete earlier result, as ``OUT.partial``). With `sensors_out`, what the sensors
    recorded in the first replication is written there (:mod:`twin.api.recording`).
    """
    inputs = resolve_inputs(park, scenario)
    case = Case(inputs.park, inputs.events, inputs.scenario_name)
    settings = settings or Settings()
    return _experiment_result(
        out,
        "run",
        expected_result_bytes(inputs.park, settings),
        lambda: run_cases([case], settings, progress)[0],
        lambda folder, experiment: write_run(folder, experiment, inputs.park, inputs.scenario),
        lambda experiments: experiments[0],
        sensors_out,
        lambda folder, experiment: record_cases(folder, [("", case)], experiment.settings),
    )


def simulate(
    park: ParkSource | None = None,
    scenario: ScenarioSource | None = None,
    *,
    days: float = 7.0,
    warmup_days: float | str = 1.0,
    seed: int = 0,
    replication: int = 0,
    step_min: float = 15.0,
    progress: Callable[[float], None] | None = None,
) -> Trace:
    """Simulate one replication of a park, under an optional scenario, and return its trace.

    The trace is the one replication `replication` of :func:`run` with the same park,
    scenario and settings would simulate: same random numbers, bit-identical KPIs
    (``compute_kpis(trace)``).

    Args:
        park: a park file, a bundled park name, a dict in the park format, or a
            :class:`Park`. None: the scenario's ``base``, else the bundled default park.
        scenario: a scenario file, a bundled scenario name, a dict in the scenario format, or
            a :class:`Scenario`; its changes are applied to the park and its events are
            simulated. None: the park as is.
        days: horizon in days, after the warm-up.
        warmup_days: warm-up before the horizon, in days (KPIs leave it out), or ``"auto"``
            for the warm-up MSER-5 chooses on pilot runs, as :func:`run` does.
        seed: base seed.
        replication: which replication's random numbers to use (0 is the first).
        step_min: step of the utility time grid, minutes.
        progress: called with the fraction done (0..1) as the run advances.

    Returns:
        The recorded run: truck visits and utility series as numpy arrays.

    Raises:
        InputError: a park or scenario that cannot be read, or is not valid, or an event
            after the horizon.
        UsageError: a setting out of range (e.g. ``days <= 0``), named as here.
    """
    inputs = resolve_inputs(park, scenario)
    case = Case(inputs.park, inputs.events, inputs.scenario_name)
    auto = isinstance(warmup_days, str) and warmup_days.strip().lower() == "auto"
    warmup: Any = 0.0 if auto else warmup_days  # Settings says what is wrong with other text
    settings = Settings(
        days=days,
        warmup_days=warmup,
        seed=seed,
        step_min=step_min,
        warmup_auto=auto,
        first_replication=replication,
    )
    check_horizons([case], settings.days)
    if auto:
        chosen = choose_warmup_for([case], settings).days
        settings = dataclasses.replace(settings, warmup_days=chosen, warmup_auto=False)
    spec = settings.spec(replication)
    return run_engine(
        inputs.park, inputs.events, spec, progress=progress, scenario=inputs.scenario_name
    )


# --------------------------------------------------------------------------- compare


def split_park_and_scenarios(names: Sequence[str]) -> tuple[str | None, list[str]]:
    """Tell `compare [PARK] SCENARIO...` apart: is the first name a park?

    The first name is the park when it is a park file or a bundled park name (and not a
    scenario file); otherwise every name is a scenario.

    Raises:
        InputError: the first of several names is neither a park nor a scenario.
        UsageError: no scenario is given.
    """
    names = list(names)
    if not names:
        raise UsageError("compare needs at least one scenario: parktwin compare [PARK] SCENARIO...")
    park: str | None = None
    if len(names) > 1 and file_kind(names[0]) == "park":
        park, names = names[0], names[1:]
    elif len(names) == 1 and _is_park(names[0]):
        raise UsageError(
            f"'{names[0]}' is a park; compare needs at least one scenario after it: "
            "parktwin compare [PARK] SCENARIO..."
        )
    return park, names


def _is_park(name: str) -> bool:
    try:
        return file_kind(name) == "park"
    except InputError:
        return False


def compare_cases(
    park: ParkSource | None, scenarios: Sequence[ScenarioSource]
) -> tuple[Park, list[Scenario], list[Case]]:
    """The baseline park, the scenarios, and the cases of a comparison (baseline first).

    When `park` is None, the scenarios' common `base` is the park (else the default park).

    Raises:
        InputError: a park or scenario that cannot be read or applied.
        UsageError: no scenarios, a scenario file given twice, scenarios for different parks.
    """
    if not scenarios:
        raise UsageError("compare needs at least one scenario: parktwin compare [PARK] SCENARIO...")
    loaded = [read_scenario(s) for s in scenarios]
    files = [source for _, source in loaded]
    for k, source in enumerate(files):
        if not source.startswith("<") and source in files[:k]:
            raise UsageError(f"scenario '{scenarios[k]}' is given twice")
    if park is None:
        park = common_base([(s, sc) for s, (sc, _) in zip(scenarios, loaded, strict=True)])
    base, events = read_base(park)
    labels = unique_labels([sc.scenario.name for sc, _ in loaded])
    cases = [Case(base, events, None, label="baseline")]
    for (sc, source), label in zip(loaded, labels, strict=True):
        applied = apply_scenario(base, sc, source)
        cases.append(Case(applied, (*events, *sc.events), sc.scenario.name, label=label))
    return base, [sc for sc, _ in loaded], cases


def compare(
    park: ParkSource | None,
    scenarios: Sequence[ScenarioSource],
    settings: Settings | None = None,
    out: Path | None = None,
    progress: Callable[[float, int], None] | None = None,
    sensors_out: Path | None = None,
) -> Comparison:
    """The park as is (baseline) against each scenario, paired with common random numbers.

    When `park` is None, the scenarios' common `base` is the park (else the default park).
    With `out`, writes comparison.json, comparison.csv, report.md, report.html, park.yaml and
    scenarios.json there (the finished replications too when interrupted or failing).
    With `sensors_out`, what the sensors recorded in the first replication of each case is
    written there, one subfolder per case (:mod:`twin.api.recording`).

    Raises:
        InputError: a park or scenario file that cannot be read or applied.
        UsageError: no scenarios, a scenario given twice, scenarios for different parks.
    """
    base, loaded, cases = compare_cases(park, scenarios)
    labels = [case.label for case in cases[1:]]
    named = list(zip(folder_names(["baseline", *labels]), cases, strict=True))
    settings = settings or Settings()

    def build(experiments: Sequence[Experiment]) -> Comparison:
        first = experiments[0]
        extra = {k: v for k, v in first.extra.items() if k != "failed_replications"}
        failed = [f for e in experiments for f in e.extra.get("failed_replications", [])]
        if failed:
            extra["failed_replications"] = failed
        warnings = all_warnings(experiments)
        if warnings:
            extra["warnings"] = warnings
        return Comparison(first, list(experiments[1:]), labels, first.settings, extra)

    return _experiment_result(
        out,
        "compare",
        expected_result_bytes(base, settings, with_trace=False),
        lambda: build(run_cases(cases, settings, progress)),
        lambda folder, comparison: write_comparison(folder, comparison, base, loaded),
        build,
        sensors_out,
        lambda folder, comparison: record_cases(folder, named, comparison.settings),
    )


# --------------------------------------------------------------------------- sweep


def sweep(
    park: ParkSource | None = None,
    scenario: ScenarioSource | None = None,
    vary: Sequence[str] = (),
    settings: Settings | None = None,
    kpis: Sequence[str] = (),
    out: Path | None = None,
    progress: Callable[[float, int], None] | None = None,
    sensors_out: Path | None = None,
) -> Sweep:
    """Replicate the park (under an optional scenario) at every point of a parameter grid.

    Args:
        park: a park path, bundled name or Park (default: the scenario's base or yen-binh).
        scenario: a scenario applied before the grid's values.
        vary: one or two ``PATH=A:B[:STEP]`` / ``PATH=A,B,C`` texts (see
            :mod:`twin.experiment.sweeps`).
        settings: horizon, replications, backend (``-r auto`` watches `kpis` at every point).
        kpis: the KPIs to report; default: those of what is varied, and the trucks' wait.
        out: a folder for sweep.json, sweep.csv, report.md, report.html and park.yaml.
        progress: called with (replications done, planned).
        sensors_out: a folder for what the sensors recorded in the first replication of each
            point, one subfolder per point (:mod:`twin.api.recording`).

    Raises:
        UsageError: bad ``--vary`` syntax, unknown ``--kpi``.
        InputError: a path that matches nothing, or a value the park does not accept.
    """
    varies = parse_varies(vary)
    inputs = resolve_inputs(park, scenario)
    grid = sweep_cases(inputs.park, inputs.events, inputs.scenario_name, varies)
    settings = settings or Settings()
    if kpis:
        check_kpi_names([grid[0][1]], kpis, settings.step_min)
        shown = list(dict.fromkeys(kpis))
    else:
        shown = default_kpis(varies, kpi_names(grid[0][1].park, settings.step_min))
    if settings.precision is not None and kpis:
        settings = dataclasses.replace(settings, precision_kpis=tuple(shown))
    points = [point for point, _ in grid]

    def build(experiments: Sequence[Experiment]) -> Sweep:
        first = experiments[0]
        extra = {k: v for k, v in first.extra.items() if k != "failed_replications"}
        warnings = [*all_warnings(experiments), *unchanged_parameters(varies, points, experiments)]
        if warnings:
            extra["warnings"] = warnings
        return Sweep(
            inputs.park.park.name,
            inputs.scenario_name,
            varies,
            points,
            list(experiments),
            shown,
            first.settings,
            extra,
        )

    return _experiment_result(
        out,
        "sweep",
        expected_result_bytes(inputs.park, settings, with_trace=False),
        lambda: build(run_cases([case for _, case in grid], settings, progress)),
        lambda folder, result: write_sweep(folder, result, inputs.park),
        build,
        sensors_out,
        lambda folder, result: _record_sweep(folder, grid, varies, result.settings),
    )


def _record_sweep(
    folder: Path, grid: Sequence[tuple[tuple[Any, ...], Case]], varies: Any, settings: Settings
) -> None:
    """Each point's sensors in ``point-NNN/``, and ``points.csv`` naming their values."""
    width = max(3, len(str(len(grid))))
    named: list[NamedCase] = [
        (f"point-{k + 1:0{width}d}", case) for k, (_, case) in enumerate(grid)
    ]
    record_cases(folder, named, settings)
    rows = [(sub, *point) for (sub, _), (point, _) in zip(named, grid, strict=True)]
    write_points(folder, labels_of(varies), rows)


# --------------------------------------------------------------------------- n1


def n1(
    park: ParkSource | None = None,
    scenario: ScenarioSource | None = None,
    at_min: float | None = None,
    hours: float = 4.0,
    settings: Settings | None = None,
    out: Path | None = None,
) -> dict[str, Any]:
    """Every single outage of the park's network at a moment, ranked (SPEC.md "N-1").

    Args:
        park: the park (it must have `power.network`).
        scenario: an optional scenario applied first.
        at_min: the moment, minutes from the start of the horizon; None: the peak demand.
        hours: how long each outage lasts from the moment.
        settings: horizon, warm-up and seed of the simulations.
        out: a folder for n1.json and the report, written as one unit.

    Returns:
        The n1.json document.
    """
    inputs = resolve_inputs(park, scenario)
    settings = settings or Settings()
    check_horizons([Case(inputs.park, inputs.events, inputs.scenario_name)], settings.days)
    spec = settings.spec(0)
    return _experiment_result(
        out,
        "n1",
        0,
        lambda: n1_analysis(inputs.park, list(inputs.events), at_min, hours, spec),
        write_n1,
        lambda experiments: {},
    )


# --------------------------------------------------------------------------- calibrate


def calibrate_command(
    park: ParkSource,
    sensors: str | Path,
    out: Path,
    report: Path | None = None,
    *,
    holdout: float = 0.2,
    replications: int | None = None,
    seed: int = 0,
    search: bool = True,
    stages: Callable[[str], None] | None = None,
    workers: Workers | None = None,
    progress: Callable[[float, int], None] | None = None,
) -> tuple[Calibration, list[Path]]:
    """``parktwin calibrate``: fit the park to a sensor folder or store; write park and report.

    The report folder is a result folder, checked and locked before the fit starts
    (:func:`twin.reports.calibration.save_calibration`); the arguments are those of
    :func:`twin.calibration.calibrate`, `stages` its stage texts and `progress` the
    (replications done, planned) of its validation.

    Returns:
        The calibration, and the files written (the park file first).
    """

    def compute() -> Calibration:
        return calibrate_source(
            park, sensors, holdout, replications, seed, search, stages, workers, progress
        )

    described = f"parktwin calibrate ({' '.join(sys.argv)[:200]})"
    return save_calibration(out, report, compute, described)
