"""Start-up: `parktwin --help` and a tiny `parktwin run`, wall and CPU time, paired rounds.

    python bench/bench_startup.py [--rounds 15] [--base CHECKOUT] [--park demo-small]

Each command runs as a fresh process with `cli` and `twin` imported from this checkout or from
the baseline checkout (``--base``), alternating; the result folders go to the temporary
directory. The tiny run (a twentieth of a day, one
replication, no warm-up) is nearly all start-up: imports, reading the park, writing the result
folder. CPU time (user + system of the child) is less disturbed than wall time by other work
on a shared machine; the minimum over rounds is the closest to a quiet machine.

The children keep compiled bytecode (in a temporary ``PYTHONPYCACHEPREFIX``, warmed by one run
of each command before the rounds), as an installed package has it, even where
``PYTHONDONTWRITEBYTECODE`` is set: without it every start compiles every module from source.
``--no-bytecode`` measures that case instead.

Each child runs under :mod:`startup_phases`, which notes when the run reaches each phase, so the
run is also shown split into phases (median over rounds): the interpreter's own start, the
command line up to reading the park (importing, parsing the options), reading the park and
setting up up to the first simulated event, the simulation, the KPIs with the report and the
result folder, printing the table, and the exit.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from paired import TREE, base_tree, median_ratio, paired_rounds

PHASES_CHILD = Path(__file__).resolve().parent / "startup_phases.py"

LIBRARIES = (
    "import numpy, yaml, simpy, typer, rich.console, rich.table, power_grid_model\n"
    "from pydantic import BaseModel, Field\n"
    "class One(BaseModel):\n"
    "    x: int = Field(gt=0)\n"
    "One(x=1)"
)
"""What a run of a park with a power network imports from other projects: SimPy, numpy, YAML,
pydantic with what it loads to build and use a first model (``import pydantic`` alone loads
nothing of it), typer, rich's table and the load-flow solver. Their import alone is the floor
of a run's start-up."""

FIXED_STACK = (
    "import numpy, simpy, typer\n"
    "from pydantic import BaseModel, Field\n"
    "class One(BaseModel):\n"
    "    x: int = Field(gt=0)\n"
    "One(x=1)"
)
"""Of those, the four the product's shape fixes for a run whatever its park: the event engine
(SimPy), numpy, pydantic (every input validated) and typer (the command line)."""

PHASES = (
    ("interpreter", "launched"),
    ("to the park", "resolve_inputs enter"),
    ("park and set-up", "run_engine enter"),
    ("simulation", "run_engine exit"),
    ("KPIs and writing", "write_result exit"),
    ("printing", "print_kpis exit"),
    ("exit", "end"),
)
"""Each phase and the mark (of :mod:`startup_phases`) that ends it; it begins where the
phase before it ended. A phase whose marks a command never reaches is left out."""


def _environment(pycache: str | None) -> dict[str, str]:
    """The children's environment: bytecode kept under `pycache`, or none when None."""
    env = dict(os.environ)
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _child(argv: list[str], env: dict[str, str], scratch: str) -> dict[str, Any]:
    """Wall and CPU seconds of one child process, and of each phase it marked."""
    listing = Path(scratch) / "marks.json"
    argv = [a.replace("{out}", scratch).replace("{marks}", str(listing)) for a in argv]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    marks = json.loads(listing.read_text()) if listing.is_file() else {}
    shutil.rmtree(scratch)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "phases": _phases(marks, start, wall, cpu)}


def _command(tree: Path, args: list[str], env: dict[str, str], _round: int) -> dict[str, Any]:
    """One `parktwin ARGS` run from `tree`, its result folder in a temporary directory."""
    argv = [sys.executable, str(PHASES_CHILD), str(tree), "{marks}", *args]
    return _child(argv, env, tempfile.mkdtemp(prefix="parktwin-startup-"))


