"""What the sensors do not measure directly: road speed and the number of docks staffed.

**Road speed.** In the model a truck drives back from its dock to the gate and leaves, so
``depart − dock_end`` is the drive of its route. The median ratio of that drive to the route's
drive at the file's speeds is one factor by which all road speeds are divided. (One factor for
all roads: the log says how long routes take, not which road was slow.)

**Docks staffed**, for dock groups whose log has no service times (so no occupancy to read
the count from, :mod:`.fit_docks`). A dock group's count is found by simulation: the fitted
park is simulated with each group's docks changed by −2 … +2 at once (widening while the best
count lies on the edge), with common random numbers (the same seed
and replications for every candidate, so every candidate sees the same trucks and service
times), and each group's simulated mean time from gate arrival to dock start is compared with
the one observed on the same calendar days (the training span, up to four weeks; when every
gate is lightly loaded, below 50% in its busiest hour, only the flows of the searched groups
are simulated, as the others change no wait there). Waits come in busy spells and, near
saturation, swing widely from one week to the next, so the yardstick is the spread of the
replications' means (four replications): the park file's count is kept unless the
observed mean falls outside its 95% prediction interval (mean ± t × sd × √(1 + 1/R)), and
then the closest count wins. Where a group's arrivals fail the Poisson check the search is
not trusted and the file's count is kept (see the caller).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from twin.calibration.read import Timebase, TruckLog
from twin.experiment.backends import Backend
from twin.experiment.runner import replicate
from twin.experiment.settings import Case, Settings, Workers
from twin.language import say
from twin.model.dist import Sampler
from twin.model.roads import RoadNetwork
from twin.model.schema import Park
from twin.sim.trace import Trace

MIN_TRUCKS = 30
LIGHT_GATE = 0.5  # gate utilisation in the busiest hour below which gates hardly queue


@dataclass(frozen=True)
class SpeedFit:
    """One factor on every road's speed, from the drive out of the park."""

    factor: float  # observed drive / the file's drive; speeds are divided by it
    n: int
    per_flow: dict[str, tuple[int, float, float]]  # flow: (trucks, observed median, file) min
    notes: tuple[str, ...] = ()
    ratios: np.ndarray = field(default_factory=lambda: np.zeros(0))  # drive / file's drive


@dataclass(frozen=True)
class DockSearch:
    """The simulation-based search for the number of docks of one group."""

    group: str
    current: int
    chosen: int
    n: int
    observed_mean: float  # minutes from gate arrival to dock start
    observed_se: float
    simulated: dict[int, tuple[float, float]] = field(default_factory=dict)  # docks: (mean, sd)
    note: str = ""


def fit_road_speed(park: Park, trucks: TruckLog, window: tuple[float, float]) -> SpeedFit | None:
    """The factor by which the file's road speeds must be divided to match the drives out.

    Returns None when the park has no roads or fewer than 30 trucks have both ``dock_end``
    and ``depart`` in the window.
    """
    if not park.logistics.roads:
        return None
    lo, hi = window
    network = RoadNetwork.of(park)
    building = {g.id: g.building for g in park.logistics.dock_groups}
    flows = {f.id: f for f in park.logistics.flows}
    drive = trucks.depart - trucks.dock_end
    use = (trucks.dock_end >= lo) & (trucks.dock_end < hi) & (drive >= 0) & ~np.isnan(drive)
    ratios: list[np.ndarray] = []
    per_flow: dict[str, tuple[int, float, float]] = {}
    for fid in np.unique(trucks.flow[use]).tolist():
        flow = flows[fid]
        route = network.route(flow.gate, building[flow.dock_group]).minutes
        mine = drive[use & (trucks.flow == fid)]
        if route <= 0 or not len(mine):
            continue
        per_flow[fid] = (len(mine), float(np.median(mine)), float(route))
        ratios.append(mine / route)
    if not ratios or sum(len(r) for r in ratios) < MIN_TRUCKS:
        return None
    every = np.concatenate(ratios)
    factor = float(np.median(every))
    notes: list[str] = []
    flow_ratios = [obs / model for _, obs, model in per_flow.values()]
    if len(flow_ratios) > 1 and max(flow_ratios) > 1.5 * min(flow_ratios):
        low, high = f"{min(flow_ratios):.2f}", f"{max(flow_ratios):.2f}"
        notes.append(say("calibration.note.routes_disagree", "en", low=low, high=high))
    return SpeedFit(factor, len(every), per_flow, tuple(notes), every)


