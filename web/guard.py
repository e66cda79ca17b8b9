"""Connections the server can afford: header, body and idle timeouts and a connection limit.

uvicorn's HTTP/1.1 protocol closes a connection idle after a response (``timeout_keep_alive``)
but waits for ever for the headers or the body of a request, and accepts connections until the
process runs out of file descriptors. :class:`GuardedH11` adds what it lacks:

- **Header timeout.** A connection must send a request's complete headers within
  :data:`HEADER_TIMEOUT_S` of opening (or of its previous response).
- **Body timeout.** ... and the request's complete body within :data:`BODY_TIMEOUT_S`.
- **Idle timeout.** uvicorn's keep-alive timeout, :data:`IDLE_TIMEOUT_S`.
- **Connection limit.** At most :func:`connection_limit` connections are open; a new one
  beyond it closes the oldest connection that has no request in progress (an idle one or one
  still sending headers), else it is closed itself. So a crowd of idle or slow connections
  costs the server neither its file descriptors nor its answers: a real request still gets in.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 30.0
IDLE_TIMEOUT_S = 5
MAX_CONNECTIONS = 1000
BACKLOG = 100
"""Connections the kernel queues, and the most the event loop accepts in one go (asyncio
accepts up to the backlog before any of them is seen here: they need descriptors too)."""
RESERVED_FILES = 128 + 2 * BACKLOG
"""File descriptors kept free for the store, the what-if workers, logs and the 3D pages, and
for a burst of accepted connections (and those it closes) before the limit acts."""


def connection_limit() -> int:
    """:data:`MAX_CONNECTIONS`, lowered to fit under the process's open-file limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - RESERVED_FILES))


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with the timeouts and the limit of this module."""

    limit = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._opened = self.loop.time()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limit and not self._evict():
            self._close()
            return
        self._arm(HEADER_TIMEOUT_S)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before and self.cycle is not None:
            self._arm(BODY_TIMEOUT_S)  # headers in: the body has its own deadline

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm(HEADER_TIMEOUT_S)  # the next request's headers (keep-alive may close first)

    def _waiting(self) -> bool:
        """Whether no request is being answered: idle, or headers or body still coming."""
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            return True
        return bool(cycle.more_body) and not cycle.response_started

    def _evict(self) -> bool:
        """Close the oldest waiting connection but this one; whether there was one."""
        others = [c for c in self.connections if c is not self and isinstance(c, GuardedH11)]
        waiting = [c for c in others if c._waiting() and not c.transport.is_closing()]
        if not waiting:
            return False
        min(waiting, key=lambda c: c._opened)._close()
        return True

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        if self._waiting():
            self._close()

    def _close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(limit: int | None = None) -> type[GuardedH11]:
    """The protocol class for ``uvicorn.Config(http=...)`` with the connection limit set."""
    return type("GuardedH11", (GuardedH11,), {"limit": limit or connection_limit()})
