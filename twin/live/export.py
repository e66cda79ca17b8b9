"""A live store as a sensor folder, so the calibration refits the park from the twin's history.

:func:`export_sensor_dir` writes ``meters.csv`` (one row per stored reading) and ``trucks.csv``
(one row per truck visit, its events side by side, as SPEC.md's sensor data) through the atomic
writer; :func:`sensor_folder` hands the calibration a folder whatever it was given: a folder
as it is, a store exported to a temporary folder that is removed afterwards. The calibration
reader is not changed: it reads the export as it reads any sensor folder.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from twin.calibration import Calibration, CalibrationInterrupted, calibrate
from twin.errors import InputError
from twin.experiment.runner import Progress
from twin.experiment.settings import Workers
from twin.io.inputs import ParkSource
from twin.io.output import atomic_write_text
from twin.live.store import Store, to_seconds
from twin.live.visits import group_visits

SQLITE_MAGIC = b"SQLite format 3\x00"
TRUCK_COLUMNS = ("truck_id", "flow", "gate", "dock_group")
EVENT_COLUMNS = ("arrive", "gate_out", "dock_start", "dock_end", "depart")


def is_store(path: str | Path) -> bool:
    """Whether `path` is an SQLite file (a store, or a file the store will refuse clearly)."""
    target = Path(path)
    if not target.is_file():
        return False
    with open(target, "rb") as handle:
        return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _csv(header: tuple[str, ...], rows: Iterator[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def export_sensor_dir(store: Store, folder: str | Path) -> list[Path]:
    """Write the store's readings and truck visits as ``meters.csv`` and ``trucks.csv``.

    Args:
        store: The store to export.
        folder: The folder to write into (created when missing).

    Returns:
        The files written (a file is left out when the store has nothing for it).

    Raises:
        InputError: The store holds neither meter readings nor truck events.
    """
    target = Path(folder)
    written = []
    readings = store.meter_readings()
    if readings:
        rows = (
            [r.time.isoformat(timespec="seconds"), r.asset, r.quantity, repr(r.value)]
            for r in readings
        )
        text = _csv(("timestamp", "asset", "quantity", "value"), rows)
        written.append(atomic_write_text(target / "meters.csv", text))
    events = store.truck_events()
    if events:
        visits = group_visits(events, [to_seconds(e.time) for e in events])
        times = {e.time: e.time.isoformat(timespec="seconds") for e in events}
        seconds = {to_seconds(t): text for t, text in times.items()}
        columns = tuple(
            c for c in EVENT_COLUMNS if c != "gate_out" or any("gate_out" in v.seen for v in visits)
        )
        rows = (
            [
                v.truck_id,
                v.flow,
                v.gate,
                v.dock_group,
                *(seconds[v.seen[c]] if c in v.seen else "" for c in columns),
            ]
            for v in visits
        )
        written.append(
            atomic_write_text(target / "trucks.csv", _csv(TRUCK_COLUMNS + columns, rows))
        )
    if not written:
        raise InputError(str(store.path), "the store holds no meter readings or truck events")
    return written


@contextlib.contextmanager
def sensor_folder(source: str | Path) -> Iterator[Path]:
    """A sensor folder for `source`: itself, or a store exported to a temporary folder."""
    path = Path(source)
    if not is_store(path):
        yield path
        return
    with (
        Store.open(path, read_only=True) as store,
        tempfile.TemporaryDirectory(prefix=f"{path.stem}-export-") as tmp,
    ):
        export_sensor_dir(store, tmp)
        yield Path(tmp)


def calibrate_source(
    park: ParkSource,
    source: str | Path,
    holdout: float = 0.2,
    replications: int | None = None,
    seed: int = 0,
    search: bool = True,
    progress: Callable[[str], None] | None = None,
    workers: Workers | None = None,
    ticks: Progress | None = None,
) -> Calibration:
    """:func:`twin.calibration.calibrate` on a sensor folder or a live store.

    A store is exported to a temporary sensor folder first; the result then names the store
    as its data (``Calibration.data.folder``), so the fitted park's provenance is the store.
    Arguments and errors are those of :func:`twin.calibration.calibrate`.
    """
    with sensor_folder(source) as folder:
        try:
            result = calibrate(
                park, folder, holdout, replications, seed, search, progress, workers, ticks
            )
        except CalibrationInterrupted as exc:
            if folder != Path(source):
                _name_the_store(exc.calibration, folder, Path(source))
            raise
    if folder != Path(source):
        _name_the_store(result, folder, Path(source))
    return result


def _name_the_store(result: Calibration, folder: Path, store: Path) -> None:
    """Say `store` wherever the result names the temporary export `folder` (provenance)."""
    result.data = dataclasses.replace(result.data, folder=store)
    for report in result.data.reports:
        report.file = report.file.replace(str(folder), str(store))
    if result.park.metadata is not None:
        quoted = json.dumps(str(folder))[1:-1], json.dumps(str(store))[1:-1]
        text = json.dumps(result.park.metadata).replace(*quoted)
        result.park = result.park.model_copy(update={"metadata": json.loads(text)})
