"""Helpers the families' KPI functions share: the horizon's grid steps and NaN-safe means."""

from __future__ import annotations

import math

import numpy as np

from twin.sim.trace import Trace


def mean_or_nan(values: np.ndarray) -> float:
    """The mean of the values that are not NaN; NaN when there are none."""
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else math.nan


def horizon_steps(trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    """Mask of grid steps inside the horizon, and each step's length in hours."""
    starts = trace.edges[:-1]
    return starts >= 0, np.diff(trace.edges) / 60.0
