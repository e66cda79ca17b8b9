"""parktwin: a digital twin simulator for industrial parks.

The public API, one import away::

    import twin

    park = twin.load_park("demo-small")                  # a path, a bundled name or a dict
    trace = twin.simulate(park, "peak-season", days=2)   # one replication -> Trace
    print(twin.compute_kpis(trace)["trucks.wait_mean_min"])

    settings = twin.Settings(days=7, replications=10, jobs=2)
    result = twin.run("yen-binh", "peak-season", settings)      # KPIs over replications
    print(result.summary("trucks.wait_mean_min").ci95)
    comparison = twin.compare("yen-binh", ["peak-season", "more-docks"], settings)
    print("\\n".join(comparison.verdicts()))

Results are plain numpy arrays (:func:`to_arrays`) and, when pandas is installed, DataFrames
(:func:`to_frame`). Names are loaded on first use (PEP 562), so ``import twin`` imports
nothing heavy: not numpy, SimPy, pydantic or scipy. 3D rendering lives in the separate ``viz``
package (``from viz import render``): ``twin`` never imports it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from twin.api import compare, run, sweep
    from twin.assets import AssetFamily
    from twin.bundled import bundled_parks, bundled_scenarios
    from twin.calibration import Calibration, calibrate
    from twin.comparison import Comparison
    from twin.dump import dump_park
    from twin.errors import InputError, UsageError
    from twin.kpi import compute_kpis
    from twin.load import load_park, load_scenario
    from twin.results import Experiment
    from twin.scenario import apply_scenario
    from twin.schema import Park, Scenario
    from twin.settings import Settings
    from twin.sim.context import RunSpec
    from twin.sweeps import Sweep
    from twin.trace import Trace


__all__ = [
    "AssetFamily",
    "Calibration",
    "Comparison",
    "Experiment",
    "InputError",
    "Park",
    "RunSpec",
    "Scenario",
    "Settings",
    "Sweep",
    "Trace",
    "UsageError",
    "apply_scenario",
    "bundled_parks",
    "bundled_scenarios",
    "calibrate",
    "compare",
    "compute_kpis",
    "dump_park",
    "load_park",
    "load_scenario",
    "run",
    "simulate",
    "sweep",
    "to_arrays",
    "to_frame",
]

_LAZY: dict[str, str] = {
    "AssetFamily": "twin.assets",
    "Calibration": "twin.calibration",
    "Comparison": "twin.comparison",
    "Experiment": "twin.results",
    "InputError": "twin.errors",
    "Park": "twin.schema",
    "RunSpec": "twin.sim.context",
    "Scenario": "twin.schema",
    "Settings": "twin.settings",
    "Sweep": "twin.sweeps",
    "Trace": "twin.trace",
    "UsageError": "twin.errors",
    "apply_scenario": "twin.scenario",
    "bundled_parks": "twin.bundled",
    "bundled_scenarios": "twin.bundled",
    "calibrate": "twin.calibration",
    "compare": "twin.api",
    "compute_kpis": "twin.kpi",
    "dump_park": "twin.dump",
    "load_park": "twin.load",
    "load_scenario": "twin.load",
    "run": "twin.api",
    "sweep": "twin.api",
}
"""Where each lazily loaded public name lives."""


def __getattr__(name: str) -> Any:
    """Load a public name on first use (PEP 562) and keep it."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("parktwin")
        except PackageNotFoundError:
            return "0+unknown"
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'twin' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# --------------------------------------------------------------------------- one replication


