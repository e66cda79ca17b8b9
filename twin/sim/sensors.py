"""What a park's sensors would have recorded in a simulated run (SPEC.md "Sensor data").

:func:`recorded` reads a :class:`~twin.sim.trace.Trace` as its meters and truck log would
show it: meter readings (averages over a whole number of grid steps, stamped at the end of
their interval, with optional multiplicative noise) and one row per truck visit that arrived
in the horizon (the warm-up is not recorded). :func:`write_sensors` writes them as
``meters.csv`` and ``trucks.csv``, the files ``parktwin calibrate`` and the replay read.

:func:`every_meter` is the full set a park could have: power of every building, feeder and
substation, and water and wastewater of every building that uses water, one reading per grid
step. ``--sensors-out`` records that set and every flow, without noise, and with ``gate_out``.
Times are minutes from the start of the horizon, stamped from ``park.start``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twin.io.output import atomic_write_text
from twin.model.schema import Park
from twin.rng import Streams
from twin.sim.trace import Trace

READ_TIMES = ("arrive", "gate_out", "dock_start", "dock_end", "depart")
"""The columns of ``trucks.csv`` that hold times, in the order they happen."""
TRACE_TIME = {"arrive": "arrive", "gate_out": "gate_end", "dock_start": "dock_start",
              "dock_end": "dock_end", "depart": "exit"}  # fmt: skip
"""The trace column each time of ``trucks.csv`` comes from."""


@dataclass
class Tables:
    """Sensor data as columns, before they are written as CSV."""

    meter_t: np.ndarray  # end of each reading's interval, minutes from the park's start
    meter_asset: list[str]
    meter_quantity: list[str]
    meter_value: np.ndarray
    trucks: dict[str, Any] = field(default_factory=dict)


def every_meter(park: Park, step_min: float) -> dict[tuple[str, str], float]:
    """Every meter `park` could have, each read every `step_min` minutes.

    Power of every building, feeder and substation; water and wastewater of every building
    with a water demand (wastewater only where its ratio is above 0).
    """
    meters: dict[tuple[str, str], float] = {}
    for b in park.buildings:
        meters[(b.id, "power_kw")] = step_min
        if b.water is not None:
            meters[(b.id, "water_m3h")] = step_min
            if b.water.wastewater_ratio > 0:
                meters[(b.id, "wastewater_m3h")] = step_min
    if park.power is not None:
        ids = [f.id for f in park.power.feeders] + [s.id for s in park.power.substations]
        meters.update({(asset, "power_kw"): step_min for asset in ids})
    return meters


def _meter_columns(trace: Trace, park: Park, inside: np.ndarray) -> dict[tuple[str, str], Any]:
    """Every series a meter can read, per (asset, quantity), over the grid steps `inside`."""
    s = trace.series
    ratio = {b.id: (b.water.wastewater_ratio if b.water else 0.0) for b in park.buildings}
    columns: dict[tuple[str, str], np.ndarray] = {}
    for j, name in enumerate(trace.names["buildings"]):
        water = s["building_water_demand_m3h"][inside, j]
        columns[(name, "power_kw")] = s["building_power_served_kw"][inside, j]
        columns[(name, "water_m3h")] = water
        columns[(name, "wastewater_m3h")] = water * ratio[name]
    for kind, key in (("feeders", "feeder_load_kw"), ("substations", "substation_load_kw")):
        for j, name in enumerate(trace.names[kind]):
            columns[(name, "power_kw")] = s[key][inside, j]
    return columns


def _truck_log(trace: Trace, flows: Sequence[str], gate_out: bool) -> dict[str, Any]:
    """The visits of `flows` that arrived in the horizon, in arrival order."""
    log, names = trace.trucks, trace.names
    codes = [names["flows"].index(f) for f in flows]
    pick = np.isin(log["flow"], codes) & (log["arrive"] >= 0)
    order = np.argsort(log["arrive"][pick], kind="stable")
    trucks: dict[str, Any] = {
        kind: [names[f"{kind}s"][k] for k in log[kind][pick][order].tolist()]
        for kind in ("flow", "gate", "dock_group")
    }
    for column in READ_TIMES:
        if column != "gate_out" or gate_out:
            trucks[column] = log[TRACE_TIME[column]][pick][order]
    trucks["truck_id"] = [f"T{i + 1:06d}" for i in range(len(order))]
    return trucks


def recorded(
    trace: Trace,
    park: Park,
    meters: dict[tuple[str, str], float],
    flows: Sequence[str],
    seed: int = 0,
    noise: float = 0.0,
    gate_out: bool = False,
) -> Tables:
    """What the meters and truck log of `park` would have recorded in `trace`'s horizon.

    Args:
        trace: the simulated run (its warm-up is not recorded).
        park: the park simulated (its wastewater ratios).
        meters: ``(asset, quantity) -> minutes between readings`` (a multiple of the trace's
            grid step); assets are buildings (``power_kw``, ``water_m3h``,
            ``wastewater_m3h``) or feeders and substations (``power_kw``).
        flows: the flows whose truck visits are logged.
        seed: seed of the meter noise.
        noise: standard deviation of the multiplicative meter noise (0: exact averages).
        gate_out: whether the log has the time each truck leaves the gate lane.
    """
    inside = trace.edges[:-1] >= 0
    ends = trace.edges[1:][inside]
    grid = float(trace.edges[1] - trace.edges[0]) if len(trace.edges) > 1 else 15.0
    columns = _meter_columns(trace, park, inside)
    rng = Streams(seed, 0).get("sample", "meter-noise")
    ts, assets, quantities, values = [], [], [], []
    for (asset, quantity), step in meters.items():
        per = max(1, round(step / grid))
        raw = columns[(asset, quantity)]
        n = len(raw) // per
        mean = raw[: n * per].reshape(n, per).mean(axis=1)
        t = ends[per - 1 : n * per : per]
        if noise:
            mean = mean * (1.0 + noise * rng.standard_normal(n))
        ts.append(t)
        values.append(mean)
        assets.extend([asset] * n)
        quantities.extend([quantity] * n)
    return Tables(
        np.concatenate(ts) if ts else np.zeros(0),
        assets,
        quantities,
        np.concatenate(values) if values else np.zeros(0),
        _truck_log(trace, flows, gate_out),
    )


def iso_times(start: str, minutes: np.ndarray, seconds: bool = False) -> list[str]:
    """Local ISO timestamps of times in minutes from `start` ('' for NaN)."""
    base = np.datetime64(start, "s")
    finite = np.isfinite(minutes)
    stamps = base + np.round(np.where(finite, minutes, 0.0) * 60.0).astype("timedelta64[s]")
    text = np.datetime_as_string(stamps, unit="s" if seconds else "m")
    return [str(x) if ok else "" for x, ok in zip(text.tolist(), finite.tolist(), strict=True)]


def meters_csv(park: Park, tables: Tables, digits: int = 1) -> list[str]:
    """The rows of ``meters.csv`` (header first), in the order of the tables."""
    stamps = iso_times(park.park.start, tables.meter_t)
    rows = ["timestamp,asset,quantity,value"]
    rows += [
        f"{t},{a},{q},{v:.{digits if q == 'power_kw' else digits + 1}f}"
        for t, a, q, v in zip(
            stamps,
            tables.meter_asset,
            tables.meter_quantity,
            tables.meter_value.tolist(),
            strict=True,
        )
    ]
    return rows


def trucks_csv(park: Park, tables: Tables) -> list[str]:
    """The rows of ``trucks.csv`` (header first); ``gate_out`` when the tables have it."""
    t = tables.trucks
    times = [c for c in READ_TIMES if c in t]
    stamps = [iso_times(park.park.start, t[c], seconds=True) for c in times]
    rows = [",".join(["truck_id", "flow", "gate", "dock_group", *times])]
    for i in range(len(t["truck_id"])):
        cells = [t["truck_id"][i], t["flow"][i], t["gate"][i], t["dock_group"][i]]
        rows.append(",".join(cells + [column[i] for column in stamps]))
    return rows


def write_sensors(folder: str | Path, park: Park, tables: Tables) -> list[Path]:
    """Write ``meters.csv`` (when there are readings) and ``trucks.csv`` into `folder`."""
    folder = Path(folder)
    written = []
    if len(tables.meter_t):
        written.append(
            atomic_write_text(folder / "meters.csv", "\n".join(meters_csv(park, tables)) + "\n")
        )
    if tables.trucks.get("truck_id"):
        written.append(
            atomic_write_text(folder / "trucks.csv", "\n".join(trucks_csv(park, tables)) + "\n")
        )
    return written


def write_recorded(folder: str | Path, trace: Trace, park: Park) -> list[Path]:
    """Write what every meter and the whole truck log of `park` recorded in `trace`.

    Every meter of :func:`every_meter`, read once per grid step, without noise; every flow's
    visits with their ``gate_out``. This is ``--sensors-out``.
    """
    grid = float(trace.edges[1] - trace.edges[0]) if len(trace.edges) > 1 else 15.0
    flows = [f.id for f in park.logistics.flows]
    tables = recorded(trace, park, every_meter(park, grid), flows, gate_out=True)
    return write_sensors(folder, park, tables)
