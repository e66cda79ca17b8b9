"""The live source of a store file: the live layer's store and state functions, nothing more.

The store is opened read-only on first use (a replay or ``parktwin live`` may create it a
moment after the server starts); until it exists the source reports version 0 and no data.
One :class:`~twin.live.store.Store` is shared by the server's threads (it serialises its calls).
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from twin.live.state import LiveState, history_document, live_state
from twin.live.store import Store
from twin.model.schema import Park


class StoreSource:
    """A :class:`web.live.LiveSource` over a store file.

    Args:
        park: the park the store belongs to.
        path: the store file (it may not exist yet).
    """

    def __init__(self, park: Park, path: Path) -> None:
        self.park = park
        self.path = Path(path)
        self._store: Store | None = None
        self._lock = threading.Lock()

    def _open(self) -> Store | None:
        with self._lock:
            if self._store is None and self.path.exists():
                self._store = Store.open(self.path, read_only=True)
            return self._store

    def close(self) -> None:
        """Close the store file."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def version(self) -> int:
        """The store's commit counter (0 before the store exists)."""
        store = self._open()
        return store.version() if store is not None else 0

    def span(self) -> tuple[datetime, datetime] | None:
        """First and last moment stored."""
        store = self._open()
        return store.span() if store is not None else None

    def state(self, at: datetime | None = None) -> LiveState | None:
        """The live state at `at` (None before the store exists)."""
        store = self._open()
        return live_state(self.park, store, at) if store is not None else None

    def history(self, start: datetime, end: datetime, step_min: float = 15.0) -> dict[str, Any]:
        """The stored series from `start` to `end`."""
        store = self._open()
        if store is None:
            return {"time": [], "series": {}}
        return history_document(self.park, store, start, end, step_min)

    def forecast(self) -> dict[str, Any] | None:
        """The latest forecast.json."""
        store = self._open()
        return store.latest_forecast() if store is not None else None

    def alerts(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """The alerts stored since `since`."""
        store = self._open()
        return store.alerts(since) if store is not None else []
