"""Gate service times, from ``gate_out`` or, without it, from the trucks that waited nowhere.

**With gate_out.** A gate is a first-come-first-served queue with `lanes` lanes. Truck i's
service starts when it arrives or when a lane frees, whichever is later; a lane frees when
one of the trucks ahead leaves, so with the trucks ahead's ``gate_out`` times known the start
is ``max(arrive_i, c-th latest gate_out among the trucks that arrived before i)`` and the
service is ``gate_out_i − start``. The lanes are the file's count unless the log contradicts
it: some service would be negative (more trucks served at once), or another count explains
the log far better (profile likelihood, :func:`_from_gate_out`). The service times are then
fitted like dock services (:mod:`.fit_service`).

**Without gate_out (deconvolution).** ``dock_start − arrive`` is gate wait + gate service +
the drive + dock wait. The drive is the flow's drive out (``depart − dock_end``, its median:
the engine drives the same route both ways), the dock wait is zero for a truck whose service
did not start at the instant another ended (it found a free dock, :mod:`.fit_docks`), and the
gate wait is zero for a truck that found fewer trucks ahead still at the gate than lanes
(trucks ahead left the gate at the latest at their ``dock_start`` minus their drive). For the
trucks that provably waited neither at the gate nor at a dock, ``dock_start − arrive − drive``
*is* the gate service; the families are fitted to those by maximum likelihood (the selection
depends on other trucks only, up to a dock that happens to free while a truck drives). This
needs every truck through the gate in the log: unlogged flows through the gate are named.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from twin.calibration.fit_docks import max_concurrency, resolution
from twin.calibration.fit_service import MIN_SERVICES, ServiceFit, fit_family, fit_service
from twin.calibration.read import TruckLog
from twin.language import say
from twin.model.schema import Park


@dataclass(frozen=True)
class GateFit:
    """The service fit of one gate and how its times were obtained."""

    gate: str
    lanes: int  # lanes used to reconstruct the queue
    file_lanes: int
    service: ServiceFit | None
    method: str
    data: str
    used: int  # trucks whose service time was used
    trucks: int  # trucks logged through the gate
    notes: tuple[str, ...] = ()
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the service times used
    lanes_ci: tuple[int, int | None] = (0, None)  # 95% profile interval (0, None: not seen)
    arrivals: np.ndarray = field(default_factory=lambda: np.zeros(0))  # of each time used


def flow_drives(trucks: TruckLog, mask: np.ndarray) -> dict[str, float]:
    """Median drive out (depart − dock_end) of each flow: the route's driving time."""
    drive = trucks.depart - trucks.dock_end
    out: dict[str, float] = {}
    for fid in np.unique(trucks.flow[mask]).tolist():
        mine = drive[mask & (trucks.flow == fid)]
        mine = mine[np.isfinite(mine) & (mine >= 0)]
        if len(mine):
            out[fid] = float(np.median(mine))
    return out


def lane_starts(arrive: np.ndarray, leave: np.ndarray, lanes: int) -> np.ndarray:
    """Service starts of a FCFS queue with `lanes` servers, given arrivals and departures.

    Trucks are taken in order of arrival (the arrays must be sorted by `arrive`). A NaN
    departure is taken as never leaving (its lane stays busy).
    """
    ahead: list[float] = []  # the `lanes` latest departures of the trucks ahead (a min-heap)
    starts = np.empty(len(arrive))
    for i, (a, g) in enumerate(zip(arrive.tolist(), leave.tolist(), strict=True)):
        free = ahead[0] if len(ahead) >= lanes else -math.inf
        starts[i] = max(a, free)
        g = math.inf if math.isnan(g) else g
        if len(ahead) < lanes:
            heapq.heappush(ahead, g)
        elif g > ahead[0]:
            heapq.heapreplace(ahead, g)
    return starts


