"""KPIs of one replication: every registered family's, from its :class:`~twin.sim.trace.Trace`.

Each family owns its KPI function and declares the names it reports (the built-ins in
:mod:`twin.sim.logistics`, :mod:`~twin.sim.buildings`, :mod:`~twin.sim.power` and
:mod:`~twin.sim.water`); this module adds them up and knows their units. Every KPI covers
the horizon ``[0, H)`` only; the warm-up is cut off:

- counts (`trucks.arrived`, `trucks.completed`) count events inside the horizon;
- waits are averaged over trucks that arrived inside the horizon and whose wait ended before
  the run did (trucks still queued at the end have no known wait);
- turnaround is averaged over trucks that arrived inside the horizon and left before its end;
- time averages (`queue_mean`, `utilization`) integrate exactly over the horizon;
- energy, water and production sum the grid steps inside the horizon.
"""

from __future__ import annotations

import math

from twin.model.assets import families
from twin.model.schema import Park
from twin.sim.trace import Trace

UNITS = {
    "wait_mean_min": "min",
    "turnaround_mean_min": "min",
    "utilization": "share",
    "queue_mean": "trucks",
    "arrived": "trucks",
    "completed": "trucks",
    "in_park_end": "trucks",
    "energy_mwh": "MWh",
    "peak_mw": "MW",
    "unserved_mwh": "MWh",
    "peak_load_pct": "%",
    "loading_max_pct": "%",
    "v_min_pu": "pu",
    "losses_mwh": "MWh",
    "demand_m3": "m3",
    "shortfall_m3": "m3",
    "overflow_m3": "m3",
    "units": "units",
}


def kpi_range(kpi: str) -> tuple[float, float]:
    """The values a KPI can take: 0..1 for a share, from 0 up for the other built-in units.

    Every built-in KPI is a count, a time, a time average, an amount of energy or water, a peak
    or a per-unit voltage, none of which can be negative. A plugin's KPI, whose meaning is not
    known here, is unbounded.
    """
    if unit_of(kpi) == "share":
        return 0.0, 1.0
    if kpi.rsplit(".", 1)[-1] in UNITS:
        return 0.0, math.inf
    return -math.inf, math.inf


def unit_of(kpi: str) -> str:
    """The unit of a KPI, from the last part of its name (plugins declare their own)."""
    metric = kpi.rsplit(".", 1)[-1]
    if metric in UNITS:
        return UNITS[metric]
    return next((f.units[metric] for f in families() if metric in f.units), "")


def compute_kpis(trace: Trace) -> dict[str, float]:
    """Every KPI of SPEC.md, and those of plugin families, for one replication."""
    kpis: dict[str, float] = {}
    for family in families():
        if family.kpis is not None:
            kpis.update(family.kpis(trace))
    return kpis


def declared_kpi_names(park: Park) -> list[str]:
    """The KPIs a park has, in :func:`compute_kpis` order, as the families declare them.

    A plugin family that declares no names contributes none;
    :func:`twin.experiment.runner.kpi_names` then runs a one-step simulation to find them.
    """
    return [name for family in families() if family.kpi_names for name in family.kpi_names(park)]
