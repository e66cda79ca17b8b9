"""What the page needs of the live twin, and the snapshot it is pushed.

:class:`LiveSource` is the seam between the web server and the live layer: the server calls
only these methods, and :class:`web.store_source.StoreSource` implements them with the live
layer's store and state functions (no SQL here or anywhere in ``web``). Tests may give any
object with the same methods.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from twin.live.state import LiveState
from web.status import PlanModel, plan_status, tiles

EMPTY_STATE: dict[str, Any] = {
    "time": None,
    "trucks": {},
    "outages": [],
    "meters": {},
    "messages": {},
}
"""The state document before the store has any data."""


class LiveSource(Protocol):
    """The live twin as the web server reads it."""

    def version(self) -> int:
        """A number that grows with every commit to the store (cheap: polled 10 times a second)."""
        ...

    def span(self) -> tuple[datetime, datetime] | None:
        """First and last moment with data, or None for an empty store."""
        ...

    def state(self, at: datetime | None = None) -> LiveState | None:
        """The state at `at` (default: the latest); None before there is any data."""
        ...

    def history(self, start: datetime, end: datetime, step_min: float = 15.0) -> dict[str, Any]:
        """``{"time": [...], "series": {...}}`` over ``[start, end]``."""
        ...

    def forecast(self) -> dict[str, Any] | None:
        """The latest forecast.json, or None."""
        ...

    def alerts(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Alerts stored since `since` (all when None)."""
        ...


class Overview:
    """The status documents of one live source, pushed or asked for.

    The status an hour earlier (for the tiles' change) is kept per park minute, so a feed of
    many messages a minute computes it once a minute, not once a snapshot.

    Args:
        source: the live twin.
        model: the served park's :class:`~web.status.PlanModel`.
    """

    def __init__(self, source: LiveSource, model: PlanModel) -> None:
        self.source = source
        self.model = model
        self._earlier: tuple[datetime, dict[str, Any]] | None = None

    def status_at(
        self, at: datetime | None = None, span: tuple[datetime, datetime] | None = None
    ) -> dict[str, Any]:
        """The plan status and KPI tiles at `at` (default: the latest), with the state.

        Args:
            at: the moment; None for the latest.
            span: the store's span when the caller has it (else asked).

        Returns:
            ``{"state", "status", "tiles"}``: tiles carry their change over the hour before;
            the state is without its trucks one by one (``trucks.visits``), which the status
            has as dots.
        """
        state = self.source.state(at)
        status = plan_status(self.model, state)
        span = span or self.source.span()
        hour_ago = None
        moment = state.time if state is not None else None
        if moment is not None and span is not None and moment - timedelta(hours=1) >= span[0]:
            hour_ago = self._hour_before(moment)
        shown = state.to_dict(visits=False) if state is not None else EMPTY_STATE
        return {"state": shown, "status": status, "tiles": tiles(status, hour_ago)}

    def _hour_before(self, moment: datetime) -> dict[str, Any]:
        minute = (moment - timedelta(hours=1)).replace(second=0, microsecond=0)
        if self._earlier is None or self._earlier[0] != minute:
            self._earlier = (minute, plan_status(self.model, self.source.state(minute)))
        return self._earlier[1]

    def snapshot(self) -> dict[str, Any]:
        """What each page is pushed when the store changed: status, span, forecast origin."""
        span = self.source.span()
        doc = self.status_at(None, span)
        forecast = self.source.forecast()
        doc["span"] = [t.isoformat(timespec="seconds") for t in span] if span else None
        doc["forecast_origin"] = forecast.get("origin") if forecast else None
        return doc
