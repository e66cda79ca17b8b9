"""Back-test band coverage at R = 10 and R = 20 on independent histories (tests/history.py).

Each seed writes a history of the known park with a plain SimPy program (not the engine),
back-tests the known park on it (hourly origins, 2 h ahead) and counts each metric's outcomes
inside the 90% band; the lines give the shares pooled over the seeds. SPEC.md: 90% +/- 5.
The histories carry the buildings' power readings (``meters.power_kw``) unless ``--no-meters``.

    .venv/bin/python bench/backtest_coverage.py --seeds 10 --days 3

With ``--step DAY``, every flow's arrival rate and the power of building f1 step up by
``--factor`` (default 1.4) at the start of that day, and only the origins from ``--after``
hours past the step (default 24) are scored: whether the live twin has followed the change.
``--no-follow`` back-tests without following (:mod:`twin.live.follow`).

    .venv/bin/python bench/backtest_coverage.py --seeds 6 --days 4 --step 2 --replications 20
    .venv/bin/python bench/backtest_coverage.py --seeds 6 --days 4 --step 2 --no-follow
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.history import pooled_coverage


def main() -> None:
    """Run the seeds and print the pooled coverage of each metric."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--days", type=float, default=3.0)
    parser.add_argument("--replications", type=int, nargs="+", default=[10, 20])
    parser.add_argument("--step", type=float, default=None, help="day of a step up")
    parser.add_argument("--factor", type=float, default=1.4)
    parser.add_argument("--after", type=float, default=24.0, help="hours past the step")
    parser.add_argument("--no-meters", dest="meters", action="store_false")
    parser.add_argument("--no-follow", dest="follow", action="store_false")
    args = parser.parse_args()
    for replications in args.replications:
        began = time.perf_counter()
        pooled = pooled_coverage(
            range(args.seeds), replications, days=args.days, step_day=args.step,
            factor=args.factor, after_h=args.after, follow=args.follow, meters=args.meters,
        )  # fmt: skip
        cells = "; ".join(f"{m} {cover:.3f} (n {n})" for m, (cover, n) in pooled.items())
        print(
            f"R={replications} follow={args.follow}: {cells}  [{time.perf_counter() - began:.0f} s]"
        )


if __name__ == "__main__":
    main()