def simulate(
    park: str | Path | Mapping[str, Any] | Park | None = None,
    scenario: str | Path | Mapping[str, Any] | Scenario | None = None,
    *,
    days: float = 7.0,
    warmup_days: float = 1.0,
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
        warmup_days: warm-up before the horizon, in days (KPIs leave it out).
        seed: base seed.
        replication: which replication's random numbers to use (0 is the first).
        step_min: step of the utility time grid, minutes.
        progress: called with the fraction done (0..1) as the run advances.

    Returns:
        The recorded run: truck visits and utility series as numpy arrays.

    Raises:
        InputError: a park or scenario that cannot be read, or is not valid.
        UsageError: a setting out of range (e.g. ``days <= 0``).
    """
    from twin.settings import Settings
    from twin.sim.engine import simulate as run_engine

    settings = Settings(days=days, warmup_days=warmup_days, seed=seed, step_min=step_min)
    model, events, name = _inputs(park, scenario)
    spec = settings.spec(replication)
    return run_engine(model, events, spec, progress=progress, scenario=name)


def _inputs(
    park: str | Path | Mapping[str, Any] | Park | None,
    scenario: str | Path | Mapping[str, Any] | Scenario | None,
) -> tuple[Park, tuple[Any, ...], str | None]:
    """The park with the scenario applied, the scenario's events and its name."""
    from pathlib import Path

    from twin.api import load_inputs
    from twin.bundled import DEFAULT_PARK
    from twin.load import load_park, load_scenario
    from twin.schema import Park, Scenario

    if isinstance(park, Mapping):
        park = load_park(park)
    if scenario is None or isinstance(scenario, str | Path):
        inputs = load_inputs(park, scenario)
        return inputs.park, inputs.events, inputs.scenario_name
    from twin.scenario import apply_scenario

    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(park, Park):
        base = park
    else:
        base = load_park(park if park is not None else loaded.base or DEFAULT_PARK)
    applied = apply_scenario(base, loaded, "<scenario>")
    return applied, tuple(loaded.events), loaded.scenario.name


# --------------------------------------------------------------------------- results as tables


def to_arrays(result: Any) -> dict[str, Any]:
    """A result as plain numpy arrays.

    Args:
        result: what :func:`simulate`, :func:`run`, :func:`compare` or :func:`sweep` returned.

    Returns:
        ``result.to_arrays()``: for a :class:`Trace`, its columns; for an :class:`Experiment`,
        each KPI's values, one per replication in replication order (NaN: a replication that
        did not finish); for a :class:`Comparison`, ``{"baseline": {...}, "<scenario>": {...}}``
        with such a mapping per case (replication i of each case used the same random
        numbers); for a :class:`Sweep`, ``points`` (one row of parameter values per grid
        point, first parameter slowest) and each KPI as a (points x replications) array.

    Raises:
        TypeError: something else.
    """
    value: Any = result
    if not isinstance(value, _result_types()):
        raise TypeError(f"to_arrays takes a Trace, Experiment, Comparison or Sweep, not {result!r}")
    return dict(cast(Any, value).to_arrays())


def to_frame(result: Any, replications: bool = False) -> pd.DataFrame:
    """A result as a pandas DataFrame (pandas is optional: ``pip install pandas``).

    What the rows and columns are:

    - :class:`Trace`: the truck visits (:meth:`Trace.trucks_frame`).
    - :class:`Experiment`: a row per KPI with ``unit``, ``mean``, ``std``, ``ci95_low``,
      ``ci95_high`` and ``replications`` (kpis.json as a table); with `replications`, a row
      per replication and a column per KPI.
    - :class:`Comparison`: the rows of comparison.json (``kpi``, ``scenario``, ``unit``,
      ``mean``, ``ci95_low``/``high``, ``baseline_mean``, ``delta``, ``delta_pct``,
      ``delta_ci95_low``/``high``, ``significant``); with `replications`, the columns
      ``case``, ``replication``, ``kpi``, ``value``.
    - :class:`Sweep`: a row per grid point and KPI, a column per varied parameter, then
      ``kpi``, ``unit``, ``mean``, ``std``, ``ci95_low``, ``ci95_high``, ``replications``;
      with `replications`, ``replication`` and ``value`` instead of the statistics.

    Args:
        result: what :func:`simulate`, :func:`run`, :func:`compare` or :func:`sweep` returned.
        replications: one row per replication instead of one per KPI's statistics.

    Returns:
        The table.

    Raises:
        ImportError: pandas is not installed.
        TypeError: something else.
    """
    value: Any = result
    trace_type, *others = _result_types()
    if isinstance(value, trace_type):
        return cast(Any, value).trucks_frame()
    if not isinstance(value, tuple(others)):
        raise TypeError(f"to_frame takes a Trace, Experiment, Comparison or Sweep, not {result!r}")
    return cast(Any, value).to_frame(replications)


def _result_types() -> tuple[type, ...]:
    """Trace, Experiment, Comparison and Sweep (loaded on first use)."""
    return (
        __getattr__("Trace"),
        __getattr__("Experiment"),
        __getattr__("Comparison"),
        __getattr__("Sweep"),
    )
