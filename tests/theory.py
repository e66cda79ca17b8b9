"""Queueing theory for the engine's tests, written from the formulas (no engine code).

- :func:`erlang_c_wait`: the mean wait in queue of an M/M/c queue (Erlang C).
- :func:`generator_matrix`, :func:`transient_by_uniformisation`, :func:`mean_queue`: the exact
  distribution at time t of the M/M/c birth-death chain (births lambda, deaths mu * min(k, c))
  from a given start, by uniformisation, and its mean queue E[max(X(t) - c, 0)].
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def erlang_c_wait(c: int, rho: float, mean_service: float) -> float:
    """Mean wait in queue Wq of an M/M/c queue with utilisation rho."""
    a = c * rho  # offered load in Erlangs
    terms = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (terms + top)
    return p_wait * mean_service / (c * (1 - rho))


def generator_matrix(lam: float, mu: float, c: int, size: int) -> np.ndarray:
    """Q of the M/M/c birth-death chain truncated to states 0..size-1 (rates per minute)."""
    q = np.zeros((size, size))
    for k in range(size):
        if k + 1 < size:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = mu * min(k, c)
        q[k, k] = -q[k].sum()
    return q


def transient_by_uniformisation(q: np.ndarray, start: int, times: np.ndarray) -> np.ndarray:
    """Rows p(t) of the chain started in state `start`, one per time."""
    rate = float(-np.diag(q).min())
    step = np.eye(len(q)) + q / rate
    terms = int(rate * times.max() + 12 * math.sqrt(rate * times.max()) + 50)
    p = np.zeros(len(q))
    p[start] = 1.0
    weights = stats.poisson.pmf(np.arange(terms)[:, None], rate * times[None, :])
    out = np.zeros((len(times), len(q)))
    for k in range(terms):
        out += weights[k][:, None] * p[None, :]
        p = p @ step
    return out


def mean_queue(p: np.ndarray, c: int) -> np.ndarray:
    waiting = np.maximum(np.arange(p.shape[1]) - c, 0)
    return p @ waiting
