"""Back-test band coverage at R = 10 and R = 20 on independent histories (tests/history.py).

Each seed writes a history of the known park with a plain SimPy program (not the engine),
back-tests the known park on it (hourly origins, 2 h ahead) and prints each metric's share
of outcomes inside the 90% band; the last lines pool the seeds. SPEC.md: 90% +/- 5.

    .venv/bin/python bench/backtest_coverage.py --seeds 10 --days 3
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.history import known_park, write_history
from twin.live.backtest import METRICS, backtest


def main() -> None:
    """Run the seeds and print per-seed and pooled coverage."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--days", type=float, default=3.0)
    parser.add_argument("--replications", type=int, nargs="+", default=[10, 20])
    args = parser.parse_args()
    for replications in args.replications:
        inside = dict.fromkeys(METRICS, 0.0)
        count = dict.fromkeys(METRICS, 0)
        began = time.perf_counter()
        for seed in range(args.seeds):
            with tempfile.TemporaryDirectory() as folder:
                history = write_history(Path(folder) / "sensors", days=args.days, seed=100 + seed)
                result = backtest(known_park(), history, replications=replications, seed=seed)
            scores = result.scores()
            cells = []
            for metric in METRICS:
                s = scores[metric]
                inside[metric] += s.coverage90 * s.n
                count[metric] += s.n
                cells.append(f"{metric} {s.coverage90:.3f} (n {s.n})")
            print(f"R={replications} seed {seed}: " + "; ".join(cells), flush=True)
        pooled = "; ".join(
            f"{m} {inside[m] / max(count[m], 1):.3f} (n {count[m]})" for m in METRICS
        )
        print(f"R={replications} pooled: {pooled}  [{time.perf_counter() - began:.0f} s]")


if __name__ == "__main__":
    main()
