"""What following costs at a moment, and what reading 28 days for the dispersion adds.

The bundled sample is replayed into a temporary store; :func:`twin.live.follow.following_at`
runs at 20 moments of its last five days (the live twin does it at every nowcast, the
back-test at every origin), with the flows' dispersion read from the last 28 days (the
default) and, as the baseline, from the 7 days following reads anyway. Rounds alternate which
arm goes first; the ratio is taken within a round and the median over rounds reported.

    .venv/bin/python bench/bench_following.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twin.io.bundled import data_root
from twin.io.load import load_park
from twin.live import follow
from twin.live.replay import replay_into_store
from twin.live.store import Store


def main() -> None:
    """Print each round's milliseconds per call of both arms, and the median ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    park = load_park("yen-binh")
    wide = follow.DISPERSION_LOOKBACK_H
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample.db"
        replay_into_store(park, data_root() / "assets" / "sensors" / "yen-binh", path)
        with Store.open(path, read_only=True) as store:
            span = store.span()
            assert span is not None
            moments = [span[1] - timedelta(hours=6 * k) for k in range(20)]
            follow.following_at(park, store, moments[0])  # imports and caches
            ratios = []
            for round_ in range(args.rounds):
                arms = [wide, follow.LOOKBACK_H][:: 1 if round_ % 2 == 0 else -1]
                ms = {}
                for hours in arms:
                    follow.DISPERSION_LOOKBACK_H = hours
                    began = time.perf_counter()
                    for moment in moments:
                        follow.following_at(park, store, moment)
                    ms[hours] = 1000 * (time.perf_counter() - began) / len(moments)
                ratios.append(ms[wide] / ms[follow.LOOKBACK_H])
                narrow = ms[follow.LOOKBACK_H]
                print(f"round {round_}: 28 days {ms[wide]:.0f} ms, 7 days {narrow:.0f} ms")
            follow.DISPERSION_LOOKBACK_H = wide
    print(f"median ratio 28 days / 7 days: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