def fit_gate(
    park: Park, gate: str, trucks: TruckLog, window: tuple[float, float], dock_free: np.ndarray
) -> GateFit | None:
    """Fit one gate's service from the truck log; None when it logs fewer than 20 trucks.

    Args:
        park: The park (the gate's lanes, the flows through it).
        gate: The gate's id.
        trucks: The whole truck log.
        window: Arrivals in ``[lo, hi)`` are used.
        dock_free: Per truck of the log, True when its dock service did not start at the
            instant another ended (it waited for no dock).
    """
    spec = next(g for g in park.logistics.gates if g.id == gate)
    lo, hi = window
    mine = (trucks.gate == gate) & np.isfinite(trucks.arrive)
    order = np.flatnonzero(mine)[np.argsort(trucks.arrive[mine], kind="stable")]
    use = (trucks.arrive[order] >= lo) & (trucks.arrive[order] < hi)
    if int(use.sum()) < 20:
        return None
    logged = set(trucks.flow[order].tolist())
    unlogged = [f.id for f in park.logistics.flows if f.gate == gate and f.id not in logged]
    notes = (
        (say("calibration.note.unlogged_flows", "en", flows=", ".join(unlogged)),)
        if unlogged
        else ()
    )
    arrive = trucks.arrive[order]
    gate_out = trucks.gate_out[order]
    if np.isfinite(gate_out[use]).sum() >= 20:
        lanes, service, lanes_ci = _from_gate_out(arrive, gate_out, spec.lanes)
        seen = use & np.isfinite(service)
        times = service[seen]
        fit = fit_service(gate, times)
        method = (
            f"gate_out − lane start (FCFS queue of {lanes} lanes rebuilt from arrive and "
            "gate_out), maximum likelihood of every family, lowest AIC"
        )
        data = "trucks.csv arrive/gate_out"
        used = len(times)
        return GateFit(
            gate, lanes, spec.lanes, fit, method, data, used, int(use.sum()), notes, times,
            lanes_ci, arrive[seen],
        )  # fmt: skip
    return _deconvolved(gate, spec.lanes, trucks, order, use, dock_free[order], notes)


def _from_gate_out(
    arrive: np.ndarray, gate_out: np.ndarray, lanes: int
) -> tuple[int, np.ndarray, tuple[int, int | None]]:
    """The lanes and service times that explain the gate log best, and the 95% interval of
    the lanes.

    Given the arrivals and a lane count c, FCFS makes each ``gate_out`` the lane start plus
    the service, so the log's likelihood under (c, a service law) is the product of the
    service densities (the map from services to exits is triangular with unit diagonal). The
    counts that explain the log (no negative service) run from the fewest, found by
    bisection (more lanes only start trucks earlier), upwards; the profile likelihood over
    them (each count's best family) picks one. The file's count stays unless it cannot explain
    the log or another count beats it by the 0.1% likelihood-ratio bound (χ²₁: 10.83), so
    the log settles the count only when it contradicts the file. The interval holds the
    counts within χ²₁(95%) / 2 of the best log-likelihood; its top is open (None) when it
    reaches the counts at which no truck queues (all alike to the log) or the last tried.
    Counts are tried upwards until, past the file's, one falls below that bound; past the
    file's, with the family of the count before (one fit instead of six).
    """
    tol = resolution(np.concatenate([arrive, gate_out[np.isfinite(gate_out)]]))

    def services(count: int) -> np.ndarray | None:
        service = gate_out - lane_starts(arrive, gate_out, count)
        return None if (service[np.isfinite(service)] < -tol).any() else service

    most, _ = max_concurrency(arrive, np.where(np.isfinite(gate_out), gate_out, np.inf))
    low, high = 0, max(most, lanes, 1)  # `low` fails (no lane); `high` cannot (nobody queues)
    while high - low > 1:
        middle = (low + high) // 2
        if services(middle) is None:
            low = middle
        else:
            high = middle
    fewest = high
    top = max(fewest, min(most, max(lanes, fewest) + LANES_ABOVE))
    times: dict[int, np.ndarray] = {}
    support: dict[int, float] = {}
    fell = False  # the profile fell below the bound past the file's count
    family: str | None = None  # past the file's count, the last family fitted (one fit)
    for count in range(fewest, max(top, lanes) + 1):
        found = services(count)
        if found is None:
            continue
        times[count] = np.maximum(found, 0.0)
        above = count > max(fewest, lanes)  # past the counts the file's choice needs
        support[count], family = _loglik(times[count], family if above else None)
        if count >= lanes and support[count] < max(support.values()) - LANES_CI / 2:
            fell = True  # more lanes explain the log worse from here on
            break
    best = max(support, key=lambda c: (support[c], c == lanes))
    if lanes in support and support[best] - support[lanes] <= LANES_LR / 2:
        best = lanes
    inside = [c for c in support if support[c] >= max(support.values()) - LANES_CI / 2]
    upper = max(inside) if fell or max(inside) < top else None
    return best, times[best], (min(inside), upper)


