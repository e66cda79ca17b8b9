"""`parktwin calibrate` on a live store: the store exported as a sensor folder fits the same park
as the folder the store was fed from."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from twin.calibration import calibrate
from twin.io.bundled import data_root
from twin.io.load import load_park
from twin.live.export import calibrate_source, export_sensor_dir, sensor_folder
from twin.live.replay import replay_into_store
from twin.live.store import Store

SAMPLE = data_root() / "assets" / "sensors" / "yen-binh"
PARK = load_park("yen-binh")
SCRIPT = Path(sys.executable).parent / "parktwin"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "live.db"
    replay_into_store(PARK, SAMPLE, path)
    return path


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def assert_close(a: Any, b: Any, where: str) -> None:
    """Equal structures, numbers within 0.1% (times went through whole seconds)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, f"{where}[{k}]")
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-3, abs=1e-9), where
    else:
        assert a == b, where


def test_export_has_one_row_per_visit_and_reading(store: Path, tmp_path: Path) -> None:
    with Store.open(store, read_only=True) as s:
        written = export_sensor_dir(s, tmp_path)
        n_events = len(s.truck_events())
        n_readings = len(s.meter_readings())
    assert sorted(p.name for p in written) == ["meters.csv", "trucks.csv"]
    trucks = rows(tmp_path / "trucks.csv")
    events = sum(1 for r in trucks for c in ("arrive", "dock_start", "dock_end", "depart") if r[c])
    assert events == n_events and len(rows(tmp_path / "meters.csv")) == n_readings
    original = {r["truck_id"]: r for r in rows(SAMPLE / "trucks.csv")}
    same = [r for r in trucks if original[r["truck_id"]]["dock_start"] == r["dock_start"]]
    assert len(same) > 0.95 * len(trucks)  # a few sample rows carry a +07:00 offset


def test_calibrating_a_store_fits_what_its_folder_fits(store: Path) -> None:
    from_folder = calibrate(PARK, SAMPLE, holdout=0.0, search=False)
    from_store = calibrate_source(PARK, store, holdout=0.0, search=False)
    assert from_store.data.folder == store
    a = from_folder.park.model_dump(exclude={"metadata"})
    b = from_store.park.model_dump(exclude={"metadata"})
    assert_close(a, b, "park")
    assert str(store) in str(from_store.park.metadata)
    assert "-export-" not in str(from_store.park.metadata)


def test_a_folder_passes_through_and_an_empty_store_is_refused(tmp_path: Path) -> None:
    with sensor_folder(SAMPLE) as folder:
        assert folder == SAMPLE
    Store.open(tmp_path / "empty.db").close()
    done = subprocess.run(
        [
            str(SCRIPT),
            "calibrate",
            "yen-binh",
            str(tmp_path / "empty.db"),
            "--out",
            str(tmp_path / "fit.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "empty.db: the store holds no meter readings or truck events" in done.stderr
    assert not (tmp_path / "fit.yaml").exists()
