"""The library calls behind every command: what the CLI does is one call away from Python."""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from twin.bundled import DEFAULT_PARK
from twin.errors import InputError, SettingError, UsageError
from twin.load import load_park, load_scenario, scenario_path
from twin.result_folder import ResultFolder
from twin.results import Experiment
from twin.runner import Interrupted, ReplicationError, run_cases
from twin.schema import Event, Park, Scenario
from twin.settings import (
    DEFAULT_PRECISION,
    DEFAULT_PRECISION_KPIS,
    INITIAL_REPLICATIONS,
    MAX_REPLICATIONS,
    Case,
    Settings,
)
from twin.workload import expected_result_bytes

if TYPE_CHECKING:
    from twin.comparison import Comparison
    from twin.sweeps import Sweep


SETTING_FLAGS = {
    "days": "--days",
    "warmup_days": "--warmup-days",
    "seed": "--seed",
    "replications": "--replications",
    "jobs": "--jobs",
    "step_min": "--step-min",
    "backend": "--backend",
    "scheduler": "--scheduler",
    "precision": "--precision",
    "precision_kpis": "--kpi",
    "max_replications": "--max-replications",
    "warmup_auto": "--warmup auto",
    "first_replication": "--first-replication",
}
"""The command-line flag of each :class:`Settings` field, for error messages."""


@dataclass(frozen=True)
class Inputs:
    """A park with a scenario applied: what the engine runs."""

    park: Park
    scenario: Scenario | None
    events: tuple[Event, ...]

    @property
    def scenario_name(self) -> str | None:
        """The scenario's name, or None for the park as is."""
        return self.scenario.scenario.name if self.scenario else None


def load_inputs(
    park: str | Path | Park | None = None, scenario: str | Path | None = None
) -> Inputs:
    """Load a park (path, bundled name or Park) and apply an optional scenario to it.

    When `park` is None the scenario's `base` is used (a path relative to the scenario file,
    or a bundled name), else the bundled default park.
    """
    loaded = load_scenario(scenario) if scenario is not None else None
    if isinstance(park, Park):
        base = park
    elif park is not None:
        base = load_park(park)
    elif loaded is not None and loaded.base is not None:
        base = load_park(_relative_base(loaded.base, scenario))
    else:
        base = load_park(DEFAULT_PARK)
    if loaded is None:
        return Inputs(base, None, ())
    from twin.scenario import apply_scenario

    source = str(scenario_path(scenario)) if scenario is not None else "<scenario>"
    applied = apply_scenario(base, loaded, source)
    return Inputs(applied, loaded, tuple(loaded.events))


def _relative_base(base: str, scenario: str | Path | None) -> str | Path:
    if scenario is None:
        return base
    candidate = scenario_path(scenario).parent / base
    return candidate if candidate.exists() else base


def settings_from_options(
    days: float = 7.0,
    warmup: str = "1",
    seed: int = 0,
    replications: str = "1",
    jobs: int = 1,
    backend: str = "local",
    scheduler: str | None = None,
    step_min: float = 15.0,
    precision: float | None = None,
    kpis: Sequence[str] = (),
    max_replications: int | None = None,
    first_replication: int = 0,
) -> Settings:
    """Settings from command-line option values, with clear errors for bad combinations.

    Args:
        days: ``--days``.
        warmup: ``--warmup-days``: a number of days, or ``auto`` for MSER-5.
        seed: ``--seed``.
        replications: ``-r``: a whole number, or ``auto`` for the sequential procedure.
        jobs: ``-j``.
        backend: ``--backend``: ``local`` or ``dask``.
        scheduler: ``--scheduler``: a dask scheduler address.
        step_min: ``--step-min``.
        precision: ``--precision``: target relative half-width with ``-r auto`` (default 0.05).
        kpis: ``--kpi``: the KPIs ``-r auto`` watches (default: truck wait and turnaround).
        max_replications: ``--max-replications``: the cap of ``-r auto`` (default 200).
        first_replication: ``--first-replication``: index of the first replication.

    Raises:
        UsageError: a value that is not a number, or options that contradict each other.
    """
    auto = replications.strip().lower() == "auto"
    if not auto and precision is not None:
        raise UsageError("--precision is the target of -r auto: add -r auto, or drop --precision")
    if not auto and max_replications is not None:
        raise UsageError("--max-replications is the cap of -r auto: add -r auto, or drop it")
    if auto:
        reps = INITIAL_REPLICATIONS
        if precision is None:
            precision = DEFAULT_PRECISION
    else:
        try:
            reps = int(replications)
        except ValueError:
            raise UsageError(
                f"--replications must be a whole number or 'auto', got '{replications}'"
            ) from None
    warmup_auto = warmup.strip().lower() == "auto"
    try:
        warmup_days = 0.0 if warmup_auto else float(warmup)
    except ValueError:
        raise UsageError(
            f"--warmup-days must be a number of days or 'auto', got '{warmup}'"
        ) from None
    try:
        return Settings(
            days=days,
            warmup_days=warmup_days,
            seed=seed,
            replications=reps,
            jobs=jobs,
            step_min=step_min,
            backend=backend,
            scheduler=scheduler,
            precision=precision,
            precision_kpis=tuple(kpis) or DEFAULT_PRECISION_KPIS,
            max_replications=max_replications or MAX_REPLICATIONS,
            warmup_auto=warmup_auto,
            first_replication=first_replication,
        )
    except SettingError as exc:
        raise UsageError(exc.named(SETTING_FLAGS)) from None


