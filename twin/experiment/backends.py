"""Where replications run: one small interface over serial, process-pool and dask execution.

Every backend hands out :class:`concurrent.futures.Future` objects from :meth:`Backend.submit`,
so the experiment runner waits on them with :func:`concurrent.futures.wait` whatever runs them:

- :class:`SerialBackend` runs each task in the calling process when it is submitted;
- :class:`ProcessBackend` runs tasks on ``jobs`` local worker processes (``-j N``);
- :class:`DaskBackend` runs tasks on a dask.distributed cluster: the one at ``--scheduler ADDR``,
  or a local cluster started for the run.

Results never depend on the backend: a task is a pure function of its arguments (replication i
always draws from ``Streams(seed, i)``), and the runner orders results by replication index.

Extension point: a new backend subclasses :class:`Backend` and implements ``submit``, ``close``
and, where it can, ``recover`` (replace workers after a crash) and ``abort`` (stop at once).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any, ClassVar

from twin.errors import UsageError

BACKENDS = ("local", "dask")
LOOPBACK_ANY_PORT = "127.0.0.1:0"
"""Where a local dask scheduler's HTTP server listens: a free port of this machine only."""


_RECEIVED: OrderedDict[str, Any] = OrderedDict()
"""In a worker: the values of the :class:`Shipped` arguments it has received, newest last."""

RECEIVED_KEPT = 8
"""How many received values a worker keeps (a sweep sends one park per point)."""

_INHERITED: dict[str, Any] = {}
"""Values shipped to forked workers, by token: a worker forked after a value was put here has
it already (a forked worker is a copy of this process), so only the token travels."""


def _receive(token: str, payload: bytes) -> Any:
    """Unpickle a shipped value, or return the one this process unpickled before."""
    if token in _RECEIVED:
        _RECEIVED.move_to_end(token)
        return _RECEIVED[token]
    value = pickle.loads(payload)
    _RECEIVED[token] = value
    while len(_RECEIVED) > RECEIVED_KEPT:
        _RECEIVED.popitem(last=False)
    return value


def _inherit(token: str) -> Any:
    """In a forked worker: the shipped value this process was forked with."""
    return _INHERITED[token]


class Shipped:
    """A task argument sent to each worker process once, not with every task.

    Arguments are pickled with every task, and a park is the largest of them; every task would
    also hand the engine a new copy of it, cold. A shipped value travels as its pickle and a
    token: the worker unpickles it on the first task and gives later tasks that same object.
    To a worker forked after the value was shipped (`inherited` says which tokens those
    workers have), only the token travels: the worker has the value from its parent's memory,
    and nothing is pickled at all. Unpickling yields the value itself, so a task receives the
    value, never this wrapper.
    """

    def __init__(self, value: Any, inherited: Callable[[str], bool] | None = None) -> None:
        self.token = uuid.uuid4().hex
        self.value = value
        self._inherited = inherited
        self._payload: bytes | None = None

    @property
    def payload(self) -> bytes:
        """The value's pickle (made on first use: a forked worker never needs it)."""
        if self._payload is None:
            self._payload = pickle.dumps(self.value, protocol=pickle.HIGHEST_PROTOCOL)
        return self._payload

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        if self._inherited is not None and self._inherited(self.token):
            return _inherit, (self.token,)
        return _receive, (self.token, self.payload)


class Backend(ABC):
    """Runs tasks and returns futures; a context manager that closes itself.

    Attributes:
        name: the backend's name, for messages.
        generation: increases each time :meth:`recover` replaces the workers, so a runner can
            tell a failure of the current workers from a late report of workers already gone.
    """

    name: ClassVar[str] = "backend"

    def __init__(self) -> None:
        self.generation = 0

    @property
    @abstractmethod
    def workers(self) -> int:
        """How many tasks can run at the same time."""

    @abstractmethod
    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Start ``fn(*args)``; return its future."""

    @property
    def window(self) -> int:
        """How many tasks to keep submitted at once: enough to keep every worker busy."""
        return 2 * self.workers

    def ship(self, value: Any) -> Any:
        """`value` as a task argument that is sent to each worker once (:class:`Shipped`)."""
        return Shipped(value)

    @property
    def forks_from_here(self) -> bool:
        """True when the next task forks the workers from this process as it is then.

        What this process computes before that task is then in every worker's memory.
        """
        return False

    def is_crash(self, exc: BaseException) -> bool:
        """True when `exc` means the workers died (not that the task itself failed)."""
        return isinstance(exc, BrokenExecutor)

    def recover(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Replace crashed workers so that tasks can be submitted again."""

    def abort(self) -> None:
        """Stop now: drop queued tasks and stop running ones (used on Ctrl-C)."""
        self.close()

    @abstractmethod
    def close(self) -> None:
        """Release the workers; waits for nothing that is still queued."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.abort()
        else:
            self.close()


class SerialBackend(Backend):
    """Runs each task in this process, at once, when it is submitted."""

    name = "serial"

    @property
    def workers(self) -> int:
        """One task at a time."""
        return 1

    @property
    def window(self) -> int:
        """One: a task runs when submitted, so submit the next only after this one is counted."""
        return 1

    def ship(self, value: Any) -> Any:
        """`value` itself: nothing is sent anywhere."""
        return value

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` now; its error (not Ctrl-C) is kept in the returned future."""
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def close(self) -> None:
        """Nothing to release."""


