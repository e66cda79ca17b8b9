"""A dask run that stops prints nothing of dask's own: its workers' closing heartbeats are quiet.

A dask worker that closes while a heartbeat to the scheduler is on its way logs a
``CommClosedError`` traceback; a busy machine, whose scheduler answers slowly, made a run
stopped by SIGTERM print one. Here the scheduler answers every heartbeat seconds late, so that
a heartbeat is on its way whenever the cluster closes: the traceback came every time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from twin.experiment.dask_worker import ClosingHeartbeat

HEARTBEAT_DELAY_S = 3.0


@pytest.mark.system
def test_a_cluster_closed_under_a_heartbeat_logs_nothing(capfd: pytest.CaptureFixture) -> None:
    pytest.importorskip("distributed")
    from twin.experiment.backends import DaskBackend

    backend = DaskBackend(jobs=2)
    scheduler = backend._cluster.scheduler
    answer = scheduler.handlers["heartbeat_worker"]

    async def late(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(HEARTBEAT_DELAY_S)
        return answer(*args, **kwargs)

    scheduler.handlers["heartbeat_worker"] = late
    busy = [backend.submit(time.sleep, 2.0) for _ in range(4)]
    time.sleep(2.0)  # every worker has a heartbeat on its way, and a task running
    backend.abort()
    assert all(f.cancelled() or f.done() for f in busy)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "heartbeat" not in err, err


class Worker:
    """What the filter reads of a dask worker: its status (an enum with a name)."""

    class Status:
        def __init__(self, name: str) -> None:
            self.name = name

    def __init__(self, status: str) -> None:
        self.status = Worker.Status(status)


def record(function: str, error: BaseException | None) -> logging.LogRecord:
    made = logging.LogRecord("distributed.worker", logging.ERROR, __file__, 1, "m", (), None)
    made.funcName = function
    if error is not None:
        made.exc_info = (type(error), error, None)
    return made


def test_only_a_closing_workers_failed_heartbeat_is_dropped() -> None:
    quiet = ClosingHeartbeat()
    running, closing = Worker("running"), Worker("closing")
    quiet.workers.add(running)
    assert quiet.filter(record("heartbeat", OSError("closed")))  # the scheduler is gone: said
    quiet.workers.add(closing)
    assert not quiet.filter(record("heartbeat", OSError("closed")))
    assert quiet.filter(record("heartbeat", ValueError("bug")))  # not a closed connection
    assert quiet.filter(record("execute", OSError("disk")))  # not the heartbeat
    closing.status = Worker.Status("closed")
    assert quiet.filter(record("heartbeat", OSError("closed")))
    del closing, running
    assert len(quiet.workers) == 0  # held weakly: a closed cluster's workers are not kept
