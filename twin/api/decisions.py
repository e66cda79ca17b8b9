"""``twin.optimize``: the library call behind ``parktwin optimize``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from twin.errors import InputError
from twin.experiment.backends import open_backend
from twin.experiment.optimize import (
    Candidate,
    Optimum,
    check_kpis,
    decide,
    engine_sampler,
    make_candidates,
)
from twin.experiment.runner import events_after_horizon
from twin.experiment.search import FINALISTS_FIRST, search_finalists
from twin.experiment.selection import Selection
from twin.experiment.settings import Settings
from twin.io.bundled import DEFAULT_PARK
from twin.io.inputs import Inputs, resolve_inputs
from twin.io.load import load_problem
from twin.io.result_folder import ResultFolder
from twin.model.problem import DecisionProblem
from twin.model.schema import Park
from twin.reports.optimize import write_optimum

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
    late = events_after_horizon(inputs.events, problem.settings.days)
    if late:
        raise InputError(source, late[0], place="settings.days")
    check_kpis(problem, inputs.park, source)
    return inputs


def _settings(problem: DecisionProblem, jobs: int, backend: str, scheduler: str | None) -> Settings:
    s = problem.settings
    return Settings(
        days=s.days, warmup_days=s.warmup_days, seed=s.seed, step_min=s.step_min,
        jobs=jobs, backend=backend, scheduler=scheduler,
    )  # fmt: skip


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
) -> Optimum:
    """Choose the best candidate of a decision problem, with a statistical guarantee.

    Args:
        problem: a decision-problem file, a bundled problem's name, or a dict in that format.
        jobs, backend, scheduler: where replications run (the numbers do not depend on them).
        out: a folder for optimum.json, best.yaml and the report, written as one unit.
        progress: called with (replications run so far, most the procedure may still run).
        on_stage: called after each round with the replication count and the procedure.
        study: the SQLite file of a search (problems with ``search:``); default ``OUT.study.db``
            beside `out`, so that running the same command again resumes an interrupted search.
        park: the park to decide for, instead of the problem's ``base`` (the web page's park).

    Returns:
        The decision; ``complete`` is False when Ctrl-C or the replication cap stopped it.

    Raises:
        InputError: a problem that cannot be read or does not fit its park (unknown path or
            KPI, an event past the horizon), named by file and field.
    """
    loaded, source = load_problem(problem)
    inputs = prepare(loaded, source, park)
    settings = _settings(loaded, jobs, backend, scheduler)
    candidates: list[Candidate] = []
    if loaded.search is None:
        candidates = make_candidates(loaded, inputs.park, source)
    elif study is None and out is not None:
        study = Path(f"{out}.study.db")

    cap = loaded.selection.max_replications
    done = [0]

    def stage(r: int, selection: Selection) -> None:
        if progress:
            progress(done[0], done[0] + len(selection.needs()) * (cap - r))
        if on_stage:
            on_stage(r, selection)

    def compute() -> Optimum:
        nonlocal candidates
        offset, notes = 0, []
        with open_backend(backend, settings.jobs, scheduler) as opened:
            if loaded.search is not None:
                candidates = search_finalists(
                    loaded, inputs.park, source, inputs.events, settings, study, opened,
                    lambda k, n: progress(k, n) if progress else None,
                )  # fmt: skip
                offset, notes = FINALISTS_FIRST, [_search_note(loaded, len(candidates))]
            count = done.__setitem__
            sample = engine_sampler(
                loaded, candidates, inputs.events, settings, opened, lambda n: count(0, n), offset
            )
            result = decide(loaded, candidates, sample, on_stage=stage)
            result.notes += notes
            return result

    if out is None:
        return compute()
    described = f"parktwin optimize ({' '.join(sys.argv)[:200]})"
    with ResultFolder(out, described, 1_000_000) as folder:
        result = compute()
        try:
            write_optimum(folder.staging, result, inputs.scenario)
            folder.publish(not result.interrupted)
        except OSError as exc:
            raise InputError(str(out), f"could not be written ({exc.strerror or exc})") from None
        return result
