"""``GET /api/n1`` and ``GET /api/headroom``: power analyses of the served park, one at a time,
the latest few kept.

An N-1 analysis simulates every single outage of the network (half a minute for Yên Bình,
minutes for 48-hour outages), a headroom study with N-1 some seconds, so a request must not
start one per distinct query: a request for the question being analysed waits for it, one for
another question while it runs is refused with :class:`~web.jobs.Busy` (429), and only the
:data:`KEPT` latest answers are kept.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from web.jobs import Busy

KEPT = 16
"""Answers kept (each distinct question asked is one)."""


class KeptAnalyses:
    """The answers of `compute(*question)`, computed in a thread one at a time and kept.

    Args:
        compute: the analysis, called with the question's parts (it may raise UsageError).
        what: the analysis in words, for the 429 message ("an N-1 analysis").
        kept: how many answers are kept, the least recently asked for dropped first.
    """

    def __init__(self, compute: Callable[..., dict[str, Any]], what: str, kept: int = KEPT) -> None:
        self.compute = compute
        self.what = what
        self.kept = kept
        self.answers: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
        self._running: tuple[Hashable, asyncio.Future[dict[str, Any]]] | None = None

    async def answer(self, *question: Hashable) -> dict[str, Any]:
        """The answer to `question`, computed now or kept from before.

        Raises:
            Busy: an analysis of another question is running.
            UsageError: the question is out of range (as the command line's).
        """
        key = tuple(question)
        if key in self.answers:
            self.answers.move_to_end(key)
            return self.answers[key]
        if self._running is None:
            task = asyncio.ensure_future(asyncio.to_thread(self.compute, *question))
            task.add_done_callback(lambda done: self._keep(key, done))
            self._running = (key, task)
        running_key, future = self._running
        if running_key != key:
            raise Busy(f"{self.what} of another question is running; retry when it ends")
        return await asyncio.shield(future)  # a client that leaves does not stop it

    def _keep(self, key: Hashable, done: asyncio.Future[dict[str, Any]]) -> None:
        """Keep a finished analysis's answer (not an error), dropping the oldest past the limit."""
        self._running = None
        if done.cancelled() or done.exception() is not None:
            return
        self.answers[key] = done.result()
        while len(self.answers) > self.kept:
            self.answers.popitem(last=False)
