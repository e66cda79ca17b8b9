"""The push channel: one poller watches the store, every page gets the newest snapshot.

The poller asks the live source for its version (a cheap counter that grows with every
commit) every :data:`POLL_S` seconds. When it changed, it builds one snapshot (state, plan
status, KPI tiles; JSON text) in a worker thread and wakes every connected page. A page that is
slower than the feed skips to the newest snapshot instead of queueing old ones, so a fast feed
costs at most one snapshot per poll however many pages are open, and no page falls behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

POLL_S = 0.1
"""Seconds between two looks at the store's version."""
KEEPALIVE_S = 15.0
"""Seconds of quiet after which a page gets a comment line (keeps proxies from closing)."""
MAX_STREAMS = 200
"""Pages that may follow the push channel at once. A stream holds its connection for as long as
the page is open, so the connection guard cannot evict it as idle; this cap keeps the rest of
the server's connections for requests (a page beyond it gets 503 and retries)."""

log = logging.getLogger("parktwin.web")


class Hub:
    """Holds the newest snapshot and wakes the pages waiting for it.

    Args:
        version: returns the store's version (called in a thread).
        snapshot: builds the snapshot document for the current store (called in a thread).
    """

    def __init__(self, version: Callable[[], int], snapshot: Callable[[], dict[str, Any]]) -> None:
        self._version = version
        self._snapshot = snapshot
        self.seen: int | None = None
        self.sequence = 0
        self.text = ""
        self.clients = 0
        self._changed: asyncio.Condition | None = None

    @property
    def full(self) -> bool:
        """Whether :data:`MAX_STREAMS` pages already follow the channel."""
        return self.clients >= MAX_STREAMS

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def refresh(self) -> bool:
        """Look at the version once; rebuild and publish the snapshot when it moved."""
        version = await asyncio.to_thread(self._version)
        if version == self.seen:
            return False
        document = await asyncio.to_thread(self._snapshot)
        document["version"] = version
        self.text = json.dumps(document, ensure_ascii=False, allow_nan=False)
        self.seen = version
        changed = self._condition()
        async with changed:
            self.sequence += 1
            changed.notify_all()
        return True

    async def run(self) -> None:
        """Poll until cancelled; a failing look is logged and retried, never fatal."""
        while True:
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("push: could not read the live store: %s", exc)
                await asyncio.sleep(1.0)
            await asyncio.sleep(POLL_S)

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Server-sent events for one page: the current snapshot, then each newer one."""
        changed = self._condition()
        self.clients += 1
        try:
            last = -1
            while True:
                seen = last

                def moved(seen: int = seen) -> bool:
                    return self.sequence != seen and bool(self.text)

                async with changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait_for(moved), KEEPALIVE_S)
                if self.sequence == last or not self.text:
                    yield {"comment": "keep-alive"}
                    continue
                last = self.sequence
                yield {"event": "snapshot", "id": str(last), "data": self.text}
        finally:
            self.clients -= 1