LANES_LR = 10.83
"""χ²₁ at 0.1%: a lane count other than the file's must beat it by this likelihood ratio."""
LANES_CI = 3.84
"""χ²₁ at 5%: the 95% profile-likelihood interval of the lanes."""
LANES_ABOVE = 2
"""Lane counts tried above the file's (and the fewest), up to where no truck queues."""


def _loglik(times: np.ndarray, family: str | None = None) -> tuple[float, str | None]:
    """The log-likelihood of the best-fitting family, or of `family` alone, and the family
    (−inf and None when none fits)."""
    x = times[np.isfinite(times)]
    if family is not None and len(x) >= MIN_SERVICES:
        one = fit_family(family, np.maximum(x, 1e-6), np.zeros(0))
        return (one.loglik, family) if one is not None else (-math.inf, None)
    fit = fit_service("lanes", x)
    return (fit.best.loglik, fit.best.family) if fit is not None else (-math.inf, None)


def _deconvolved(
    gate: str,
    lanes: int,
    trucks: TruckLog,
    order: np.ndarray,
    use: np.ndarray,
    dock_free: np.ndarray,
    notes: tuple[str, ...],
) -> GateFit:
    """Gate service of the trucks that provably waited neither at the gate nor at a dock."""
    drives = flow_drives(trucks, np.isin(np.arange(len(trucks)), order))
    drive = np.array([drives.get(f, math.nan) for f in trucks.flow[order].tolist()])
    arrive = trucks.arrive[order]
    reached = trucks.dock_start[order] - drive  # left the gate at the latest then
    latest = np.where(np.isfinite(reached), reached, np.inf)
    # trucks ahead still possibly in a lane when truck i arrives
    busy_ahead = _ahead_still_in(arrive, latest)
    free_lane = busy_ahead < lanes
    sojourn = reached - arrive
    clean = use & free_lane & dock_free & np.isfinite(sojourn)
    times = np.maximum(sojourn[clean], 0.0)
    fit = fit_service(gate, times)
    method = say("calibration.note.gate_deconvolution", "en", lanes=lanes)
    data = "trucks.csv arrive/dock_start/dock_end/depart"
    return GateFit(
        gate, lanes, lanes, fit, method, data, len(times), int(use.sum()), notes, times,
        (0, None), arrive[clean],
    )  # fmt: skip


def _ahead_still_in(arrive: np.ndarray, latest_out: np.ndarray) -> np.ndarray:
    """For each truck (sorted by arrival), trucks ahead whose latest gate exit is after it."""
    out = np.zeros(len(arrive), dtype=np.int64)
    pending: list[float] = []  # latest exits of trucks ahead, a min-heap
    for i, (a, g) in enumerate(zip(arrive.tolist(), latest_out.tolist(), strict=True)):
        while pending and pending[0] <= a:
            heapq.heappop(pending)
        out[i] = len(pending)
        heapq.heappush(pending, g)
    return out
