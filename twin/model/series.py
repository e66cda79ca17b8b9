"""The series a nowcast forecasts for a park: what its alerts may name."""

from __future__ import annotations

from collections.abc import Iterator

from twin.model.schema import Park, Problem


def series_names(park: Park) -> list[str]:
    """The names of the forecast's series, in document order."""
    logi = park.logistics
    power = park.power
    names = [f"docks.{g.id}.queue" for g in logi.dock_groups]
    names += [f"gates.{g.id}.queue" for g in logi.gates]
    names += ["trucks.in_park", "trucks.gate_to_dock_min"]
    names += [f"power.{f.id}.load_mw" for f in power.feeders] if power else []
    names += [f"power.{s.id}.load_mw" for s in power.substations] if power else []
    return names


def alert_problems(park: Park) -> Iterator[Problem]:
    """An alert of the park file on a series the nowcast does not forecast would never fire."""
    known = series_names(park)
    for i, rule in enumerate(park.alerts or []):
        if rule.series not in known:
            shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
            yield Problem(
                ("alerts", i, "series"),
                f"no forecast series '{rule.series}', so the alert would never fire "
                f"(series: {shown})",
            )
