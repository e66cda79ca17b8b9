"""Signals: the only place that installs handlers for them.

A batch command (run, compare, calibrate ...) treats SIGTERM like Ctrl-C: the work stops, what
finished is kept, and the exit status says which (130 or 143). A live command (``live``,
``replay``) hands the library a plain :class:`threading.Event` that SIGINT and SIGTERM set; the
library stops when it is set, commits what it received, and returns normally (exit 0).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

_terminated: list[int] = []
"""Set by the SIGTERM handler: an interruption then exits 143 instead of 130."""


def terminated() -> bool:
    """True once SIGTERM stopped the command."""
    return bool(_terminated)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (a scheduler, a container, `timeout`) stops the work like Ctrl-C does."""
    _terminated.append(signum)
    raise KeyboardInterrupt


def interrupt_on_sigterm() -> None:
    """From now on SIGTERM raises KeyboardInterrupt in the main thread, marked as SIGTERM."""
    signal.signal(signal.SIGTERM, _on_sigterm)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event | None = None) -> Iterator[threading.Event]:
    """An event that SIGINT and SIGTERM set while the block runs (main thread only).

    Args:
        stop: the event to set (a new one when None); the caller may set it too.

    Yields:
        The event, to hand to the library call that runs until it is set.
    """
    event = stop or threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        event.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield event
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
