"""The hostile-input cases as a table: exit code, seconds and peak memory.

Run it on this checkout, and on another one (e.g. the commit before the fixes) to compare:

    .venv/bin/python bench/reliability_table.py                      # this checkout
    PARKTWIN_SOURCE=/path/to/old/checkout .venv/bin/python bench/reliability_table.py
    .venv/bin/python bench/reliability_table.py --live                # the live twin's cases

Each case runs as a subprocess under a 2 GB address-space limit and a time limit (60 s here;
-999 in the table means it was stopped there). Times are wall-clock on whatever load the
machine has; the memory is the peak resident set of the command and its workers.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hostile_inputs import LAUGHS, big_park, many
from tests.reliability import parktwin

LIMIT_S = 60.0
LONG_RUN = ["run", "yen-binh", "--days", "300", "-r", "4"]


def _write(name: str, text: str) -> Callable[[Path], list[str]]:
    def setup(folder: Path) -> list[str]:
        (folder / name).write_text(text)
        return ["validate", str(folder / name)]

    return setup


def _damaged_trace(folder: Path) -> list[str]:
    run = folder / "run"
    parktwin("run", "demo-small", "--days", "1", "--out", run, timeout=120)
    data = (run / "trace.npz").read_bytes()
    (run / "trace.npz").write_bytes(data[: len(data) // 2])
    return ["render", "--trace", str(run / "trace.npz"), "--out", str(folder / "x.png")]


def _zero_byte(name: str) -> Callable[[Path], list[str]]:
    def setup(folder: Path) -> list[str]:
        (folder / "s").mkdir()
        (folder / "s" / name).write_bytes(b"")
        return ["calibrate", "demo-small", str(folder / "s"), "--out", str(folder / "f.yaml")]

    return setup


def _out_file(folder: Path) -> list[str]:
    (folder / "results").write_text("notes")
    return [*LONG_RUN, "--out", str(folder / "results")]


CASES: dict[str, Callable[[Path], list[str]]] = {
    "billion laughs (342 B)": _write("laughs.yaml", LAUGHS),
    "validate /dev/zero": lambda f: ["validate", "/dev/zero"],
    "900-deep nesting": _write("deep.yaml", "park: " + "[" * 900 + "]" * 900 + "\n"),
    "3 MB junk scalar": _write("junk.yaml", "x" * 3_000_000 + "\n"),
    "5 MB valid park YAML": lambda f: ["validate", str(big_park(4000, ".yaml", f))],
    "10,001 flows": lambda f: ["validate", str(many("flows", 10_001, f))],
    "--warmup-days 1e9": lambda f: ["run", "demo-small", "--warmup-days", "1e9"],
    "-r 100000000": lambda f: ["run", "demo-small", "-r", "100000000"],
    "video of 1e11 frames": lambda f: [
        "render",
        "--out",
        str(f / "v.mp4"),
        "--days",
        "3000",
        "--from",
        "day 0 00:00",
        "--to",
        "day 2999 00:00",
        "--speed",
        "0.001",
    ],
    "--out is a file": _out_file,
    "--out under a file": lambda f: (
        (f / "n.txt").write_text("x"),
        [*LONG_RUN, "--out", str(f / "n.txt" / "r")],
    )[1],
    "--out /proc/x": lambda f: [*LONG_RUN, "--out", "/proc/parktwin-x"],
    "truncated trace.npz": _damaged_trace,
    "zero-byte meters.csv": _zero_byte("meters.csv"),
    "zero-byte trucks.csv": _zero_byte("trucks.csv"),
}


def main() -> None:
    """Print one Markdown row per case (``--live``: the live twin's cases instead)."""
    source = os.environ.get("PARKTWIN_SOURCE", "this checkout")
    print(f"code: {source}\n")
    if "--live" in sys.argv[1:]:
        live_table()
        return
    print("| case | exit | seconds | peak MB | message |")
    print("|---|---|---|---|---|")
    for name, setup in CASES.items():
        folder = Path(tempfile.mkdtemp(prefix="parktwin-rel-"))
        try:
            outcome = parktwin(*setup(folder), timeout=LIMIT_S)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        message = (outcome.stderr.strip().splitlines() or [""])[-1].replace(str(folder), "…")
        message = message.replace("|", "/")[:90]
        print(
            f"| {name} | {outcome.code} | {outcome.seconds:.1f} | {outcome.peak_mb:.0f} "
            f"| {message} |"
        )


def live_table() -> None:
    """The live twin's cases (bench/reliability_live.py), with what the store holds."""
    from bench.reliability_live import LIVE_CASES

    print("| case | exit | seconds | peak MB | store / result | message |")
    print("|---|---|---|---|---|---|")
    for name, case in LIVE_CASES.items():
        folder = Path(tempfile.mkdtemp(prefix="parktwin-rel-"))
        try:
            row = case(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        outcome = row.outcome
        message = (outcome.stderr.strip().splitlines() or [""])[-1].replace(str(folder), "…")
        message = message.replace("|", "/")[:90]
        print(
            f"| {name} | {outcome.code} | {outcome.seconds:.1f} | {outcome.peak_mb:.0f} "
            f"| {row.stored} | {message} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
