"""``parktwin optimize``: the best candidate of a decision problem, with its certificate.

The candidates are every combination of the problem's variables, each a park (the base with the
values set, or an alternative's changes applied). Their replications run through the runner
(:func:`twin.experiment.runner.run_cases`), so replication i of every candidate draws the same
random numbers (common random numbers) on any backend and ``-j``; the statistics that decide
are :mod:`twin.experiment.selection`'s.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.errors import InputError
from twin.experiment.backends import Backend
from twin.experiment.runner import Interrupted, kpi_names, run_cases
from twin.experiment.selection import (
    Selection,
    SelectionOutcome,
    normality_pvalues,
    run_procedure,
)
from twin.experiment.settings import Case, Settings
from twin.language import Language, say
from twin.model.labels import kpi_label
from twin.model.problem import MAX_CANDIDATES, DecisionProblem, Objective, Variable
from twin.model.scenario import apply_scenario
from twin.model.schema import Change, Event, Park, Scenario, ScenarioInfo, SetChange
from twin.sim.kpi import kpi_range
from twin.stats import summarize
from twin.text import fmt

SEED_STRIDE = 1_000_003
"""Seed offset between candidates when common random numbers are switched off."""


@dataclass(frozen=True)
class Candidate:
    """One combination of the variables' values, and the park it makes.

    Attributes:
        values: variable key (path or name) -> value (label for alternatives).
        changes: the scenario changes that make it from the base.
        park: the base with the changes applied.
    """

    values: dict[str, Any]
    changes: tuple[Change, ...]
    park: Park


def _changes_of(variable: Variable, choice: Any) -> list[Change]:
    if variable.alternatives is not None:
        return next(a.changes for a in variable.alternatives if a.label == choice)
    return [SetChange(set=str(variable.path), value=choice)]


def make_candidates(problem: DecisionProblem, base: Park, source: str) -> list[Candidate]:
    """Every combination of the variables' values, applied to the base park.

    Raises:
        InputError: too many candidates for a selection without a search, or a path or
            value the park does not take (named ``variables``).
    """
    count = problem.candidate_count()
    if count > MAX_CANDIDATES:
        raise InputError(
            source,
            f"{count} candidates; the guaranteed selection takes at most {MAX_CANDIDATES} on its "
            "own: add a `search:` section (a search, then the selection among its best), or "
            "give fewer values",
            place="variables",
        )
    combos = itertools.product(*(v.choices() for v in problem.variables))
    return [candidate_of(problem, base, combo, source) for combo in combos]


def candidate_of(
    problem: DecisionProblem, base: Park, combo: Sequence[Any], source: str
) -> Candidate:
    """The candidate of one combination of values (one per variable, in order)."""
    changes: list[Change] = []
    for variable, choice in zip(problem.variables, combo, strict=True):
        changes += _changes_of(variable, choice)
    values = {v.key: c for v, c in zip(problem.variables, combo, strict=True)}
    return Candidate(values, tuple(changes), _apply(base, changes, values, source))


def _apply(base: Park, changes: list[Change], values: dict[str, Any], source: str) -> Park:
    label = ", ".join(f"{k}={v}" for k, v in values.items())
    scenario = Scenario(scenario=ScenarioInfo(name=label[:200] or "candidate"), changes=changes)
    try:
        return apply_scenario(base, scenario, source)
    except InputError as exc:
        raise InputError(source, f"{exc.message} (candidate {label})", place="variables") from None


def named_kpis(problem: DecisionProblem) -> list[tuple[str, str]]:
    """(place, KPI) of every KPI the problem names: objectives, costs, constraints."""
    named: list[tuple[str, str]] = []
    for k, goal in enumerate(problem.goals):
        if goal.target != "cost":
            named.append(("objective" if problem.objective else f"objectives[{k}]", goal.target))
    named += [(f"costs[{i}].kpi", c.kpi) for i, c in enumerate(problem.costs) if c.kpi]
    named += [(f"constraints[{i}].kpi", c.kpi) for i, c in enumerate(problem.constraints)]
    return named


def check_kpis(problem: DecisionProblem, park: Park, source: str) -> None:
    """Every KPI the problem names exists in the park (objective, costs, constraints)."""
    known = set(kpi_names(park, problem.settings.step_min))
    for place, kpi in named_kpis(problem):
        if kpi not in known:
            close = difflib.get_close_matches(kpi, sorted(known), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InputError(source, f"unknown KPI {kpi!r}{hint}", place=place)


# --------------------------------------------------------------------------- replications


@dataclass
class Observations:
    """Turns each replication's KPIs into the objective and the constraint outputs."""

    problem: DecisionProblem
    candidates: Sequence[Candidate]
    source: str = "<problem>"

    def check_measured(self, i: int, kpis: dict[str, list[float]]) -> None:
        """Every KPI the problem uses has a value in each of candidate i's replications.

        Raises:
            InputError: a KPI with nothing to measure in a replication (a wait with no truck
                in a short horizon), named by its place in the problem.
        """
        for place, kpi in named_kpis(self.problem):
            if np.isfinite(np.asarray(kpis[kpi], float)).all():
                continue
            label = ", ".join(f"{k}={v}" for k, v in self.candidates[i].values.items())
            days = self.problem.settings.days
            raise InputError(
                self.source,
                f"{kpi} has no value in a replication of candidate {label} (nothing to measure "
                f"in {days:g} days, such as a wait with no truck): lengthen settings.days or "
                "choose another KPI",
                place=place,
            )

    def objective(
        self, i: int, kpis: dict[str, list[float]], goal: Objective | None = None
    ) -> np.ndarray:
        """Per replication: the cost, or the objective KPI signed so that smaller is better."""
        problem = self.problem
        goal = goal or problem.single
        if goal.target != "cost":
            return goal.sign * np.asarray(kpis[goal.target], float)
        n = len(next(iter(kpis.values())))
        total = np.full(n, self.fixed_cost(i), dtype=float)
        for c in problem.costs:
            if c.kpi is not None:
                total += c.vnd_per_unit * np.asarray(kpis[c.kpi], float)
        return total

    def fixed_cost(self, i: int) -> float:
        """Candidate i's costs per unit of a variable's value (the same in every replication)."""
        return sum(
            c.vnd_per_unit * float(self.candidates[i].values[c.path])
            for c in self.problem.costs
            if c.path is not None
        )

    def goal_range(self, i: int, goal: Objective | None = None) -> tuple[float, float]:
        """The values candidate i's goal can take, in the goal's own sign.

        A KPI's goal: :func:`~twin.sim.kpi.kpi_range`. The cost: its fixed part, plus each KPI
        cost's unit cost times the ends of that KPI's range (a negative unit cost turns them).
        """
        goal = goal or self.problem.single
        if goal.target != "cost":
            return kpi_range(goal.target)
        low = high = self.fixed_cost(i)
        for c in self.problem.costs:
            if c.kpi is not None and c.vnd_per_unit != 0:
                ends = [c.vnd_per_unit * bound for bound in kpi_range(c.kpi)]
                low, high = low + min(ends), high + max(ends)
        return low, high

    def constraints(self, kpis: dict[str, list[float]]) -> np.ndarray:
        """Per constraint and replication: signed distance past the limit (<= 0 is feasible)."""
        rows = [
            c.sign * (np.asarray(kpis[c.kpi], float) - c.limit) for c in self.problem.constraints
        ]
        n = len(next(iter(kpis.values())))
        return np.array(rows).reshape(len(rows), n)


