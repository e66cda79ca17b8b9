"""Batching messages into the store: validate, commit in batches, then say what to acknowledge.

:class:`Ingester` is the broker-free heart of ``parktwin live``: the MQTT feed and the replay
both hand it payloads (with a token each, e.g. an MQTT message id) and it commits them to the
store in batches; only then does it return the tokens of the batch, which the feed then
acknowledges. It also keeps the park clock (the latest message time not ahead of the wall clock,
live; a message dated ahead is stored and counts when its time comes) and runs periodic jobs
(``every(minutes, job)``) when that clock passes their next due time, after the commit that
moved it, so a job always sees the data that triggered it.

With `keep`, every commit also deletes from the store what lies more than `keep` of park time
before the latest message (:meth:`twin.live.store.Store.ingest`'s ``forget_before``): the
simulated feed of ``serve --simulate`` runs for days on a store of bounded size. A broker feed
keeps everything: its store is the park's recorded history (calibration and back-tests read
it) and a message delivered late may be older than any bound.
"""

from __future__ import annotations

import math
import sys
import time as wallclock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO

from twin.live.messages import BadMessage, Record, Reject, Validator, cut
from twin.live.store import Store

Job = Callable[[datetime], None]
"""A periodic job: called with the park time it is due at."""
BATCH_SIZE = 2000
"""Messages per commit at most (below the broker's in-flight window: see the feed)."""
MAX_DELAY_S = 0.2
"""A message waits at most this long (wall clock) for its batch to commit."""


