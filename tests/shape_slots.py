"""Coverage of a fitted load shape's slot intervals on independent meter readings.

o1's meter follows an office shape by day type (tests/independent.py's numpy generator, three
weeks of quarter hours with 2% noise), while demo-small's file gives o1 two levels: the
calibration fits a shape, and each written slot carries a 95% interval.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests import independent as ind
from twin.calibration import calibrate
from twin.calibration.document import calibration_document
from twin.io.load import load_park

DAY_TYPES = ("weekday", "saturday", "sunday")


def office_shape() -> dict[str, list[float]]:
    """The true shape: office hours 08:00-18:00, lower on Saturday, flat on Sunday."""
    hours = np.arange(24)
    office = np.where((hours >= 8) & (hours < 18), 1.0, 0.3) + 0.05 * np.sin(hours)
    return ind.day_type_shape(office, office * 0.6, np.full(24, 0.3))


def slots_inside(folder: Path, seed: int) -> list[bool]:
    """Whether each written slot's 95% interval (a quarter hour each) holds the true shape."""
    shape = office_shape()
    reading = ind.shaped_values(120.0, shape, 21.0, 15.0, np.random.default_rng(seed))
    ind.write_meters(folder, {("o1", "power_kw"): reading})
    cal = calibrate(load_park("demo-small"), folder, holdout=0.0, search=False)
    rows = {r["place"]: r for r in calibration_document(cal)["parameters"]}
    row = rows["buildings[id=o1].power.shape"]
    values = [v for name in DAY_TYPES for v in row["fitted"][name]]
    hourly = [v for name in DAY_TYPES for v in shape[name]]
    truth = np.repeat(hourly, len(values) // len(hourly))  # slots of 15 minutes
    assert len(row["ci95_each"]) == len(values) == len(truth) == 3 * 96
    return [low <= t <= high for (low, high), t in zip(row["ci95_each"], truth, strict=True)]