def engine_sampler(
    problem: DecisionProblem,
    candidates: Sequence[Candidate],
    events: Sequence[Event],
    settings: Settings,
    backend: Backend | None = None,
    progress: Callable[[int], None] | None = None,
    offset: int = 0,
    source: str = "<problem>",
) -> Callable[[list[int], int, int], tuple[np.ndarray, np.ndarray]]:
    """``sample(who, first, count)`` that simulates candidates with the runner.

    Replication i of every candidate draws ``Streams(seed, offset + i)`` (common random
    numbers) unless the problem switches them off; then candidate j runs with its own seed.
    A KPI the problem uses with no value in a replication is an :class:`InputError` of
    `source` (:meth:`Observations.check_measured`).
    """
    observe = Observations(problem, candidates, source)
    crn = problem.selection.common_random_numbers
    done = [0]

    def run(who: list[int], first: int, count: int) -> list[dict[str, list[float]]]:
        at = dataclasses.replace(settings, replications=count, first_replication=offset + first)
        cases = [Case(candidates[i].park, tuple(events), None, label=str(i)) for i in who]
        if crn:
            return [e.values for e in run_cases(cases, at, backend=backend)]
        own = [dataclasses.replace(at, seed=_seed(settings.seed, i)) for i in who]
        return [
            run_cases([case], seeded, backend=backend)[0].values
            for case, seeded in zip(cases, own, strict=True)
        ]

    def sample(who: list[int], first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        values = run(who, first, count)
        for i, v in zip(who, values, strict=True):
            observe.check_measured(i, v)
        objective = np.array([observe.objective(i, v) for i, v in zip(who, values, strict=True)])
        constraints = np.array([observe.constraints(v) for v in values])
        done[0] += len(who) * count
        if progress:
            progress(done[0])
        return objective, constraints.reshape(len(who), len(problem.constraints), count)

    return sample


def _seed(seed: int, i: int) -> int:
    return (seed + (i + 1) * SEED_STRIDE) % 2**32


# --------------------------------------------------------------------------- the result


@dataclass
class Optimum:
    """The decision: the best candidate, the certificate, and every candidate's standing."""

    problem: DecisionProblem
    candidates: list[Candidate]
    selection: Selection
    outcome: SelectionOutcome
    normality: list[float]
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)
    lang: Language = "en"

    @property
    def best(self) -> int | None:
        """Index of the selected candidate, None when no candidate is feasible."""
        pool = [i for i in self.selection.survivors() if self.selection.statuses[i].feasible]
        if not pool:
            pool = [
                i for i in self.selection.survivors() if self.selection.statuses[i].feasible is None
            ]
        if not pool:
            return None
        return min(pool, key=lambda i: (self._mean(i), i))

    @property
    def feasible(self) -> bool:
        """True when the selected candidate was declared feasible."""
        best = self.best
        return best is not None and self.selection.statuses[best].feasible is True

    def closest(self) -> int:
        """With no feasible candidate: the one whose worst constraint is nearest its limit."""
        scores = []
        for i in range(len(self.candidates)):
            n = self.outcome.replications[i]
            means = np.nanmean(self.outcome.constraints[i, :, :n], axis=1)
            eps = [c.epsilon for c in self.problem.constraints]
            scores.append(float(np.max(means / np.asarray(eps))) if len(eps) else 0.0)
        return int(np.argmin(scores))

    def _mean(self, i: int) -> float:
        n = self.outcome.replications[i]
        return float(np.mean(self.outcome.objective[i, :n]))

    def objective_summary(self, i: int) -> dict[str, Any]:
        """Mean and 95% interval of candidate i's objective, in the objective's own sign."""
        n = self.outcome.replications[i]
        values = self.problem.single.sign * self.outcome.objective[i, :n]
        s = summarize(list(values), Observations(self.problem, self.candidates).goal_range(i))
        return {"mean": s.mean, "ci95": list(s.ci95)}

    @property
    def total_replications(self) -> int:
        """Replications run over all candidates."""
        return int(sum(self.outcome.replications))


