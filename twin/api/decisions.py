"""``twin.optimize``: the library call behind ``parktwin optimize``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.errors import NAME, InputError, SettingError
from twin.experiment.backends import Backend, open_backend
from twin.experiment.optimize import (
    Candidate,
    Optimum,
    check_kpis,
    decide,
    engine_sampler,
    make_candidates,
)
from twin.experiment.pareto import ParetoSet, evaluate
from twin.experiment.search import FINALISTS_FIRST, check_study, search_finalists
from twin.experiment.selection import Selection
from twin.experiment.settings import Case, Settings
from twin.experiment.workload import check_workload
from twin.io.bundled import DEFAULT_PARK
from twin.io.inputs import Inputs, resolve_inputs
from twin.io.problem_file import load_problem
from twin.io.result_folder import ResultFolder
from twin.language import language_of
from twin.model.problem import DecisionProblem
from twin.model.sanity import sanity_warnings
from twin.model.scenario import check_horizon
from twin.model.schema import Park
from twin.reports.optimize import write_decision

ProblemSource = str | Path | Mapping[str, Any]


def _search_note(problem: DecisionProblem, finalists: int) -> str:
    spec = problem.search
    assert spec is not None
    return (
        f"{problem.candidate_count()} candidates: a search (Optuna TPE with constraints, "
        f"{spec.trials} trials of {spec.replications} replications each) chose {finalists} "
        "finalists; the selection and its guarantee are among the finalists (a clean-up as in "
        "Boesel, Nelson and Kim 2003), not the whole space"
    )


def _relative(name: str | None, problem_file: str) -> str | Path | None:
    """A base or scenario named in a problem file: next to that file when it is there."""
    if name is None:
        return None
    beside = Path(problem_file).parent / name
    if not problem_file.startswith("<") and beside.is_file():
        return beside
    return name


def prepare(problem: DecisionProblem, source: str, park: Park | None = None) -> Inputs:
    """The park the problem decides for (its base, or `park`), checked against the problem.

    Raises:
        InputError: an event past the horizon, or a KPI the park does not have.
    """
    base: Park | str | Path = (
        park if park is not None else _relative(problem.base, source) or DEFAULT_PARK
    )
    inputs = resolve_inputs(base, _relative(problem.scenario, source))
    check_horizon(inputs.events, problem.settings.days, source, place="settings.days")
    check_kpis(problem, inputs.park, source)
    return inputs


PROBLEM_SETTINGS = ("days", "warmup_days", "seed", "step_min")
"""The settings a decision problem's file gives (its ``settings`` section)."""


def _settings(
    problem: DecisionProblem,
    source: str,
    park: Park,
    workers: tuple[int, str, str | None],
) -> Settings:
    """The problem's settings with the command's workers, checked with the park's workload.

    Raises:
        InputError: a setting of the file out of range, or too big a run of the park, named
            ``settings.<field>`` in the problem file.
    """
    s = problem.settings
    jobs, backend, scheduler = workers
    try:
        settings = Settings(
            days=s.days, warmup_days=s.warmup_days, seed=s.seed, step_min=s.step_min,
            jobs=jobs, backend=backend, scheduler=scheduler,
        )  # fmt: skip
        check_workload([Case(park, (), None)], settings)
    except SettingError as exc:
        if exc.setting not in PROBLEM_SETTINGS:
            raise
        names = {name: f"settings.{name}" for name in PROBLEM_SETTINGS}
        raise InputError(source, NAME.sub(lambda m: names.get(m[1], m[1]), exc.text())) from None
    return settings


