"""Calibrate the default park to the sample sensor data, and compare fitted against default.

The bundled sample (`assets/sensors/yen-binh/`) was simulated from a yen-binh park whose loads,
arrival rates, service times, docks staffed and road speeds differ from the park file by amounts
listed in `truth.json`, and then blemished like real data. This script

1. fits the park to the sample (`twin.calibrate`), holding out its last 20% to validate;
2. checks the fitted values against the truth, next to the park file's values;
3. simulates the park file and the fitted park with the same random numbers and compares their
   KPIs: what the calibration changes in the answers.

Run it:  python examples/calibrate_and_compare.py
(PARKTWIN_EXAMPLE_DAYS and PARKTWIN_EXAMPLE_REPLICATIONS shorten it, PARKTWIN_EXAMPLE_SEARCH=0
skips the slow search of dock counts; the tests use them.)
"""

from __future__ import annotations

import json
import os
import re
import statistics
from typing import Any

import twin
from twin.io.bundled import data_root
from twin.model.scenario import get_path

DAYS = float(os.environ.get("PARKTWIN_EXAMPLE_DAYS", "7"))
REPLICATIONS = int(os.environ.get("PARKTWIN_EXAMPLE_REPLICATIONS", "5"))
SEARCH = os.environ.get("PARKTWIN_EXAMPLE_SEARCH", "1") != "0"
SENSORS = data_root() / "assets" / "sensors" / "yen-binh"
KPIS = (
    "trucks.wait_mean_min",
    "trucks.turnaround_mean_min",
    "trucks.completed",
    "power.energy_mwh",
    "power.peak_mw",
    "water.demand_m3",
)


def comparable(value: Any) -> float | None:
    """A number to compare: the value, a profile's trucks per day, a distribution's mean."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list) and value and all(isinstance(v, int | float) for v in value):
        return sum(value) * 24 / len(value)  # trucks per day (hourly or weekly profile)
    if isinstance(value, dict) and "dist" in value:
        if "mean" in value:
            return float(value["mean"])
        if value["dist"] == "triangular":
            return (value["min"] + value["mode"] + value["max"]) / 3
    return None


def value_at(park: twin.Park, path: str) -> float | None:
    """The comparable value at a path of the truth, in a park (None when it has none)."""
    flow = re.fullmatch(r"logistics\.flows\[id=(.+)\]\.(hourly_profile|weekly_profile)", path)
    if flow:  # the park may give the flow another way: compare trucks per day
        rates = next(f for f in park.logistics.flows if f.id == flow[1]).weekly_rates()
        return sum(rates) / 7
    try:
        return comparable(get_path(park, path, "truth.json")[0])
    except twin.InputError:
        return None


def main() -> None:
    default = twin.load_park("yen-binh")
    cal = twin.calibrate(default, SENSORS, replications=REPLICATIONS, search=SEARCH)
    fitted = cal.park

    # 2. fitted values against the truth the sample was made from
    truth = json.loads((SENSORS / "truth.json").read_text(encoding="utf-8"))["values"]
    rows = []
    for path, true_value in truth.items():
        target = comparable(true_value)
        if target is None or target == 0:
            continue
        before, after = value_at(default, path), value_at(fitted, path)
        if before is None or after is None:
            continue
        rows.append((path, target, before, after))
    print(f"{len(rows)} true values in the sample; of each kind, the one the file misses most:")
    print(f"{'':52} {'truth':>9} {'file':>9} {'fitted':>9}")
    shown: set[str] = set()
    for path, target, before, after in sorted(rows, key=lambda r: -abs(r[2] / r[1] - 1)):
        kind = path.rsplit(".", 1)[-1]
        if kind not in shown:
            shown.add(kind)
            print(f"{path[:52]:52} {target:9.4g} {before:9.4g} {after:9.4g}")
    file_error = statistics.median(abs(b / t - 1) for _, t, b, _ in rows)
    fit_error = statistics.median(abs(a / t - 1) for _, t, _, a in rows)

    # 3. what changes in the answers: both parks, the same replications and random numbers
    settings = twin.Settings(days=DAYS, replications=REPLICATIONS)
    runs = {
        "park file": twin.run(default, settings=settings),
        "fitted": twin.run(fitted, settings=settings),
    }
    print(f"\nKPIs over {DAYS:g} days x {REPLICATIONS} replications (mean [95% interval])")
    print(f"{'':28}" + "".join(f"{name:>32}" for name in runs))
    for kpi in KPIS:
        cells = []
        for experiment in runs.values():
            s = experiment.summary(kpi)
            cells.append(f"{s.mean:,.1f} [{s.ci95[0]:,.1f}, {s.ci95[1]:,.1f}]")
        print(f"{kpi:28}" + "".join(f"{c:>32}" for c in cells))
    print(
        f"\nresult: median error against the true values: park file {file_error:.1%}, "
        f"fitted {fit_error:.1%} ({len(rows)} values)"
    )


if __name__ == "__main__":
    main()
