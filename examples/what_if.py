"""A what-if study from Python: the export peak, and the docks that would absorb it.

1. Compare the default park (yen-binh) as is against the bundled `peak-season` scenario (30%
   more trucks on every flow), with common random numbers and paired confidence intervals.
2. Find the dock group whose trucks wait longest more because of the peak.
3. Write a scenario in Python that gives that group two more docks, and compare the park in
   peak season with and without them.

Run it:  python examples/what_if.py
(PARKTWIN_EXAMPLE_DAYS and PARKTWIN_EXAMPLE_REPLICATIONS shorten it; the tests use them.)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

import twin

DAYS = float(os.environ.get("PARKTWIN_EXAMPLE_DAYS", "7"))
REPLICATIONS = int(os.environ.get("PARKTWIN_EXAMPLE_REPLICATIONS", "5"))


def worst_dock_group(comparison: twin.Comparison) -> str:
    """The dock group whose mean wait rose most (significant rises first)."""
    rows = [
        row
        for row in comparison.rows()
        if row.kpi.startswith("docks.") and row.kpi.endswith(".wait_mean_min")
    ]
    worst = max(rows, key=lambda row: (row.significant, row.delta))
    return worst.kpi.split(".")[1]


def main() -> None:
    settings = twin.Settings(days=DAYS, replications=REPLICATIONS)
    park = twin.load_park("yen-binh")

    # 1. the park as is against the peak season
    peak = twin.compare(park, ["peak-season"], settings)
    print(f"{park.park.name}, {DAYS:g} days x {REPLICATIONS} replications")
    print(*peak.verdicts(), sep="\n")

    # 2. where it hurts most
    group = worst_dock_group(peak)
    docks = next(g.docks for g in park.logistics.dock_groups if g.id == group)
    kpi = f"docks.{group}.wait_mean_min"
    row = next(r for r in peak.rows() if r.kpi == kpi)
    before, after = row.baseline_mean, row.mean
    print(f"\nhardest hit: {group} ({docks} docks), wait {before:.1f} -> {after:.1f} min")

    # 3. a scenario written in Python: two more docks there, tried on the park in peak season
    in_peak = twin.apply_scenario(park, twin.load_scenario("peak-season"))
    more_docks = {
        "scenario": {"name": f"{group}+2", "description": f"{docks + 2} docks at {group}"},
        "changes": [{"set": f"logistics.dock_groups[id={group}].docks", "value": docks + 2}],
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "more-docks.yaml"
        path.write_text(yaml.safe_dump(more_docks), encoding="utf-8")
        fix = twin.compare(in_peak, [path], settings)
    print(*fix.verdicts(), sep="\n")
    row = next(r for r in fix.rows() if r.kpi == kpi)
    lo, hi = row.delta_ci95
    print(
        f"\nresult: in peak season, {docks + 2} docks instead of {docks} at {group} change its "
        f"mean wait by {row.delta:+.1f} min (95% CI {lo:+.1f} to {hi:+.1f}): "
        f"{row.baseline_mean:.1f} -> {row.mean:.1f} min"
    )


if __name__ == "__main__":
    main()
