"""The known park that calibration tests fit back, and how a fitted park differs from another.

The truth differs from demo-small's file by known amounts (:func:`truth_of`); data simulated
from it for :data:`DAYS` days must be fitted back to these values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twin.calibration import Calibration
from twin.calibration.sample import sensor_tables, write_sensors
from twin.io.load import load_park
from twin.model.schema import Park

DAYS = 21.0

METERS = {
    ("f1", "power_kw"): 15.0,
    ("f1", "water_m3h"): 60.0,
    ("f1", "wastewater_m3h"): 60.0,
    ("w1", "power_kw"): 15.0,
    ("o1", "power_kw"): 60.0,
}
"""The meters read from the truth: (asset, quantity) to minutes between readings."""

TRUE_SERVICE = {"dist": "gamma", "mean": 40.0, "sd": 12.0}  # file: lognormal 35 / 10
TRUE_DOCKS = 2  # file: 3
TRUE_RATE = 2.5  # in-f1, file: 3.0
SPEED_FACTOR = 0.8  # every road 20% slower than the file says
TRUE_F1 = (360.0, 1000.0)  # f1 base_kw, shift_kw; file: 300, 1200


def truth_of(park: Park) -> Park:
    """`park` changed by the known amounts above."""
    data = park.model_dump(mode="json", by_alias=True, exclude_none=True)
    f1 = data["buildings"][0]
    f1["power"]["base_kw"], f1["power"]["shift_kw"] = TRUE_F1
    group = data["logistics"]["dock_groups"][0]
    group["service"], group["docks"] = TRUE_SERVICE, TRUE_DOCKS
    data["logistics"]["flows"][0]["rate_per_hour"] = TRUE_RATE
    for road in data["logistics"]["roads"]:
        road["speed_kmh"] *= SPEED_FACTOR
    return load_park(data)


def write_truth_sensors(folder: Path, meters: dict[tuple[str, str], float] = METERS) -> Park:
    """Write :data:`DAYS` days of sensor data simulated from demo-small's truth into `folder`.

    Args:
        folder: Where the sensor files go.
        meters: The meters to read, as in :data:`METERS`.

    Returns:
        The true park the data come from.
    """
    park = load_park("demo-small")
    truth = truth_of(park)
    flows = [f.id for f in park.logistics.flows]
    tables = sensor_tables(truth, meters, flows, DAYS, seed=5, noise=0.02)
    write_sensors(folder, park, tables)
    return truth


def differences(cal: Calibration) -> list[str]:
    """Places where the fitted park differs from the one calibrated (metadata aside)."""
    before = cal.source.model_dump(mode="json", exclude={"metadata"})
    after = cal.park.model_dump(mode="json", exclude={"metadata"})
    return [p for p in _walk(before, after, "")]


def _walk(a: Any, b: Any, at: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [x for k in a.keys() | b.keys() for x in _walk(a.get(k), b.get(k), f"{at}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            x for i, (u, v) in enumerate(zip(a, b, strict=True)) for x in _walk(u, v, f"{at}[{i}]")
        ]
    return [] if a == b else [at]
