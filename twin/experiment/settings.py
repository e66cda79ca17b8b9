"""What an experiment runs and how: :class:`Case` (a park under events) and :class:`Settings`.

Every setting is checked when a :class:`Settings` is made, whoever makes it (the API, the
command line, a script), and a bad one raises :class:`~twin.errors.SettingError` naming the
setting as the API spells it (``step_min must be more than 0, got 0``); the
command line renames it to its flag.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import Any

from twin.errors import SettingError
from twin.experiment.backends import BACKENDS, Backend, open_backend
from twin.experiment.warmup import MIN_BATCHES, MSER_BATCH, PILOT_MIN_DAYS
from twin.model.schema import Event, Park
from twin.sim.context import RunSpec
from twin.sim.start_state import StartState

DEFAULT_PRECISION = 0.05
DEFAULT_PRECISION_KPIS = ("trucks.wait_mean_min", "trucks.turnaround_mean_min")
INITIAL_REPLICATIONS = 10
"""First round of ``-r auto``: fewer lets a lucky low-variance start stop the procedure early."""
MAX_REPLICATIONS = 200
MAX_DAYS = 3660
MAX_REPLICATION_COUNT = 10_000
"""Most replications of one experiment (and the cap of ``-r auto``): bounds memory and time."""
MAX_JOBS = 1024
"""Most worker processes or local dask workers (the command line also caps at the cores)."""
MAX_SEED = 2**63 - 1
MAX_GRID_STEPS = 10_000_000
"""Most utility grid steps of one replication (warm-up and horizon): bounds memory."""


@dataclass(frozen=True)
class Settings:
    """How to run an experiment (the options shared by run, compare and sweep).

    Attributes:
        days: horizon in days.
        warmup_days: warm-up before the horizon, days (the starting value with `warmup_auto`).
        seed: base seed.
        replications: replications to run; with `precision`, how many to start with (at
            least :data:`INITIAL_REPLICATIONS`).
        jobs: worker processes (local) or local dask workers.
        step_min: grid step of the utility series, minutes.
        backend: ``local`` or ``dask``.
        scheduler: dask scheduler address; None for a local cluster.
        precision: target relative 95% half-width; None for a fixed number of replications.
        precision_kpis: the KPIs the precision applies to.
        max_replications: the cap of the sequential procedure.
        warmup_auto: choose the warm-up by MSER-5 on pilot runs.
        first_replication: index of the first replication (to rerun one alone).

    Raises:
        SettingError: a setting of the wrong type or out of range, or two that contradict
            each other; the message names the setting.
    """

    days: float = 7.0
    warmup_days: float = 1.0
    seed: int = 0
    replications: int = 1
    jobs: int = 1
    step_min: float = 15.0
    backend: str = "local"
    scheduler: str | None = None
    precision: float | None = None
    precision_kpis: tuple[str, ...] = DEFAULT_PRECISION_KPIS
    max_replications: int = MAX_REPLICATIONS
    warmup_auto: bool = False
    first_replication: int = 0

    def __post_init__(self) -> None:
        _check_numbers(self)
        _check_choices(self)
        _check_auto(self)

    @property
    def initial_replications(self) -> int:
        """Replications of the first round (all of them without `precision`)."""
        if self.precision is None:
            return self.replications
        return min(max(self.replications, INITIAL_REPLICATIONS), self.max_replications)

    def spec(self, replication: int) -> RunSpec:
        """The engine's spec for one replication."""
        return RunSpec(self.days, self.warmup_days, self.step_min, self.seed, replication)


