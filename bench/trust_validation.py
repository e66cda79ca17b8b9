"""Calibration on independent data over many seeds: the figures of "Done means" (issue 20).

Every data set comes from tests/independent.py (plain numpy and SimPy, not the engine):

- the true truck park (2 lanes): share of parameter rows left unchanged, and coverage of the
  95% intervals of identifiable values (service mean and sd of each dock group and the gate,
  trucks per day of each flow, road speed) against the truth;
- one true lane where the file says two (gate_out logged): lanes right;
- meters of demo-small's f1 (Mon-Fri, +40% from day 21) and w1 (Mon-Sat) over 28 days,
  20% held out: shift days right, change found on its day, f1's levels within 5% of
  the levels after the change.

    .venv/bin/python bench/trust_validation.py --seeds 10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import independent as ind
from twin.calibration import calibrate
from twin.calibration.document import calibration_document
from twin.io.load import load_park

MON_FRI = ind.LoadTruth(
    "f1", 360.0, 1000.0, ((6, 14), (14, 22)), (0, 1, 2, 3, 4), step_day=21.0, step=1.4
)
MON_SAT = ind.LoadTruth("w1", 60.0, 180.0, ((7, 17),), (0, 1, 2, 3, 4, 5))


def truths() -> dict[tuple[str, str], float]:
    """(place, field) -> true value, for the identifiable values of the truck park."""
    out: dict[tuple[str, str], float] = {}
    for g in ind.GROUPS:
        place = f"logistics.dock_groups[id={g.group}].service"
        out[(place, "mean")], out[(place, "sd")] = g.service["mean"], g.service["sd"]
        out[(f"logistics.flows[id=in-{g.group}]", "per_day")] = g.peak_per_hour * ind.SHAPE.sum()
    out[("logistics.gates[id=g1].service", "mean")] = ind.GATE["mean"]
    out[("logistics.gates[id=g1].service", "sd")] = ind.GATE["sd"]
    out[("logistics.roads[id=r1].speed_kmh", "speed_kmh")] = ind.SPEED_KMH
    return out


def right_park(seed: int, folder: Path) -> tuple[int, int, int, int]:
    """Rows unchanged, rows, intervals covering the truth, intervals."""
    ind.write_trucks(folder, ind.simulate(21.0, seed=seed), gate_out=True)
    cal = calibrate(load_park(ind.true_park()), folder, holdout=0.0, search=False)
    rows = calibration_document(cal)["parameters"]
    covered = total = 0
    for (place, name), value in truths().items():
        low, high = cal.intervals.get(place, {}).get(name, (None, None))
        if low is None or high is None:
            continue
        total += 1
        covered += low <= value <= high
    return sum(not r["changed"] for r in rows), len(rows), covered, total


def lanes_right(seed: int, folder: Path) -> bool:
    """One true lane, two in the file: the fit says one."""
    ind.write_trucks(folder, ind.simulate(21.0, seed=seed, lanes=1), gate_out=True)
    cal = calibrate(load_park(ind.true_park(lanes=2)), folder, holdout=0.0, search=False)
    return cal.park.logistics.gates[0].lanes == 1


def meters(seed: int, folder: Path) -> dict[str, Any]:
    """Shift days, the change and f1's levels after it."""
    rng = np.random.default_rng(seed)
    series = {
        (t.building, "power_kw"): ind.meter_values(t, 28.0, 15.0, rng) for t in (MON_FRI, MON_SAT)
    }
    ind.write_meters(folder, series)
    cal = calibrate(load_park("demo-small"), folder, holdout=0.2, search=False, replications=2)
    fitted = {b.id: b for b in cal.park.buildings}
    days = all(
        [w.days for w in fitted[t.building].shifts]
        == [[("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in t.days]] * len(t.windows)
        for t in (MON_FRI, MON_SAT)
    )
    changes = calibration_document(cal)["changes"]
    power = fitted["f1"].power
    assert power is not None
    return {
        "days": days,
        "change": [(c["asset"], c["time"], c["size_pct"]) for c in changes],
        "base_err": power.base_kw / (MON_FRI.base * MON_FRI.step) - 1,
        "shift_err": power.shift_kw / (MON_FRI.shift * MON_FRI.step) - 1,
    }


def main() -> None:
    """Run every seed and print per-seed rows and the totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    kept = rows = covered = intervals = lanes = days = changes = levels = 0
    began = time.perf_counter()
    for seed in range(args.seeds):
        with tempfile.TemporaryDirectory() as folder:
            k, r, cov, n = right_park(seed, Path(folder) / "right")
            lane = lanes_right(seed, Path(folder) / "lanes")
            m = meters(seed, Path(folder) / "meters")
        kept, rows, covered, intervals = kept + k, rows + r, covered + cov, intervals + n
        lanes += lane
        days += m["days"]
        right_change = [x for x in m["change"] if x[:2] == ("f1", "2026-01-26T00:00")]
        changes += len(m["change"]) == 1 and len(right_change) == 1
        levels += abs(m["base_err"]) <= 0.05 and abs(m["shift_err"]) <= 0.05
        print(
            f"seed {seed}: kept {k}/{r}, ci95 {cov}/{n}, lanes {lane}, days {m['days']}, "
            f"changes {m['change']}, f1 base {m['base_err']:+.3f} shift {m['shift_err']:+.3f}",
            flush=True,
        )
    s = args.seeds
    print(
        f"TOTAL over {s} seeds: right park kept {kept}/{rows} = {kept / rows:.3f}; "
        f"95% intervals cover {covered}/{intervals} = {covered / intervals:.3f}; lanes right "
        f"{lanes}/{s}; shift days right {days}/{s}; the one change found on its day {changes}/{s}; "
        f"f1 levels after it within 5% {levels}/{s}  [{time.perf_counter() - began:.0f} s]"
    )


if __name__ == "__main__":
    main()
