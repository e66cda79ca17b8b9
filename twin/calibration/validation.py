"""Validation: the fitted twin against data it was not fitted to.

The fitted park is simulated over the held-out span (by default the last 20% of the data) with
several replications, starting on the held-out span's first date, and compared with what was
measured there:

- meters: MAPE of hourly means (simulated vs observed), and whether each observed daily mean
  lies in the 95% prediction band of the fit: the simulated daily mean ± t × s × √(1 + 1/n),
  with s the day-to-day standard deviation of the fit's residuals over the n training days
  (never narrower than ±2% of the meter's level: smaller differences do not matter to a
  planning twin, and meters with very little noise would otherwise fail on chance alone);
- arrivals, per flow: MAPE of hourly counts against the mean of the replications, next to the
  MAPE a perfect model would show from Poisson noise alone (one replication against the mean
  of the others); Pearson's χ² of the hourly counts against the fitted rates (is the held-out
  span a plausible draw of the fitted process?); and whether each observed daily count lies
  in the replications' 95% prediction band;
- dock groups: the Kolmogorov–Smirnov distance of the minutes from gate arrival to dock start
  and of the turnaround (arrival to departure), observed against simulated, judged against the
  distances the model's own replications lie from each other (:mod:`.spread`: one path of a
  queue is not a sample of independent trucks).

Each check ends in a verdict, ``good``, ``fair`` or ``poor``, with its reason in words. Where a
verdict rests on a test, the p-values of a kind of check (the flows, the dock groups) are
adjusted together by Holm's method, so that a twin that is right is flagged anywhere in the
family at most at the test's level, not once in every so many checks.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from twin.calibration.fit_arrivals import pearson
from twin.calibration.read import MeterSeries, SensorData, TruckLog
from twin.calibration.spread import MIN_REPLICATIONS, Distance, ks_against_spread
from twin.experiment.runner import Progress, replicate
from twin.experiment.settings import Case, Workers
from twin.language import Language, say
from twin.model.intervals import Clock
from twin.model.schema import Park
from twin.sim.trace import Trace
from twin.stats import holm
from twin.text import localized

REPLICATIONS = 20  # the default: enough for the model's own spread of queue paths
AUTO_SIMULATED_DAYS = 400.0  # the default's budget: fewer replications of a long held-out span
AUTO_LEAST = 5
MIN_TRUCKS_JUDGED = 10
MATERIAL = 0.02  # daily-mean differences under 2% of a meter's level count as inside the band
MATERIAL_D = 0.10  # KS distances up to this are good whatever the test says


@dataclass(frozen=True)
class SeriesCheck:
    """Hourly means of one meter, observed against simulated over the held-out span."""

    asset: str
    kind: str
    quantity: str
    hours: np.ndarray  # start of each hour compared, minutes from the held-out start
    observed: np.ndarray
    simulated: np.ndarray
    mape_pct: float
    days_in_band: int
    days: int
    verdict: str
    reason: str
    changed: str = ""  # "changed in validation span on DATE (+40%)", or ""


@dataclass(frozen=True)
class ArrivalCheck:
    """Truck arrivals of one flow (or all logged flows), observed against simulated."""

    name: str
    hours: np.ndarray
    observed: np.ndarray  # hourly counts
    simulated: np.ndarray  # mean hourly counts over replications
    mape_pct: float
    floor_pct: float  # the MAPE of one replication against the others' mean
    chi2_p: float  # Pearson χ² of hourly counts against the fitted rates, upper tail
    chi2_p_adjusted: float  # the same after Holm's correction over the arrival checks
    observed_per_day: float
    simulated_per_day: float
    days_in_band: int
    days: int
    verdict: str
    reason: str
    changed: str = ""


@dataclass(frozen=True)
class QueueCheck:
    """Gate-to-dock time and turnaround of one dock group's trucks, observed vs simulated."""

    group: str
    n_observed: int
    n_simulated: int
    to_dock: Distance
    turnaround: Distance
    p_value: float  # the smaller of the two quantities' p-values, doubled (Bonferroni)
    p_adjusted: float  # p_value after Holm's correction over the dock groups checked
    verdict: str
    reason: str
    samples: dict[str, np.ndarray] = field(default_factory=dict)
    changed: str = ""


