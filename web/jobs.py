"""What-if jobs: paired comparisons and decisions run in a worker process, one at a time.

A request only queues a job; a runner thread starts each job in its own process (``spawn``: no
state of the server is shared with it), reads its progress, and ends it when it is cancelled
or runs past the time limit, so one what-if can never stall the page or the push channel.
The job table is bounded: finished jobs beyond :data:`KEEP_FINISHED` are forgotten, oldest
first, and no more than :data:`MAX_WAITING` jobs wait at once.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from twin import api
from twin.api.decisions import optimize
from twin.errors import InputError, UsageError
from twin.experiment.pareto import decision_dict
from twin.experiment.results import describe_choices
from twin.experiment.settings import Settings
from twin.io.output import atomic_write_text
from twin.model.schema import Park
from twin.reports.compare import few_replications

KEEP_FINISHED = 50
MAX_WAITING = 8
DEFAULT_TIME_LIMIT_S = 600.0
DEFAULT_MEMORY_BYTES = 2 * 1024**3
"""Memory a what-if worker may hold (resident set); past it the job fails, saying so."""
BACKSTOP_FACTOR = 2
"""The worker's address space (``RLIMIT_AS``) is capped at this many times the memory cap plus
1 GB: a backstop for a burst between two looks at its resident set. A cap of address space near
the worker's own size makes native libraries hang instead of fail, so it is not the cap."""
FINISHED = ("done", "failed", "cancelled")


class Busy(Exception):
    """Too many jobs waiting; try again when one has finished."""


@dataclass
class Job:
    """One comparison (or decision) request and what became of it."""

    id: str
    scenarios: list[str]
    documents: list[str | dict[str, Any]]
    days: float
    replications: int
    problem: dict[str, Any] | None = None
    """A decision problem (``POST /api/optimize``); None for a comparison."""
    lang: str | None = None
    """The language of the verdicts, summary and certificate; None: the park's."""
    status: str = "queued"
    progress: float = 0.0
    result: dict[str, Any] | None = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def to_dict(self) -> dict[str, Any]:
        """The job as ``GET /api/jobs/{id}`` answers (SPEC.md), plus verdicts and the table."""
        doc: dict[str, Any] = {
            "job": self.id,
            "status": self.status,
            "progress": round(self.progress, 4),
        }
        if self.problem is None:
            doc |= {
                "scenarios": self.scenarios,
                "days": self.days,
                "replications": self.replications,
            }
        else:
            doc["problem"] = self.problem["problem"]["name"]
        if self.result is not None:
            doc.update(self.result)
        if self.error is not None:
            doc["error"] = self.error
        if self.started is not None:
            doc["elapsed_s"] = round((self.finished or time.time()) - self.started, 2)
        return doc


def _answer(conn: Any, compute: Callable[[], dict[str, Any]]) -> None:
    """Send ``("done", compute())``, or ``("failed", message)``: never a traceback.

    Bad input (which the server checked before), the memory backstop (:func:`run_capped`) and
    internal errors alike end as a message; the connection is closed either way.
    """
    try:
        conn.send(("done", compute()))
    except (InputError, UsageError) as exc:
        conn.send(("failed", str(exc)))
    except MemoryError:
        conn.send(("failed", _out_of_memory()))
    except Exception as exc:  # reported on the page, not lost in a worker's stderr
        conn.send(("failed", f"internal error: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_comparison(
    park: Park,
    documents: list[str | dict[str, Any]],
    days: float,
    replications: int,
    conn: Any,
    lang: str | None = None,
) -> None:
    """The worker process: compare, sending ``("progress", share)`` then one final message."""

    def compute() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="parktwin-whatif-") as folder:
            sources: list[str | Path] = []
            for index, doc in enumerate(documents):
                if isinstance(doc, str):
                    sources.append(doc)
                else:
                    path = Path(folder) / f"scenario-{index}.json"
                    sources.append(atomic_write_text(path, json.dumps(doc, ensure_ascii=False)))
            settings = Settings(days=days, replications=replications)
            comparison = api.compare(
                park,
                sources,
                settings,
                progress=lambda done, total: _send_progress(conn, done, total),
                lang=lang,
            )
        doc = comparison.to_dict()
        choices = {k: v for k, v in doc.items() if k != "warnings"}  # shown on their own
        return {
            "comparison": doc,
            "summary": doc["summary"]["text"],
            "verdicts": [*comparison.verdicts(), *describe_choices(choices, comparison.lang)],
            "notes": few_replications(comparison.replications, comparison.lang),
            "warnings": list(doc.get("warnings", [])),
            "table": comparison.summary_table(),
        }

    _answer(conn, compute)


def run_optimization(
    park: Park, problem: dict[str, Any], conn: Any, lang: str | None = None
) -> None:
    """The worker process of ``POST /api/optimize``: decide, sending progress, then the result."""

    def compute() -> dict[str, Any]:
        progress = lambda done, total: _send_progress(conn, done, total)  # noqa: E731
        decision = optimize(problem, park=park, progress=progress, lang=lang)
        return {"optimum": decision_dict(decision)}

    _answer(conn, compute)


def run_capped(memory_bytes: int, target: Callable[..., None], *args: Any) -> None:
    """A worker's entry: cap its address space (the backstop), then run `target(*args)`."""
    backstop = BACKSTOP_FACTOR * memory_bytes + 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (backstop, backstop))
    os.environ["PARKTWIN_MEMORY_CAP"] = str(memory_bytes)
    target(*args)


def _cap_text(memory_bytes: int) -> str:
    return f"{memory_bytes / 1024**3:.3g} GB"


