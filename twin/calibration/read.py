"""The reader of sensor CSVs (SPEC.md "Sensor data"): ``meters.csv`` and ``trucks.csv``.

Large files are parsed without a Python loop over rows: :mod:`.table` splits the bytes into
columns with numpy, :mod:`.timestamps` turns whole columns into minutes from ``park.start``
(local ISO 8601, with or without an offset) and numbers. This module checks what the columns
say against the park: known ids, quantities, order of truck times, repeats, spikes.

A meter reading is taken as the average over the interval that *ends* at its timestamp (the
usual convention of interval meters); the interval is the meter's usual spacing, or the gap to
the previous reading when that is shorter.

Bad rows are dropped and counted by reason with their line numbers (:class:`FileReport`);
an :class:`~twin.errors.InputError` (exit 2) is raised only when a file has nothing usable
left, its header is wrong, or it names an asset, flow, gate or dock group the park lacks.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from twin.calibration.table import FileReport, plural, read_table
from twin.calibration.timestamps import Timebase, parse_numbers, parse_times
from twin.errors import InputError
from twin.language import say
from twin.model.schema import Park

__all__ = [
    "METERS",
    "TRUCKS",
    "FileReport",
    "MeterSeries",
    "SensorData",
    "Timebase",
    "TruckLog",
    "read_meters",
    "read_sensors",
    "read_trucks",
]

METERS = "meters.csv"
TRUCKS = "trucks.csv"
METER_COLUMNS = ("timestamp", "asset", "quantity", "value")
TRUCK_COLUMNS = (
    "truck_id",
    "flow",
    "gate",
    "dock_group",
    "arrive",
    "dock_start",
    "dock_end",
    "depart",
    "gate_out",
)
TRUCK_TIMES = ("arrive", "gate_out", "dock_start", "dock_end", "depart")  # in visit order
OPTIONAL_TRUCK_COLUMNS = ("gate_out",)
QUANTITIES = ("power_kw", "water_m3h", "wastewater_m3h")
SPIKE_WINDOW = 7  # readings in the rolling median of the spike rule
SPIKE_K = 8.0  # robust standard deviations from the rolling median that make a spike
SPIKE_MIN = 0.5  # ... and at least this far (50%), relative to the rolling median
SPIKE_FLOOR = 0.05  # share of the meter's median level added to the reference (near-0 loads)


# --------------------------------------------------------------------------- meters


@dataclass(frozen=True)
class MeterSeries:
    """The clean readings of one meter (an asset and a quantity), sorted by time.

    `interval_min[k]` is the length of the interval that reading k averages, ending at
    `t_min[k]`.
    """

    asset: str
    kind: str  # building, feeder or substation
    quantity: str
    t_min: np.ndarray
    value: np.ndarray
    interval_min: np.ndarray
    lines: np.ndarray

    @property
    def step_min(self) -> float:
        """The meter's usual spacing between readings, minutes."""
        return float(np.median(self.interval_min)) if len(self.interval_min) else math.nan

    def window(self, lo: float, hi: float) -> MeterSeries:
        """The readings whose interval lies in ``[lo, hi)`` (by the interval's middle)."""
        mid = self.t_min - self.interval_min / 2
        keep = (mid >= lo) & (mid < hi)
        return MeterSeries(
            self.asset,
            self.kind,
            self.quantity,
            self.t_min[keep],
            self.value[keep],
            self.interval_min[keep],
            self.lines[keep],
        )


@dataclass(frozen=True)
class TruckLog:
    """Truck visits, one row each; times in minutes from the park's start (NaN when empty)."""

    truck_id: np.ndarray
    flow: np.ndarray  # flow id of each visit (str)
    gate: np.ndarray
    dock_group: np.ndarray
    arrive: np.ndarray
    gate_out: np.ndarray  # the truck leaves the gate lane (all NaN without the column)
    dock_start: np.ndarray
    dock_end: np.ndarray
    depart: np.ndarray
    lines: np.ndarray
    first_min: float  # earliest time in the file
    last_min: float  # latest time in the file: where the record ends

    def __len__(self) -> int:
        return len(self.arrive)


