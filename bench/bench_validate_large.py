"""Validating the largest park file accepted: wall time and peak memory, against a small park.

    python bench/bench_validate_large.py [--rounds 5] [--buildings 2900]

The park is demo-small with `--buildings` extra 40-corner buildings (just under the 4 MB file
limit at 2900), made by the same independent generator as the hostile-input tests. Each round
runs ``parktwin validate`` on the big park and on demo-small as fresh processes under the
tests' memory limit, in alternating order; the ratio of the two is taken within a round, so the
load of a shared machine mostly cancels out, and the median over rounds is reported. The
budget SPEC.md's file limit is chosen for: the largest accepted file validates within half a
minute and 1 GB on a loaded 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hostile_inputs import DEMO_SMALL, big_park
from tests.reliability import parktwin

BUDGET_S = 30.0
BUDGET_MB = 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--buildings", type=int, default=2900)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parktwin-bench-validate-") as folder:
        big = big_park(args.buildings, ".yaml", Path(folder))
        print(f"park: {big.stat().st_size / 2**20:.2f} MB, {args.buildings} extra buildings")
        rows = []
        for r in range(args.rounds):
            order = [big, DEMO_SMALL] if r % 2 == 0 else [DEMO_SMALL, big]
            outcomes = {path: parktwin("validate", path, timeout=300) for path in order}
            for path, outcome in outcomes.items():
                if outcome.code != 0:
                    raise SystemExit(f"validate {path.name} failed: {outcome.describe()}")
            large, small = outcomes[big], outcomes[DEMO_SMALL]
            rows.append(
                (large.seconds, large.peak_mb, small.seconds, large.seconds / small.seconds)
            )
            print(f"round {r}: large {large.seconds:.2f} s {large.peak_mb:.0f} MB, "
                  f"demo-small {small.seconds:.2f} s, ratio {rows[-1][3]:.1f}")  # fmt: skip
    seconds = statistics.median(row[0] for row in rows)
    peak = max(row[1] for row in rows)
    ratio = statistics.median(row[3] for row in rows)
    print(f"median {seconds:.2f} s (budget {BUDGET_S:g} s), peak {peak:.0f} MB "
          f"(budget {BUDGET_MB:g} MB), median ratio to demo-small {ratio:.1f}")  # fmt: skip
    if seconds > BUDGET_S or peak > BUDGET_MB:
        raise SystemExit("over budget")


if __name__ == "__main__":
    main()