def _init_worker(parent: int) -> None:
    """Worker initializer: block Ctrl-C, and exit when the parent process is gone.

    Ctrl-C is the parent's business: it stops the workers itself (a terminal sends SIGINT to
    the whole process group, workers included, so the worker blocks it; it installs no
    handler). A parent that dies without cleaning up (killed, out of memory) would leave workers
    computing for nobody, so a watchdog thread ends the worker within a second of the parent's
    end.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:
                pass

    threading.Thread(target=watch, name="parktwin-parent-watch", daemon=True).start()


FORKSERVER_PRELOAD = [
    "__main__",  # else every worker imports the main module again (the command line)
    "twin.experiment.runner",
    "twin.sim.families",  # the built-in families: every worker's first replication needs them
    "numpy.ma",  # loaded by numpy's own functions (np.unique) on their first call
]
"""What the fork server imports once, so that a worker it forks starts with nothing to import."""


def _mp_context() -> Any:
    """How worker processes start: fork when it is safe, else a fork server.

    A forked worker is a copy of this process: everything is imported and every cache is warm,
    so it starts in milliseconds, which matters when a replication takes a tenth of a second.
    Forking is safe only while this process runs one thread (a copied lock that another thread
    held would never be released in the worker), and on Linux (macOS frameworks are not safe
    to fork). Otherwise (a progress bar's thread, the web server) a fork server forks workers
    from a clean process that has imported :data:`FORKSERVER_PRELOAD`; without one, spawn.
    """
    methods = multiprocessing.get_all_start_methods()
    single_threaded = threading.active_count() == 1
    if sys.platform.startswith("linux") and single_threaded and "fork" in methods:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(FORKSERVER_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


class ProcessBackend(Backend):
    """``jobs`` local worker processes (a :class:`~concurrent.futures.ProcessPoolExecutor`).

    The workers start on the first task, so that a forked worker is a copy of this process
    with every value shipped before then already in its memory (:class:`Shipped` sends those
    as a token only: the park of a run is never pickled).
    """

    name = "local processes"

    def __init__(self, jobs: int) -> None:
        super().__init__()
        self._jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._shipped: list[str] = []
        self._forked_with: frozenset[str] = frozenset()

    def _started_pool(self) -> ProcessPoolExecutor:
        """The pool, started now if it is not yet (forking its workers at once)."""
        if self._pool is None:
            context = _mp_context()
            self._pool = ProcessPoolExecutor(
                max_workers=self._jobs,
                mp_context=context,
                initializer=_init_worker,
                initargs=(os.getpid(),),
            )
            forks = context.get_start_method() == "fork"
            self._forked_with = frozenset(self._shipped) if forks else frozenset()
            if forks:
                # A forking pool starts every worker on its first task: start them now, while
                # fork is known to be safe (no thread has started since _mp_context looked).
                self._pool.submit(os.getpid)
        return self._pool

    @property
    def forks_from_here(self) -> bool:
        """True when no worker is started yet and they will be forked from this process."""
        return self._pool is None and _mp_context().get_start_method() == "fork"

    def _inherited(self, token: str) -> bool:
        """Whether the current workers were forked with the value shipped as `token`."""
        return token in self._forked_with

    def ship(self, value: Any) -> Any:
        """`value` as a task argument: a token to forked workers, else a pickle once each."""
        shipped = Shipped(value, self._inherited)
        _INHERITED[shipped.token] = value
        self._shipped.append(shipped.token)
        return shipped

    @property
    def workers(self) -> int:
        """The number of worker processes."""
        return self._jobs

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Queue ``fn(*args)`` on the pool."""
        return self._started_pool().submit(fn, *args)

    def recover(self) -> None:
        """A worker died and broke the pool: start a fresh pool."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._started_pool()
        self.generation += 1

    def abort(self) -> None:
        """Cancel queued tasks and kill the workers, whatever they are doing.

        SIGKILL rather than SIGTERM: a forked worker keeps the signal handlers of this
        process, and the command line's turns SIGTERM into an exception a worker would survive.
        """
        pool, self._pool = self._pool, None
        self._forget_shipped()
        if pool is None:
            return
        # The pool keeps its processes in a private dict; Python 3.14 adds terminate_workers().
        running = getattr(pool, "_processes", None)
        processes = list(running.values()) if isinstance(running, dict) else []
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        for process in processes:
            process.join(timeout=5)

    def close(self) -> None:
        """Wait for the workers to finish and stop them."""
        pool, self._pool = self._pool, None
        self._forget_shipped()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _forget_shipped(self) -> None:
        """Let go of the values this backend shipped (this process keeps no run's park)."""
        for token in self._shipped:
            _INHERITED.pop(token, None)
        self._shipped.clear()


class DaskBackend(Backend):
    """A dask.distributed cluster: the scheduler at `scheduler`, or a local one for the run.

    The local cluster has `jobs` single-threaded workers, in this process when `jobs` is 1
    (quick to start) and in worker processes otherwise (to use several cores). Workers of a
    remote cluster need parktwin installed (the same version) to import the tasks.
    """

    name = "dask"

    def __init__(self, jobs: int = 1, scheduler: str | None = None) -> None:
        super().__init__()
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise UsageError(
                "`backend` dask needs dask.distributed: pip install 'parktwin[dask]'"
            ) from None
        self._cluster: Any = None
        if scheduler:
            try:
                self._client = Client(scheduler, timeout="10s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError(
                    f"`scheduler` {scheduler}: cannot reach a dask scheduler there ({exc})"
                ) from None
        else:
            self._cluster = LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=jobs > 1,
                dashboard_address=None,
                # its small HTTP server (health, metrics) on a free loopback port: the default
                # 8787 is shared by every cluster on the machine, and a second one warns
                scheduler_kwargs={"dashboard_address": LOOPBACK_ANY_PORT},
                silence_logs=logging.ERROR,
                preload=["twin.experiment.dask_worker"],  # quiet its own closing heartbeat
            )
            self._client = Client(self._cluster, set_as_default=False)
        self._executor = self._client.get_executor(pure=False)
        self._futures: list[Future[Any]] = []

    @property
    def workers(self) -> int:
        """Worker threads of the cluster (at least one)."""
        info = self._client.scheduler_info()
        threads = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
        return max(1, threads)

    def is_crash(self, exc: BaseException) -> bool:
        """dask reports workers that died under a task as ``KilledWorker``."""
        return type(exc).__name__ == "KilledWorker"

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Send ``fn(*args)`` to the cluster."""
        future = self._executor.submit(fn, *args)
        self._futures.append(future)
        return future

    def abort(self) -> None:
        """Cancel every task of this run on the cluster and disconnect."""
        for future in self._futures:
            future.cancel()
        self.close()

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this backend started it."""
        self._executor.shutdown(wait=False)
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where the platform tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def open_backend(backend: str = "local", jobs: int = 1, scheduler: str | None = None) -> Backend:
    """The backend for the `--backend`, `-j` and `--scheduler` options.

    Args:
        backend: ``local`` (serial for one job, else worker processes) or ``dask``.
        jobs: worker processes (local) or local dask workers (ignored with a scheduler).
        scheduler: a dask scheduler address such as ``tcp://10.0.0.5:8786``.

    Returns:
        An open backend; use it as a context manager.

    Raises:
        UsageError: for an unknown backend, or a scheduler that cannot be reached.
    """
    if backend == "dask":
        return DaskBackend(jobs, scheduler)
    if backend != "local":
        raise UsageError(f"`backend` must be one of {', '.join(BACKENDS)}, got '{backend}'")
    return SerialBackend() if jobs == 1 else ProcessBackend(jobs)
