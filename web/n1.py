"""``GET /api/n1``: the N-1 analyses of the served park, one at a time, the latest few kept.

An analysis simulates every single outage of the network (half a minute for Yên Bình, minutes
for 48-hour outages), so a request must not start one per distinct query: a request for the
moment being analysed waits for it, one for another moment while it runs is refused with
:class:`~web.jobs.Busy` (429), and only the :data:`KEPT` latest answers are kept.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from twin import api as twin_api
from twin.model.schema import Park
from web.jobs import Busy

KEPT = 16
"""Answers kept (each moment and outage length asked for is one)."""

Key = tuple[float | None, float]


class N1Answers:
    """The N-1 documents of `park`, computed in a thread one at a time and kept.

    Args:
        park: the served park (it has a ``power.network``).
        kept: how many answers are kept, the least recently asked for dropped first.
    """

    def __init__(self, park: Park, kept: int = KEPT) -> None:
        self.park = park
        self.kept = kept
        self.answers: OrderedDict[Key, dict[str, Any]] = OrderedDict()
        self._running: tuple[Key, asyncio.Future[dict[str, Any]]] | None = None

    async def answer(self, at_min: float | None, hours: float) -> dict[str, Any]:
        """n1.json at `at_min` (minutes from the horizon's start; None: the peak demand) with
        outages of `hours`.

        Raises:
            Busy: an analysis of another moment or length is running.
            UsageError: the moment is outside the horizon (as ``parktwin n1 --at``).
        """
        key = (at_min, hours)
        if key in self.answers:
            self.answers.move_to_end(key)
            return self.answers[key]
        if self._running is None:
            work = asyncio.to_thread(twin_api.n1, self.park, None, at_min, hours)
            task = asyncio.ensure_future(work)
            task.add_done_callback(lambda done: self._keep(key, done))
            self._running = (key, task)
        running_key, future = self._running
        if running_key != key:
            raise Busy("an N-1 analysis of another moment is running; retry when it ends")
        return await asyncio.shield(future)  # a client that leaves does not stop it

    def _keep(self, key: Key, done: asyncio.Future[dict[str, Any]]) -> None:
        """Keep a finished analysis's answer (not an error), dropping the oldest past the limit."""
        self._running = None
        if done.cancelled() or done.exception() is not None:
            return
        self.answers[key] = done.result()
        while len(self.answers) > self.kept:
            self.answers.popitem(last=False)