def _finished(experiments: Sequence[Experiment]) -> bool:
    """True when some replication of some experiment finished (worth writing)."""
    return any(
        any(not math.isnan(v) for v in values)
        for experiment in experiments
        for values in experiment.values.values()
    )


R = TypeVar("R")


def _write_into(folder: ResultFolder, write: Callable[[Path], object], complete: bool) -> Path:
    """Write a result into the staging folder and publish it; disk errors are bad input."""
    try:
        write(folder.staging)
        return folder.publish(complete)
    except OSError as exc:
        raise InputError(
            str(folder.target),
            f"could not be written ({exc.strerror or exc}); an earlier result there is kept",
        ) from None


def _in_folder(
    out: Path | None,
    command: str,
    expected_bytes: int,
    compute: Callable[[], R],
    write: Callable[[Path, R], object],
    partial: Callable[[Sequence[Experiment]], R],
) -> R:
    """Compute a result and, with `out`, write it there as one unit (:mod:`twin.result_folder`).

    The destination is checked and locked before `compute` runs. When the replications are
    interrupted or fail, the finished ones (``partial``) are written, beside a complete earlier
    result rather than over it, and the error says where.
    """
    if out is None:
        return compute()
    described = f"parktwin {command} ({' '.join(sys.argv)[:200]})"
    with ResultFolder(out, described, expected_bytes) as folder:
        try:
            result = compute()
        except (Interrupted, ReplicationError) as exc:
            finished = exc.experiments
            if _finished(finished):
                try:
                    where = _write_into(folder, lambda d: write(d, partial(finished)), False)
                    exc.add_note(f"the finished replications were written to {where}")
                except InputError as error:
                    exc.add_note(str(error))
            raise
        _write_into(folder, lambda d: write(d, result), complete=True)
        return result


