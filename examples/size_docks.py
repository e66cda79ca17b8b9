"""Size a loading bay for a wait target with a sweep.

How many docks does factory F2 of the demo park need so that, in peak season (30% more trucks),
its trucks wait on average at most 10 minutes for a dock, with 95% confidence? The sweep runs
the same replications (common random numbers) at 4 to 9 docks, and the answer is the smallest
count whose 95% interval of the mean wait lies below the target.

Run it:  python examples/size_docks.py
(PARKTWIN_EXAMPLE_DAYS and PARKTWIN_EXAMPLE_REPLICATIONS shorten it; the tests use them.)
"""

from __future__ import annotations

import os

import twin

DAYS = float(os.environ.get("PARKTWIN_EXAMPLE_DAYS", "7"))
REPLICATIONS = int(os.environ.get("PARKTWIN_EXAMPLE_REPLICATIONS", "5"))
TARGET_MIN = 10.0
GROUP = "f2-docks"


def main() -> None:
    settings = twin.Settings(days=DAYS, replications=REPLICATIONS)
    result = twin.sweep(
        "demo-small",
        "peak-season",
        vary=[f"logistics.dock_groups[id={GROUP}].docks=4:9"],
        settings=settings,
    )
    wait, busy = f"docks.{GROUP}.wait_mean_min", f"docks.{GROUP}.utilization"
    print(f"{GROUP} in peak season, {DAYS:g} days x {REPLICATIONS} replications")
    print(f"{'docks':>5}  {'mean wait, min':>14}  {'95% CI':>15}  {'utilisation':>11}")
    answer = None
    for (docks,), experiment in zip(result.points, result.experiments, strict=True):
        w = experiment.summary(wait)
        u = experiment.summary(busy)
        lo, hi = w.ci95
        print(f"{docks:>5}  {w.mean:>14.1f}  {f'[{lo:.1f}, {hi:.1f}]':>15}  {u.mean:>11.0%}")
        if answer is None and hi <= TARGET_MIN:
            answer = docks
    if answer is None:
        print(f"\nresult: no dock count from 4 to 9 keeps the mean wait under {TARGET_MIN:g} min")
    else:
        print(
            f"\nresult: {answer} docks keep the mean wait at {GROUP} under {TARGET_MIN:g} min "
            "(upper end of the 95% interval)"
        )


if __name__ == "__main__":
    main()