@dataclass
class Validation:
    """Every check of the held-out span."""

    window: tuple[float, float]
    replications: int
    seed: int
    series: list[SeriesCheck]
    arrivals: list[ArrivalCheck]
    queues: list[QueueCheck]


@dataclass
class _Simulated:
    """What the replications produced, arranged for the comparisons."""

    step_start: np.ndarray
    step_len: np.ndarray
    series: dict[tuple[str, str], list[np.ndarray]] = field(default_factory=dict)
    trucks: list[dict[str, np.ndarray]] = field(default_factory=list)
    flows: list[str] = field(default_factory=list)
    rates: dict[str, np.ndarray] = field(default_factory=dict)  # flow: rate of each hour


def default_replications(held_out_days: float) -> int:
    """Replications when none are asked for: 20, fewer for a long span (400 days in all, ≥ 5).

    Four held-out days get 20 (the model's spread of queue paths needs a dozen or more); a
    held-out quarter of a year gets 5, so that validating a year of data takes about as long
    as simulating a year.
    """
    if held_out_days <= 0:
        return REPLICATIONS
    fit = math.floor(AUTO_SIMULATED_DAYS / held_out_days)
    return max(AUTO_LEAST, min(REPLICATIONS, fit))


def check_held_out(
    park: Park,
    data: SensorData,
    window: tuple[float, float],
    daily_sd: dict[tuple[str, str], tuple[float, int]],
    replications: int = REPLICATIONS,
    seed: int = 0,
    workers: Workers | None = None,
    progress: Progress | None = None,
) -> Validation:
    """Simulate the fitted park over the held-out `window` and compare it with the data.

    Args:
        park: The fitted park.
        data: All sensor data (only the held-out span is used).
        window: The held-out span ``[split, end)``, minutes from the park's start.
        daily_sd: Day-to-day residual standard deviation of each fitted meter, and the number
            of training days behind it (the band).
        replications: Replications of the held-out span.
        seed: Base seed.
        workers: Where the replications run (default: one process); any gives the same numbers.
        progress: Called with (replications done, replications planned).
    """
    sim = _simulate(park, data, window, replications, seed, workers or Workers(), progress)
    lo, _ = window
    checks = [
        _series_check(series, sim, lo, daily_sd.get((series.asset, series.quantity)))
        for series in data.meters.values()
        if (series.asset, series.quantity) in sim.series
    ]
    arrivals: list[ArrivalCheck] = []
    queues: list[QueueCheck] = []
    if data.trucks is not None:
        arrivals = _arrival_checks(data, sim, window)
        queues = _queue_checks(data, sim, window)
    return Validation(window, replications, seed, checks, arrivals, queues)


# --------------------------------------------------------------------------- simulation


def _simulate(
    park: Park,
    data: SensorData,
    window: tuple[float, float],
    replications: int,
    seed: int,
    workers: Workers,
    progress: Progress | None,
) -> _Simulated:
    """The fitted park's replications over the held-out span, run by the experiment runner."""
    lo, hi = window
    days = (hi - lo) / 1440.0
    spec = park.model_dump(mode="json", by_alias=True, exclude_none=True)
    spec["park"]["start"] = data.timebase.iso(lo)
    held = Park.model_validate(spec)
    ratio = {b.id: (b.water.wastewater_ratio if b.water else 0.0) for b in park.buildings}
    clock = Clock.of(held.park.start)
    hours = clock.week_hour(np.arange(math.ceil(days * 24)) * 60.0)
    rates = {f.id: np.asarray(f.weekly_rates())[hours] for f in held.logistics.flows}
    settings = workers.settings(days, 1.0, 15.0, seed, replications)
    runs = replicate([Case(held)], settings, held_out_run, progress)[0]
    first = runs[0]
    out = _Simulated(first.step_start, first.step_len, flows=first.flows, rates=rates)
    for run in runs:
        for (name, quantity), values in run.series.items():
            if quantity == "wastewater_m3h":
                values = values * ratio[name]
            out.series.setdefault((name, quantity), []).append(values)
        out.trucks.append(run.trucks)
    return out


