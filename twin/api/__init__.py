"""The library calls behind every command: what the CLI does is one call away from Python.

:func:`run` and :func:`simulate` are here, with only what they need imported; compare, sweep,
N-1 and calibration are in :mod:`twin.api.analyses` and load on first use, so that a run
starts quickly.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from twin.api.recording import check_apart, record_cases, sensors_folder
from twin.experiment.results import Experiment
from twin.experiment.runner import (
    Interrupted,
    ReplicationError,
    check_horizons,
    choose_warmup_for,
    run_cases,
)
from twin.experiment.settings import Case, Settings
from twin.experiment.workload import expected_result_bytes
from twin.io.inputs import Inputs, ParkSource, ScenarioSource, resolve_inputs
from twin.io.result_folder import write_result
from twin.language import Language, language_of
from twin.reports.run import write_run
from twin.sim.engine import run_engine
from twin.sim.trace import Trace

if TYPE_CHECKING:  # the calls of twin.api.analyses, loaded on first use (below)
    from twin.api.analyses import calibrate_command as calibrate_command
    from twin.api.analyses import compare as compare
    from twin.api.analyses import compare_cases as compare_cases
    from twin.api.analyses import headroom as headroom
    from twin.api.analyses import n1 as n1
    from twin.api.analyses import read_materiality as read_materiality
    from twin.api.analyses import split_park_and_scenarios as split_park_and_scenarios
    from twin.api.analyses import sweep as sweep
    from twin.model.schema import Park

ANALYSES = (
    "calibrate_command",
    "compare",
    "compare_cases",
    "headroom",
    "n1",
    "read_materiality",
    "split_park_and_scenarios",
    "sweep",
)
"""The calls that live in :mod:`twin.api.analyses`: they load comparison, sweep, N-1, headroom
and calibration code, which ``parktwin run`` and :func:`simulate` never need."""


def __getattr__(name: str) -> Any:
    """Load the calls of :data:`ANALYSES` on first use (PEP 562) and keep them."""
    if name not in ANALYSES:
        raise AttributeError(f"module 'twin.api' has no attribute '{name}'")
    value = getattr(importlib.import_module("twin.api.analyses"), name)
    globals()[name] = value
    return value


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
    lang: str | None = None,
) -> Experiment:
    """Simulate a park (under an optional scenario) and return its KPIs over replications.

    With `out`, also writes kpis.json, kpis.csv, trace.npz, park.yaml and the report there, as
    one unit (:mod:`twin.io.result_folder`); the destination is checked before simulating. When
    interrupted or when a replication fails, the finished replications are written (beside a
    complete earlier result, as ``OUT.partial``). With `sensors_out`, what the sensors
    recorded in the first replication is written there (:mod:`twin.api.recording`). The report
    is in `lang` (``vi`` or ``en``; default: the park's ``park.language``, else ``en``).
    """
    return run_resolved(resolve_inputs(park, scenario), settings, out, progress, sensors_out, lang)


def run_resolved(
    inputs: Inputs,
    settings: Settings | None = None,
    out: Path | None = None,
    progress: Callable[[float, int], None] | None = None,
    sensors_out: Path | None = None,
    lang: str | None = None,
) -> Experiment:
    """:func:`run` of a park and scenario already read (:func:`twin.io.inputs.resolve_inputs`).

    For a caller that needs the park itself too (the command line names the assets in its
    table): the files are read and checked once.
    """
    language = output_language(lang, inputs.park)
    case = Case(inputs.park, inputs.events, inputs.scenario_name)
    settings = settings or Settings()
    return _experiment_result(
        out,
        "run",
        expected_result_bytes(inputs.park, settings),
        lambda: run_cases([case], settings, progress)[0],
        lambda folder, experiment: write_run(
            folder, experiment, inputs.park, inputs.scenario, language
        ),
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
    case = Case(inputs.park, inputs.events, inputs.scenario_name)
    check_horizons([case], settings.days)
    if auto:
        chosen = choose_warmup_for([case], settings).days
        settings = dataclasses.replace(settings, warmup_days=chosen, warmup_auto=False)
    spec = settings.spec(replication)
    return run_engine(
        inputs.park, inputs.events, spec, progress=progress, scenario=inputs.scenario_name
    )


def output_language(lang: str | None, park: Park) -> Language:
    """The language of a command's output: `lang`, else the park's ``park.language``, else en.

    Raises:
        UsageError: a language parktwin does not write.
    """
    return language_of(lang, park.park.language)