def run(
    park: str | Path | Park | None = None,
    scenario: str | Path | None = None,
    settings: Settings | None = None,
    out: Path | None = None,
    progress: Callable[[float, int], None] | None = None,
) -> Experiment:
    """Simulate a park (under an optional scenario) and return its KPIs over replications.

    With `out`, also writes kpis.json, kpis.csv, trace.npz, park.yaml and the report there, as
    one unit (:mod:`twin.result_folder`); the destination is checked before simulating. When
    interrupted or when a replication fails, the finished replications are written (beside a
    complete earlier result, as ``OUT.partial``).
    """
    from twin.report import write_run

    inputs = load_inputs(park, scenario)
    case = Case(inputs.park, inputs.events, inputs.scenario_name)
    settings = settings or Settings()
    return _in_folder(
        out,
        "run",
        expected_result_bytes(inputs.park, settings),
        lambda: run_cases([case], settings, progress)[0],
        lambda folder, experiment: write_run(folder, experiment, inputs.park, inputs.scenario),
        lambda experiments: experiments[0],
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
    from twin.load import file_kind

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
    from twin.errors import InputError
    from twin.load import file_kind

    try:
        return file_kind(name) == "park"
    except InputError:
        return False


def _common_base(scenarios: Sequence[tuple[str, Scenario]]) -> str | Path | None:
    """The park the scenarios are written for: their `base`, which must agree."""
    from twin.bundled import resolve

    bases: dict[Path, tuple[str | Path, str]] = {}
    for source, loaded in scenarios:
        if loaded.base is None:
            continue
        base = _relative_base(loaded.base, source)
        bases.setdefault(resolve(base, "park").resolve(), (base, source))
    if len(bases) > 1:
        listed = ", ".join(f"{src}: {base}" for base, src in bases.values())
        raise UsageError(
            f"the scenarios are written for different parks ({listed}); name the park to "
            "compare on first: parktwin compare PARK SCENARIO..."
        )
    return next(iter(bases.values()))[0] if bases else None


def compare(
    park: str | Path | Park | None,
    scenarios: Sequence[str | Path],
    settings: Settings | None = None,
    out: Path | None = None,
    progress: Callable[[float, int], None] | None = None,
) -> Comparison:
    """The park as is (baseline) against each scenario, paired with common random numbers.

    When `park` is None, the scenarios' common `base` is the park (else the default park).
    With `out`, writes comparison.json, comparison.csv, report.md, report.html, park.yaml and
    scenarios.json there (the finished replications too when interrupted or failing).

    Raises:
        InputError: a park or scenario file that cannot be read or applied.
        UsageError: no scenarios, a scenario given twice, scenarios for different parks.
    """
    from twin.compare_report import write_comparison
    from twin.comparison import Comparison, unique_labels
    from twin.scenario import apply_scenario

    if not scenarios:
        raise UsageError("compare needs at least one scenario: parktwin compare [PARK] SCENARIO...")
    sources = [str(scenario_path(s)) for s in scenarios]
    for k, source in enumerate(sources):
        if source in sources[:k]:
            raise UsageError(f"scenario '{scenarios[k]}' is given twice")
    loaded = [(str(s), load_scenario(s)) for s in scenarios]
    if isinstance(park, Park):
        base = park
    elif park is not None:
        base = load_park(park)
    else:
        common = _common_base(loaded)
        base = load_park(common if common is not None else DEFAULT_PARK)
    labels = unique_labels([sc.scenario.name for _, sc in loaded])
    cases = [Case(base, (), None, label="baseline")]
    for (_, sc), source, label in zip(loaded, sources, labels, strict=True):
        applied = apply_scenario(base, sc, source)
        cases.append(Case(applied, tuple(sc.events), sc.scenario.name, label=label))
    settings = settings or Settings()

    def build(experiments: Sequence[Experiment]) -> Comparison:
        first = experiments[0]
        extra = {k: v for k, v in first.extra.items() if k != "failed_replications"}
        failed = [f for e in experiments for f in e.extra.get("failed_replications", [])]
        if failed:
            extra["failed_replications"] = failed
        return Comparison(first, list(experiments[1:]), labels, first.settings, extra)

    return _in_folder(
        out,
        "compare",
        expected_result_bytes(base, settings, with_trace=False),
        lambda: build(run_cases(cases, settings, progress)),
        lambda folder, comparison: write_comparison(
            folder, comparison, base, [sc for _, sc in loaded]
        ),
        build,
    )


# --------------------------------------------------------------------------- sweep


def sweep(
    park: str | Path | Park | None = None,
    scenario: str | Path | None = None,
    vary: Sequence[str] = (),
    settings: Settings | None = None,
    kpis: Sequence[str] = (),
    out: Path | None = None,
    progress: Callable[[float, int], None] | None = None,
) -> Sweep:
    """Replicate the park (under an optional scenario) at every point of a parameter grid.

    Args:
        park: a park path, bundled name or Park (default: the scenario's base or yen-binh).
        scenario: a scenario applied before the grid's values.
        vary: one or two ``PATH=A:B[:STEP]`` / ``PATH=A,B,C`` texts (see :mod:`twin.sweeps`).
        settings: horizon, replications, backend (``-r auto`` watches `kpis` at every point).
        kpis: the KPIs to report; default: those of what is varied, and the trucks' wait.
        out: a folder for sweep.json, sweep.csv, report.md, report.html and park.yaml.
        progress: called with (replications done, planned).

    Raises:
        UsageError: bad ``--vary`` syntax, unknown ``--kpi``.
        InputError: a path that matches nothing, or a value the park does not accept.
    """
    from twin.runner import check_kpi_names, kpi_names
    from twin.sweep_report import write_sweep
    from twin.sweeps import Sweep, default_kpis, parse_varies, sweep_cases

    varies = parse_varies(vary)
    inputs = load_inputs(park, scenario)
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

    return _in_folder(
        out,
        "sweep",
        expected_result_bytes(inputs.park, settings, with_trace=False),
        lambda: build(run_cases([case for _, case in grid], settings, progress)),
        lambda folder, result: write_sweep(folder, result, inputs.park),
        build,
    )