@dataclass(frozen=True)
class HeldOutRun:
    """What one replication of the held-out span yields for the checks (made in the worker)."""

    step_start: np.ndarray
    step_len: np.ndarray
    flows: list[str]
    series: dict[tuple[str, str], np.ndarray]
    trucks: dict[str, np.ndarray]


def held_out_run(trace: Trace) -> HeldOutRun:
    """One replication's steps after the warm-up, meter series and trucks.

    The wastewater of a building is its water demand here; the caller scales it by the
    building's wastewater ratio.
    """
    edges = trace.edges
    inside = edges[:-1] >= 0
    s = trace.series
    series: dict[tuple[str, str], np.ndarray] = {}
    for j, name in enumerate(trace.names["buildings"]):
        water = s["building_water_demand_m3h"][inside, j]
        series[(name, "power_kw")] = s["building_power_served_kw"][inside, j]
        series[(name, "water_m3h")] = water
        series[(name, "wastewater_m3h")] = water
    for kind, key in (("feeders", "feeder_load_kw"), ("substations", "substation_load_kw")):
        for j, name in enumerate(trace.names[kind]):
            series[(name, "power_kw")] = s[key][inside, j]
    start, length = edges[:-1][inside], np.diff(edges)[inside]
    return HeldOutRun(start, length, trace.names["flows"], series, trace.trucks)


