"""Calibration on independent data over many seeds: the figures of "Done means" (issue 20).

Every data set comes from tests/independent.py (plain numpy and SimPy, not the engine):

- the true truck park (2 lanes): share of parameter rows left unchanged, and coverage of the
  95% intervals of identifiable values (service mean and sd of each dock group and the gate,
  trucks per day of each flow, road speed) against the truth;
- one true lane where the file says two (gate_out logged): lanes right;
- meters of demo-small's f1 (Mon-Fri, +40% from day 21) and w1 (Mon-Sat) over 28 days,
  20% held out: shift days right, change found on its day, f1's levels within 5% of
  the levels after the change;
- the true truck park with a-docks' services 40% and the gate's 50% longer from day 14:
  both changes dated within 12 h, the services after them fitted within 5%;
- f1 +40% from day 24, inside the held-out span: its validation row names the change;
- o1's meter following an office shape by day type (tests/shape_slots.py): the fitted
  shape's 95% slot intervals that hold the true shape.

On the right truck park it also counts the hourly rates' 95% intervals that hold the true
rate, the seeds with any change reported (false alarms) and unidentified rows that carry an
interval (there should be none).

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
from tests.shape_slots import slots_inside
from twin.calibration import calibrate
from twin.calibration.document import calibration_document
from twin.io.load import load_park
from twin.model.dist import Sampler

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
    out[("logistics.gates[id=g1].lanes", "lanes")] = ind.LANES
    return out


def right_park(seed: int, folder: Path) -> dict[str, Any]:
    """Rows unchanged, rows, intervals covering the truth, intervals, hourly-rate intervals
    covering the truth, changes reported (false alarms), unidentified rows with an interval."""
    ind.write_trucks(folder, ind.simulate(21.0, seed=seed), gate_out=True)
    cal = calibrate(load_park(ind.true_park()), folder, holdout=0.0, search=False)
    doc = calibration_document(cal)
    rows = doc["parameters"]
    covered = total = 0
    for (place, name), value in truths().items():
        low, high = cal.intervals.get(place, {}).get(name, (None, None))
        if low is None or high is None:
            continue
        total += 1
        covered += low <= value <= high
    hourly = [0, 0]
    for g in ind.GROUPS:
        row = next(r for r in rows if r["place"] == f"logistics.flows[id=in-{g.group}]")
        each = row.get("ci95_each", [])
        rates = np.tile(g.peak_per_hour * ind.SHAPE, len(each) // 24)  # 24 or 168 rates
        for (low, high), rate in zip(each, rates, strict=True):
            hourly[0] += low is not None and high is not None and low <= rate <= high
            hourly[1] += 1
    return {
        "kept": sum(not r["changed"] for r in rows),
        "rows": len(rows),
        "covered": covered,
        "intervals": total,
        "hourly": hourly,
        "alarms": len(doc["changes"]),
        "unidentified_with_interval": sum(1 for r in rows if not r["identifiable"] and r["ci95"]),
    }


def service_steps(seed: int, folder: Path) -> tuple[bool, bool]:
    """a-docks' services 40% and the gate's 50% longer from day 14 of 21: both changes found
    within 12 h of it (and no other), and both fitted means within 5% of the new ones."""
    steps = {"a-docks": (14.0, 1.4), "gate": (14.0, 1.5)}
    ind.write_trucks(folder, ind.simulate(21.0, seed=seed, service_steps=steps), gate_out=True)
    cal = calibrate(load_park(ind.true_park()), folder, holdout=0.0, search=False)
    found = {c.asset: c.at_min for c in cal.changes}
    dated = sorted(found) == ["a-docks", "g1"] and all(
        abs(at - 14 * 1440.0) <= 720.0 for at in found.values()
    )
    group = next(g for g in cal.park.logistics.dock_groups if g.id == "a-docks")
    gate = cal.park.logistics.gates[0]
    means = (Sampler(group.service).mean / 56.0, Sampler(gate.service).mean / 2.7)
    return dated, all(abs(m - 1.0) <= 0.05 for m in means)


def held_out_change(seed: int, folder: Path) -> bool:
    """f1 steps up 40% on day 24, inside the held-out span: its validation row names the
    change on its day, w1's does not."""
    stepped = ind.LoadTruth(
        "f1", 360.0, 1000.0, ((6, 14), (14, 22)), (0, 1, 2, 3, 4), step_day=24.0, step=1.4
    )
    rng = np.random.default_rng(seed)
    series = {
        (t.building, "power_kw"): ind.meter_values(t, 28.0, 15.0, rng) for t in (stepped, MON_SAT)
    }
    ind.write_meters(folder, series)
    cal = calibrate(load_park("demo-small"), folder, holdout=0.2, search=False, replications=2)
    rows = calibration_document(cal)["validation"]
    marked = {r["asset"]: r.get("changed", "") for r in rows if r["quantity"] == "power_kw"}
    return marked["f1"].startswith("changed in validation span on 2026-01-29") and not marked["w1"]


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
    total: dict[str, float] = {}

    def add(key: str, value: float) -> None:
        total[key] = total.get(key, 0) + value

    began = time.perf_counter()
    for seed in range(args.seeds):
        with tempfile.TemporaryDirectory() as folder:
            right = right_park(seed, Path(folder) / "right")
            lane = lanes_right(seed, Path(folder) / "lanes")
            m = meters(seed, Path(folder) / "meters")
            dated, fitted = service_steps(seed, Path(folder) / "service")
            flagged = held_out_change(seed, Path(folder) / "held")
            slots = slots_inside(Path(folder) / "shape", seed)
        for key in ("kept", "rows", "covered", "intervals", "alarms", "unidentified_with_interval"):
            add(key, right[key])
        add("hourly_covered", right["hourly"][0])
        add("hourly", right["hourly"][1])
        add("false_alarm_seeds", right["alarms"] > 0)
        add("lanes", lane)
        add("days", m["days"])
        right_change = [x for x in m["change"] if x[:2] == ("f1", "2026-01-26T00:00")]
        add("changes", len(m["change"]) == 1 and len(right_change) == 1)
        add("levels", abs(m["base_err"]) <= 0.05 and abs(m["shift_err"]) <= 0.05)
        add("service_dated", dated)
        add("service_fitted", fitted)
        add("held_out_flag", flagged)
        add("slots_covered", sum(slots))
        add("slots", len(slots))
        print(
            f"seed {seed}: kept {right['kept']}/{right['rows']}, ci95 {right['covered']}/"
            f"{right['intervals']}, hourly ci95 {right['hourly'][0]}/{right['hourly'][1]}, "
            f"changes on the right park {right['alarms']}, lanes {lane}, days {m['days']}, "
            f"changes {m['change']}, f1 base {m['base_err']:+.3f} shift {m['shift_err']:+.3f}, "
            f"service change dated {dated} fitted {fitted}, held-out change named {flagged}, "
            f"shape slot ci95 {sum(slots)}/{len(slots)}",
            flush=True,
        )
    s = args.seeds
    t = total
    print(
        f"TOTAL over {s} seeds: right park kept {t['kept']:.0f}/{t['rows']:.0f} = "
        f"{t['kept'] / t['rows']:.3f}; 95% intervals cover {t['covered']:.0f}/"
        f"{t['intervals']:.0f} = {t['covered'] / t['intervals']:.3f}; hourly-rate intervals "
        f"cover {t['hourly_covered']:.0f}/{t['hourly']:.0f} = "
        f"{t['hourly_covered'] / max(t['hourly'], 1):.3f}; unidentified rows with an interval "
        f"{t['unidentified_with_interval']:.0f}; right park reporting a change "
        f"{t['false_alarm_seeds']:.0f}/{s}; lanes right {t['lanes']:.0f}/{s}; shift days right "
        f"{t['days']:.0f}/{s}; the one meter change found on its day {t['changes']:.0f}/{s}; "
        f"f1 levels after it within 5% {t['levels']:.0f}/{s}; service changes dated within 12 h "
        f"{t['service_dated']:.0f}/{s}, services after them within 5% "
        f"{t['service_fitted']:.0f}/{s}; held-out change named {t['held_out_flag']:.0f}/{s}; "
        f"load-shape slot intervals cover {t['slots_covered']:.0f}/{t['slots']:.0f} = "
        f"{t['slots_covered'] / t['slots']:.3f}  "
        f"[{time.perf_counter() - began:.0f} s]"
    )


if __name__ == "__main__":
    main()
