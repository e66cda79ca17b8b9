"""What each worker of parktwin's own local dask cluster loads first (dask's worker preload).

dask imports this module by name in every worker the dask backend starts
(:class:`twin.experiment.backends.DaskBackend`; never for a cluster given by ``scheduler``)
and calls :func:`dask_setup`. A worker that closes while a heartbeat to the scheduler is on its
way closes that heartbeat's connection itself, and dask then logs "Failed to communicate with
scheduler during heartbeat" at ERROR with a ``CommClosedError`` traceback (dask/distributed
issue 7105). On a busy machine the scheduler answers slowly, so a run stopped by Ctrl-C or
SIGTERM printed that traceback before its own message. :class:`ClosingHeartbeat` drops exactly
that record, and only while the worker is closing: a worker that loses its scheduler while it
runs still says so.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

CLOSING = frozenset({"closing", "closing_gracefully"})
"""The worker states (``Status`` names) in which a failed heartbeat is the worker's own doing."""


class ClosingHeartbeat(logging.Filter):
    """Drops the failed-heartbeat error of a worker of this process while one is closing.

    One filter serves every worker of a process (a cluster of ``-j 1`` runs its worker in the
    command's own process, one cluster after another); it holds them weakly.
    """

    def __init__(self) -> None:
        super().__init__()
        self.workers: weakref.WeakSet[Any] = weakref.WeakSet()

    def filter(self, record: logging.LogRecord) -> bool:
        """False (drop) for a heartbeat that failed on a closed connection while closing."""
        failed = record.exc_info[1] if record.exc_info else None
        return not (
            record.funcName == "heartbeat"
            and isinstance(failed, OSError)
            and any(getattr(w.status, "name", "") in CLOSING for w in list(self.workers))
        )


QUIET_CLOSE = ClosingHeartbeat()
"""The filter on ``distributed.worker`` of this process, once a worker has started in it."""


def dask_setup(worker: Any) -> None:
    """dask's preload hook: quiet the worker's own closing heartbeat (:class:`ClosingHeartbeat`).

    Args:
        worker: the dask worker being started.
    """
    QUIET_CLOSE.workers.add(worker)
    logger = logging.getLogger("distributed.worker")
    if QUIET_CLOSE not in logger.filters:
        logger.addFilter(QUIET_CLOSE)