def _libraries(code: str, env: dict[str, str], _round: int) -> dict[str, Any]:
    """A process that only imports libraries (`code`: :data:`LIBRARIES` or
    :data:`FIXED_STACK`), started and ended as `parktwin` is (``console.startup``: the
    libraries' settings, the garbage collector off while importing, everything frozen at
    exit)."""
    setup = (
        f"import sys\nsys.path.insert(0, {str(TREE)!r})\nfrom console import startup\n"
        "startup.begin()\n"
    )
    argv = [sys.executable, "-c", setup + code + "\nstartup.end()"]
    return _child(argv, env, tempfile.mkdtemp(prefix="parktwin-startup-"))


def _phases(
    marks: dict[str, list[float]], start: float, wall: float, cpu: float
) -> dict[str, tuple[float, float]]:
    """Phase → (wall, CPU) seconds it took, from the child's marks (wall clock, CPU time)."""
    points = {name: (at - start, used) for name, (at, used) in marks.items()}
    points["end"] = (wall, cpu)
    spans: dict[str, tuple[float, float]] = {}
    previous = (0.0, 0.0)
    for phase, mark in PHASES:
        if mark in points:
            spans[phase] = (points[mark][0] - previous[0], points[mark][1] - previous[1])
            previous = points[mark]
    return spans


def _print_phases(results: list[dict[str, Any]]) -> None:
    """The median of each phase over the rounds, CPU then wall, in milliseconds."""
    names = [phase for phase, _ in PHASES if all(phase in r["phases"] for r in results)]
    if set(names) <= {"interpreter", "exit"}:
        return
    cells = []
    for phase in names:
        cpu = statistics.median(r["phases"][phase][1] for r in results)
        wall = statistics.median(r["phases"][phase][0] for r in results)
        cells.append(f"{phase} {1000 * cpu:.0f} ({1000 * wall:.0f})")
    print(f"  phases, CPU ms (wall ms), medians: {'; '.join(cells)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--base", help="a baseline checkout (e.g. of main) to time as well")
    parser.add_argument("--park", default="demo-small")
    parser.add_argument("--warmup", default="0", help="warm-up days of the run (parktwin's: 1)")
    parser.add_argument("--no-bytecode", action="store_true", help="compile every module each run")
    args = parser.parse_args()
    pycache = None if args.no_bytecode else tempfile.mkdtemp(prefix="parktwin-pycache-")
    env = _environment(pycache)
    print(f"load average (1/5/15 min) before: {'/'.join(f'{x:.1f}' for x in os.getloadavg())}")
    trees = {"new": TREE}
    base = base_tree(args.base)
    if base is not None:
        trees["base"] = base
    run = ["run", args.park, "--days", "0.05", "-r", "1", "--warmup", args.warmup]
    run += ["--out", "{out}/x"]
    for label, command in {"--help": ["--help"], "run": run}.items():
        arms = {
            name: functools.partial(_command, tree, command, env) for name, tree in trees.items()
        }
        if label == "run":
            arms["libraries"] = functools.partial(_libraries, LIBRARIES, env)
            arms["fixed stack"] = functools.partial(_libraries, FIXED_STACK, env)
        for arm in arms.values():
            arm(-1)  # warm: the bytecode cache, the disk cache
        answers = paired_rounds(arms, args.rounds)
        for name, results in answers.items():
            walls = [r["wall"] for r in results]
            cpus = [r["cpu"] for r in results]
            what = {
                "libraries": "the libraries a run loads, alone",
                "fixed stack": "the fixed stack (numpy, SimPy, pydantic, typer) alone",
            }.get(name, f"parktwin {label} ({name})")
            print(
                f"{what}: wall median {statistics.median(walls):.3f} s, "
                f"min {min(walls):.3f} s; CPU median {statistics.median(cpus):.3f} s, "
                f"min {min(cpus):.3f} s"
            )
            _print_phases(results)
        if "base" in answers:
            cpu = {name: [r["cpu"] for r in results] for name, results in answers.items()}
            print(
                f"parktwin {label}: base CPU / new CPU, median of {args.rounds} paired rounds: "
                f"{median_ratio(cpu['base'], cpu['new']):.2f}x"
            )
    print(f"load average (1/5/15 min) after: {'/'.join(f'{x:.1f}' for x in os.getloadavg())}")
    if pycache is not None:
        shutil.rmtree(pycache, ignore_errors=True)


if __name__ == "__main__":
    main()
