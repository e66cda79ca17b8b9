"""Sensor data made by parktwin itself, from a park whose true parameters are known.

:func:`sensor_tables` simulates a "true" park and records what its meters and truck log would
show: meter readings (averages over 15 minutes or an hour, stamped at the interval's end, with
multiplicative noise) and one row per truck visit of the chosen flows. Tests fit such data
back and compare with the truth.

:func:`make_yen_binh` builds the bundled sample ``assets/sensors/yen-binh/``: three weeks of a
perturbed yen-binh park (loads, rates, service times, docks staffed and road speeds differ from
the park file by known amounts, listed in ``truth.json``), with the blemishes real data have:
gaps, repeated readings, spikes, meter resets, a meter that logs in UTC, a weekly pattern and a
meter change the park format cannot represent, unreadable rows, and trucks still at a dock when
the log ends. Regenerate it with ``python -m twin.calibration.sample [FOLDER]``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from twin.calibration.apply import significant
from twin.io.bundled import data_root
from twin.io.inputs import read_park
from twin.io.output import atomic_write_text
from twin.model.intervals import Clock
from twin.model.schema import Event, Moment, Park, RateEvent
from twin.rng import Streams
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.sensors import Tables, meters_csv, recorded, trucks_csv
from twin.sim.sensors import write_sensors as write_sensors  # tests write samples with it

SAMPLE_DAYS = 21.0
SAMPLE_SEED = 2026


def sensor_tables(
    park: Park,
    meters: dict[tuple[str, str], float],
    flows: Sequence[str],
    days: float,
    events: Sequence[Event] = (),
    seed: int = 0,
    noise: float = 0.02,
) -> Tables:
    """Simulate `park` for `days` and record its meters and truck log.

    Args:
        park: The true park (time 0 is its start).
        meters: ``(asset, quantity) -> minutes between readings`` (a multiple of 15); assets
            are buildings (``power_kw``, ``water_m3h``, ``wastewater_m3h``) or feeders and
            substations (``power_kw``).
        flows: Flows whose truck visits are logged.
        days: Days recorded (after one day of warm-up that is not recorded).
        events: Timed events of the true park (e.g. rate changes).
        seed: Seed of the simulation and of the meter noise.
        noise: Standard deviation of the multiplicative meter noise.
    """

    trace = run_engine(park, events, RunSpec(days, 1.0, 15.0, seed, 0))
    return recorded(trace, park, meters, flows, seed, noise)


# --------------------------------------------------------------------------- yen-binh


# (asset, quantity) -> minutes between readings
YB_METERS: dict[tuple[str, str], float] = {
    **{
        (b, "power_kw"): 15.0
        for b in (
            "sevt-p1",
            "sup-m",
            "sup-n",
            "wh-bonded",
            "customs",
            "bql-office",
            "sup-q",
            "wwtp",
        )
    },
    **{
        (b, "power_kw"): 60.0
        for b in ("sevt-p2", "sup-f", "sup-g", "sup-k", "sup-r", "wh-1", "sup-u", "sevt-office")
    },
    **{
        (b, "water_m3h"): 60.0
        for b in (
            "sevt-p1",
            "sevt-p2",
            "sup-m",
            "sup-n",
            "sup-k",
            "sup-r",
            "wh-bonded",
            "bql-office",
        )
    },
    **{(b, "wastewater_m3h"): 60.0 for b in ("sevt-p1", "sup-m", "sup-r")},
    ("fd-b1", "power_kw"): 60.0,
}
YB_FLOWS = (
    "in-sevt-p2",
    "out-sevt-p2",
    "in-sup-m",
    "in-wh-bonded",
    "out-wh-bonded",
    "in-customs",
    "in-wwtp",
)
YB_RATE_FACTORS = {"in-sevt-p2": 1.15, "out-sevt-p2": 0.9, "in-sup-m": 1.2, "in-wwtp": 1.0}
# weekly pattern of the bonded warehouse: Monday..Sunday factors on its hourly profile
YB_WEEK = (1.1, 1.1, 1.1, 1.1, 1.1, 0.6, 0.25)
YB_SERVICE = {
    "sevt-p2-docks": {"dist": "lognormal", "mean": 44.0, "sd": 16.0},
    "sup-m-docks": {"dist": "normal", "mean": 32.0, "sd": 9.0},
    "wh-bonded-docks": {"dist": "gamma", "mean": 62.0, "sd": 24.0},
    "customs-bays": {"dist": "triangular", "min": 18.0, "mode": 30.0, "max": 55.0},
}
YB_DOCKS = {"sevt-p2-docks": 7}
YB_SPEED_FACTOR = 0.75
YB_RATIOS = {"sevt-p1": 0.72, "sup-m": 0.88, "sup-r": 0.85}
YB_CUSTOMS_DAILY_SD = 0.35  # day-to-day lognormal variation of the customs flow (not Poisson)


def yen_binh_truth(park: Park, days: float, seed: int) -> tuple[Park, list[Event], dict]:
    """The perturbed yen-binh the sample is simulated from, its events and the true values."""
    rng = Streams(seed, 0).get("sample", "truth")
    data = park.model_dump(mode="json", by_alias=True, exclude_none=True)
    truth: dict[str, Any] = {}
    parts = (
        ("power", "power_kw", ("base_kw", "shift_kw")),
        ("water", "water_m3h", ("base_m3h", "shift_m3h")),
    )
    for b in data["buildings"]:
        for part, quantity, names in parts:
            if part not in b or (b["id"], quantity) not in YB_METERS:
                continue  # only what a meter sees is changed
            for name in names:
                value = significant(b[part][name] * float(rng.uniform(0.8, 1.25)), 4)
                b[part][name] = value
                truth[f"buildings[id={b['id']}].{part}.{name}"] = value
        if b["id"] in YB_RATIOS:
            b["water"]["wastewater_ratio"] = YB_RATIOS[b["id"]]
            truth[f"buildings[id={b['id']}].water.wastewater_ratio"] = YB_RATIOS[b["id"]]
    for f in data["logistics"]["flows"]:
        fid = f["id"]
        if fid in YB_RATE_FACTORS:
            f["hourly_profile"] = [
                significant(r * YB_RATE_FACTORS[fid], 4) for r in f["hourly_profile"]
            ]
            truth[f"logistics.flows[id={fid}].hourly_profile"] = f["hourly_profile"]
        elif fid in ("in-wh-bonded", "out-wh-bonded"):
            hourly = f.pop("hourly_profile")
            f["weekly_profile"] = [significant(r * k, 4) for k in YB_WEEK for r in hourly]
            truth[f"logistics.flows[id={fid}].weekly_profile"] = f["weekly_profile"]
    for g in data["logistics"]["dock_groups"]:
        if g["id"] in YB_SERVICE:
            g["service"] = YB_SERVICE[g["id"]]
            truth[f"logistics.dock_groups[id={g['id']}].service"] = g["service"]
        if g["id"] in YB_DOCKS:
            g["docks"] = YB_DOCKS[g["id"]]
            truth[f"logistics.dock_groups[id={g['id']}].docks"] = g["docks"]
    for r in data["logistics"]["roads"]:
        r["speed_kmh"] = significant(r["speed_kmh"] * YB_SPEED_FACTOR, 4)
        truth[f"logistics.roads[id={r['id']}].speed_kmh"] = r["speed_kmh"]
    factors = np.exp(YB_CUSTOMS_DAILY_SD * rng.standard_normal(math.ceil(days) + 1))
    factors /= np.exp(YB_CUSTOMS_DAILY_SD**2 / 2)  # mean 1
    events: list[Event] = [
        RateEvent(flow="in-customs", at=Moment(day=d, at="00:00"), factor=significant(float(x), 3))
        for d, x in enumerate(factors.tolist())
    ]
    truth["logistics.flows[id=in-customs]"] = (
        "file profile × a daily factor (lognormal, sd 0.35 of the log, mean 1): not Poisson"
    )
    return Park.model_validate(data), events, truth


def make_yen_binh(
    folder: str | Path, days: float = SAMPLE_DAYS, seed: int = SAMPLE_SEED
) -> list[Path]:
    """Write the bundled yen-binh sample (meters.csv, trucks.csv, truth.json) into `folder`."""

    park = read_park("yen-binh")
    truth_park, events, truth = yen_binh_truth(park, days, seed)
    tables = sensor_tables(truth_park, YB_METERS, YB_FLOWS, days, events, seed)
    rng = Streams(seed, 0).get("sample", "blemishes")
    _blemish_meters(tables, truth_park, rng, truth)
    meter_rows = meters_csv(truth_park, tables)
    meter_rows = _blemish_meter_rows(meter_rows, truth_park, tables, rng)
    truck_rows = _blemish_truck_rows(trucks_csv(truth_park, tables), rng)
    folder = Path(folder)
    document = {
        "about": "True values the sample was simulated from (everything else is as in "
        "assets/parks/yen-binh.yaml). Made by twin/calibration/sample.py.",
        "days": days,
        "seed": seed,
        "gate_service": "as in the park file (no gate_out in trucks.csv: deconvolved)",
        "values": truth,
    }
    return [
        atomic_write_text(folder / "meters.csv", "\n".join(meter_rows) + "\n"),
        atomic_write_text(folder / "trucks.csv", "\n".join(truck_rows) + "\n"),
        atomic_write_text(folder / "truth.json", json.dumps(document, indent=1) + "\n"),
    ]


def _blemish_meters(tables: Tables, park: Park, rng: np.random.Generator, truth: dict) -> None:
    """Patterns the park format cannot express: a weekly one and a meter change."""

    clock = Clock.of(park.park.start)
    t, v = tables.meter_t, tables.meter_value
    asset = np.array(tables.meter_asset)
    quantity = np.array(tables.meter_quantity)
    # sup-k runs a fifth of its shift load on Sundays
    k = next(b for b in park.buildings if b.id == "sup-k")
    assert k.power is not None
    sunday = clock.week_hour(t - 1.0) // 24 == 6
    mine = (asset == "sup-k") & (quantity == "power_kw") & sunday
    v[mine] = k.power.base_kw + 0.2 * (v[mine] - k.power.base_kw)
    truth["buildings[id=sup-k].power"] = "on Sundays only a fifth of shift_kw (weekly pattern)"
    # sup-r's power meter is replaced on day 10 and reads 30% high from then on
    mine = (asset == "sup-r") & (quantity == "power_kw") & (t > 10 * 1440.0)
    v[mine] *= 1.3
    truth["buildings[id=sup-r].power"] = "meter reads 30% high from day 10 (meter change)"
    del rng


def _blemish_meter_rows(
    rows: list[str], park: Park, tables: Tables, rng: np.random.Generator
) -> list[str]:
    """Gaps, repeats, spikes, resets, unreadable rows and a meter that logs in UTC."""
    header, body = rows[0], rows[1:]
    asset = np.array(tables.meter_asset)
    t = tables.meter_t
    keep = np.ones(len(body), dtype=bool)
    # gaps: six hours of sup-m power on day 5, a whole day of sup-n water on day 8
    keep &= ~(
        (asset == "sup-m")
        & (t > 5 * 1440 + 600)
        & (t <= 5 * 1440 + 960)
        & (np.array(tables.meter_quantity) == "power_kw")
    )
    keep &= ~(
        (asset == "sup-n")
        & (t > 8 * 1440)
        & (t <= 9 * 1440)
        & (np.array(tables.meter_quantity) == "water_m3h")
    )
    out = []
    # wwtp's logger writes UTC with a Z
    offset = np.timedelta64(7, "h")
    for i, row in enumerate(body):
        if not keep[i]:
            continue
        if asset[i] == "wwtp":
            stamp, rest = row.split(",", 1)
            utc = np.datetime64(stamp) - offset
            row = f"{np.datetime_as_string(utc, unit='m')}Z,{rest}"
        out.append(row)
    picks = rng.choice(len(out), size=14, replace=False).tolist()
    spikes, resets, repeats, changed = picks[:4], picks[4:8], picks[8:11], picks[11:14]
    for i in spikes:
        stamp, a, q, value = out[i].split(",")
        out[i] = f"{stamp},{a},{q},{float(value) * 8:.1f}"
    for n, i in enumerate(resets):
        stamp, a, q, _ = out[i].split(",")
        out[i] = f"{stamp},{a},{q},{'0.0' if n % 2 else '-1.0'}"
    for i in repeats:
        out.insert(i + 1, out[i])
    for i in changed:
        stamp, a, q, value = out[i].split(",")
        out.insert(i + 1, f"{stamp},{a},{q},{float(value) * 1.01:.1f}")
    bad = [
        "2026-01-07T25:00,sup-m,power_kw,4100.0",
        "2026-01-08T10:00,sup-m,power_kw,n/a",
        "2026-01-09T10:00,sup-m,powerkw,4100.0",
        "2026-01-10T10:00,sup-m,power_kw,4100.0,extra",
        "2026-01-11T10:00,sup-m,power_kw,",
        "##### export interrupted #####",
    ]
    for j, row in enumerate(bad):
        out.insert(1000 + 3000 * j, row)
    return [header, *out]


def _blemish_truck_rows(rows: list[str], rng: np.random.Generator) -> list[str]:
    """Rows without gate and dock group, an offset clock, repeats and unreadable rows."""
    header, body = rows[0], rows[1:]
    out = []
    for row in body:
        cells = row.split(",")
        if cells[1] == "in-sup-m":  # this yard's system does not log gate and dock group
            cells[2] = cells[3] = ""
        if cells[1] == "in-wwtp":  # and this one writes times with their offset
            cells[4:] = [c + "+07:00" if c else c for c in cells[4:]]
        out.append(",".join(cells))
    picks = rng.choice(len(out) - 200, size=4, replace=False).tolist()
    for i in picks[:2]:
        out.insert(i + 1, out[i])
    i = picks[2]
    cells = out[i].split(",")
    cells[7] = cells[4]  # departure logged as the arrival: out of order once dock times exist
    cells[4] = cells[6] or cells[4]
    out[i] = ",".join(cells)
    out.insert(picks[3], "T999999,in-customs,g-main,customs-bays,yesterday,,,")
    return [header, *out]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m twin.calibration.sample [FOLDER]``: regenerate the yen-binh sample."""
    args = list(sys.argv[1:] if argv is None else argv)

    folder = Path(args[0]) if args else data_root() / "assets" / "sensors" / "yen-binh"
    make_yen_binh(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