@dataclass
class IngestStats:
    """Counters of one run (the store's counters span all runs)."""

    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    commits: int = 0
    first_s: float | None = None
    last_s: float | None = None
    latest: datetime | None = None

    @property
    def rate_per_s(self) -> float:
        """Messages committed per wall-clock second, first receipt to last commit."""
        if self.first_s is None or self.last_s is None or self.last_s <= self.first_s:
            return math.nan
        return self.messages / (self.last_s - self.first_s)

    def summary(self) -> str:
        """One line: counters, the rate sustained and the latest park time."""
        rate = self.rate_per_s
        shown = "no rate yet" if math.isnan(rate) else f"{rate:,.0f} messages/s"
        latest = self.latest.isoformat(timespec="seconds") if self.latest else "none"
        return (
            f"{self.messages} messages: {self.stored} stored, {self.duplicates} duplicates, "
            f"{self.rejected} rejected; {shown}; latest message {latest}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The counters as JSON-ready values (the status topic and ``--json`` output)."""
        rate = self.rate_per_s
        return {
            "messages": self.messages,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "commits": self.commits,
            "rate_per_s": None if math.isnan(rate) else round(rate, 1),
            "latest": self.latest.isoformat(timespec="seconds") if self.latest else None,
        }


@dataclass
class _Periodic:
    minutes: float
    job: Job
    due: datetime | None = None


@dataclass
class Ingester:
    """Validates payloads, commits them to `store` in batches and runs periodic jobs.

    Args:
        store: The store (opened for writing).
        validator: Checks messages against the park.
        batch_size: Commit when this many messages (or records of batch messages) wait.
        max_delay_s: ... or when the oldest has waited this long.
        log: Where job failures are reported (a failing job never stops the feed).
        keep: Keep only this much park time before the latest message in the store (None:
            keep everything).
    """

    store: Store
    validator: Validator
    batch_size: int = BATCH_SIZE
    max_delay_s: float = MAX_DELAY_S
    log: TextIO = field(default_factory=lambda: sys.stderr)
    keep: timedelta | None = None
    stats: IngestStats = field(default_factory=IngestStats)
    _records: list[Record] = field(default_factory=list)
    _rejects: list[Reject] = field(default_factory=list)
    _tokens: list[Any] = field(default_factory=list)
    _oldest: float | None = None
    _jobs: list[_Periodic] = field(default_factory=list)

    def every(self, minutes: float, job: Job) -> None:
        """Run `job(at)` each time the park clock passes another `minutes` of park time.

        The first run is due at the first message's time rounded up to a multiple of
        `minutes` after midnight; when the clock jumps several periods at once, the job runs
        once, at the latest due time passed.
        """
        if not minutes > 0:
            raise ValueError(f"minutes must be above 0, got {minutes}")
        self._jobs.append(_Periodic(minutes, job))

    def add_payload(self, suffix: str, payload: bytes | str, token: Any = None) -> None:
        """Queue one raw payload (one message, maybe a batch) with its acknowledgement token."""
        records, rejects = self.validator.parse(suffix, payload)
        self._queue(records, rejects, token)

    def add_item(self, suffix: str, item: dict[str, Any], token: Any = None) -> None:
        """Queue one message object (already decoded, e.g. from a recording)."""
        try:
            self._queue([self.validator.record(suffix, item)], [], token)
        except BadMessage as exc:
            self._queue([], [Reject(suffix, cut(repr(item)), str(exc))], token)

    def _queue(self, records: list[Record], rejects: list[Reject], token: Any) -> None:
        now = wallclock.monotonic()
        if self._oldest is None:
            self._oldest = now
        if self.stats.first_s is None:
            self.stats.first_s = now
        self._records.extend(records)
        self._rejects.extend(rejects)
        self._tokens.append(token)

    @property
    def pending(self) -> int:
        """Messages received and not yet committed."""
        return len(self._tokens)

    def due(self) -> bool:
        """Whether the waiting messages should be committed now."""
        if not self._tokens:
            return False
        waited = wallclock.monotonic() - (self._oldest or 0.0)
        held = max(len(self._tokens), len(self._records) + len(self._rejects))
        return held >= self.batch_size or waited >= self.max_delay_s

    def flush(self) -> list[Any]:
        """Commit what waits, then run the jobs that fell due; the tokens now safe to ack."""
        if not self._tokens:
            return []
        limit = self.validator.present_limit()
        times = (r.time for r in self._records if limit is None or r.time <= limit)
        tokens, latest = self._tokens, max(times, default=None)
        done = self.store.ingest(self._records, self._rejects, self._forget_before(latest))
        s = self.stats
        s.messages += len(tokens)
        s.stored += done.stored
        s.duplicates += done.duplicates
        s.rejected += done.rejected
        s.commits += 1
        s.last_s = wallclock.monotonic()
        self._records, self._rejects, self._tokens, self._oldest = [], [], [], None
        if latest is not None and (s.latest is None or latest > s.latest):
            s.latest = latest
            self._run_jobs(latest)
        return tokens

    def _forget_before(self, latest: datetime | None) -> datetime | None:
        """The park time before which the store may forget, with `keep` (else None)."""
        newest = max((t for t in (latest, self.stats.latest) if t is not None), default=None)
        if self.keep is None or newest is None:
            return None
        return newest - self.keep

    def _run_jobs(self, now: datetime) -> None:
        for periodic in self._jobs:
            if periodic.due is None:
                periodic.due = _next_multiple(now, periodic.minutes)
            if now < periodic.due:
                continue
            at = _latest_due(periodic.due, periodic.minutes, now)
            periodic.due = at + timedelta(minutes=periodic.minutes)
            try:
                periodic.job(at)
            except Exception as exc:  # a job never stops the feed
                print(f"parktwin: job at {at:%Y-%m-%d %H:%M} failed: {exc}", file=self.log)


def _latest_due(first: datetime, minutes: float, now: datetime) -> datetime:
    """The last of ``first + k * minutes`` (k = 0, 1, ...) at or before `now` (``first <=
    now``), in one step however many periods lie between."""
    periods = math.floor((now - first).total_seconds() / (minutes * 60.0))
    at = first + timedelta(minutes=periods * minutes)
    while at > now:  # float rounding of a huge period count
        at -= timedelta(minutes=minutes)
    return at


def _next_multiple(moment: datetime, minutes: float) -> datetime:
    """The first multiple of `minutes` after midnight at or after `moment`."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = (moment - midnight).total_seconds() / 60.0
    steps = math.ceil(elapsed / minutes)
    return midnight + timedelta(minutes=steps * minutes)