def guarantee_text(opt: Optimum) -> str:
    """What is guaranteed, in words (in the decision's language), and what is not."""
    sel = opt.problem.selection
    lang = opt.lang
    if not opt.outcome.complete:
        why = (
            say("optimize.why_interrupted", lang)
            if opt.interrupted
            else say("optimize.why_capped", lang, n=sel.max_replications)
        )
        return say("optimize.no_guarantee", lang, why=why)
    text = say("optimize.guarantee_head", lang, p=f"{sel.confidence:.0%}",
               d=fmt(sel.indifference, lang=lang))  # fmt: skip
    if opt.problem.constraints:
        text += say("optimize.guarantee_constraints", lang)
    text += say("optimize.guarantee_tail", lang)
    low = [p for p in opt.normality if p < 0.01]
    if low:
        text += say("optimize.normality_low", lang, low=len(low), n=len(opt.normality))
    elif opt.normality:
        text += say("optimize.normality_ok", lang, p=f"{min(opt.normality):.2g}")
    return text


def decide(
    problem: DecisionProblem,
    candidates: list[Candidate],
    sample: Callable[[list[int], int, int], tuple[np.ndarray, np.ndarray]],
    batch: int = 1,
    on_stage: Callable[[int, Selection], None] | None = None,
) -> Optimum:
    """Run the selection over the candidates with `sample`; Ctrl-C keeps what is decided.

    Raises:
        Interrupted: Ctrl-C before the first stage was complete: no candidate has a replication
            to rank it by, so nothing is decided and nothing is kept (as for a Pareto set).
    """
    sel = problem.selection
    selection = Selection(
        k=len(candidates),
        s=len(problem.constraints),
        epsilons=[c.epsilon for c in problem.constraints],
        indifference=sel.indifference,
        alpha=1 - sel.confidence,
        n0=min(sel.first_stage, sel.max_replications),
    )
    outcome = run_procedure(selection, sample, sel.max_replications, batch, on_stage)
    if outcome.interrupted and not any(outcome.replications):
        raise Interrupted()
    first_stage_done = min(outcome.replications) >= selection.n0
    normality = normality_pvalues(outcome.objective, selection.n0) if first_stage_done else []
    return Optimum(problem, candidates, selection, outcome, normality, outcome.interrupted)


