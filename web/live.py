"""What the page needs of the live twin, and the snapshot it is pushed.

:class:`LiveSource` is the seam between the web server and the live layer: the server calls
only these methods, and :class:`web.store_source.StoreSource` implements them with the live
layer's store and state functions (no SQL here or anywhere in ``web``). Tests may give any
object with the same methods.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from twin.start_state import StartState, TruckNow
from web.status import PlanModel, parse_time, plan_status, tiles


class LiveSource(Protocol):
    """The live twin as the web server reads it."""

    def version(self) -> int:
        """A number that grows with every commit to the store (cheap: polled 10 times a second)."""
        ...

    def span(self) -> tuple[datetime, datetime] | None:
        """First and last moment with data, or None for an empty store."""
        ...

    def state(self, at: datetime | None = None) -> dict[str, Any]:
        """The state document (``parktwin state --json``) at `at` (default: the latest)."""
        ...

    def start_state(self, at: datetime | None = None) -> StartState:
        """The state at `at` as the engine's start state (the trucks, one by one)."""
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


def status_at(source: LiveSource, model: PlanModel, at: datetime | None = None) -> dict[str, Any]:
    """The plan status and KPI tiles at `at` (default: the latest), with the state itself.

    Returns:
        ``{"state", "status", "tiles"}``: tiles carry their change over the hour before; the
        state is without its list of trucks (``trucks.visits``), which the status has as dots.
    """
    state = source.state(at)
    moment = parse_time(state.get("time"))
    trucks = state.get("trucks", {}).get("visits")
    if trucks is not None:
        visits = [TruckNow(**visit) for visit in trucks]
    else:
        visits = list(source.start_state(moment).trucks) if moment else []
    status = plan_status(model, state, visits)
    hour_ago = None
    span = source.span()
    if moment is not None and span is not None and moment - timedelta(hours=1) >= span[0]:
        before = source.state(moment - timedelta(hours=1))
        hour_ago = plan_status(model, before, ())
    shown = dict(state, trucks={k: v for k, v in state.get("trucks", {}).items() if k != "visits"})
    return {"state": shown, "status": status, "tiles": tiles(status, hour_ago)}


def snapshot(source: LiveSource, model: PlanModel) -> dict[str, Any]:
    """What each page is pushed when the store changed: the latest status, span, forecast id."""
    doc = status_at(source, model)
    span = source.span()
    forecast = source.forecast()
    doc["span"] = [t.isoformat(timespec="seconds") for t in span] if span else None
    doc["forecast_origin"] = forecast.get("origin") if forecast else None
    doc["alerts"] = len(source.alerts())
    return doc
