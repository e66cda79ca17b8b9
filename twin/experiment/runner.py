"""Replications of parks and scenarios, on any backend, with the same numbers from each.

An experiment runs one or more :class:`~twin.experiment.settings.Case` objects (the baseline and
scenarios of a comparison, the points of a sweep, or a single run) for the same replications.
Replication i of every case always draws from ``Streams(seed, i)``, whichever worker runs it and in
whatever order, so results are bit-identical for any backend and number of workers, and replication
i of every case sees the same random numbers (common random numbers: comparisons are paired).

Replications are sent to the backend (:mod:`twin.experiment.backends`) in batches, a few per task. A
task that fails, or whose worker dies, is retried once, one replication per task; a replication that
fails again is reported with its seed and index (rerun it alone with ``--seed S
--first-replication I -r 1``), and every finished replication is kept. Ctrl-C stops the workers
and raises :class:`Interrupted` carrying the finished replications.

``-r auto`` runs the replication rule of :mod:`twin.experiment.replication`; ``--warmup auto`` picks
the warm-up by MSER-5 on pilot runs (:mod:`twin.experiment.warmup`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.errors import ParktwinError, UsageError
from twin.experiment.backends import Backend, SerialBackend, open_backend
from twin.experiment.replication import PrecisionReport, check_precision, next_round
from twin.experiment.results import Experiment
from twin.experiment.settings import DEFAULT_PRECISION_KPIS, Case, Settings
from twin.experiment.warmup import (
    PILOT_MIN_DAYS,
    PILOT_REPLICATIONS,
    WarmupChoice,
    choose_warmup,
    pilot_series,
)
from twin.experiment.workload import check_workload
from twin.model.assets import families
from twin.model.sanity import sanity_warnings
from twin.model.scenario import check_horizon
from twin.model.schema import Event, Park
from twin.sim.context import RunSpec
from twin.sim.engine import prepare_shared, run_engine
from twin.sim.kpi import compute_kpis, declared_kpi_names
from twin.sim.loadflow import solver
from twin.sim.supply import PLANS_KEPT
from twin.sim.trace import Trace
from twin.stats import few_replications_note

Progress = Callable[[float, int], None]
"""Called with (replications done, replications planned); done may be fractional while a
long replication runs in this process."""

MAX_BATCH = 4
"""Most replications per task: small tasks balance the workers and lose little on Ctrl-C."""

TICK_S = 0.1
"""While waiting for workers, progress is reported at least this often (seconds)."""

GUIDE = 4
"""A task on several workers takes 1/(GUIDE * workers) of the replications still to send."""

PREPARED_CASES = PLANS_KEPT
"""Cases whose shared work is made before workers are forked: as many as a process keeps."""


# --------------------------------------------------------------------------- tasks


def simulate_case(
    case: Case, spec: RunSpec, progress: Callable[[float], None] | None = None
) -> Trace:
    """Simulate one replication of a case: its park under its events, from its start."""
    return run_engine(case.park, case.events, spec, progress, case.scenario, case.start)


def run_replication(
    case: Case,
    spec: RunSpec,
    keep_trace: bool,
    progress: Callable[[float], None] | None = None,
) -> tuple[dict[str, float], Trace | None]:
    """Simulate one replication; return its KPIs (and its trace when asked)."""
    trace = simulate_case(case, spec, progress)
    return compute_kpis(trace), trace if keep_trace else None


Measure = Callable[[Trace], Any]
"""What a replication yields when it is not KPIs: a pure function of its trace, run in the
worker (a module-level function or a :func:`functools.partial` of one, so that it pickles)."""

BatchResult = list[tuple[int, Any, Trace | None]]
BatchFn = Callable[[Case, Settings, list[int], int], BatchResult]
PilotFn = Callable[[Case, Settings, list[int]], list[tuple[int, np.ndarray]]]


def run_batch(
    case: Case,
    settings: Settings,
    reps: list[int],
    keep_trace: int,
    progress: Callable[[float], None] | None = None,
) -> BatchResult:
    """A worker's task: several replications of one case; the trace of `keep_trace` kept.

    Args:
        case: the park and events.
        settings: horizon, warm-up, seed.
        reps: replication indices.
        keep_trace: the replication whose trace to return (the others return None).
        progress: called with the fraction of the batch done, when run in this process.

    Returns:
        ``(replication, kpis, trace or None)`` per replication, in the order of `reps`.
    """
    results: BatchResult = []
    for k, i in enumerate(reps):
        within = None if progress is None else _scaled_progress(progress, k, len(reps))
        kpis, trace = run_replication(case, case.spec(settings, i), i == keep_trace, within)
        results.append((i, kpis, trace))
    return results


def measure_batch(
    case: Case, settings: Settings, reps: list[int], keep_trace: int, measure: Measure
) -> BatchResult:
    """A worker's task: several replications of one case, each reduced by `measure`.

    `keep_trace` is ignored (the measures are what is returned); it keeps the task's
    signature that of :func:`run_batch`.
    """
    return [(i, measure(simulate_case(case, case.spec(settings, i))), None) for i in reps]


def _scaled_progress(progress: Callable[[float], None], k: int, n: int) -> Callable[[float], None]:
    """Progress of replication k of n as a fraction of the whole batch."""
    return lambda fraction: progress((k + fraction) / n)


def pilot_days(settings: Settings) -> float:
    """How long MSER's pilot runs are: the horizon, and at least :data:`PILOT_MIN_DAYS`.

    MSER needs data well past the transient; on a short series a chance burst in the first
    half can look like one.
    """
    return max(settings.days, PILOT_MIN_DAYS)


def run_pilot(case: Case, settings: Settings, reps: list[int]) -> list[tuple[int, np.ndarray]]:
    """A worker's task: pilot replications for MSER; returns their series.

    A pilot starts empty (no warm-up), runs :func:`pilot_days`, and leaves out the scenario's
    timed events: they happen in the horizon, after any warm-up, so the warm-up has only the
    empty start to wear off.
    """
    pilot = dataclasses.replace(
        settings, days=pilot_days(settings), warmup_days=0.0, warmup_auto=False
    )
    return [
        (i, pilot_series(run_engine(case.park, (), pilot.spec(i), scenario=case.scenario)))
        for i in reps
    ]


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Failure:
    """A replication that failed twice."""

    case: str
    replication: int
    seed: int
    error: str

    def describe(self, rerun: bool = True) -> str:
        """What failed, and (with `rerun`) how to rerun it alone with ``run``'s options."""
        failed = f"replication {self.replication} of '{self.case}' failed twice ({self.error})"
        if not rerun:
            return f"{failed}; its seed is {self.seed}"
        return (
            f"{failed}; rerun it alone with `seed` {self.seed} "
            f"`first_replication` {self.replication} `replications` 1"
        )

    def to_dict(self) -> dict[str, Any]:
        """For the ``failed_replications`` field of kpis.json."""
        return dataclasses.asdict(self)


