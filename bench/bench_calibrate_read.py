"""Reading a year of 15-minute readings of 50 meters (1.75 M rows): wall time and memory.

python bench/bench_calibrate_read.py [--meters 50] [--days 365] [--quoted]

Writes the file to a temporary folder (about 75 MB), then times the vectorised reader of
``twin.calibration.read`` on it. ``--quoted`` quotes the asset names, which sends the file down
the csv-module path (the slow one) for comparison.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from twin.calibration.read import FileReport, Timebase, read_meters
from twin.io.load import load_park
from twin.model.schema import Park

RESET_AT = 1000  # one reading in this many is a glitch (a spike or a reset to 0)


def bench_park(meters: int) -> Park:
    """demo-small with `meters` more office buildings (m000, m001, ...) to meter."""
    data = load_park("demo-small").model_dump(mode="json", by_alias=True, exclude_none=True)
    office = next(b for b in data["buildings"] if b["id"] == "o1")
    data["buildings"] += [{**office, "id": f"m{k:03d}"} for k in range(meters)]
    return load_park(data)


def write_file(path: Path, park: Park, meters: int, days: float, quoted: bool) -> int:
    """A meters.csv of `meters` power meters of the park's buildings every 15 minutes."""
    ids = [f"m{k:03d}" for k in range(meters)]
    steps = int(days * 96)
    stamps = np.datetime_as_string(
        np.datetime64(park.park.start, "m") + np.arange(1, steps + 1) * np.timedelta64(15, "m"),
        unit="m",
    )
    rng = np.random.default_rng(0)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("timestamp,asset,quantity,value\n")
        for m in range(meters):
            name = f'"{ids[m]}"' if quoted else ids[m]
            values = (
                1000 + 500 * np.sin(np.arange(steps) / 96 * 2 * np.pi) + rng.normal(0, 20, steps)
            )
            values[rng.integers(0, steps, steps // RESET_AT)] = 0.0
            text = "\n".join(
                f"{t},{name},power_kw,{v:.1f}"
                for t, v in zip(stamps.tolist(), values.tolist(), strict=True)
            )
            handle.write(text + "\n")
    return meters * steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=50)
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--quoted", action="store_true")
    args = parser.parse_args()
    park = bench_park(args.meters)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "meters.csv"
        start = time.perf_counter()
        rows = write_file(path, park, args.meters, args.days, args.quoted)
        written = time.perf_counter()
        report = FileReport(str(path))
        series = read_meters(path, park, Timebase.of(park), report)
        done = time.perf_counter()
        size = path.stat().st_size / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{rows:,} rows ({size:.0f} MB, {len(series)} meters, written in {written - start:.1f} s) "
        f"read in {done - written:.2f} s ({rows / (done - written) / 1e6:.2f} M rows/s); "
        f"{report.kept:,} kept, {report.n_dropped:,} dropped; peak memory {peak_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
