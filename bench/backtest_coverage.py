"""Back-test band coverage at R = 10 and R = 20 on independent histories (tests/history.py).

Each seed writes a history of the known park with a plain SimPy program (not the engine),
back-tests the known park on it (hourly origins, 2 h ahead) and prints each metric's share
of outcomes inside the 90% band; the last lines pool the seeds. SPEC.md: 90% +/- 5.

    .venv/bin/python bench/backtest_coverage.py --seeds 10 --days 3

With ``--step DAY``, every flow's arrival rate and the power of building f1 step up by
``--factor`` (default 1.4) at the start of that day, and only the origins from ``--after``
hours past the step (default 24) are scored: whether the live twin has followed the change.
``--no-follow`` back-tests without following (:mod:`twin.live.follow`); ``--meters`` writes
the buildings' power readings without a step.

    .venv/bin/python bench/backtest_coverage.py --seeds 10 --days 4 --step 2
    .venv/bin/python bench/backtest_coverage.py --seeds 10 --days 4 --step 2 --no-follow
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.history import START, known_park, write_history
from twin.live.backtest import METER_METRICS, METRICS, Backtest, backtest


def run_seed(args: argparse.Namespace, seed: int, replications: int) -> Backtest:
    """The back-test of one seed's history."""
    step = (args.step, args.factor) if args.step is not None else None
    power = ("f1", args.step, args.factor) if args.step is not None else None
    start = START + timedelta(days=args.step, hours=args.after) if args.step is not None else None
    with tempfile.TemporaryDirectory() as folder:
        history = write_history(
            Path(folder) / "sensors", days=args.days, seed=100 + seed, step=step,
            meters=args.meters, power_step=power,
        )  # fmt: skip
        return backtest(
            known_park(), history, replications=replications, seed=seed, start=start,
            follow=args.follow,
        )  # fmt: skip


def main() -> None:
    """Run the seeds and print per-seed and pooled coverage."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--days", type=float, default=3.0)
    parser.add_argument("--replications", type=int, nargs="+", default=[10, 20])
    parser.add_argument("--step", type=float, default=None, help="day of a step up")
    parser.add_argument("--factor", type=float, default=1.4)
    parser.add_argument("--after", type=float, default=24.0, help="hours past the step")
    parser.add_argument("--meters", action="store_true", help="write power readings")
    parser.add_argument("--no-follow", dest="follow", action="store_false")
    args = parser.parse_args()
    metrics = (*METRICS, *METER_METRICS)
    for replications in args.replications:
        inside = dict.fromkeys(metrics, 0.0)
        count = dict.fromkeys(metrics, 0)
        began = time.perf_counter()
        for seed in range(args.seeds):
            scores = run_seed(args, seed, replications).scores()
            cells = []
            for metric, s in scores.items():
                inside[metric] += s.coverage90 * s.n
                count[metric] += s.n
                cells.append(f"{metric} {s.coverage90:.3f} (n {s.n})")
            print(f"R={replications} seed {seed}: " + "; ".join(cells), flush=True)
        pooled = "; ".join(
            f"{m} {inside[m] / count[m]:.3f} (n {count[m]})" for m in metrics if count[m]
        )
        print(f"R={replications} pooled: {pooled}  [{time.perf_counter() - began:.0f} s]")


if __name__ == "__main__":
    main()
