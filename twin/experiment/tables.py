"""Any result as plain numpy arrays or a pandas DataFrame: one call for every kind of result.

Each result owns its conversions (``to_arrays``, ``to_frame``); these two functions take any of
them, for scripts and notebooks that do not care which kind they hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twin.experiment.comparison import Comparison
from twin.experiment.results import Experiment
from twin.experiment.sweeps import Sweep
from twin.sim.trace import Trace

if TYPE_CHECKING:
    import pandas as pd


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
    if not isinstance(result, Trace | Experiment | Comparison | Sweep):
        raise TypeError(f"to_arrays takes a Trace, Experiment, Comparison or Sweep, not {result!r}")
    return dict(result.to_arrays())


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
    if isinstance(result, Trace):
        return result.trucks_frame()
    if not isinstance(result, Experiment | Comparison | Sweep):
        raise TypeError(f"to_frame takes a Trace, Experiment, Comparison or Sweep, not {result!r}")
    return result.to_frame(replications)
