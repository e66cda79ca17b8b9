"""The rate changes following reports on a sensor history, at hourly origins (no nowcast).

Replays the history into a temporary store, follows the park at every origin (as the
back-test does, :func:`twin.live.follow.following_at`) and lists the distinct changes it
reported per flow (:func:`twin.live.backtest.changes_found`: a change whose date moves
between origins counts once per date) and the spells of consecutive origins at which a flow
reports a change. On the bundled sample no
flow's rate steps: the customs flow has a lognormal daily factor and the bonded warehouse's
flows a weekday pattern the park file lacks.

    .venv/bin/python bench/follow_changes.py yen-binh assets/sensors/yen-binh
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twin.io.load import load_park
from twin.live.backtest import changes_found
from twin.live.follow import Following, following_at
from twin.live.replay import replay_into_store
from twin.live.store import Store


def main() -> None:
    """Print the number of reported rate changes per flow, and their total."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("park")
    parser.add_argument("sensors")
    parser.add_argument("--every", type=float, default=60.0, help="minutes between origins")
    args = parser.parse_args()
    park = load_park(args.park)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.db"
        replay_into_store(park, args.sensors, path)
        with Store.open(path, read_only=True) as store:
            span = store.span()
            assert span is not None
            first = span[0].replace(minute=0, second=0, microsecond=0) + timedelta(hours=6)
            step = timedelta(minutes=args.every)
            origins = [first + k * step for k in range(int((span[1] - first) / step) + 1)]
            followings = [following_at(park, store, origin) for origin in origins]
    changes = [c for c in changes_found(origins, followings) if c["name"].startswith("flows.")]
    dated = Counter(c["name"] for c in changes)
    spells = _spells(followings)
    for name in sorted(set(dated) | set(spells)):
        print(f"{name}: {dated[name]} change times, {spells[name]} spells")
    seconds = time.perf_counter() - began
    print(
        f"rate changes reported: {len(changes)} change times, {sum(spells.values())} spells, "
        f"at {len(origins)} origins [{seconds:.0f} s]"
    )


def _spells(followings: list[Following]) -> Counter[str]:
    """Per flow, the runs of consecutive origins at which a change is reported."""
    spells: Counter[str] = Counter()
    before: set[str] = set()
    for following in followings:
        now = {v.name for v in following.values if v.change_at and v.name.startswith("flows.")}
        spells.update(now - before)
        before = now
    return spells


if __name__ == "__main__":
    main()
