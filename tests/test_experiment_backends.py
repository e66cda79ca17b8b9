"""Backends: the same numbers everywhere, retries, lost workers, Ctrl-C keeps what finished."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.errors import message as cli_message
from twin import api
from twin.errors import UsageError
from twin.experiment.backends import LOOPBACK_ANY_PORT
from twin.experiment.runner import (
    MAX_BATCH,
    Interrupted,
    ReplicationError,
    run_batch,
    run_cases,
    work_units,
)
from twin.experiment.settings import Case, Settings
from twin.io.load import load_park

SHORT = {"days": 1.0, "warmup_days": 0.25}


def _numbers(folder: Path) -> dict:
    return json.loads((folder / "kpis.json").read_text())["kpis"]


def test_serial_processes_and_dask_give_bit_identical_kpis(tmp_path):
    """-j 1, -j 2 and a dask LocalCluster write the same kpis.json numbers, to the bit."""
    pytest.importorskip("distributed")
    runs = {
        "serial": Settings(**SHORT, seed=11, replications=4),
        "processes": Settings(**SHORT, seed=11, replications=4, jobs=2),
        "dask": Settings(**SHORT, seed=11, replications=4, backend="dask"),
    }
    for name, settings in runs.items():
        api.run("demo-small", "peak-season", settings, out=tmp_path / name)
    serial = _numbers(tmp_path / "serial")
    assert len(serial["trucks.wait_mean_min"]["values"]) == 4
    assert _numbers(tmp_path / "processes") == serial
    assert _numbers(tmp_path / "dask") == serial
    # and a replication rerun alone is the same replication
    alone = api.run("demo-small", "peak-season", Settings(**SHORT, seed=11, first_replication=2))
    assert alone.values["trucks.wait_mean_min"] == [serial["trucks.wait_mean_min"]["values"][2]]


def test_a_dask_cluster_at_a_scheduler_address_gives_the_same_numbers(tmp_path):
    """--scheduler ADDR: a running cluster (here one in this process, as a stand-in)."""
    distributed = pytest.importorskip("distributed")
    settings = Settings(**SHORT, seed=3, replications=3)
    serial = api.run("demo-small", None, settings)
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": LOOPBACK_ANY_PORT},  # not 8787, shared by all
    ) as cluster:
        remote = dataclasses.replace(settings, backend="dask", scheduler=cluster.scheduler_address)
        assert api.run("demo-small", None, remote).to_dict() == serial.to_dict()


def test_a_local_dask_cluster_does_not_need_the_shared_port_8787(tmp_path):
    """Two clusters at once on one machine (two runs, two tests) both took 8787 for their HTTP
    server; the second warned "Port 8787 is already in use", an error under this suite."""
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        except OSError:
            pytest.skip("port 8787 is in use here already")
        settings = Settings(**SHORT, seed=3, replications=2, backend="dask")
        assert api.run("demo-small", None, settings).values["trucks.wait_mean_min"]


def test_an_unknown_backend_or_a_stray_scheduler_is_a_usage_error():
    with pytest.raises(UsageError, match="backend must be one of local, dask"):
        Settings(backend="spark")
    with pytest.raises(UsageError, match=r"scheduler .* needs backend dask"):
        Settings(scheduler="tcp://127.0.0.1:8786")


# --------------------------------------------------------------------------- failures


def _marker(case: Case, rep: int) -> Path:
    return Path(case.label) / f"tried-{rep}"


def flaky_batch(case: Case, settings: Settings, reps: list[int], keep: int):
    """Replication 2 fails on its first try; replication 3 always fails."""
    for rep in reps:
        if rep == 3:
            raise RuntimeError("boom")
        if rep == 2 and not _marker(case, rep).exists():
            _marker(case, rep).touch()
            raise RuntimeError("first try")
    return run_batch(case, settings, reps, keep)


def dying_batch(case: Case, settings: Settings, reps: list[int], keep: int):
    """The worker running replication 1 dies the first time (as if killed by the OS)."""
    if 1 in reps and not _marker(case, 1).exists():
        _marker(case, 1).touch()
        os._exit(13)
    return run_batch(case, settings, reps, keep)


def test_a_failing_replication_is_retried_once_then_reported_with_its_seed(tmp_path):
    park = load_park("demo-small")
    settings = Settings(**SHORT, seed=7, replications=5)
    reference = run_cases([Case(park)], settings)[0]
    with pytest.raises(ReplicationError) as caught:
        run_cases([Case(park, label=str(tmp_path))], settings, batch_fn=flaky_batch)
    error = caught.value
    assert [f.replication for f in error.failures] == [3]
    shown = cli_message(error)  # as the command line says it
    assert "--seed 7" in shown and "--first-replication 3" in shown
    assert "boom" in str(error)
    # every other replication finished (the second try of replication 2 too) and is kept
    kept = error.experiments[0]
    wait = kept.values["trucks.wait_mean_min"]
    assert math.isnan(wait[3])
    expected = reference.values["trucks.wait_mean_min"]
    assert [w for i, w in enumerate(wait) if i != 3] == [
        w for i, w in enumerate(expected) if i != 3
    ]
    doc = kept.to_dict()
    assert doc["complete"] is False and doc["missing_replications"] == [3]
    assert doc["failed_replications"][0]["seed"] == 7


@pytest.mark.system
def test_a_dead_worker_is_replaced_and_its_replications_rerun(tmp_path):
    park = load_park("demo-small")
    settings = Settings(**SHORT, seed=5, replications=6, jobs=2)
    survived = run_cases([Case(park, label=str(tmp_path))], settings, batch_fn=dying_batch)[0]
    assert (tmp_path / "tried-1").exists()  # the worker did die once
    serial = run_cases([Case(park)], Settings(**SHORT, seed=5, replications=6))[0]
    assert survived.values == serial.values


# --------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_keeps_the_finished_replications_and_writes_them(tmp_path):
    def stop_after_three(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    settings = Settings(**SHORT, replications=6)
    with pytest.raises(Interrupted) as caught:
        api.run("demo-small", None, settings, out=tmp_path, progress=stop_after_three)
    assert isinstance(caught.value, KeyboardInterrupt)
    doc = json.loads((tmp_path / "kpis.json").read_text())
    assert doc["complete"] is False and doc["interrupted"] is True
    assert doc["missing_replications"] == [3, 4, 5]
    assert doc["kpis"]["trucks.arrived"]["values"][3:] == [None, None, None]
    assert None not in doc["kpis"]["trucks.arrived"]["values"][:3]
    assert (tmp_path / "trace.npz").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.system
def test_sigint_stops_worker_processes_and_exits_130(tmp_path):
    """A real Ctrl-C on `parktwin run -j 2`: exit 130, no traceback, no half-written file."""
    exe = Path(sys.executable).with_name("parktwin")
    out = tmp_path / "out"
    # 400 replications of 600 days each, in tasks of 4: minutes of work, stopped after 15 s
    command = [str(exe), "run", "demo-small", "--days", "600", "-r", "400", "-j", "2"]
    process = subprocess.Popen(
        [*command, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(15.0)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    doc = json.loads((out / "kpis.json").read_text())
    assert doc["complete"] is False and doc["interrupted"] is True
    assert 0 < doc["replications"] - len(doc["missing_replications"]) < 400


def test_serial_progress_moves_inside_a_long_replication():
    seen: list[float] = []
    api.run(
        "demo-small", None, Settings(days=10, replications=1), progress=lambda d, t: seen.append(d)
    )
    inside = [d for d in seen if 0 < d < 1]
    assert len(inside) >= 10  # the engine reports as it advances
    assert inside == sorted(inside)
    assert seen[-1] == 1


@pytest.mark.parametrize(("cases", "count", "workers"), [(1, 20, 2), (3, 7, 2), (2, 200, 4)])
def test_tasks_cover_each_replication_once_in_order_and_end_with_single_ones(cases, count, workers):
    reps = list(range(5, 5 + count))
    units = work_units(cases, reps, workers)
    assert [(c, r) for c, batch in units for r in batch] == [
        (c, r) for c in range(cases) for r in reps
    ]
    sizes = [len(batch) for _, batch in units]
    assert max(sizes) <= MAX_BATCH
    assert sizes[-workers:] == [1] * workers  # no worker left alone with a batch at the end
    assert sizes[0] > 1  # large tasks first: fewer tasks than replications


def test_one_worker_gets_one_replication_per_task():
    assert work_units(2, [0, 1, 2], 1) == [
        (0, [0]),
        (0, [1]),
        (0, [2]),
        (1, [0]),
        (1, [1]),
        (1, [2]),
    ]
