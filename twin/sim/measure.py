"""Helpers the families share: the horizon's grid steps, NaN-safe means, sorted unique values."""

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


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending: what ``np.unique`` gives for a 1-D array without NaN.

    ``np.unique`` itself imports ``numpy.ma`` on its first call, a start-up cost of every run.
    """
    points = np.sort(values)
    if len(points) == 0:
        return points
    return points[np.concatenate([[True], points[1:] != points[:-1]])]
