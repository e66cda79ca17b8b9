"""Colours of the 3D view and the maps from values to colours; pure numpy.

The documented mappings (the legend shows them too):

- Walls of a building: the colour of its ``kind`` (:data:`KIND_COLORS`).
- Roof of a building: its power load (served kW) as a share of its own peak demand over the
  run, on the ramp :data:`LOAD_STOPS` (pale at 0, light blue at 0.5, deep blue at 1); a
  building without power for most of the grid step (``building_powered_share < 0.5``) has a
  dark roof (:data:`NO_POWER`).
- A feeder's lines: its load as a share of its capacity on :data:`FEEDER_STOPS` (green at 0,
  amber at 0.6, red at 1 and above); grey (:data:`FEEDER_DEAD`) while it delivers nothing and
  most of its buildings are without power (an outage of it or its substation).
- A line of the power network (`power.network`): its current as a share of its rating in three
  bands (:data:`LOADING_BANDS`): green below 80%, amber from 80% to 100%, red above 100%;
  grey (:data:`LINE_DEAD`) while it carries nothing (open, de-energised, or with nothing
  beyond it: :data:`viz.network.LIVE_LOADING_PCT`); on the page's plan an open line is
  also dashed. The bands are those a network planner reads: under 80% leaves
  room for a neighbour's load after a fault; over 100% is an overload.
- A truck: yellow while driving, pink while queued (gate, dock, or waiting to leave), cyan
  while served at a gate lane or a dock (:data:`TRUCK_COLORS`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

KIND_COLORS: dict[str, str] = {
    "factory": "#f08c00",
    "warehouse": "#c29a6b",
    "office": "#63c7a0",
    "utility": "#b197fc",
    "other": "#adb5bd",
}
LOAD_STOPS: tuple[tuple[float, str], ...] = ((0.0, "#e9eef3"), (0.5, "#74c0fc"), (1.0, "#1864ab"))
NO_POWER = "#141418"
FEEDER_STOPS: tuple[tuple[float, str], ...] = ((0.0, "#37b24d"), (0.6, "#fab005"), (1.0, "#f03e3e"))
FEEDER_DEAD = "#5c636a"
LOADING_BANDS: tuple[tuple[float, str], ...] = (
    (80.0, "#37b24d"),
    (100.0, "#fab005"),
    (math.inf, "#f03e3e"),
)
"""(bound in percent of rating, colour): green under 80%, amber from 80% to 100% inclusive,
red above 100% (:func:`loading_band`)."""
LINE_DEAD = "#5c636a"
TRUCK_COLORS: dict[str, str] = {"driving": "#ffd43b", "queued": "#f06595", "served": "#66d9e8"}

GROUND = "#2d3a30"
PLOT = "#46524a"
ROAD = "#8a9096"
GATE = "#f1f3f5"
SUBSTATION = "#ffd43b"
WASTEWATER = "#3bc9db"
WATER_SUPPLY = "#4dabf7"
TEXT = "#f8f9fa"
EDGE = "#1f2428"


def rgb(color: str) -> np.ndarray:
    """The ``(3,)`` uint8 RGB of a ``"#rrggbb"`` colour."""
    value = color.lstrip("#")
    return np.array([int(value[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.uint8)


def ramp(values: np.ndarray, stops: Sequence[tuple[float, str]]) -> np.ndarray:
    """Colours of `values` on a piecewise-linear ramp, clipped at its ends.

    Args:
        values: Any shape of floats; NaN takes the first stop's colour.
        stops: ``(value, "#rrggbb")`` pairs in increasing value.

    Returns:
        uint8 RGB of shape ``values.shape + (3,)``.
    """
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=stops[0][0])
    xs = np.array([s for s, _ in stops])
    colours = np.stack([rgb(c) for _, c in stops]).astype(float)
    out = np.stack([np.interp(values, xs, colours[:, k]) for k in range(3)], axis=-1)
    return np.rint(out).astype(np.uint8)


def load_colors(load_share: np.ndarray, powered_share: np.ndarray) -> np.ndarray:
    """Roof colours: load share on :data:`LOAD_STOPS`, dark where mostly without power.

    Args:
        load_share: Served power over the building's peak demand, per building.
        powered_share: Share of the grid step with power, per building.

    Returns:
        uint8 RGB, one row per building.
    """
    out = ramp(load_share, LOAD_STOPS)
    out[np.asarray(powered_share) < 0.5] = rgb(NO_POWER)
    return out


def feeder_colors(loading: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """Feeder colours: loading (load over capacity) on :data:`FEEDER_STOPS`, grey when dead."""
    out = ramp(loading, FEEDER_STOPS)
    out[np.asarray(dead, dtype=bool)] = rgb(FEEDER_DEAD)
    return out


def truck_state_colors() -> np.ndarray:
    """uint8 RGB per truck state code of :mod:`viz.frames` (driving, queued, served)."""
    return np.stack([rgb(TRUCK_COLORS[k]) for k in ("driving", "queued", "served")])


def loading_band(loading_pct: np.ndarray) -> np.ndarray:
    """0 (green) below 80%, 1 (amber) from 80% up to and including 100%, 2 (red) above."""
    pct = np.asarray(loading_pct, dtype=float)
    amber, red = LOADING_BANDS[0][0], LOADING_BANDS[1][0]
    return np.where(pct > red, 2, np.where(pct >= amber, 1, 0))


def loading_colors(loading_pct: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Line colours: the band of each loading (:data:`LOADING_BANDS`), grey where not live."""
    pct = np.nan_to_num(np.asarray(loading_pct, dtype=float), nan=0.0)
    out = np.stack([rgb(c) for _, c in LOADING_BANDS])[loading_band(pct)]
    out[~np.asarray(live, dtype=bool)] = rgb(LINE_DEAD)
    return out