class ReplicationError(ParktwinError, RuntimeError):
    """Replications failed twice; `experiments` holds every replication that finished."""

    def __init__(
        self,
        failures: Sequence[Failure],
        experiments: Sequence[Experiment] = (),
        rerun: bool = True,
    ):
        self.failures = list(failures)
        self.experiments = list(experiments)
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        first = failures[0].describe(rerun) + more if failures else "replications failed"
        super().__init__(first)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C: the workers were stopped; `experiments` holds the finished replications."""

    def __init__(self, experiments: Sequence[Experiment] = ()):
        super().__init__()
        self.experiments = list(experiments)


# --------------------------------------------------------------------------- the runner


def kpi_names(park: Park, step_min: float = 15.0) -> list[str]:
    """The KPIs a park has, e.g. to check ``--kpi`` names.

    The families declare them (:func:`twin.sim.kpi.declared_kpi_names`); only when a plugin
    family with KPIs declares none are they found by a one-step run.
    """
    if all(f.kpi_names is not None for f in families() if f.kpis is not None):
        return declared_kpi_names(park)
    spec = RunSpec(horizon_days=step_min / 1440.0, warmup_days=0.0, step_min=step_min)
    return list(compute_kpis(run_engine(park, (), spec)))


def check_kpi_names(cases: Sequence[Case], names: Iterable[str], step_min: float = 15.0) -> None:
    """Raise a UsageError naming each KPI in `names` that no case has, with a did-you-mean."""
    names = list(names)
    if all(n in DEFAULT_PRECISION_KPIS for n in names):
        return
    known: list[str] = []
    seen: set[int] = set()
    for case in cases:  # usually the first case has them all
        if id(case.park) not in seen:
            seen.add(id(case.park))
            known.extend(k for k in kpi_names(case.park, step_min) if k not in known)
        if all(n in known for n in names):
            return
    for name in names:
        if name not in known:
            close = [k for k in known if k.startswith(name)][:3] or difflib.get_close_matches(
                name, known, n=3, cutoff=0.5
            )
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise UsageError(
                f"`kpis` {name}: no such KPI{hint} (KPIs are named like trucks.wait_mean_min, "
                "docks.<id>.wait_mean_min, power.peak_mw; see kpis.json of a run)"
            )


def work_units(cases: int, reps: list[int], workers: int) -> list[tuple[int, list[int]]]:
    """Replications `reps` of `cases` cases cut into tasks ``(case, batch)``, in order.

    One replication per task on one worker (the progress bar moves with each). On several,
    tasks shrink as the work runs out (guided scheduling): each takes its share
    ``remaining / (GUIDE * workers)`` (at most :data:`MAX_BATCH`), so the first tasks are
    large (little per-task cost) and the last are single replications, which leave no worker
    idle for long while another finishes a batch.
    """
    if workers == 1:
        return [(c, [r]) for c in range(cases) for r in reps]
    remaining = cases * len(reps)
    units: list[tuple[int, list[int]]] = []
    for case in range(cases):
        k = 0
        while k < len(reps):
            share = math.ceil(remaining / (GUIDE * workers))
            size = max(1, min(MAX_BATCH, share, len(reps) - k))
            units.append((case, reps[k : k + size]))
            k += size
            remaining -= size
    return units


class _Runner:
    """Runs replications of several cases on one backend and keeps what finished."""

    def __init__(
        self,
        cases: Sequence[Case],
        settings: Settings,
        progress: Progress | None,
        batch_fn: BatchFn,
        pilot_fn: PilotFn,
    ) -> None:
        self.cases = list(cases)
        self.settings = settings
        self.progress = progress
        self.batch_fn = batch_fn
        self.pilot_fn = pilot_fn
        self.backend: Backend | None = None
        self._sent: dict[int, Any] = {}
        self.kpis: list[dict[int, Any]] = [{} for _ in self.cases]  # KPIs, or measures
        self.traces: list[Trace | None] = [None for _ in self.cases]
        self.planned: list[int] = []
        self.failures: list[Failure] = []
        self.extra: dict[str, Any] = {}
        self.done = 0
        self.total = 0

    # ----- scheduling

    def _execute(
        self,
        units: list[tuple[int, list[int]]],
        make: Callable[[int, list[int]], tuple[Callable[..., Any], tuple[Any, ...]]],
        store: Callable[[int, Any], None],
    ) -> list[Failure]:
        """Run work units ``(case, reps)``; retry a failed unit once, one rep per task."""
        backend = self.backend
        assert backend is not None
        for index in range(len(self.cases)):
            self._case(index)  # every case shipped before the first task starts the workers
        pending: deque[tuple[int, list[int], int]] = deque((c, r, 0) for c, r in units)
        running: dict[Future[Any], tuple[int, list[int], int, int]] = {}
        window = backend.window
        failures: list[Failure] = []
        while pending or running:
            while pending and len(running) < window:
                case, reps, attempt = pending.popleft()
                fn, args = make(case, reps)
                try:
                    future = backend.submit(fn, *args)
                except Exception as exc:  # the workers died since the last wait
                    if not backend.is_crash(exc):
                        raise
                    backend.recover()
                    future = backend.submit(fn, *args)
                running[future] = (case, reps, attempt, backend.generation)
            finished, _ = wait(list(running), timeout=TICK_S, return_when=FIRST_COMPLETED)
            if not finished and self.progress is not None:
                self.progress(self.done, self.total)  # still working: let a bar move
            for future in sorted(finished, key=lambda f: running[f][:2]):
                case, reps, attempt, generation = running.pop(future)
                error = future.exception()
                if error is None:
                    store(case, future.result())
                    continue
                if backend.is_crash(error) and generation == backend.generation:
                    backend.recover()
                if attempt == 0:
                    pending.extend((case, [r], 1) for r in reps)
                else:
                    seed = self.cases[case].spec(self.settings, 0).seed
                    failures.extend(
                        Failure(self.cases[case].name, r, seed, f"{type(error).__name__}: {error}")
                        for r in reps
                    )
        return failures

    def _within(self, count: int) -> Callable[[float], None]:
        """Progress inside a batch of `count` replications run in this process."""
        progress = self.progress
        assert progress is not None
        # Never a whole number: `done == k` means k replications finished and were stored.
        return lambda fraction: progress(self.done + min(fraction, 0.99) * count, self.total)

    def _case(self, index: int) -> Any:
        """Case `index` as a task argument: sent to each worker once per run."""
        assert self.backend is not None
        if index not in self._sent:
            self._sent[index] = self.backend.ship(self.cases[index])
        return self._sent[index]

    def _prepare(self, settings: Settings, replication: int) -> None:
        """Make here what all replications of each case share, if the workers are forked later.

        They then find it in their memory instead of each making their own, and this process
        keeps it for its next run of the same cases (:func:`twin.sim.engine.prepare_shared`). The
        workers are idle until then, so the making may use as many threads as there are
        workers.
        """
        backend = self.backend
        assert backend is not None
        if not backend.forks_from_here:
            return
        for case in self.cases[:PREPARED_CASES]:
            spec = case.spec(settings, replication)
            prepare_shared(case.park, case.events, spec, case.start, threads=backend.workers)

    def _with_park(self, index: int, trace: Trace) -> Trace:
        """`trace` with its park object: a trace from a worker comes without (it is not pickled)."""
        case = self.cases[index]
        if not trace.holds_park and case.start is None:
            trace.remember_park(case.park)  # the very park it was simulated from
        return trace

    def _tick(self, count: int) -> None:
        self.done += count
        if self.progress:
            self.progress(self.done, self.total)

    def run(self, reps: list[int]) -> None:
        """Replications `reps` of every case."""
        assert self.backend is not None
        self.planned.extend(reps)
        self.total += len(reps) * len(self.cases)
        if self.progress:
            self.progress(self.done, self.total)
        units = work_units(len(self.cases), reps, self.backend.workers)
        keep = self.settings.first_replication
        settings = self.settings
        self._prepare(settings, reps[0])

        in_process = isinstance(self.backend, SerialBackend) and self.batch_fn is run_batch

        def make(case: int, batch: list[int]) -> tuple[Callable[..., Any], tuple[Any, ...]]:
            if in_process and self.progress is not None:
                # Serial: let the bar move inside long replications too.
                within = self._within(len(batch))
                return functools.partial(run_batch, progress=within), (
                    self.cases[case], settings, batch, keep
                )  # fmt: skip
            return self.batch_fn, (self._case(case), settings, batch, keep)

        def store(case: int, result: BatchResult) -> None:
            for i, kpis, trace in result:
                self.kpis[case][i] = kpis
                if trace is not None:
                    self.traces[case] = self._with_park(case, trace)
            self._tick(len(result))

        self.failures.extend(self._execute(units, make, store))

    def choose_warmup(self) -> WarmupChoice:
        """Pilot runs of every case, MSER-5, and the settings with the chosen warm-up."""
        first = self.settings.first_replication
        reps = list(range(first, first + PILOT_REPLICATIONS))
        series: list[dict[int, np.ndarray]] = [{} for _ in self.cases]
        self.total += len(reps) * len(self.cases)
        settings = self.settings

        def make(case: int, batch: list[int]) -> tuple[Callable[..., Any], tuple[Any, ...]]:
            return self.pilot_fn, (self._case(case), settings, batch)

        def store(case: int, result: list[tuple[int, np.ndarray]]) -> None:
            for i, s in result:
                series[case][i] = s
            self._tick(len(result))

        units = [(c, [r]) for c in range(len(self.cases)) for r in reps]
        failures = self._execute(units, make, store)
        if failures:
            raise ReplicationError(failures)
        by_case = {self.cases[c].name: [series[c][i] for i in reps] for c in range(len(self.cases))}
        choice = choose_warmup(by_case, self.settings.step_min, pilot_days(self.settings))
        self.settings = dataclasses.replace(
            self.settings, warmup_days=choice.days, warmup_auto=False
        )
        self.extra["warmup_choice"] = choice.to_dict()
        # the pilots are not part of the experiment's count
        self.done = self.total = 0
        return choice

    def sequential(self) -> PrecisionReport:
        """The `-r auto` procedure: add rounds until precise enough or at the cap."""
        s = self.settings
        assert s.precision is not None
        first, cap = s.first_replication, s.max_replications
        n = s.initial_replications
        self.run(list(range(first, first + n)))
        while True:
            check = check_precision(
                [self._values(c) for c in range(len(self.cases))],
                s.precision_kpis,
                s.precision,
                cap,
            )
            if check.reached or not check.measured or n >= cap or self.failures:
                break
            add = next_round(n, check.needed, cap)
            self.run(list(range(first + n, first + n + add)))
            n += add
        report = PrecisionReport(
            s.precision, s.precision_kpis, n, check.reached, cap, check.relative
        )
        self.extra["replication_rule"] = report.to_dict()
        return report

    # ----- results

    def _values(self, case: int) -> dict[str, list[float]]:
        results = self.kpis[case]
        names: dict[str, None] = {}
        for i in self.planned:
            if i in results:
                names.update(dict.fromkeys(results[i]))
        return {
            name: [
                results[i].get(name, math.nan) if i in results else math.nan for i in self.planned
            ]
            for name in names
        }

    def _power_notes(self, case: int) -> list[str]:
        """What the kept trace says about the network's operation (a load flow that did not
        converge, buildings left off). The supply plan holds nothing random, so what one
        replication says of it holds for every replication."""
        trace = self.traces[case]
        if trace is None:
            return []
        return [f"power: {note}" for note in trace.meta.get("power_notes", [])]

    def experiments(self, interrupted: bool = False) -> list[Experiment]:
        """One :class:`Experiment` per case, NaN for replications that did not finish."""
        out = []
        for c, case in enumerate(self.cases):
            extra = dict(self.extra)
            if self.settings.first_replication:
                extra["first_replication"] = self.settings.first_replication
            warnings = sanity_warnings(case.park)
            if warnings:
                extra["warnings"] = [*extra.get("warnings", []), *warnings]
            notes = self._power_notes(c)
            note = few_replications_note(len(self.planned))
            if note is not None:
                notes.append(note)
            if notes:
                extra["notes"] = notes
            missing = [i for i in self.planned if i not in self.kpis[c]]
            if missing or interrupted:
                extra["complete"] = False
                extra["interrupted"] = interrupted
                extra["missing_replications"] = missing
                extra["failed_replications"] = [
                    f.to_dict() for f in self.failures if f.case == case.name
                ]
            out.append(
                Experiment(
                    park=case.park.park.name,
                    scenario=case.scenario,
                    settings=self.settings,
                    values=self._values(c),
                    trace=self.traces[c],
                    extra=extra,
                )
            )
        return out


def check_horizons(cases: Iterable[Case], days: float) -> None:
    """Refuse a case with an event after the horizon (:func:`check_horizon`), named by scenario.

    Raises:
        InputError: naming the scenario, its late events and the ```days``` that covers them.
    """
    for case in cases:
        source = f"scenario '{case.scenario}'" if case.scenario else f"the events of '{case.name}'"
        check_horizon(case.events, days, source)


def run_cases(
    cases: Sequence[Case],
    settings: Settings | None = None,
    progress: Progress | None = None,
    batch_fn: BatchFn = run_batch,
    pilot_fn: PilotFn = run_pilot,
    backend: Backend | None = None,
) -> list[Experiment]:
    """Replicate every case with the same replications (common random numbers).

    Args:
        cases: the parks under events to run, e.g. a baseline and its scenarios.
        settings: horizon, warm-up, seed, replications, backend (defaults: :class:`Settings`).
        progress: called with (replications done, replications planned) as they finish.
        batch_fn: the task that runs replications (tests replace it to inject failures).
        pilot_fn: the task that runs MSER pilot replications.
        backend: an open backend to use (and leave open), for callers that run many rounds;
            None opens one from the settings for this call.

    Returns:
        One experiment per case, in the order of `cases`. With ``--warmup auto`` or ``-r auto``
        their ``extra`` says what was chosen (``warmup_choice``, ``replication_rule``).

    Raises:
        UsageError: bad options (unknown ``--kpi``, unreachable scheduler), a plugin
            family that fails to load (:class:`~twin.errors.PluginError`), or a park with
            a power network and no load-flow solver installed.
        ReplicationError: some replication failed twice; the others are in the error.
        Interrupted: Ctrl-C; the finished replications are in the error.
    """
    settings = settings or Settings()
    if not cases:
        raise UsageError("nothing to run: no park or scenario given")
    families()  # a plugin that fails to load is bad input, found before any work starts
    if any(c.park.power is not None and c.park.power.network is not None for c in cases):
        solver()  # so is a network without its solver installed (the `power` extra)
    check_kpi_names(cases, settings.precision_kpis, settings.step_min)
    check_horizons(cases, settings.days)
    check_workload(cases, settings)
    runner = _Runner(cases, settings, progress, batch_fn, pilot_fn)
    opened = backend or open_backend(settings.backend, settings.jobs, settings.scheduler)
    try:
        with opened if backend is None else contextlib.nullcontext(backend):
            runner.backend = opened
            if settings.warmup_auto:
                runner.choose_warmup()
            if settings.precision is None:
                first = settings.first_replication
                runner.run(list(range(first, first + settings.replications)))
            else:
                runner.sequential()
    except KeyboardInterrupt:
        raise Interrupted(runner.experiments(interrupted=True)) from None
    experiments = runner.experiments()
    if runner.failures:
        raise ReplicationError(runner.failures, experiments)
    return experiments


def replicate(
    cases: Sequence[Case],
    settings: Settings,
    measure: Measure,
    progress: Progress | None = None,
    backend: Backend | None = None,
) -> list[list[Any]]:
    """What `measure` makes of each replication of each case, run on the settings' backend.

    For work whose result is not KPIs (a nowcast's series, the traces a calibration compares
    with its data): the replications are run, retried and interrupted as for
    :func:`run_cases`, and replication i of a case draws from ``Streams(seed, i)``, with the
    case's own seed when it has one, so the results are the same on any backend and ``-j``.

    Args:
        cases: the parks to replicate (each may carry a warm start and a seed).
        settings: horizon, warm-up, step, seed, replications ``first_replication ..`` and the
            backend; the replication rule and the automatic warm-up do not apply.
        measure: what to keep of each replication's trace (it must pickle).
        progress: called with (replications done, replications planned).
        backend: an open backend to run on, for several calls in a row (its owner closes
            it); None opens the settings' backend for this call.

    Returns:
        Per case, in the order of `cases`, the measure of each replication in index order.

    Raises:
        UsageError: a plugin family that fails to load, an unreachable scheduler.
        ReplicationError: some replication failed twice (the message says which).
        Interrupted: Ctrl-C; the workers were stopped.
    """
    families()
    batch = functools.partial(measure_batch, measure=measure)
    runner = _Runner(cases, settings, progress, batch, run_pilot)
    first = settings.first_replication
    reps = list(range(first, first + settings.replications))
    try:
        with contextlib.ExitStack() as stack:
            runner.backend = backend or stack.enter_context(
                open_backend(settings.backend, settings.jobs, settings.scheduler)
            )
            runner.run(reps)
    except KeyboardInterrupt:
        raise Interrupted() from None
    if runner.failures:  # their commands cannot rerun one replication alone
        raise ReplicationError(runner.failures, rerun=False)
    return [[runner.kpis[c][i] for i in reps] for c in range(len(cases))]


def choose_warmup_for(cases: Sequence[Case], settings: Settings) -> WarmupChoice:
    """The warm-up ``--warmup auto`` picks for the cases: MSER-5 on the same pilot runs.

    For one replication simulated alone (:func:`twin.api.simulate`, the 3D views) to start
    after the same warm-up as :func:`run_cases` would choose.
    """
    runner = _Runner(cases, settings, None, run_batch, run_pilot)
    with open_backend(settings.backend, settings.jobs, settings.scheduler) as backend:
        runner.backend = backend
        return runner.choose_warmup()


def run_experiment(
    park: Park,
    events: Sequence[Event] = (),
    settings: Settings | None = None,
    scenario: str | None = None,
    progress: Progress | None = None,
    first: int = 0,
) -> Experiment:
    """Replications ``first .. first + settings.replications - 1`` of a park under events."""
    settings = settings or Settings()
    if first:
        settings = dataclasses.replace(settings, first_replication=first)
    return run_cases([Case(park, tuple(events), scenario)], settings, progress)[0]
