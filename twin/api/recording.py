"""``--sensors-out DIR``: what the park's sensors would have recorded in replication 0.

The folder is a result folder (:mod:`twin.io.result_folder`): checked and locked before any
simulation, written as one unit at the end, never half-written. A run writes ``meters.csv``
and ``trucks.csv`` at its top; a comparison writes one subfolder per case (``baseline`` first,
then each scenario by its label); a sweep one subfolder per grid point (``point-001``, ... in
the order of sweep.csv) and ``points.csv``, which names each folder's parameter values.

The recorded run is the first replication of the experiment (``settings.first_replication``),
simulated again with the same random numbers, so it is bit-identical to the one the KPIs
count. The files are those of :func:`twin.sim.sensors.write_recorded`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from twin.errors import UsageError
from twin.experiment.runner import simulate_case
from twin.experiment.settings import Case, Settings
from twin.io.output import atomic_write_text
from twin.io.result_folder import ResultFolder
from twin.sim.sensors import write_recorded

NamedCase = tuple[str, Case]
"""A case and the subfolder its recording goes to ('' for the folder itself)."""


def folder_names(labels: Sequence[str]) -> list[str]:
    """Safe, distinct folder names for case labels (plain characters; a clash gets ``-2``)."""
    names: list[str] = []
    for label in labels:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._")[:80] or "case"
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


def record_cases(folder: Path, cases: Sequence[NamedCase], settings: Settings) -> None:
    """Simulate each case's first replication and write its sensors into its subfolder."""
    for sub, case in cases:
        trace = simulate_case(case, case.spec(settings, settings.first_replication))
        write_recorded(folder / sub if sub else folder, trace, case.park)


def write_points(folder: Path, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """``points.csv``: each sweep point's folder and parameter values."""
    lines = [",".join(["folder", *columns])]
    lines += [",".join(str(cell) for cell in row) for row in rows]
    atomic_write_text(folder / "points.csv", "\n".join(lines) + "\n")


def check_apart(out: Path | None, sensors_out: Path | None) -> None:
    """Refuse a sensors folder that is the result folder, or inside it, or around it.

    Raises:
        UsageError: the two folders overlap.
    """
    if out is None or sensors_out is None:
        return
    a, b = Path(os.path.abspath(out)), Path(os.path.abspath(sensors_out))
    if a == b or a in b.parents or b in a.parents:
        raise UsageError(
            f"`sensors_out` {sensors_out} overlaps the result folder {out}: give two apart"
        )


@contextlib.contextmanager
def sensors_folder(out: Path | None, command: str) -> Iterator[ResultFolder | None]:
    """The ``--sensors-out`` result folder, checked and locked now (None: not asked for)."""
    if out is None:
        yield None
        return
    with ResultFolder(out, f"{command} (sensors)") as folder:
        yield folder