def observed_time_to_dock(
    trucks: TruckLog, window: tuple[float, float]
) -> dict[str, tuple[np.ndarray, np.ndarray, set[str]]]:
    """Per dock group: minutes from gate arrival to dock start, arrival times, flows logged."""
    lo, hi = window
    wait = trucks.dock_start - trucks.arrive
    use = (trucks.arrive >= lo) & (trucks.arrive < hi) & ~np.isnan(wait)
    out: dict[str, tuple[np.ndarray, np.ndarray, set[str]]] = {}
    for group in np.unique(trucks.dock_group[use]).tolist():
        mine = use & (trucks.dock_group == group)
        out[group] = (wait[mine], trucks.arrive[mine] - lo, set(trucks.flow[mine].tolist()))
    return out


def batch_mean(values: np.ndarray, times: np.ndarray) -> tuple[float, float]:
    """Mean and batch-means standard error of values, with one batch per day of `times`."""
    if len(values) < 2:
        return (float(values.mean()) if len(values) else math.nan), math.inf
    day = np.floor(times / 1440.0)
    _, index = np.unique(day, return_inverse=True)
    means = np.bincount(index, values) / np.bincount(index)
    if len(means) < 3:
        return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))
    return float(values.mean()), float(means.std(ddof=1) / math.sqrt(len(means)))


def search_docks(
    park: Park,
    trucks: TruckLog,
    window: tuple[float, float],
    timebase: Timebase,
    groups: set[str] | None = None,
    spread: int = 2,
    replications: int = 4,
    horizon_days: float = 28.0,
    seed: int = 0,
    workers: Workers | None = None,
) -> dict[str, DockSearch]:
    """Search dock groups' number of docks by simulation with common random numbers.

    Counts from ``docks − spread`` to ``docks + spread`` are tried first; while a group's best
    count lies on the edge of what was tried, the range widens on that side (up to 64 more),
    so the chosen count is an interior optimum or the smallest count, 1.

    Args:
        park: The park with fitted arrivals, services and speeds.
        trucks: The truck log.
        window: The training window, minutes; the simulation starts at its start.
        timebase: Calendar of the park (to start the simulation on the window's date).
        groups: The dock groups to search (default: every logged one).
        spread: Half-width of the first range of counts.
        replications: Replications per candidate (the same for every candidate), at least 2.
        horizon_days: Simulated days per replication (at most the window's length).
        seed: Base seed.
        workers: Where the replications run (default: one process); any gives the same counts.

    Returns:
        One :class:`DockSearch` per searched dock group with at least 30 logged trucks.
    """
    lo, hi = window
    days = max(min(horizon_days, (hi - lo) / 1440.0), 1.0)
    # like with like: the trucks of the simulated days only (the same calendar days)
    observed = {
        g: v
        for g, v in observed_time_to_dock(trucks, (lo, lo + days * 1440.0)).items()
        if len(v[0]) >= MIN_TRUCKS and (groups is None or g in groups)
    }
    if not observed:
        return {}
    data = park.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["park"]["start"] = timebase.iso(lo)
    searched = {f.id for f in park.logistics.flows if f.dock_group in observed}
    if all(load < LIGHT_GATE for load in gate_peak_load(park).values()):
        # gates never queue to speak of: the other flows change no wait here, leave them out
        data["logistics"]["flows"] = [f for f in data["logistics"]["flows"] if f["id"] in searched]
    current = {g.id: g.docks for g in park.logistics.dock_groups}
    reps = max(replications, 2)
    means: dict[str, dict[int, list[float]]] = {g: {} for g in observed}
    offsets = set(range(-spread, spread + 1))
    done: set[int] = set()
    workers = workers or Workers()
    settings = workers.settings(days, 1.0, 60.0, seed, reps)
    with workers.open() as backend:
        while offsets - done:
            todo = sorted(offsets - done)
            _simulate_offsets(data, observed, current, todo, settings, backend, means)
            done |= offsets
            offsets |= _widen(observed, current, means, done, spread)
    out: dict[str, DockSearch] = {}
    for group, (waits, when, _) in observed.items():
        mean_o, se_o = batch_mean(waits, when)
        simulated = {
            docks: (float(np.mean(m)), float(np.std(m, ddof=1)))
            for docks, m in sorted(means[group].items())
            if len(m) >= 2
        }
        out[group] = _decide(group, current[group], len(waits), mean_o, se_o, simulated, reps)
    return out


