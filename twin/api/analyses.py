"""The library calls behind compare, sweep, N-1 and calibrate (loaded by :mod:`twin.api` on use)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from twin.api import _experiment_result, output_language
from twin.api.recording import NamedCase, folder_names, record_cases, write_points
from twin.calibration import Calibration
from twin.calibration.read import METERS, TRUCKS
from twin.errors import InputError, UsageError
from twin.experiment.comparison import Comparison, unique_labels
from twin.experiment.headroom import headroom_analysis
from twin.experiment.materiality import Materiality
from twin.experiment.n1 import n1_analysis
from twin.experiment.results import Experiment, all_warnings
from twin.experiment.runner import check_horizons, check_kpi_names, kpi_names, run_cases
from twin.experiment.settings import Case, Settings, Workers
from twin.experiment.sweeps import (
    Sweep,
    default_kpis,
    labels_of,
    parse_varies,
    sweep_cases,
    unchanged_parameters,
)
from twin.experiment.target import parse_target
from twin.experiment.workload import expected_result_bytes
from twin.io.documents import read_document
from twin.io.inputs import (
    ParkSource,
    ScenarioSource,
    common_base,
    read_base,
    read_park,
    read_scenario,
    resolve_inputs,
)
from twin.io.load import file_kind
from twin.language import Language
from twin.live.export import calibrate_source
from twin.model.labels import asset_names
from twin.model.scenario import apply_scenario
from twin.model.schema import Event, Park, Scenario
from twin.reports.calibration import save_calibration
from twin.reports.compare import write_comparison
from twin.reports.headroom import write_headroom
from twin.reports.n1 import write_n1
from twin.reports.sweep import write_sweep
from twin.sim.context import RunSpec

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
    lang: str | None = None,
    materiality: Materiality | Path | str | None = None,
) -> Comparison:
    """The park as is (baseline) against each scenario, paired with common random numbers.

    When `park` is None, the scenarios' common `base` is the park (else the default park).
    With `out`, writes comparison.json, comparison.csv, report.md, report.html, park.yaml and
    scenarios.json there (the finished replications too when interrupted or failing).
    With `sensors_out`, what the sensors recorded in the first replication of each case is
    written there, one subfolder per case (:mod:`twin.api.recording`).
    `lang` (``vi`` or ``en``; default the park's ``park.language``, else ``en``) is the
    language of the verdicts, tables, summary and report; `materiality` (thresholds, or a
    YAML/JSON file of them) says when a change matters.

    Raises:
        InputError: a park or scenario file that cannot be read or applied.
        UsageError: no scenarios, a scenario given twice, scenarios for different parks.
    """
    thresholds = read_materiality(materiality)
    base, loaded, cases = compare_cases(park, scenarios)
    labels = [case.label for case in cases[1:]]
    named = list(zip(folder_names(["baseline", *labels]), cases, strict=True))
    settings = settings or Settings()
    language = output_language(lang, base)
    names = asset_names(base)
    for case in cases[1:]:
        names = {**asset_names(case.park), **names}

    def build(experiments: Sequence[Experiment]) -> Comparison:
        first = experiments[0]
        extra = {k: v for k, v in first.extra.items() if k != "failed_replications"}
        failed = [f for e in experiments for f in e.extra.get("failed_replications", [])]
        if failed:
            extra["failed_replications"] = failed
        warnings = all_warnings(experiments)
        if warnings:
            extra["warnings"] = warnings
        return Comparison(
            first, list(experiments[1:]), labels, first.settings, extra,
            names=names, lang=language, materiality=thresholds,
        )  # fmt: skip

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


def read_materiality(source: Materiality | Path | str | None) -> Materiality:
    """Materiality thresholds: as given, read from a YAML or JSON file, or the defaults.

    Raises:
        InputError: a file that cannot be read, or thresholds that are not valid (named).
    """
    if source is None:
        return Materiality()
    if isinstance(source, Materiality):
        return source
    data, _ = read_document(Path(source))
    return Materiality.from_document(data, str(source))


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
    lang: str | None = None,
    target: str | None = None,
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
        lang: ``vi`` or ``en`` (default the park's ``park.language``, else ``en``).
        target: ``KPI<=V`` (or ``<``, ``>=``, ``>``): the smallest setting that meets it with
            95% confidence is marked (:mod:`twin.experiment.target`).

    Raises:
        UsageError: bad ``--vary`` syntax, unknown ``--kpi``, a bad target or language.
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
    language = output_language(lang, inputs.park)
    goal = None
    if target is not None:
        goal = parse_target(target, kpi_names(grid[0][1].park, settings.step_min))
        shown = list(dict.fromkeys([goal.kpi, *shown]))

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
            target=goal,
            lang=language,
            names=asset_names(inputs.park),
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
    lang: str | None = None,
    progress: Callable[[float, int], None] | None = None,
) -> dict[str, Any]:
    """Every single outage of the park's network at a moment, ranked (SPEC.md "N-1").

    Args:
        park: the park (it must have `power.network`).
        scenario: an optional scenario applied first.
        at_min: the moment, minutes from the start of the horizon; None: the peak demand.
        hours: how long each outage lasts from the moment.
        settings: horizon, warm-up and seed of the simulations.
        out: a folder for n1.json and the report, written as one unit.
        lang: the report's language (``vi``, ``en``; default the park's, else English).
        progress: called with (runs done, runs planned): the base run and one per outage.

    Returns:
        The n1.json document.
    """
    return _network_study(
        park,
        scenario,
        settings,
        "n1",
        lambda model, events, spec: n1_analysis(
            model, events, at_min, hours, spec, progress=progress
        ),
        write_n1,
        out,
        lang,
    )


def headroom(
    park: ParkSource | None = None,
    scenario: ScenarioSource | None = None,
    at_min: float | None = None,
    power_factor: float = 0.95,
    settings: Settings | None = None,
    out: Path | None = None,
    lang: str | None = None,
    progress: Callable[[float, int], None] | None = None,
    n1: bool = False,
) -> dict[str, Any]:
    """The largest new load each bus of the park's network can take at a moment (headroom).

    Args:
        park: the park (it must have `power.network`).
        scenario: an optional scenario applied first.
        at_min: the moment, minutes from the start of the horizon; None: the peak demand.
        power_factor: the new load's power factor (lagging), 0.3 to 1.
        settings: horizon, warm-up and seed of the run that gives the park's demand.
        out: a folder for headroom.json and the report, written as one unit.
        lang: the report's language (``vi``, ``en``; default the park's, else English).
        progress: called with (steps done, steps planned): the run, then each bisection round.
        n1: also the headroom that keeps every single outage secure after restoration.

    Returns:
        The headroom.json document.
    """
    return _network_study(
        park,
        scenario,
        settings,
        "headroom",
        lambda model, events, spec: headroom_analysis(
            model, events, at_min, power_factor, spec, progress=progress, n1=n1
        ),
        write_headroom,
        out,
        lang,
    )


def _network_study(
    park: ParkSource | None,
    scenario: ScenarioSource | None,
    settings: Settings | None,
    command: str,
    analyse: Callable[[Park, list[Event], RunSpec], dict[str, Any]],
    write: Callable[[Path, dict[str, Any], Language, dict[str, str]], object],
    out: Path | None,
    lang: str | None,
) -> dict[str, Any]:
    """A study of the park's power network at one moment (n1, headroom): `analyse` the park
    with its scenario's events, and `write` the document and its report to `out` as one unit."""
    inputs = resolve_inputs(park, scenario)
    language = output_language(lang, inputs.park)
    names = asset_names(inputs.park)
    settings = settings or Settings()
    check_horizons([Case(inputs.park, inputs.events, inputs.scenario_name)], settings.days)
    spec = settings.spec(0)
    return _experiment_result(
        out,
        command,
        0,
        lambda: analyse(inputs.park, list(inputs.events), spec),
        lambda folder, result: write(folder, result, language, names),
        lambda experiments: {},
    )