def _hourly(start: np.ndarray, length: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Length-weighted hourly means of values on intervals; hours covered at least half."""
    hour = np.floor((start + length / 2) / 60.0).astype(np.int64)
    if not len(hour):
        return np.zeros(0), np.zeros(0)
    first = int(hour.min())
    idx = hour - first
    cover = np.bincount(idx, length)
    total = np.bincount(idx, length * values)
    keep = cover >= 30.0
    hours = (np.flatnonzero(keep) + first) * 60.0
    return hours, total[keep] / cover[keep]


def _mape(observed: np.ndarray, predicted: np.ndarray) -> float:
    use = np.abs(observed) > 1e-9 * max(float(np.abs(observed).mean()), 1e-12)
    if not use.any():
        return math.nan
    return float(np.mean(np.abs(predicted[use] - observed[use]) / np.abs(observed[use]))) * 100


# --------------------------------------------------------------------------- meters


def _series_check(
    series: MeterSeries, sim: _Simulated, lo: float, daily_sd: tuple[float, int] | None
) -> SeriesCheck:
    from scipy import stats

    held = series.window(lo, lo + float(sim.step_start[-1] + sim.step_len[-1]))
    obs_hours, obs = _hourly(held.t_min - held.interval_min - lo, held.interval_min, held.value)
    runs = sim.series[(series.asset, series.quantity)]
    mean_run = np.mean(runs, axis=0)
    sim_hours, sim_values = _hourly(sim.step_start, sim.step_len, mean_run)
    common, i_o, i_s = np.intersect1d(obs_hours, sim_hours, return_indices=True)
    observed, simulated = obs[i_o], sim_values[i_s]
    mape = _mape(observed, simulated)
    day = np.floor(common / 1440.0)
    days = np.unique(day)
    level = float(np.abs(observed).mean()) if len(observed) else 0.0
    if daily_sd is not None and math.isfinite(daily_sd[0]) and daily_sd[1] > 2:
        sd, n = daily_sd
        half = float(stats.t.ppf(0.975, n - 1)) * sd * math.sqrt(1 + 1 / n)
    else:
        half = 1.96 * 0.05 * level  # no training days to go by: ±5% of the level as the sd
    half = max(half, MATERIAL * level)  # a planning twin need not beat 2% of the level
    inside = 0
    for d in days:
        mine = day == d
        if abs(observed[mine].mean() - simulated[mine].mean()) <= half:
            inside += 1
    verdict, reason = _meter_verdict(mape, inside, len(days))
    return SeriesCheck(
        series.asset,
        series.kind,
        series.quantity,
        common,
        observed,
        simulated,
        mape,
        inside,
        len(days),
        verdict,
        reason,
    )


def meter_reason(mape: float, inside: int, days: int, lang: Language = "en") -> str:
    """Why a meter check has its verdict, in `lang`: its hourly MAPE and days in the band."""
    if not math.isfinite(mape):
        return say("calibration.reason.nothing", lang)
    band = _band(inside, days, "calibration.reason.no_day_to_compare", lang)
    return say("calibration.reason.meter", lang, mape=localized(f"{mape:.1f}", lang), band=band)


def _band(inside: int, days: int, none_key: str, lang: Language) -> str:
    if not days:
        return say(none_key, lang)
    return say("calibration.reason.band", lang, inside=inside, days=days)


def _meter_verdict(mape: float, inside: int, days: int) -> tuple[str, str]:
    reason = meter_reason(mape, inside, days)
    if not math.isfinite(mape):
        return "poor", reason
    if mape <= 5.0 and (not days or inside >= 0.75 * days):
        return "good", reason
    if mape <= 10.0:
        return "fair", reason
    return "poor", reason


# --------------------------------------------------------------------------- trucks


def _arrival_checks(
    data: SensorData, sim: _Simulated, window: tuple[float, float]
) -> list[ArrivalCheck]:
    """Hourly arrivals per logged flow (and of them all), judged with Holm-adjusted χ² p."""
    trucks = data.trucks
    assert trucks is not None
    lo, hi = window
    n_hours = math.floor((hi - lo) / 60.0)
    if n_hours < 1:
        return []
    held = (trucks.arrive >= lo) & (trucks.arrive < lo + n_hours * 60.0)
    logged = sorted(set(trucks.flow[held].tolist()))
    groups = [(f, [f]) for f in logged]
    if len(logged) > 1:
        groups.append(("all logged flows", logged))
    index = {f: i for i, f in enumerate(sim.flows)}
    checks = []
    for name, flows in groups:
        observed = _counts(trucks.arrive[held & np.isin(trucks.flow, flows)] - lo, n_hours)
        ids = [index[f] for f in flows if f in index]
        reps = np.array(
            [_counts(t["arrive"][np.isin(t["flow"], ids)], n_hours) for t in sim.trucks]
        )
        expected = np.sum([sim.rates[f][:n_hours] for f in flows if f in sim.rates], axis=0)
        checks.append(_arrival_check(name, observed, reps, expected))
    adjusted = holm([c.chi2_p for c in checks])
    judged = []
    for check, p in zip(checks, adjusted, strict=True):
        verdict, reason = _arrival_verdict(check, p, len(checks))
        judged.append(dataclasses.replace(check, chi2_p_adjusted=p, verdict=verdict, reason=reason))
    return judged


def _arrival_check(
    name: str, observed: np.ndarray, reps: np.ndarray, expected: np.ndarray
) -> ArrivalCheck:
    """One arrival check's figures (the verdict comes after the family's adjustment)."""
    n_hours = len(observed)
    mean = reps.mean(axis=0)
    floors = []
    for r in range(len(reps)):
        others = np.delete(reps, r, axis=0).mean(axis=0) if len(reps) > 1 else mean
        floors.append(_mape(reps[r], others))
    chi2_p = pearson(observed, expected, fitted=0).p_over if expected.sum() > 0 else math.nan
    n_days = n_hours // 24
    return ArrivalCheck(
        name,
        np.arange(n_hours) * 60.0,
        observed,
        mean,
        _mape(observed, mean),
        float(np.nanmean(floors)) if floors else math.nan,
        chi2_p,
        math.nan,
        float(observed.sum()) / (n_hours / 24),
        float(mean.sum()) / (n_hours / 24),
        _days_in_band(observed, reps, n_days),
        n_days,
        "",
        "",
    )


def _days_in_band(observed: np.ndarray, reps: np.ndarray, n_days: int) -> int:
    """Days whose observed count lies in the replications' 95% prediction band."""
    from scipy import stats

    obs_day = observed[: n_days * 24].reshape(n_days, 24).sum(axis=1)
    sim_day = reps[:, : n_days * 24].reshape(len(reps), n_days, 24).sum(axis=2)
    t_crit = float(stats.t.ppf(0.975, max(len(reps) - 1, 1)))
    inside = 0
    for d in range(n_days):
        m = float(sim_day[:, d].mean())
        var = max(float(sim_day[:, d].var(ddof=1)) if len(reps) > 1 else 0.0, m)
        inside += int(abs(obs_day[d] - m) <= t_crit * math.sqrt(var * (1 + 1 / len(reps))))
    return inside