def _simulate_offsets(
    data: dict,
    observed: dict[str, tuple[np.ndarray, np.ndarray, set[str]]],
    current: dict[str, int],
    offsets: list[int],
    settings: Settings,
    backend: Backend,
    means: dict[str, dict[int, list[float]]],
) -> None:
    """Simulate every searched group at its count + k for each k; add each group's mean wait.

    The variants of one round are the cases of one run of the experiment runner (common
    random numbers: replication i of every variant draws the same streams).
    """
    variants: list[tuple[int, list[str], Park]] = []
    for k in offsets:
        live = [g for g in observed if current[g] + k >= 1 and current[g] + k not in means[g]]
        if not live:
            continue
        for group in data["logistics"]["dock_groups"]:
            if group["id"] in observed:
                group["docks"] = max(1, current[group["id"]] + k)
        variants.append((k, live, Park.model_validate(data)))
    if not variants:
        return
    flow_index = {f["id"]: i for i, f in enumerate(data["logistics"]["flows"])}
    flows = {g: [flow_index[f] for f in sorted(v[2])] for g, v in observed.items()}
    measure = functools.partial(group_waits, flows=flows, days=settings.days)
    runs = replicate([Case(park) for _, _, park in variants], settings, measure, backend=backend)
    for (k, live, _), waits in zip(variants, runs, strict=True):
        for group in live:
            for run in waits:
                if group in run:
                    means[group].setdefault(current[group] + k, []).append(run[group])


def group_waits(trace: Trace, flows: dict[str, list[int]], days: float) -> dict[str, float]:
    """Each dock group's mean wait from gate arrival to dock start over the trucks of its
    `flows` (indices) arriving in the horizon; a truck still queued at the end waits at least
    until then. Groups without such a truck are left out."""
    t = trace.trucks
    inside = (t["arrive"] >= 0) & (t["arrive"] < days * 1440.0)
    wait = t["dock_start"] - t["arrive"]
    waits = np.where(np.isnan(wait), days * 1440.0 - t["arrive"], wait)
    out: dict[str, float] = {}
    for group, indices in flows.items():
        mine = inside & np.isin(t["flow"], indices)
        if mine.any():
            out[group] = float(waits[mine].mean())
    return out


def _widen(
    observed: dict[str, tuple[np.ndarray, np.ndarray, set[str]]],
    current: dict[str, int],
    means: dict[str, dict[int, list[float]]],
    done: set[int],
    spread: int,
) -> set[int]:
    """Offsets to try next: beyond the edge where a group's best count lies (up to +64)."""
    more: set[int] = set()
    for group, (waits, _, _) in observed.items():
        tried = {d: float(np.mean(m)) for d, m in means[group].items() if m}
        if not tried:
            continue
        target = float(waits.mean())
        best = min(tried, key=lambda d: abs(tried[d] - target))
        low, high = min(done), max(done)
        if best == current[group] + high and high < 64:
            more |= set(range(high + 1, high + spread + 1))
        elif best == current[group] + low and current[group] + low > 1:
            more |= set(range(low - spread, low))
    return more - done


def gate_peak_load(park: Park) -> dict[str, float]:
    """Each gate's utilisation in its busiest hour: arrivals per hour × mean service / lanes.

    Only arrivals pass the gate's service in the engine (the way out adds no gate time).
    """

    gates = {g.id: g for g in park.logistics.gates}
    rates: dict[str, np.ndarray] = {g: np.zeros(168) for g in gates}
    for flow in park.logistics.flows:
        if flow.timetable is not None:
            rates[flow.gate] += len(flow.timetable) / 24.0
        else:
            rates[flow.gate] += np.asarray(flow.weekly_rates())
    return {
        g: float(rates[g].max() * Sampler(gate.service).mean / 60.0 / gate.lanes)
        for g, gate in gates.items()
    }


def _decide(
    group: str,
    current: int,
    n: int,
    mean_o: float,
    se_o: float,
    simulated: dict[int, tuple[float, float]],
    replications: int,
) -> DockSearch:
    """Keep the file's count unless the observation falls outside its prediction interval.

    The interval is the spread of the replications' means (each a possible observed mean if
    the count were right): mean ± t × sd × √(1 + 1/R). Outside it, the closest count wins.
    """
    from scipy import stats

    if current not in simulated:
        return DockSearch(group, current, current, n, mean_o, se_o, simulated, "not simulated")
    t = float(stats.t.ppf(0.975, replications - 1))

    def miss(docks: int) -> float:
        return abs(simulated[docks][0] - mean_o)

    tolerance = t * simulated[current][1] * math.sqrt(1 + 1 / replications)
    best = min(simulated, key=miss)
    if miss(current) <= tolerance or best == current:
        note = (
            f"the file's {current} docks match the observed time to dock "
            f"({mean_o:.1f} min against {simulated[current][0]:.1f} ± {tolerance:.1f} simulated)"
        )
        return DockSearch(group, current, current, n, mean_o, se_o, simulated, note)
    note = (
        f"{best} docks staffed, not {current}: observed {mean_o:.1f} min from gate to dock, "
        f"simulated {simulated[best][0]:.1f} with {best} and {simulated[current][0]:.1f} "
        f"± {tolerance:.1f} with {current}"
    )
    if best == max(simulated) and len(simulated) > 1:
        note += "; the best count is the largest tried (64 above the file's): it may lie beyond"
    return DockSearch(group, current, best, n, mean_o, se_o, simulated, note)
