"""How local worker processes start, and what a task's arguments cost to send them.

A forked worker is a copy of this process, so fork is used only while one thread runs; a park
sent with :meth:`Backend.ship` is unpickled once per worker, and tasks get the value itself.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from twin.experiment.backends import (
    ProcessBackend,
    SerialBackend,
    Shipped,
    _mp_context,
)
from twin.experiment.runner import run_batch, run_cases
from twin.experiment.settings import Case, Settings
from twin.io.load import load_park

REPO = Path(__file__).resolve().parent.parent
LINUX = sys.platform.startswith("linux")


_SEEN: list[object] = []
"""In a worker: every value the tasks were given (kept alive, so no two share an id)."""


def _identity(value: object) -> tuple[int, bool, str]:
    """A task: which worker ran it, and whether an earlier task had this very object."""
    before = any(seen is value for seen in _SEEN)
    _SEEN.append(value)
    return os.getpid(), before, type(value).__name__


def test_a_shipped_value_unpickles_to_itself_once_per_process() -> None:
    value = {"park": list(range(1000))}
    shipped = Shipped(value)
    first = pickle.loads(pickle.dumps(shipped))
    again = pickle.loads(pickle.dumps(shipped))
    assert first == value and type(first) is dict
    assert first is again  # the second task gets the object the first one unpickled
    assert pickle.loads(pickle.dumps(Shipped(value))) is not first  # another run: a new token


def test_the_serial_backend_ships_the_value_itself() -> None:
    value = object()
    assert SerialBackend().ship(value) is value


def test_a_worker_gets_the_same_shipped_object_for_every_task() -> None:
    with ProcessBackend(1) as backend:
        shipped = backend.ship([1.5] * 100)
        answers = [backend.submit(_identity, shipped).result(timeout=60) for _ in range(3)]
    pids = {pid for pid, _, _ in answers}
    assert len(pids) == 1 and pids != {os.getpid()}
    assert [before for _, before, _ in answers] == [False, True, True]
    assert {kind for _, _, kind in answers} == {"list"}


@pytest.mark.skipif(not LINUX, reason="fork is used on Linux only")
def test_fork_only_while_one_thread_runs() -> None:
    code = (
        "import json, threading\n"
        "from twin.experiment.backends import _mp_context\n"
        "alone = _mp_context().get_start_method()\n"
        "stop = threading.Event()\n"
        "thread = threading.Thread(target=stop.wait)\n"
        "thread.start()\n"
        "beside = _mp_context().get_start_method()\n"
        "stop.set()\n"
        "print(json.dumps([alone, beside]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["fork", "forkserver"]


def test_beside_another_thread_workers_do_not_fork() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert _mp_context().get_start_method() != "fork"
    finally:
        stop.set()
        thread.join()


def _fresh(code: str) -> subprocess.CompletedProcess[str]:
    """`code` run by a fresh interpreter (this one may run threads by now, and then workers
    do not fork); it must succeed."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done


SHIP_BEFORE_AND_AFTER_THE_FORK = """
import json, pickle
from twin.experiment import backends
big = [0.5] * 50_000
with backends.ProcessBackend(1) as backend:
    before = backend.ship(big)  # the workers start on the first task, with this in memory
    first = backend.submit(len, before).result(timeout=60)
    after = backend.ship([*big, 1.0])  # shipped once the workers run: it must travel
    second = backend.submit(len, after).result(timeout=60)
    kept = before.token in backends._INHERITED
print(json.dumps({
    "lengths": [first, second],
    "sent": [len(pickle.dumps(before)), len(pickle.dumps(after)), len(pickle.dumps(big))],
    "kept while open": kept,
    "kept after close": before.token in backends._INHERITED,
}))
"""


@pytest.mark.skipif(not LINUX, reason="fork is used on Linux only")
def test_a_value_shipped_before_the_workers_fork_travels_as_its_token_only() -> None:
    doc = json.loads(_fresh(SHIP_BEFORE_AND_AFTER_THE_FORK).stdout)
    assert doc["lengths"] == [50_000, 50_001]
    token, payload, plain = doc["sent"]
    assert token < 200  # the token, not the list
    assert payload > plain  # the list itself
    assert doc["kept while open"] and not doc["kept after close"]  # no run's values kept


def test_a_trace_pickles_without_its_park_object_and_parses_it_back() -> None:
    park = load_park("demo-small")
    [(_, _, trace)] = run_batch(Case(park), Settings(days=0.1, warmup_days=0), [0], 0)
    assert trace is not None and trace.park is park
    copy = pickle.loads(pickle.dumps(trace))
    assert not copy.holds_park
    assert copy.park.model_dump() == park.model_dump()  # parsed from the trace's own JSON


def test_the_trace_a_worker_sends_back_gets_the_run_s_own_park() -> None:
    park = load_park("demo-small")
    [experiment] = run_cases(
        [Case(park)], Settings(days=0.1, warmup_days=0, replications=2, jobs=2)
    )
    assert experiment.trace is not None and experiment.trace.park is park


SHARED_WORK_BEFORE_THE_FORK = """
import json, os, sys
from twin.experiment.backends import ProcessBackend, SerialBackend
from twin.experiment.runner import run_cases
from twin.experiment.settings import Case, Settings
from twin.io.load import load_park
from twin.sim import context

made = []
plan_supply = context.plan_supply
def noting(*args):
    made.append(os.getpid())
    print(os.getpid(), file=sys.stderr, flush=True)  # a worker's list is its own
    return plan_supply(*args)
context.plan_supply = noting

backend = ProcessBackend(2)
fresh = backend.forks_from_here
settings = Settings(days=0.2, warmup_days=0, replications=4, jobs=2)
run_cases([Case(load_park("demo-small"))], settings, backend=backend)
started = backend.forks_from_here
backend.close()
print(json.dumps({
    "parent": os.getpid(),
    "forks from here": [fresh, started, SerialBackend().forks_from_here],
}))
"""


@pytest.mark.skipif(not LINUX, reason="fork is used on Linux only")
def test_forked_workers_use_the_supply_plan_made_before_they_fork() -> None:
    """The plan every replication shares is made once, here, not once in each worker."""
    done = _fresh(SHARED_WORK_BEFORE_THE_FORK)
    answer = json.loads(done.stdout)
    assert answer["forks from here"] == [True, False, False]
    assert [int(pid) for pid in done.stderr.split()] == [answer["parent"]]
