"""The library calls behind every command: what the CLI does is one call away from Python."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from twin.errors import UsageError
from twin.experiment import Experiment, Settings, run_experiment
from twin.load import DEFAULT_PARK, load_park, load_scenario, scenario_path
from twin.schema import Event, Park, Scenario


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
) -> Settings:
    """Settings from command-line option values, with clear errors for bad combinations."""
    if backend not in ("local", "dask"):
        raise UsageError(f"--backend must be 'local' or 'dask', got '{backend}'")
    if backend == "dask" or scheduler is not None:
        raise UsageError("--backend dask arrives with the experiments issue (#4); use local")
    if replications == "auto" or warmup == "auto" or precision is not None:
        raise UsageError("-r auto, --precision and --warmup auto arrive with issue #4")
    try:
        reps = int(replications)
    except ValueError:
        raise UsageError(f"--replications must be a whole number, got '{replications}'") from None
    try:
        warmup_days = float(warmup)
    except ValueError:
        raise UsageError(f"--warmup-days must be a number of days, got '{warmup}'") from None
    return Settings(days, warmup_days, seed, reps, jobs, step_min)


def run(
    park: str | Path | Park | None = None,
    scenario: str | Path | None = None,
    settings: Settings | None = None,
    out: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Experiment:
    """Simulate a park (under an optional scenario) and return its KPIs over replications.

    With `out`, also writes kpis.json, kpis.csv, trace.npz, park.yaml and the report there.
    """
    inputs = load_inputs(park, scenario)
    experiment = run_experiment(
        inputs.park, inputs.events, settings or Settings(), inputs.scenario_name, progress
    )
    if out is not None:
        from twin.report import write_run

        write_run(Path(out), experiment, inputs.park, inputs.scenario)
    return experiment
