"""What a run will cost before it runs: trucks, grid values, bytes on disk; and the caps.

The engine's memory grows with the trucks it records (about half a kilobyte each, trace
included) and with the utility series (one value per asset and grid step). Every field of a
park and every setting is bounded on its own, but their product is not: 10,000 flows at their
largest rate over ten years would be a trillion trucks. :func:`check_workload` refuses such a
run before any simulation, with the numbers and the limit, so a run ends or is refused; it never
runs until the kernel kills it.
"""

from __future__ import annotations

from collections.abc import Sequence

from twin.errors import SettingError
from twin.experiment.settings import Case, Settings
from twin.model.schema import Event, Park, PowerSection, RateEvent
from twin.sim.context import RunSpec

MAX_TRUCKS = 20_000_000
"""Most truck visits one replication may bring (expected, warm-up included): about 10 GB, so
ten years of the bundled yen-binh park (8 million) still run."""
MAX_SERIES_VALUES = 200_000_000
"""Most utility series values of one replication (columns x grid steps): 1.6 GB of float64;
ten years of yen-binh (with its network) on the default 15-minute grid record 170 million."""
TRUCK_BYTES = 68
"""Bytes per truck visit in a saved trace: seven float64 times and three int32 indices."""
REPORT_BYTES = 2 * 1024 * 1024
"""Room for the documents and reports of a result folder besides the trace."""


def expected_trucks(
    park: Park, days: float, events: Sequence[Event] = (), warmup_days: float = 0.0
) -> float:
    """The mean number of truck visits to `days` of the park, from its flows' rates.

    Args:
        park: the park.
        days: the span simulated, warm-up included.
        events: timed events; a rate event multiplies its flow's trucks from its moment on.
        warmup_days: the part of `days` before the horizon (event times count from its end).
    """
    span = (-warmup_days * 1440.0, (days - warmup_days) * 1440.0)
    per_hour = 0.0
    for flow in park.logistics.flows:
        if flow.timetable is not None:
            per_hour += len(flow.timetable) / 24.0
        else:
            factor = mean_rate_factor(flow.id, events, span)
            per_hour += sum(flow.weekly_rates()) / 168.0 * factor
    return per_hour * 24.0 * days


def mean_rate_factor(flow_id: str, events: Sequence[Event], span: tuple[float, float]) -> float:
    """The time-average factor the rate events of a flow put on its rate over `span` (minutes).

    Later events replace earlier ones; events at the same moment are taken in the engine's
    order (by factor), the last one holding.
    """
    changes = sorted(
        (e.at.minutes(), e.factor) for e in events if isinstance(e, RateEvent) and e.flow == flow_id
    )
    lo, hi = span
    if not changes or hi <= lo:
        return 1.0
    weighted, since, factor = 0.0, lo, 1.0
    for minute, new_factor in changes:
        moment = min(max(minute, lo), hi)
        weighted += factor * (moment - since)
        since, factor = moment, new_factor
    weighted += factor * (hi - since)
    return weighted / (hi - lo)


def series_columns(park: Park) -> int:
    """A generous count of the utility series columns a trace of the park records.

    Each bus, line and transformer of a power network counts twice: the load flow's result and
    the trace's series (a bus's voltage, a line's or a transformer's loading).
    """
    assets = len(park.buildings) + len(park.logistics.gates) + len(park.logistics.dock_groups)
    elements = 0
    if park.power is not None:
        assets += len(park.power.feeders) + len(park.power.substations)
        elements = _network_elements(park.power)
    return 4 * assets + 2 * elements + 8


def _network_elements(power: PowerSection) -> int:
    """The buses, lines and transformers of the park's network (0 without one)."""
    if power.network is None:
        return 0
    transformers = sum(len(s.transformers or ()) for s in power.substations)
    return len(power.network.buses) + len(power.network.lines) + transformers


def grid_steps(settings: Settings) -> float:
    """Grid steps of one replication, warm-up included."""
    return (settings.days + settings.warmup_days) * 1440.0 / settings.step_min


def expected_result_bytes(park: Park, settings: Settings, with_trace: bool = True) -> int:
    """A generous estimate of the size of a result folder (the trace, uncompressed, dominates)."""
    if not with_trace:
        return REPORT_BYTES
    trucks = expected_trucks(park, settings.days + settings.warmup_days)
    series = grid_steps(settings) * series_columns(park) * 8
    return int(REPORT_BYTES + TRUCK_BYTES * trucks + series)


def check_workload(cases: Sequence[Case], settings: Settings) -> None:
    """Refuse a run whose replications would be too big to hold, before it starts.

    Raises:
        SettingError: a case brings more than :data:`MAX_TRUCKS` trucks or records more than
            :data:`MAX_SERIES_VALUES` series values per replication; the message gives the
            numbers and what to change.
    """
    for case in cases:
        check_spec(case, settings.spec(0))


def check_spec(case: Case, spec: RunSpec) -> None:
    """:func:`check_workload` for one case simulated as `spec` says (a study's own runs).

    Raises:
        SettingError: as :func:`check_workload`.
    """
    days = spec.horizon_days + spec.warmup_days
    trucks = expected_trucks(case.park, days, case.events, spec.warmup_days)
    if trucks > MAX_TRUCKS:
        raise SettingError(
            "days",
            f"{spec.horizon_days:g} (and `warmup_days` {spec.warmup_days:g}) of "
            f"'{case.name}' bring about {trucks:,.0f} trucks per replication; at most "
            f"{MAX_TRUCKS:,}: simulate fewer days, or lower the flows' rates or the factors of "
            "the scenario's rate events",
        )
    values = days * 1440.0 / spec.step_min * series_columns(case.park)
    if values > MAX_SERIES_VALUES:
        raise SettingError(
            "step_min",
            f"{spec.step_min:g} over {days:g} days of '{case.name}' records about "
            f"{values:,.0f} series values per replication; at most {MAX_SERIES_VALUES:,}: "
            "use a longer `step_min` or fewer days",
        )