@dataclass
class _Run:
    """One decision's inputs, and the two ways to decide: a selection or a Pareto set."""

    problem: DecisionProblem
    source: str
    inputs: Inputs
    settings: Settings
    study: Path | None
    progress: Callable[[float, int], None] | None
    on_stage: Callable[[int, Selection], None] | None
    done: int = 0

    def candidates(self, backend: Backend) -> tuple[list[Candidate], int, list[str]]:
        """Every candidate, or a search's finalists: with the first replication and a note."""
        problem, inputs = self.problem, self.inputs
        warnings = [f"warning: {w}" for w in sanity_warnings(inputs.park)]
        if problem.search is None:
            return make_candidates(problem, inputs.park, self.source), 0, warnings
        finalists = search_finalists(
            problem, inputs.park, self.source, inputs.events, self.settings, self.study, backend,
            lambda k, n: self.progress(k, n) if self.progress else None,
        )  # fmt: skip
        return finalists, FINALISTS_FIRST, [*warnings, _search_note(problem, len(finalists))]

    def _stage(self, r: int, selection: Selection) -> None:
        cap = self.problem.selection.max_replications
        if self.progress:
            self.progress(self.done, self.done + len(selection.needs()) * (cap - r))
        if self.on_stage:
            self.on_stage(r, selection)

    def _count(self, done: int) -> None:
        self.done = done

    def select(self, backend: Backend) -> Optimum:
        """The best candidate by the sequential selection."""
        candidates, offset, notes = self.candidates(backend)
        sample = engine_sampler(
            self.problem, candidates, self.inputs.events, self.settings, backend, self._count,
            offset, self.source,
        )  # fmt: skip
        result = decide(self.problem, candidates, sample, on_stage=self._stage)
        result.notes += notes
        return result

    def pareto(self, backend: Backend) -> ParetoSet:
        """The Pareto set of the candidates over several objectives."""
        candidates, offset, notes = self.candidates(backend)
        result = evaluate(
            self.problem,
            candidates,
            self.inputs.events,
            self.settings,
            backend,
            offset,
            self.source,
        )
        result.notes += notes
        return result


def optimize(
    problem: ProblemSource,
    jobs: int = 1,
    backend: str = "local",
    scheduler: str | None = None,
    out: Path | None = None,
    progress: Callable[[float, int], None] | None = None,
    on_stage: Callable[[int, Selection], None] | None = None,
    study: Path | None = None,
    park: Park | None = None,
    lang: str | None = None,
) -> Optimum | ParetoSet:
    """Choose the best candidate of a decision problem, with a statistical guarantee.

    With several objectives (``objectives:``) the answer is a Pareto set with intervals instead.

    Args:
        problem: a decision-problem file, a bundled problem's name, or a dict in that format.
        jobs: worker processes (the numbers do not depend on them, nor on the backend).
        backend: ``local`` or ``dask``.
        scheduler: a dask scheduler address; None for a local cluster.
        out: a folder for optimum.json, best.yaml and the report, written as one unit.
        progress: called with (replications run so far, most the procedure may still run).
        on_stage: called after each round with the replication count and the procedure.
        study: the SQLite file of a search (problems with ``search:``); default ``OUT.study.db``
            beside `out`, so that running the same command again resumes an interrupted search.
        park: the park to decide for, instead of the problem's ``base`` (the web page's park).
        lang: the language of the report and certificate, ``vi`` or ``en`` (default: the
            park's ``park.language``, else ``en``).

    Returns:
        The decision; ``complete`` is False when Ctrl-C or the replication cap stopped it.

    Raises:
        InputError: a problem that cannot be read or does not fit its park (unknown path or
            KPI, an event past the horizon), named by file and field.
    """
    loaded, source = load_problem(problem)
    inputs = prepare(loaded, source, park)
    if loaded.search is not None and study is None and out is not None:
        study = Path(f"{out}.study.db")
    if study is not None:
        check_study(study)
    settings = _settings(loaded, source, inputs.park, (jobs, backend, scheduler))
    language = language_of(lang, inputs.park.park.language)
    run = _Run(loaded, source, inputs, settings, study, progress, on_stage)
    decision = run.pareto if len(loaded.goals) > 1 else run.select

    def compute() -> Optimum | ParetoSet:
        with open_backend(backend, settings.jobs, scheduler) as opened:
            result = decision(opened)
        result.lang = language
        return result

    if out is None:
        return compute()
    described = f"parktwin optimize ({' '.join(sys.argv)[:200]})"
    with ResultFolder(out, described, 1_000_000) as folder:
        result = compute()
        try:
            write_decision(folder.staging, result, inputs.scenario)
            folder.publish(not result.interrupted)
        except OSError as exc:
            raise InputError(str(out), f"could not be written ({exc.strerror or exc})") from None
        return result