def _out_of_memory() -> str:
    """The message of a worker that ran out of its memory (told by the backstop)."""
    cap = int(os.environ.get("PARKTWIN_MEMORY_CAP", "0"))
    shown = f" of {_cap_text(cap)}" if cap else ""
    return f"the what-if ran out of its memory cap{shown}; ask for fewer days or replications"


def resident_bytes(pid: int) -> int | None:
    """The resident set of a process (Linux ``/proc``), or None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _send_progress(conn: Any, done: float, total: int) -> None:
    if total:
        conn.send(("progress", min(1.0, done / total)))


class JobManager:
    """Queues comparison jobs and runs them one at a time in worker processes.

    Args:
        park: the served park (every comparison runs on it).
        time_limit_s: wall-clock seconds a job may run before it is ended as failed.
        memory_bytes: memory (resident set) a worker may hold before its job fails.
    """

    def __init__(
        self,
        park: Park,
        time_limit_s: float = DEFAULT_TIME_LIMIT_S,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
    ) -> None:
        self.park = park
        self.time_limit_s = time_limit_s
        self.memory_bytes = memory_bytes
        self._jobs: dict[str, Job] = {}
        self._waiting: deque[str] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self._context = multiprocessing.get_context("spawn")
        self._thread = threading.Thread(target=self._loop, name="parktwin-whatif", daemon=True)
        self._thread.start()

    def submit(
        self,
        names: list[str],
        documents: list[str | dict[str, Any]],
        days: float,
        reps: int,
        lang: str | None = None,
    ) -> Job:
        """Queue a comparison of the checked scenarios (verdicts in `lang`); return the job.

        Raises:
            Busy: :data:`MAX_WAITING` jobs are already waiting.
        """
        return self._queue(Job(uuid.uuid4().hex[:12], names, documents, days, reps, lang=lang))

    def submit_problem(self, problem: dict[str, Any], lang: str | None = None) -> Job:
        """Queue a checked decision problem (on the served park); return the job.

        Raises:
            Busy: :data:`MAX_WAITING` jobs are already waiting.
        """
        job = Job(uuid.uuid4().hex[:12], [], [], 0.0, 0, problem=problem, lang=lang)
        return self._queue(job)

    def _queue(self, job: Job) -> Job:
        with self._wake:
            if len(self._waiting) >= MAX_WAITING:
                raise Busy(f"{MAX_WAITING} what-ifs are already waiting; try again later")
            self._jobs[job.id] = job
            self._waiting.append(job.id)
            self._forget_old()
            self._wake.notify()
        return job

    def get(self, job_id: str) -> Job | None:
        """The job of that id, or None."""
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a waiting or running job (a finished one stays as it is); None if unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.status in FINISHED:
                return job
            job.cancel.set()
            if job.status == "queued":
                self._waiting.remove(job.id)
                self._finish(job, "cancelled")
        return job

    def close(self) -> None:
        """Stop the runner: the running job's process is ended, waiting jobs are cancelled."""
        with self._wake:
            self._closed = True
            for job in self._jobs.values():
                job.cancel.set()
            self._wake.notify()
        self._thread.join(timeout=10)

    def _forget_old(self) -> None:
        done = [j for j in self._jobs.values() if j.status in FINISHED]
        for job in sorted(done, key=lambda j: j.created)[: max(0, len(done) - KEEP_FINISHED)]:
            del self._jobs[job.id]

    def _finish(self, job: Job, status: str, error: str | None = None) -> None:
        job.status = status
        job.error = error
        job.finished = time.time()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._waiting and not self._closed:
                    self._wake.wait()
                if self._closed:
                    for job_id in self._waiting:
                        self._finish(self._jobs[job_id], "cancelled")
                    return
                job = self._jobs[self._waiting.popleft()]
                job.status = "running"
                job.started = time.time()
            self._run(job)

    def _run(self, job: Job) -> None:
        parent, child = self._context.Pipe(duplex=False)
        if job.problem is None:
            target: Callable[..., None] = run_comparison
            args: tuple[Any, ...] = (
                self.park, job.documents, job.days, job.replications, child, job.lang,
            )  # fmt: skip
        else:
            target, args = run_optimization, (self.park, job.problem, child, job.lang)
        process = self._context.Process(
            target=run_capped,
            args=(self.memory_bytes, target, *args),
            name=f"parktwin-whatif-{job.id}",
            daemon=True,
        )
        process.start()
        child.close()
        deadline = time.monotonic() + self.time_limit_s
        outcome: tuple[str, Any] | None = None
        while outcome is None:
            if job.cancel.is_set():
                outcome = ("cancelled", None)
            elif time.monotonic() > deadline:
                outcome = ("failed", f"stopped at the time limit of {self.time_limit_s:g} s")
            elif (resident_bytes(process.pid or 0) or 0) > self.memory_bytes:
                cap = _cap_text(self.memory_bytes)
                outcome = ("failed", f"the what-if ran out of its memory cap of {cap}; "
                                     "ask for fewer days or replications")  # fmt: skip
            else:
                outcome = _receive(parent, job, self.memory_bytes)
        if process.is_alive():
            process.terminate()
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()
        parent.close()
        with self._lock:
            kind, payload = outcome
            if kind == "done":
                job.result = payload
                job.progress = 1.0
                self._finish(job, "done")
            else:
                self._finish(job, kind, payload)


def _receive(conn: Connection, job: Job, memory_bytes: int) -> tuple[str, Any] | None:
    """Read the worker's messages for a moment; the final outcome, or None to keep waiting."""
    try:
        if not conn.poll(0.2):
            return None
        kind, payload = conn.recv()
    except (EOFError, OSError):
        cap = _cap_text(memory_bytes)
        return ("failed", f"the worker process ended without a result (memory cap {cap})")
    if kind == "progress":
        job.progress = float(payload)
        return None
    return (kind, payload)