# --------------------------------------------------------------------------- calibrate


def _check_not_over_the_data(out: Path, sensors: str | Path) -> None:
    """The fitted park is never written over the sensor data it is fitted to.

    Raises:
        InputError: `out` is the store, meters.csv or trucks.csv being read.
    """
    source = Path(sensors)
    inputs = [source] if source.is_file() else [source / METERS, source / TRUCKS]
    for path in inputs:
        if path.is_file() and out.resolve() == path.resolve():
            raise InputError(
                str(out),
                f"is the sensor data being fitted ({path}); write the fitted park to another file",
            )


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
    lang: str | None = None,
) -> tuple[Calibration, list[Path]]:
    """``parktwin calibrate``: fit the park to a sensor folder or store; write park and report.

    The report folder is a result folder, checked and locked before the fit starts
    (:func:`twin.reports.calibration.save_calibration`); the arguments are those of
    :func:`twin.calibration.calibrate`, `stages` its stage texts and `progress` the
    (replications done, planned) of its validation; the report is in `lang` (default the
    park's language, else English).

    Returns:
        The calibration, and the files written (the park file first).
    """

    _check_not_over_the_data(Path(out), sensors)

    def compute() -> Calibration:
        return calibrate_source(
            park, sensors, holdout, replications, seed, search, stages, workers, progress
        )

    described = f"parktwin calibrate ({' '.join(sys.argv)[:200]})"
    language = output_language(lang, read_park(park))
    return save_calibration(out, report, compute, described, language)
