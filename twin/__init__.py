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
from typing import TYPE_CHECKING, Any

PUBLIC: dict[str, tuple[str, ...]] = {
    "twin.api": ("compare", "run", "simulate", "sweep"),
    "twin.api.decisions": ("optimize",),
    "twin.model.assets": ("AssetFamily",),
    "twin.io.bundled": ("bundled_parks", "bundled_scenarios"),
    "twin.calibration": ("Calibration", "calibrate"),
    "twin.experiment.comparison": ("Comparison",),
    "twin.io.dump": ("dump_park",),
    "twin.errors": ("InputError", "ParktwinError", "UsageError"),
    "twin.sim.kpi": ("compute_kpis",),
    "twin.io.load": ("load_park", "load_scenario"),
    "twin.experiment.results": ("Experiment",),
    "twin.model.scenario": ("apply_scenario",),
    "twin.model.schema": ("Park", "Scenario"),
    "twin.experiment.settings": ("Settings",),
    "twin.sim.context": ("RunSpec",),
    "twin.experiment.sweeps": ("Sweep",),
    "twin.experiment.tables": ("to_arrays", "to_frame"),
    "twin.sim.trace": ("Trace",),
}
"""The public API: each module and the names it gives. The one list of them; ``__all__``,
the lazy loading and the typing block below are made from it."""

if TYPE_CHECKING:  # for type checkers; made from PUBLIC (tests/test_facade.py checks it)
    from twin.api import compare as compare
    from twin.api import run as run
    from twin.api import simulate as simulate
    from twin.api import sweep as sweep
    from twin.api.decisions import optimize as optimize
    from twin.calibration import Calibration as Calibration
    from twin.calibration import calibrate as calibrate
    from twin.errors import InputError as InputError
    from twin.errors import ParktwinError as ParktwinError
    from twin.errors import UsageError as UsageError
    from twin.experiment.comparison import Comparison as Comparison
    from twin.experiment.results import Experiment as Experiment
    from twin.experiment.settings import Settings as Settings
    from twin.experiment.sweeps import Sweep as Sweep
    from twin.experiment.tables import to_arrays as to_arrays
    from twin.experiment.tables import to_frame as to_frame
    from twin.io.bundled import bundled_parks as bundled_parks
    from twin.io.bundled import bundled_scenarios as bundled_scenarios
    from twin.io.dump import dump_park as dump_park
    from twin.io.load import load_park as load_park
    from twin.io.load import load_scenario as load_scenario
    from twin.model.assets import AssetFamily as AssetFamily
    from twin.model.scenario import apply_scenario as apply_scenario
    from twin.model.schema import Park as Park
    from twin.model.schema import Scenario as Scenario
    from twin.sim.context import RunSpec as RunSpec
    from twin.sim.kpi import compute_kpis as compute_kpis
    from twin.sim.trace import Trace as Trace

_HOME = {name: module for module, names in PUBLIC.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    """Load a public name on first use (PEP 562) and keep it."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("parktwin")
        except PackageNotFoundError:
            return "0+unknown"
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'twin' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
