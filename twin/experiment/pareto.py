"""Several objectives: the Pareto set of the candidates, with intervals instead of one best.

Every candidate runs the same ``first_stage`` replications (common random numbers). A candidate
is left out when a constraint's 95% interval lies wholly past its limit; of the rest, those no
other candidate beats on every objective's mean (and strictly on one) form the Pareto set. A
dominated candidate names the candidate that dominates it, and says whether the dominance is
clear: every paired 95% interval of the differences on the right side of 0. No selection
guarantee is claimed: the set is of means, shown with their intervals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.experiment.backends import Backend
from twin.experiment.optimize import Candidate, Observations, Optimum, optimum_dict
from twin.experiment.runner import run_cases
from twin.experiment.settings import Case, Settings
from twin.language import Language, say
from twin.model.labels import kpi_label
from twin.model.problem import DecisionProblem
from twin.model.schema import Event
from twin.stats import paired_delta, summarize

PARETO_PROCEDURE = say("pareto.procedure", "en")


@dataclass
class ParetoSet:
    """Every candidate's objectives and constraints, and which are on the Pareto front.

    Attributes:
        goals: ``(k, m, n)`` signed objective replications (smaller is better).
        constraints: ``(k, s, n)`` constraint outputs (<= 0 meets the limit).
    """

    problem: DecisionProblem
    candidates: list[Candidate]
    goals: np.ndarray
    constraints: np.ndarray
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False
    """Always False: the Pareto set is made in one round (Ctrl-C ends it with nothing kept)."""
    lang: Language = "en"
    """The language of the certificate and summary."""

    def failing(self, i: int) -> list[int]:
        """Constraints whose 95% interval lies wholly past the limit."""
        return [
            c for c in range(self.constraints.shape[1])
            if summarize(list(self.constraints[i, c])).ci95[0] > 0
        ]  # fmt: skip

    def dominates(self, a: int, b: int) -> bool:
        """True when a's means are no worse than b's on every objective, better on one."""
        ma, mb = self.goals[a].mean(axis=1), self.goals[b].mean(axis=1)
        return bool(np.all(ma <= mb) and np.any(ma < mb))

    def clearly(self, a: int, b: int) -> bool:
        """True when every paired 95% interval of b minus a lies at or above 0."""
        return all(
            paired_delta(list(self.goals[b, m]), list(self.goals[a, m])).ci95[0] >= 0
            for m in range(self.goals.shape[1])
        )

    def front(self) -> list[int]:
        """The Pareto set: candidates meeting the constraints that nothing dominates."""
        usable = [i for i in range(len(self.candidates)) if not self.failing(i)]
        return [i for i in usable if not any(self.dominates(j, i) for j in usable if j != i)]


def evaluate(
    problem: DecisionProblem,
    candidates: Sequence[Candidate],
    events: Sequence[Event],
    settings: Settings,
    backend: Backend | None = None,
    offset: int = 0,
    source: str = "<problem>",
) -> ParetoSet:
    """Run ``first_stage`` replications of every candidate and sort out the Pareto set."""
    n = problem.selection.first_stage
    at = dataclasses.replace(settings, replications=n, first_replication=offset)
    cases = [Case(c.park, tuple(events), None, label=str(i)) for i, c in enumerate(candidates)]
    values = [e.values for e in run_cases(cases, at, backend=backend)]
    observe = Observations(problem, candidates, source)
    for i, v in enumerate(values):
        observe.check_measured(i, v)
    goals = np.array(
        [[observe.objective(i, v, goal) for goal in problem.goals] for i, v in enumerate(values)]
    )
    constraints = np.array([observe.constraints(v) for v in values])
    return ParetoSet(problem, list(candidates), goals, constraints.reshape(len(values), -1, n))


def pareto_dict(result: ParetoSet) -> dict[str, Any]:
    """optimum.json for several objectives: ``best`` is null, ``pareto`` lists the set."""
    front = result.front()
    rows = [_row(result, i, front) for i in range(len(result.candidates))]
    goals = result.problem.goals
    return {
        "problem": result.problem.problem.name,
        "objectives": [
            {"target": g.target, "sense": "minimize" if g.sign > 0 else "maximize"}
            for g in result.problem.goals
        ],
        "best": None,
        "pareto": [rows[i] for i in front],
        "certificate": {
            "procedure": say("pareto.procedure", result.lang),
            "common_random_numbers": True,
            "total_replications": int(result.goals.shape[0] * result.goals.shape[2]),
            "complete": True,
            "guarantee": say("pareto.guarantee", result.lang),
        },
        "candidates": rows,
        "notes": list(result.notes),
        "summary": {
            "lang": result.lang,
            "text": [
                say("pareto.front", result.lang, front=len(front), total=len(rows),
                    goals=", ".join(kpi_label(g.target, result.lang, {}) for g in goals)),
                say("pareto.guarantee", result.lang),
            ],
        },
    }  # fmt: skip


def _row(result: ParetoSet, i: int, front: list[int]) -> dict[str, Any]:
    goals = []
    observe = Observations(result.problem, result.candidates)
    for m, goal in enumerate(result.problem.goals):
        s = summarize(list(goal.sign * result.goals[i, m]), observe.goal_range(i, goal))
        goals.append({"target": goal.target, "mean": s.mean, "ci95": list(s.ci95)})
    failing = result.failing(i)
    if failing:
        status, reason = "infeasible", "constraint " + ", ".join(str(c + 1) for c in failing)
    elif i in front:
        status, reason = "pareto", "no candidate is better on every objective"
    else:
        by = next(j for j in front if result.dominates(j, i)) if front else -1
        clear = "clearly" if by >= 0 and result.clearly(by, i) else "by means only"
        status, reason = "dominated", f"by candidate {by + 1} ({clear})"
    return {
        "values": dict(result.candidates[i].values),
        "replications": int(result.goals.shape[2]),
        "objectives": goals,
        "status": status,
        "reason": reason,
    }


def decision_dict(result: Optimum | ParetoSet) -> dict[str, Any]:
    """optimum.json of either kind of decision."""
    return optimum_dict(result) if isinstance(result, Optimum) else pareto_dict(result)
