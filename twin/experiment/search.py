"""Large decision spaces: a search for promising candidates, then the guaranteed clean-up.

Beyond :data:`~twin.model.problem.MAX_CANDIDATES` candidates (or when a problem asks for a
``search``), Optuna's TPE sampler with constraints proposes candidates; each is estimated from
the same first replications (common random numbers, so estimates are comparable). Its study lives
in SQLite, so an interrupted search resumes where it stopped. The best ``finalists`` distinct
candidates found (feasible first, then by objective) then go through the sequential selection
of :mod:`twin.experiment.selection` on new replications, as in the clean-up of Boesel, Nelson and
Kim (2003): the guarantee is about the finalists, not the whole space.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import InputError, UsageError
from twin.experiment.backends import Backend
from twin.experiment.optimize import Candidate, Observations, candidate_of
from twin.experiment.runner import run_cases
from twin.experiment.settings import Case, Settings
from twin.model.problem import DecisionProblem
from twin.model.schema import Event, Park

FINALISTS_FIRST = 1_000_000
"""Replication index where the clean-up's replications start (the search used 0 .. n0-1)."""
SQLITE_HEADER = b"SQLite format 3\x00"


def study_name(problem: DecisionProblem) -> str:
    """The name of the problem's study in its SQLite file: its name and a digest of what its
    trials measure (base, scenario, variables, goals, costs, constraints, settings, the
    search's replications), so that a changed problem starts a study of its own instead of
    resuming trials of another. More `trials` or other `finalists` resume the same study."""
    measured = problem.model_dump(mode="json", exclude={"selection", "problem", "search"})
    measured["replications"] = problem.search.replications if problem.search else None
    text = json.dumps(measured, sort_keys=True, default=str)
    return f"{problem.problem.name} {hashlib.sha256(text.encode()).hexdigest()[:12]}"


def check_study(path: Path) -> None:
    """A search's study file is new, empty or an SQLite database, so that it can be resumed.

    Raises:
        InputError: anything else at `path` (a folder, another file), left as it is.
    """
    if not path.exists():
        return
    head = None
    if path.is_file():
        try:
            with path.open("rb") as file:
                head = file.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise InputError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    if head is None or (head and head != SQLITE_HEADER):
        raise InputError(
            str(path),
            "is not the SQLite study of a search (where an interrupted search resumes); "
            "move it away or choose another result folder",
        )


def _estimate(
    problem: DecisionProblem,
    candidate: Candidate,
    events: Sequence[Event],
    settings: Settings,
    backend: Backend | None,
    source: str,
) -> tuple[list[float], list[float]]:
    """Mean objectives and mean constraint outputs over the search's replications."""
    n = problem.search.replications if problem.search else problem.selection.first_stage
    at = dataclasses.replace(settings, replications=n, first_replication=0)
    values = run_cases([Case(candidate.park, tuple(events), None)], at, backend=backend)[0].values
    observe = Observations(problem, [candidate], source)
    observe.check_measured(0, values)
    goals = [float(np.mean(observe.objective(0, values, goal))) for goal in problem.goals]
    constraints = [float(np.mean(row)) for row in observe.constraints(values)]
    return goals, constraints


def search_finalists(
    problem: DecisionProblem,
    base: Park,
    source: str,
    events: Sequence[Event],
    settings: Settings,
    storage: Path | None,
    backend: Backend | None = None,
    on_trial: Callable[[int, int], None] | None = None,
) -> list[Candidate]:
    """Run (or resume) the search; return the finalists for the clean-up.

    Raises:
        UsageError: Optuna is not installed (the ``optimize`` extra).
    """
    try:
        import optuna
    except ImportError:
        raise UsageError(
            "a `search:` needs Optuna: pip install 'parktwin[optimize]' (or optuna)"
        ) from None

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # no trial traceback on Ctrl-C
    spec = problem.search
    assert spec is not None
    several = len(problem.goals) > 1
    sampler: optuna.samplers.BaseSampler = (
        optuna.samplers.NSGAIISampler(seed=settings.seed)
        if several
        else optuna.samplers.TPESampler(seed=settings.seed)
    )
    study = optuna.create_study(
        study_name=study_name(problem),
        storage=f"sqlite:///{storage}" if storage else None,
        sampler=sampler,
        directions=["minimize"] * len(problem.goals),
        load_if_exists=True,
    )
    found: dict[tuple[Any, ...], Candidate] = {}

    def objective(trial: optuna.Trial) -> float | list[float]:
        combo = tuple(trial.suggest_categorical(v.key, v.choices()) for v in problem.variables)
        candidate = found.get(combo) or candidate_of(problem, base, combo, source)
        found[combo] = candidate
        goals, constraints = _estimate(problem, candidate, events, settings, backend, source)
        trial.set_user_attr("constraints", constraints)
        for k, value in enumerate(constraints):
            trial.set_constraint(f"c{k}", value)
        return goals if several else goals[0]

    left = spec.trials - len([t for t in study.trials if t.state.is_finished()])
    for k in range(max(left, 0)):
        study.optimize(objective, n_trials=1)
        if on_trial:
            on_trial(spec.trials - left + k + 1, spec.trials)
    return _finalists(problem, base, source, study.trials, spec.finalists)


def _dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True)
    )


def _finalists(
    problem: DecisionProblem, base: Park, source: str, trials: Sequence[Any], count: int
) -> list[Candidate]:
    """The `count` best distinct candidates: feasible estimates first, then the least dominated
    (the Pareto front first when there are several objectives), then by the first objective."""
    scored: dict[tuple[Any, ...], tuple[float, int, float]] = {}
    finished = [t for t in trials if t.values and all(math.isfinite(v) for v in t.values)]
    for trial in finished:
        combo = tuple(trial.params[v.key] for v in problem.variables)
        worst = max(trial.user_attrs.get("constraints", [0.0]) or [0.0])
        beaten = sum(_dominates(other.values, trial.values) for other in finished)
        scored[combo] = (max(worst, 0.0), beaten, float(trial.values[0]))
    ranked = sorted(scored, key=lambda c: scored[c])[:count]
    return [candidate_of(problem, base, combo, source) for combo in ranked]