@dataclass
class SensorData:
    """Everything read from a sensor folder."""

    folder: Path
    meters: dict[tuple[str, str], MeterSeries]
    trucks: TruckLog | None
    reports: list[FileReport]
    timebase: Timebase

    @property
    def period(self) -> tuple[float, float]:
        """First and last moment covered by any file, minutes (hour-aligned start)."""
        los, his = [], []
        for series in self.meters.values():
            los.append(float((series.t_min - series.interval_min).min()))
            his.append(float(series.t_min.max()))
        if self.trucks is not None and len(self.trucks):
            los.append(self.trucks.first_min)
            his.append(self.trucks.last_min)
        lo = min(los)
        offset = self.timebase.start.astype(datetime).minute
        lo = math.floor((lo + offset) / 60.0) * 60.0 - offset
        return lo, max(his)

    def file(self, name: str) -> str:
        """The path of a file of the folder, as text."""
        return str(self.folder / name)


def read_sensors(folder: str | Path, park: Park) -> SensorData:
    """Read ``meters.csv`` and ``trucks.csv`` (either may be missing) from a sensor folder.

    Args:
        folder: The sensor folder.
        park: The park the data belong to; its ids, time zone and start are used.

    Returns:
        The clean data and a report of every dropped row.

    Raises:
        InputError: No folder, no sensor file in it, a bad header, an unknown id, or a file
            with no usable row.
    """
    path = Path(folder)
    if not path.is_dir():
        what = "is a file" if path.exists() else "does not exist"
        raise InputError(str(path), f"{what}; expected a folder with {METERS} and/or {TRUCKS}")
    timebase = Timebase.of(park)
    reports: list[FileReport] = []
    meters: dict[tuple[str, str], MeterSeries] = {}
    trucks: TruckLog | None = None
    for name in (METERS, TRUCKS):
        if (path / name).exists() and not (path / name).is_file():
            raise InputError(str(path / name), "is not a regular file (a FIFO, device or folder)")
    if (path / METERS).is_file():
        report = FileReport(str(path / METERS))
        meters = read_meters(path / METERS, park, timebase, report)
        reports.append(report)
    if (path / TRUCKS).is_file():
        report = FileReport(str(path / TRUCKS))
        trucks = read_trucks(path / TRUCKS, park, timebase, report)
        reports.append(report)
    if not reports:
        found = sorted(p.name for p in path.iterdir())[:8]
        raise InputError(
            str(path),
            f"has neither {METERS} nor {TRUCKS} (found: {', '.join(found) or 'nothing'})",
        )
    return SensorData(path, meters, trucks, reports, timebase)


def _decode(values: np.ndarray) -> list[str]:
    return [v.decode("utf-8", errors="replace") for v in values.tolist()]


def _categories(column: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Distinct values of a byte-string column and each row's index into them (fast on runs)."""
    if not len(column):
        return [], np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(column[1:] != column[:-1]) + 1
    runs = np.concatenate([[0], change])
    unique, inverse = np.unique(column[runs], return_inverse=True)
    codes = np.repeat(inverse, np.diff(np.concatenate([runs, [len(column)]])))
    return _decode(unique), codes


def _unknown(
    file: str, what: str, name: str, known: Sequence[str], lines: np.ndarray
) -> InputError:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.4)
    hint = f"; the closest known {what} is '{close[0]}'" if close else ""
    count = f" ({len(lines):,} rows name it)" if len(lines) > 1 else ""
    return InputError(
        file,
        f"unknown {what} '{name}'{count}{hint}",
        what.replace(" ", "_"),
        int(lines.min()),
    )


def _no_rows(report: FileReport) -> InputError:
    first = min((min(v) for v in report.dropped.values()), default=None)
    reasons = "; ".join(f"{len(v):,} {plural(k, len(v))}" for k, v in report.dropped.items())
    return InputError(
        report.file,
        "no usable rows" + (f" ({reasons})" if reasons else " (only a header)"),
        line=first if first else 1,
    )