def _status(opt: Optimum, i: int) -> tuple[str, str]:
    st = opt.selection.statuses[i]
    if i == opt.best:
        return "best", "selected" if opt.outcome.complete else "best mean among those left"
    if st.feasible is False:
        return "infeasible", st.reason
    if not st.in_contention:
        return "eliminated", st.reason
    return "not decided", "still in contention when the procedure stopped"


def candidate_dict(opt: Optimum, i: int) -> dict[str, Any]:
    """One row of optimum.json's candidates."""
    n = opt.outcome.replications[i]
    rows = []
    for c, constraint in enumerate(opt.problem.constraints):
        values = constraint.sign * opt.outcome.constraints[i, c, :n] + constraint.limit
        s = summarize(list(values), kpi_range(constraint.kpi))
        state = opt.selection.statuses[i].constraint_state[c]
        rows.append(
            {"kpi": constraint.kpi, "mean": s.mean, "ci95": list(s.ci95), "feasible": state}
        )
    status, reason = _status(opt, i)
    return {
        "values": dict(opt.candidates[i].values),
        "replications": n,
        "objective": opt.objective_summary(i),
        "constraints": rows,
        "status": status,
        "reason": reason,
    }


def optimum_dict(opt: Optimum) -> dict[str, Any]:
    """The optimum.json document (SPEC.md, "Decision problem")."""
    sel = opt.problem.selection
    best = opt.best
    chosen = best if best is not None else opt.closest()
    doc: dict[str, Any] = {
        "problem": opt.problem.problem.name,
        "objective": {"target": opt.problem.single.target,
                      "sense": "minimize" if opt.problem.single.sign > 0 else "maximize"},
        "best": {
            "values": dict(opt.candidates[chosen].values),
            "objective": opt.objective_summary(chosen),
            "feasible": opt.feasible,
        },
        "certificate": {
            "procedure": say("optimize.procedure_text", opt.lang),
            "confidence": sel.confidence,
            "indifference": sel.indifference,
            "common_random_numbers": sel.common_random_numbers,
            "total_replications": opt.total_replications,
            "first_stage": opt.selection.n0,
            "max_replications": sel.max_replications,
            "complete": opt.outcome.complete,
            "normality_min_p": min(opt.normality) if opt.normality else None,
            "guarantee": guarantee_text(opt),
        },
        "candidates": [candidate_dict(opt, i) for i in range(len(opt.candidates))],
        "eliminations": [
            {"after_replications": r, "candidate": i + 1, "what": what}
            for r, i, what in opt.selection.events
        ],
        "notes": list(opt.notes),
    }  # fmt: skip
    if best is None:
        doc["best"]["closest"] = True
        doc["notes"].append(
            "no candidate meets the constraints; `best` is the closest one (its worst "
            "constraint nearest its limit, in tolerances)"
        )
    doc["summary"] = {"lang": opt.lang, "text": answer_lines(doc, opt)}
    return doc


def answer_lines(doc: dict[str, Any], opt: Optimum) -> list[str]:
    """The answer in words, in `opt.lang`: the best, its objective with its 95% interval,
    the guarantee, the replications run (the ``summary`` of optimum.json)."""
    lang = opt.lang
    best = doc["best"]
    values = ", ".join(f"{k} = {v}" for k, v in best["values"].items())
    target = opt.problem.single.target
    o = best["objective"]
    crn = doc["certificate"]["common_random_numbers"]
    streams = say("optimize.crn" if crn else "optimize.independent", lang)
    if opt.best is None:
        head = say("optimize.none_feasible", lang, values=values)
    elif not opt.outcome.complete:
        head = say("optimize.undecided", lang, values=values)
    else:
        head = say("optimize.best", lang, values=values)
    what = kpi_label(target, lang, {})
    return [
        head,
        say("optimize.objective", lang, what=what, mean=fmt(o["mean"], lang=lang),
            low=fmt(o["ci95"][0], lang=lang), high=fmt(o["ci95"][1], lang=lang)),
        doc["certificate"]["guarantee"],
        say("optimize.replications", lang, n=doc["certificate"]["total_replications"],
            streams=streams),
    ]  # fmt: skip
