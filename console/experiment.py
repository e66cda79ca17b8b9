"""The options of run, compare and sweep as the command line takes them, and their Settings.

The command line gives ``-r`` and ``--warmup-days`` as text (a number, or ``auto``); one
:class:`ExperimentOptions` holds what a command was given and turns it into
:class:`~twin.experiment.settings.Settings`, naming the flag of any bad value
(:data:`console.errors.FLAGS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import typer

from console.errors import FLAGS
from twin.errors import SettingError, UsageError
from twin.experiment.backends import usable_cores
from twin.experiment.settings import (
    DEFAULT_PRECISION,
    DEFAULT_PRECISION_KPIS,
    INITIAL_REPLICATIONS,
    MAX_REPLICATIONS,
    Settings,
    Workers,
)


@dataclass(frozen=True)
class ExperimentOptions:
    """The option values shared by ``run``, ``compare`` and ``sweep``.

    Attributes:
        days: ``--days``.
        warmup: ``--warmup-days``: a number of days, or ``auto`` for MSER-5.
        seed: ``--seed``.
        replications: ``-r``: a whole number, or ``auto`` for the sequential procedure.
        jobs: ``-j``.
        backend: ``--backend``: ``local`` or ``dask``.
        scheduler: ``--scheduler``: a dask scheduler address.
        step_min: ``--step-min``.
        precision: ``--precision``: target relative half-width with ``-r auto`` (default 0.05).
        kpis: ``--kpi``: the KPIs ``-r auto`` watches (default: truck wait and turnaround).
        max_replications: ``--max-replications``: the cap of ``-r auto`` (default 200).
        first_replication: ``--first-replication``: index of the first replication.
    """

    days: float = 7.0
    warmup: str = "1"
    seed: int = 0
    replications: str = "1"
    jobs: int = 1
    backend: str = "local"
    scheduler: str | None = None
    step_min: float = 15.0
    precision: float | None = None
    kpis: tuple[str, ...] = ()
    max_replications: int | None = None
    first_replication: int = 0

    def settings(self) -> Settings:
        """The settings these options ask for.

        Raises:
            UsageError: a value that is not a number, or options that contradict each other;
                the message names the flag.
        """
        replications, precision = self._replications()
        warmup_auto, warmup_days = self.warmup_choice()
        try:
            return Settings(
                days=self.days,
                warmup_days=warmup_days,
                seed=self.seed,
                replications=replications,
                jobs=self.jobs,
                step_min=self.step_min,
                backend=self.backend,
                scheduler=self.scheduler,
                precision=precision,
                precision_kpis=tuple(self.kpis) or DEFAULT_PRECISION_KPIS,
                max_replications=self.max_replications or MAX_REPLICATIONS,
                warmup_auto=warmup_auto,
                first_replication=self.first_replication,
            )
        except SettingError as exc:
            raise UsageError(exc.named(FLAGS)) from None

    def _replications(self) -> tuple[int, float | None]:
        """``-r`` as a count, and the precision of ``-r auto`` (None without it)."""
        auto = self.replications.strip().lower() == "auto"
        if not auto and self.precision is not None:
            raise UsageError(
                "--precision is the target of -r auto: add -r auto, or drop --precision"
            )
        if not auto and self.max_replications is not None:
            raise UsageError("--max-replications is the cap of -r auto: add -r auto, or drop it")
        if auto:
            return (
                INITIAL_REPLICATIONS,
                DEFAULT_PRECISION if self.precision is None else self.precision,
            )
        try:
            return int(self.replications), None
        except ValueError:
            raise UsageError(
                f"--replications must be a whole number or 'auto', got '{self.replications}'"
            ) from None

    def warmup_choice(self) -> tuple[bool, float]:
        """``--warmup-days`` read: (auto, days; 0 with auto)."""
        if self.warmup.strip().lower() == "auto":
            return True, 0.0
        try:
            return False, float(self.warmup)
        except ValueError:
            raise UsageError(
                f"--warmup-days must be a number of days or 'auto', got '{self.warmup}'"
            ) from None


def capped_jobs(jobs: int) -> int:
    """`-j`, capped at the CPU cores this process may use (with a note when it was more)."""
    cores = usable_cores()
    if jobs > cores:
        typer.echo(
            f"parktwin: note: -j {jobs} is more than the {cores} CPU core(s) here; "
            f"using -j {cores} (more processes than cores only slow the run down)",
            err=True,
        )
    return min(jobs, cores)


def settings_of(options: dict[str, Any]) -> Settings:
    """The experiment settings of run, compare and sweep, from the command's option values."""
    return ExperimentOptions(
        days=options["days"],
        warmup=options["warmup_days"],
        seed=options["seed"],
        replications=options["replications"],
        jobs=capped_jobs(options["jobs"]) if options["scheduler"] is None else options["jobs"],
        backend=options["backend"],
        scheduler=options["scheduler"],
        step_min=options["step_min"],
        precision=options["precision"],
        kpis=tuple(options.get("kpi") or ()),
        max_replications=options.get("max_replications"),
        first_replication=options.get("first_replication", 0),
    ).settings()


def workers_of(jobs: int, backend: str, scheduler: str | None) -> Workers:
    """Where calibrate, nowcast and backtest run their replications: ``-j`` (capped at the
    cores), ``--backend``, ``--scheduler``, checked as for run (a bad value named by its flag)."""
    jobs = capped_jobs(jobs) if scheduler is None else jobs
    ExperimentOptions(jobs=jobs, backend=backend, scheduler=scheduler).settings()
    return Workers(jobs, backend, scheduler)


def warmup_option(text: str) -> float | str:
    """``--warmup-days`` of render and show: a number of days, or ``auto``."""
    auto, days = ExperimentOptions(warmup=text).warmup_choice()
    return "auto" if auto else days