def _counts(times: np.ndarray, n_hours: int) -> np.ndarray:
    times = times[(times >= 0) & (times < n_hours * 60.0)]
    return np.bincount((times // 60.0).astype(np.int64), minlength=n_hours)[:n_hours].astype(float)


def arrival_reason(
    check: ArrivalCheck, p_adjusted: float, family: int, lang: Language = "en"
) -> str:
    """Why an arrival check has its verdict, in `lang`: MAPE beside the noise floor, the χ²
    p-value (after Holm's correction over a `family` of checks) and days in the band."""
    if not math.isfinite(check.mape_pct):
        return say("calibration.reason.no_arrivals", lang)
    adjusted = say("calibration.reason.holm", lang, p=localized(f"{p_adjusted:.2g}", lang),
                   family=family)  # fmt: skip
    return say(
        "calibration.reason.arrivals",
        lang,
        mape=f"{check.mape_pct:.0f}",
        floor=f"{check.floor_pct:.0f}",
        p=localized(f"{check.chi2_p:.2g}", lang),
        adjusted=adjusted if family > 1 and math.isfinite(p_adjusted) else "",
        band=_band(check.days_in_band, check.days, "calibration.reason.no_day", lang),
    )


def _arrival_verdict(check: ArrivalCheck, p_adjusted: float, family: int) -> tuple[str, str]:
    """Good when the hours pass the χ² test (Holm-adjusted, 1%) and the days lie in the band."""
    reason = arrival_reason(check, p_adjusted, family)
    if not math.isfinite(check.mape_pct):
        return "poor", reason
    days, inside = check.days, check.days_in_band
    hours_ok = not p_adjusted < 0.01  # NaN (a timetable flow) is not a failure
    days_ok = not days or inside >= 0.75 * days
    if hours_ok and days_ok:
        return "good", reason
    if hours_ok or days_ok:
        return "fair", reason
    return "poor", reason


def _queue_checks(
    data: SensorData, sim: _Simulated, window: tuple[float, float]
) -> list[QueueCheck]:
    """Gate-to-dock time and turnaround per dock group, judged against the model's own spread.

    Each group's p-value is the smaller of its two quantities' doubled (Bonferroni), and the
    groups' p-values are adjusted together by Holm's method: a verdict speaks for the family of
    groups checked, so a correct twin is flagged somewhere at most 5% of the time.
    """
    trucks = data.trucks
    assert trucks is not None
    lo, hi = window
    held = (trucks.arrive >= lo) & (trucks.arrive < hi)
    index = {f: i for i, f in enumerate(sim.flows)}
    checks = []
    for group in sorted(set(trucks.dock_group[held].tolist())):
        mine = held & (trucks.dock_group == group)
        flows = [index[f] for f in set(trucks.flow[mine].tolist()) if f in index]
        to_dock, turn, samples = _queue_distances(trucks, mine, sim, flows)
        n_sim = len(samples["turnaround_sim"])
        p_value = _group_p(to_dock, turn)
        checks.append(
            QueueCheck(
                group, int(mine.sum()), n_sim, to_dock, turn, p_value, math.nan, "", "", samples
            )
        )
    judged = []
    for check, p in zip(checks, holm([c.p_value for c in checks]), strict=True):
        n_done = len(check.samples["turnaround"])
        verdict, reason = _queue_verdict(
            check.to_dock, check.turnaround, n_done, p, len(sim.trucks)
        )
        judged.append(dataclasses.replace(check, p_adjusted=p, verdict=verdict, reason=reason))
    return judged


def _queue_distances(
    trucks: TruckLog, mine: np.ndarray, sim: _Simulated, flows: list[int]
) -> tuple[Distance, Distance, dict[str, np.ndarray]]:
    """Observed and simulated gate-to-dock times and turnarounds of one group's trucks."""
    observed = {
        "to_dock": (trucks.dock_start - trucks.arrive)[mine],
        "turnaround": (trucks.depart - trucks.arrive)[mine],
    }
    runs: dict[str, list[np.ndarray]] = {"to_dock": [], "turnaround": []}
    for t in sim.trucks:
        pick = np.isin(t["flow"], flows) & (t["arrive"] >= 0)
        runs["to_dock"].append(_finite_values((t["dock_start"] - t["arrive"])[pick]))
        runs["turnaround"].append(_finite_values((t["exit"] - t["arrive"])[pick]))
    samples = {}
    distances = []
    for name in ("to_dock", "turnaround"):
        samples[name] = _finite_values(observed[name])
        samples[f"{name}_sim"] = np.concatenate(runs[name]) if runs[name] else np.zeros(0)
        distances.append(ks_against_spread(samples[name], runs[name]))
    return distances[0], distances[1], samples


def _finite_values(values: np.ndarray) -> np.ndarray:
    return values[~np.isnan(values)]


def _group_p(to_dock: Distance, turn: Distance) -> float:
    """The smaller p-value of the two quantities, doubled (Bonferroni); NaN if none judged."""
    made = [x.p_value for x in (to_dock, turn) if x.judged]
    return min(1.0, 2.0 * min(made)) if made else math.nan


def _queue_verdict(
    to_dock: Distance, turn: Distance, n: int, p_adjusted: float, replications: int
) -> tuple[str, str]:
    """Good unless the family-wise p is below 5% with a material difference; poor below 1%."""
    reason = queue_reason(to_dock, turn, n, p_adjusted, replications)
    if n < MIN_TRUCKS_JUDGED or not math.isfinite(p_adjusted):
        return "fair", reason
    both = [x for x in (to_dock, turn) if math.isfinite(x.d)]
    if p_adjusted >= 0.05 or all(_difference(x) <= 1.0 for x in both):
        return "good", reason
    if p_adjusted < 0.01 and any(_difference(x) > 2.0 for x in both):
        return "poor", reason
    return "fair", reason


def queue_reason(
    to_dock: Distance,
    turn: Distance,
    n: int,
    p_adjusted: float,
    replications: int,
    lang: Language = "en",
) -> str:
    """Why a queue check has its verdict, in `lang`: each distance against the model's own
    spread and the family-wise p, or why there is nothing to judge by (`n` trucks finished)."""
    if n < MIN_TRUCKS_JUDGED:
        return say("calibration.reason.few_trucks", lang, n=n)
    if not math.isfinite(p_adjusted):
        return say("calibration.reason.few_replications", lang, n=replications,
                   least=MIN_REPLICATIONS, to_dock=localized(f"{to_dock.d:.2f}", lang),
                   turnaround=localized(f"{turn.d:.2f}", lang))  # fmt: skip
    return say("calibration.reason.queues", lang, to_dock=_distance_words(to_dock, lang),
               turnaround=_distance_words(turn, lang),
               p=localized(f"{p_adjusted:.2g}", lang))  # fmt: skip


def _difference(x: Distance) -> float:
    """How material a difference is: 1 at KS D 0.10 or means 10% apart, 2 at 0.20 or 50%."""
    ratio = x.observed_mean / x.simulated_mean if x.simulated_mean > 0 else math.inf
    off = abs(math.log(ratio)) if ratio > 0 else math.inf
    by_mean = (
        off / math.log(1.1)
        if off <= math.log(1.1)
        else 1.0 + (off - math.log(1.1)) / (math.log(1.5) - math.log(1.1))
    )
    return max(x.d / MATERIAL_D, by_mean)


def _distance_words(x: Distance, lang: Language = "en") -> str:
    """``mean 6.0 min (model's paths 6.7-12.6), KS D 0.15 (model's 0.06-0.13), p 0.081``."""
    if not math.isfinite(x.d):
        return say("calibration.reason.no_trucks", lang)
    figures = {
        "mean": f"{x.observed_mean:.1f}",
        "low": f"{x.means[0]:.1f}",
        "high": f"{x.means[1]:.1f}",
        "d": f"{x.d:.2f}",
        "d_low": f"{x.spread[0]:.2f}",
        "d_high": f"{x.spread[1]:.2f}",
        "p": f"{x.p_value:.2g}",
    }
    local = {name: localized(text, lang) for name, text in figures.items()}
    return say("calibration.reason.distance", lang, **local)