def read_meters(path: Path, park: Park, timebase: Timebase, report: FileReport) -> dict:
    """Read ``meters.csv`` into clean per-meter series (see the module docstring)."""
    table = read_table(path, METER_COLUMNS, report)
    missing = [c for c in METER_COLUMNS if c not in table.header]
    if missing:
        raise InputError(str(path), f"missing column(s): {', '.join(missing)}", "header", 1)
    lines = table.lines
    t, bad_t = parse_times(table.columns["timestamp"], timebase)
    value, empty_v, bad_v = parse_numbers(table.columns["value"])
    report.drop(say("calibration.drop.no_timestamp", "en"), lines[np.isnan(t) & ~bad_t])
    report.drop(say("calibration.drop.bad_timestamp", "en"), lines[bad_t])
    ok = ~np.isnan(t)
    report.drop(say("calibration.drop.bad_value", "en"), lines[ok & bad_v])
    report.drop(say("calibration.drop.empty_value", "en"), lines[ok & empty_v])
    ok &= ~np.isnan(value)
    assets, asset_code = _categories(table.columns["asset"])
    quantities, quantity_code = _categories(table.columns["quantity"])
    kinds = _meter_kinds(park)
    ok &= _known_meters(
        path, assets, asset_code, quantities, quantity_code, kinds, lines, ok, report
    )
    negative = ok & (value < 0)
    report.drop(say("calibration.drop.negative", "en"), lines[negative])
    ok &= ~negative
    idx = np.flatnonzero(ok)
    key = asset_code[idx] * len(quantities) + quantity_code[idx]
    order = idx[np.lexsort((lines[idx], t[idx], key))]
    key = asset_code[order] * len(quantities) + quantity_code[order]
    ts, vs, ls = t[order], value[order], lines[order]
    keep = ~_repeated_readings(key, ts, vs, ls, report)
    ts, vs, ls, key = ts[keep], vs[keep], ls[keep], key[keep]
    series: dict[tuple[str, str], MeterSeries] = {}
    bounds = np.flatnonzero(np.diff(key)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(key)], strict=True):
        if hi <= lo:
            continue
        k = int(key[lo])
        asset, quantity = assets[k // len(quantities)], quantities[k % len(quantities)]
        t_k, v_k, l_k = ts[lo:hi], vs[lo:hi], ls[lo:hi]
        spikes = spike_mask(v_k)
        if spikes.any():
            report.drop(say("calibration.drop.spike", "en"), l_k[spikes])
            t_k, v_k, l_k = t_k[~spikes], v_k[~spikes], l_k[~spikes]
        series[(asset, quantity)] = MeterSeries(
            asset, kinds[asset], quantity, t_k, v_k, reading_intervals(t_k), l_k
        )
    report.kept = sum(len(s.t_min) for s in series.values())
    if not series:
        raise _no_rows(report)
    return series


def _meter_kinds(park: Park) -> dict[str, str]:
    """What each meterable id is: building, feeder or substation."""
    kinds = {b.id: "building" for b in park.buildings}
    if park.power is not None:
        kinds.update({f.id: "feeder" for f in park.power.feeders})
        kinds.update({s.id: "substation" for s in park.power.substations})
    return kinds


def _known_meters(
    path: Path,
    assets: list[str],
    asset_code: np.ndarray,
    quantities: list[str],
    quantity_code: np.ndarray,
    kinds: dict[str, str],
    lines: np.ndarray,
    ok: np.ndarray,
    report: FileReport,
) -> np.ndarray:
    """Rows of a known quantity on an asset that can have it; an unknown asset raises."""
    keep = np.ones(len(ok), dtype=bool)
    for q, quantity in enumerate(quantities):
        if quantity not in QUANTITIES:
            hint = difflib.get_close_matches(quantity, QUANTITIES, n=1)
            said = (
                say("calibration.drop.hint_meant", "en", name=hint[0])
                if hint
                else say("calibration.drop.hint_expected", "en", names=", ".join(QUANTITIES))
            )
            reason = say("calibration.drop.unknown_quantity", "en", quantity=quantity, hint=said)
            report.drop(reason, lines[ok & (quantity_code == q)])
            keep &= quantity_code != q
    for a, asset in enumerate(assets):
        mine = ok & keep & (asset_code == a)
        if not mine.any():
            continue
        if not asset:
            report.drop(say("calibration.drop.no_asset", "en"), lines[mine])
            keep &= ~mine
        elif asset not in kinds:
            raise _unknown(str(path), "asset", asset, sorted(kinds), lines[mine])
        elif kinds[asset] != "building":
            wrong = mine & np.isin(
                quantity_code, [quantities.index(q) for q in quantities if q != "power_kw"]
            )
            kind = say(f"calibration.drop.kind.{kinds[asset]}", "en")
            water = say("calibration.drop.water_on", "en", kind=kind, asset=asset)
            report.drop(water, lines[wrong])
            keep &= ~wrong
    return keep


def _repeated_readings(
    key: np.ndarray, t: np.ndarray, value: np.ndarray, lines: np.ndarray, report: FileReport
) -> np.ndarray:
    """Readings repeating the meter and time of the one before (sorted by meter and time)."""
    same = np.zeros(len(key), dtype=bool)
    same[1:] = (key[1:] == key[:-1]) & (t[1:] == t[:-1])
    if same.any():
        conflict = same & np.concatenate([[False], value[1:] != value[:-1]])
        report.drop(say("calibration.drop.repeated_reading", "en"), lines[same])
        if conflict.any():
            report.conflicts.extend(int(x) for x in lines[conflict])
    return same


def spike_mask(values: np.ndarray) -> np.ndarray:
    """Readings far from their rolling median: a Hampel filter on relative deviations.

    A reading is a spike when its deviation from the median of the 7 readings around it,
    relative to that median, exceeds both 8 robust standard deviations of such relative
    deviations (1.4826 × their median absolute value) and 50%. Relative deviations keep the
    rule fair to loads whose noise grows with the level; steps (a shift starting) pass, as
    the rolling median follows a step after half a window. A spike of several readings in a
    row (half a window or more) is taken as real.
    """
    n = len(values)
    if n < SPIKE_WINDOW:
        return np.zeros(n, dtype=bool)
    half = SPIKE_WINDOW // 2
    padded = np.concatenate([np.full(half, values[0]), values, np.full(half, values[-1])])
    windows = np.lib.stride_tricks.sliding_window_view(padded, SPIKE_WINDOW)
    median = np.median(windows, axis=1)
    reference = np.abs(median) + SPIKE_FLOOR * float(np.median(np.abs(values)))
    relative = (values - median) / np.maximum(reference, 1e-12)
    scale = 1.4826 * float(np.median(np.abs(relative)))
    return np.abs(relative) > max(SPIKE_K * scale, SPIKE_MIN)


def reading_intervals(t: np.ndarray) -> np.ndarray:
    """Interval each reading averages: the usual spacing, or the gap before it when shorter."""
    if len(t) < 2:
        return np.full(len(t), 15.0)
    gaps = np.diff(t)
    usual = float(np.median(gaps))
    return np.minimum(np.concatenate([[usual], gaps]), usual)


# --------------------------------------------------------------------------- trucks


def read_trucks(path: Path, park: Park, timebase: Timebase, report: FileReport) -> TruckLog:
    """Read ``trucks.csv``: one row per visit; missing columns are taken as empty."""
    table = read_table(path, TRUCK_COLUMNS, report)
    n = len(table.lines)
    blank = np.zeros(n, dtype="S1")
    cols = {c: table.columns.get(c, blank) for c in TRUCK_COLUMNS}
    absent = [c for c in TRUCK_COLUMNS if c not in table.header and c not in OPTIONAL_TRUCK_COLUMNS]
    if absent:
        report.notes.append(say("calibration.data.no_columns", "en", columns=", ".join(absent)))
    lines = table.lines
    ok = np.ones(n, dtype=bool)
    times: dict[str, np.ndarray] = {}
    for column in TRUCK_TIMES:
        minutes, bad = parse_times(cols[column], timebase)
        report.drop(say("calibration.drop.bad_time", "en", column=column), lines[ok & bad])
        ok &= ~bad
        times[column] = minutes
    flow_of, gate_of, group_of = _truck_ids(cols, park, path, lines, ok)
    nameless = ok & (flow_of == "")
    report.drop(say("calibration.drop.no_flow", "en"), lines[nameless])
    ok &= ~nameless
    ok &= _consistent_routes(park, flow_of, gate_of, group_of, lines, ok, report)
    stacked = np.vstack([times[c] for c in TRUCK_TIMES])
    ok &= _ordered(stacked, lines, ok, report)
    ok &= ~_repeated(cols["truck_id"], stacked, lines, ok, report)
    report.kept = int(ok.sum())
    if not ok.any():
        raise _no_rows(report)
    every = stacked[:, ok]
    return TruckLog(
        truck_id=np.array(_decode(cols["truck_id"][ok]), dtype=object),
        flow=flow_of[ok],
        gate=gate_of[ok],
        dock_group=group_of[ok],
        arrive=times["arrive"][ok],
        gate_out=times["gate_out"][ok],
        dock_start=times["dock_start"][ok],
        dock_end=times["dock_end"][ok],
        depart=times["depart"][ok],
        lines=lines[ok],
        first_min=float(np.nanmin(every)),
        last_min=float(np.nanmax(every)),
    )


def _truck_ids(
    cols: dict[str, np.ndarray], park: Park, path: Path, lines: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flow, gate and dock group of every row; unknown ids raise, empty flows are inferred.

    A visit without a flow takes the one flow of its dock group (and gate), when unique.
    """
    logi = park.logistics
    known = {
        "flow": {f.id for f in logi.flows},
        "gate": {g.id for g in logi.gates},
        "dock group": {g.id for g in logi.dock_groups},
    }
    decoded = {}
    for what, column in (("flow", "flow"), ("gate", "gate"), ("dock group", "dock_group")):
        names, codes = _categories(cols[column])
        for i, name in enumerate(names):
            mine = ok & (codes == i)
            if name and name not in known[what] and mine.any():
                raise _unknown(str(path), what, name, sorted(known[what]), lines[mine])
        decoded[what] = (names, codes, np.array(names, dtype=object)[codes])
    flow_of = decoded["flow"][2]
    gate_names, gate_code, _ = decoded["gate"]
    group_names, group_code, _ = decoded["dock group"]
    for g, group in enumerate(group_names):
        for gi, gate in enumerate([*gate_names, None]):
            mine = ok & (flow_of == "") & (group_code == g)
            if gate is not None:
                mine &= gate_code == gi
            candidates = [
                f.id
                for f in logi.flows
                if f.dock_group == group and (gate is None or not gate or f.gate == gate)
            ]
            if mine.any() and len(candidates) == 1:
                flow_of[mine] = candidates[0]
    return flow_of, decoded["gate"][2], decoded["dock group"][2]


def _consistent_routes(
    park: Park,
    flow_of: np.ndarray,
    gate_of: np.ndarray,
    group_of: np.ndarray,
    lines: np.ndarray,
    ok: np.ndarray,
    report: FileReport,
) -> np.ndarray:
    """Rows whose gate and dock group agree with their flow; fills empty ones in place."""
    keep = np.ones(len(ok), dtype=bool)
    for flow in park.logistics.flows:
        mine = ok & (flow_of == flow.id)
        if not mine.any():
            continue
        wrong_gate = mine & (gate_of != "") & (gate_of != flow.gate)
        wrong_group = mine & (group_of != "") & (group_of != flow.dock_group)
        wrong = say("calibration.drop.wrong_gate", "en", flow=flow.id, gate=flow.gate)
        report.drop(wrong, lines[wrong_gate])
        wrong = say("calibration.drop.wrong_group", "en", flow=flow.id, group=flow.dock_group)
        report.drop(wrong, lines[wrong_group & ~wrong_gate])
        keep &= ~(wrong_gate | wrong_group)
        gate_of[mine] = flow.gate
        group_of[mine] = flow.dock_group
    return keep


def _ordered(
    stacked: np.ndarray, lines: np.ndarray, ok: np.ndarray, report: FileReport
) -> np.ndarray:
    """Rows whose times are in visit order and that have at least one time."""
    with np.errstate(invalid="ignore"):
        running = np.fmax.accumulate(np.nan_to_num(stacked, nan=-np.inf), axis=0)
        disorder = np.any(stacked[1:] < running[:-1], axis=0)
    disordered = say("calibration.drop.disorder", "en", columns=", ".join(TRUCK_TIMES))
    report.drop(disordered, lines[ok & disorder])
    no_time = ok & ~disorder & np.all(np.isnan(stacked), axis=0)
    report.drop(say("calibration.drop.no_time", "en"), lines[no_time])
    return ~disorder & ~no_time


def _repeated(
    ids: np.ndarray, stacked: np.ndarray, lines: np.ndarray, ok: np.ndarray, report: FileReport
) -> np.ndarray:
    """Visits repeated with the same truck_id and first time (the first one is kept)."""
    first_time = np.nan_to_num(np.fmin.reduce(stacked, axis=0), nan=-1.0)
    dup = np.zeros(len(ok), dtype=bool)
    with_id = np.flatnonzero(ok & (np.strings.str_len(ids) > 0))
    if len(with_id):
        order = with_id[np.lexsort((lines[with_id], first_time[with_id], ids[with_id]))]
        same = (ids[order][1:] == ids[order][:-1]) & (
            first_time[order][1:] == first_time[order][:-1]
        )
        dup[order[1:][same]] = True
    report.drop(say("calibration.drop.repeated_visit", "en"), lines[dup])
    return dup