def _number(settings: Settings, name: str, low: float, low_ok: bool, high: float) -> float:
    """The setting `name` as a finite real in ``low ..= high`` (`low` itself when `low_ok`)."""
    value: Any = getattr(settings, name)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SettingError(name, f"must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise SettingError(name, f"must be a finite number, got {value:g}")
    bound = f"{low:g} or more" if low_ok else f"more than {low:g}"
    if not (value >= low if low_ok else value > low):
        raise SettingError(name, f"must be {bound}, got {value:g}")
    if value > high:
        raise SettingError(name, f"must be at most {high:g}, got {value:g}")
    return value


def _whole(settings: Settings, name: str, low: int, high: int) -> int:
    """The setting `name` as a whole number in ``low ..= high``."""
    value: Any = getattr(settings, name)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise SettingError(name, f"must be a whole number, got {value!r}")
    whole = int(value)
    if whole < low:
        raise SettingError(name, f"must be at least {low}, got {whole}")
    if whole > high:
        raise SettingError(name, f"must be at most {high:,}, got {whole:,}")
    return whole


def _check_numbers(s: Settings) -> None:
    """Types and ranges of the numeric settings, and the size of the grid they make."""
    days = _number(s, "days", 0.0, False, MAX_DAYS)
    warmup = _number(s, "warmup_days", 0.0, True, MAX_DAYS)
    step = _number(s, "step_min", 0.0, False, 1440.0)
    _whole(s, "seed", 0, MAX_SEED)
    _whole(s, "first_replication", 0, MAX_SEED)
    _whole(s, "replications", 1, MAX_REPLICATION_COUNT)
    _whole(s, "jobs", 1, MAX_JOBS)
    _whole(s, "max_replications", 2 if s.precision is not None else 1, MAX_REPLICATION_COUNT)
    steps = (days + warmup) * 1440.0 / step
    if steps > MAX_GRID_STEPS:
        raise SettingError(
            "step_min",
            f"of {step:g} makes {steps:.3g} grid steps over {days + warmup:g} days; "
            f"use a `step_min` of at least {(days + warmup) * 1440.0 / MAX_GRID_STEPS:.3g}",
        )


def _check_choices(s: Settings) -> None:
    """The backend, the scheduler and the flags."""
    if s.backend not in BACKENDS:
        raise SettingError("backend", f"must be one of {', '.join(BACKENDS)}, got {s.backend!r}")
    if s.scheduler is not None and s.backend != "dask":
        raise SettingError(
            "scheduler", "is the address of a dask scheduler: it needs `backend` dask"
        )
    if not isinstance(s.warmup_auto, bool):
        raise SettingError("warmup_auto", f"must be true or false, got {s.warmup_auto!r}")


def _check_auto(s: Settings) -> None:
    """The settings of ``-r auto`` and ``--warmup auto``."""
    if s.precision is not None:
        precision = _number(s, "precision", -math.inf, False, math.inf)
        if not 0 < precision < 1:
            raise SettingError(
                "precision",
                f"is a relative half-width between 0 and 1 (0.05 = ±5%), got {s.precision}",
            )
    if not isinstance(s.precision_kpis, tuple) or not all(
        isinstance(k, str) for k in s.precision_kpis
    ):
        raise SettingError(
            "precision_kpis", f"must be a tuple of KPI names, got {s.precision_kpis!r}"
        )
    if s.precision is not None and not s.precision_kpis:
        raise SettingError(
            "precision_kpis", "must name at least one KPI to watch when `precision` is set"
        )
    steps = max(s.days, PILOT_MIN_DAYS) * 1440 / s.step_min
    if s.warmup_auto and steps < MIN_BATCHES * MSER_BATCH:
        raise SettingError(
            "warmup_auto",
            f"needs at least {MIN_BATCHES * MSER_BATCH} grid steps to choose from; use a "
            f"`step_min` of at most {PILOT_MIN_DAYS * 1440 / 50:g} or a fixed `warmup_days`",
        )


@dataclass(frozen=True)
class Case:
    """One park under timed events: the baseline, a scenario, or a point of a sweep.

    Attributes:
        park: the park, scenario changes already applied.
        events: the scenario's timed events.
        scenario: the scenario's name, None for the park as is.
        label: the name shown in reports; defaults to the scenario's or the park's name.
        start: a warm start (the trucks present and outages in effect at time 0, as a
            nowcast starts from the live state); None starts the park empty.
        seed: the base seed of this case's replications; None: the settings' seed.
    """

    park: Park
    events: tuple[Event, ...] = ()
    scenario: str | None = None
    label: str = ""
    start: StartState | None = None
    seed: int | None = None

    @property
    def name(self) -> str:
        """The label, scenario name or park name."""
        return self.label or self.scenario or self.park.park.name

    def spec(self, settings: Settings, replication: int) -> RunSpec:
        """The engine's spec for one replication of this case (its own seed when it has one)."""
        spec = settings.spec(replication)
        return spec if self.seed is None else dataclasses.replace(spec, seed=self.seed)


@dataclass(frozen=True)
class Workers:
    """Where replications run: how many workers, on which backend, at which dask scheduler.

    For the commands whose replications are not an experiment of their own (calibrate,
    nowcast, backtest): they say how their runs are shaped, the command says where they run.

    Attributes:
        jobs: worker processes (local) or local dask workers.
        backend: ``local`` or ``dask``.
        scheduler: dask scheduler address; None for a local cluster.

    Raises:
        SettingError: `jobs` out of range, an unknown backend, a scheduler without dask.
    """

    jobs: int = 1
    backend: str = "local"
    scheduler: str | None = None

    def __post_init__(self) -> None:
        Settings(jobs=self.jobs, backend=self.backend, scheduler=self.scheduler)

    def open(self) -> Backend:
        """The backend these workers are: open, to use as a context manager."""
        return open_backend(self.backend, self.jobs, self.scheduler)

    def settings(
        self, days: float, warmup_days: float, step_min: float, seed: int, replications: int
    ) -> Settings:
        """The settings of `replications` runs of `days` after `warmup_days`, run here.

        Raises:
            SettingError: a value out of range, named as in :class:`Settings`.
        """
        return Settings(
            days=days,
            warmup_days=warmup_days,
            seed=seed,
            replications=replications,
            jobs=self.jobs,
            step_min=step_min,
            backend=self.backend,
            scheduler=self.scheduler,
        )
