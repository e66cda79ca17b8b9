"""The decision problem of ``parktwin optimize``: what may change, what is best, what must hold.

A problem names its base park (and optionally a scenario applied first), the variables whose
every combination is a candidate, an objective (a KPI to minimise or maximise, or a cost in VND
from unit costs and KPI prices), constraints on KPI means that must hold, and the selection's
indifference zone, confidence and replication cap. The models are pure: reading the file is
:mod:`twin.io.load`'s job; turning candidates into parks is :mod:`twin.experiment.optimize`'s.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from twin.errors import InputError
from twin.model.schema import Change, Model

MAX_CANDIDATES = 100
"""Most candidates the guaranteed selection takes on its own (the issue's "small spaces")."""


class ProblemInfo(Model):
    """Name and description of a decision problem."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: str | None = None


class ValueRange(Model):
    """Every value from `min` to `max` (inclusive) in steps of `step`."""

    min: float
    max: float
    step: Annotated[float, Field(gt=0)] = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> ValueRange:
        if self.max < self.min:
            raise ValueError(f"empty range: max {self.max:g} is below min {self.min:g}")
        if (self.max - self.min) / self.step > 10_000:
            raise ValueError("more than 10,000 values in the range; take a larger step")
        values = self.values()
        if len(set(values)) < len(values):
            raise ValueError(
                f"step {self.step:g} is below the 1e-12 the values are rounded to, so values "
                "repeat; take a larger step"
            )
        return self

    def values(self) -> list[int | float]:
        """The values, as whole numbers when min and step are whole."""
        count = math.floor((self.max - self.min) / self.step + 1e-9) + 1
        whole = float(self.min).is_integer() and float(self.step).is_integer()
        raw = [self.min + k * self.step for k in range(count)]
        return [round(v) for v in raw] if whole else [round(v, 12) for v in raw]


class Alternative(Model):
    """One named way of changing the park: a list of scenario changes."""

    label: Annotated[str, Field(min_length=1, max_length=200)]
    changes: Annotated[list[Change], Field(max_length=1000)] = Field(default_factory=list)


class Variable(Model):
    """A decision: values (or a range) put at a park path, or named alternatives."""

    path: str | None = Field(None, description="a park path, as in scenario `set` changes")
    values: Annotated[list[Any], Field(min_length=1, max_length=10_000)] | None = None
    range: ValueRange | None = None
    name: str | None = Field(None, description="the name of a variable of alternatives")
    alternatives: Annotated[list[Alternative], Field(min_length=1, max_length=1000)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Variable:
        if self.alternatives is not None:
            if self.path is not None or self.values is not None or self.range is not None:
                raise ValueError("give either `alternatives` or `path` with values, not both")
            if not self.name:
                raise ValueError("a variable of alternatives needs a `name`")
            labels = [a.label for a in self.alternatives]
            if len(set(labels)) != len(labels):
                raise ValueError("alternatives' labels must differ")
            return self
        if self.path is None:
            raise ValueError("give `path` (with `values` or `range`) or `alternatives`")
        if (self.values is None) == (self.range is None):
            raise ValueError("give exactly one of `values` and `range`")
        values = self.values or []
        for i, value in enumerate(values):
            if value in values[:i]:
                raise ValueError(f"the value {value!r} is listed twice")
        return self

    @property
    def key(self) -> str:
        """How the variable is named in results: its path, or its name."""
        return self.path if self.path is not None else str(self.name)

    def choices(self) -> list[Any]:
        """The values this variable takes (labels for alternatives)."""
        if self.alternatives is not None:
            return [a.label for a in self.alternatives]
        if self.range is not None:
            return list(self.range.values())
        return list(self.values or [])


class Objective(Model):
    """What is best: the smallest or largest mean of a KPI, or the smallest cost."""

    minimize: str | None = None
    maximize: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Objective:
        if (self.minimize is None) == (self.maximize is None):
            raise ValueError("give exactly one of `minimize` and `maximize`")
        if self.maximize == "cost":
            raise ValueError("cost is minimised: write `minimize: cost`")
        return self

    @property
    def target(self) -> str:
        """The KPI name, or ``cost``."""
        return str(self.minimize if self.minimize is not None else self.maximize)

    @property
    def sign(self) -> float:
        """+1 when smaller is better, -1 when larger is better."""
        return 1.0 if self.minimize is not None else -1.0


class Cost(Model):
    """A unit cost in VND: per unit of a variable's value, or per unit of a KPI's mean."""

    path: str | None = None
    kpi: str | None = None
    vnd_per_unit: Annotated[float, Field(ge=-1e15, le=1e15)]

    @model_validator(mode="after")
    def _one(self) -> Cost:
        if (self.path is None) == (self.kpi is None):
            raise ValueError("a cost names exactly one of `path` and `kpi`")
        return self


class Constraint(Model):
    """A KPI's mean that must stay at most or at least a limit."""

    kpi: str
    at_most: Annotated[float, Field(ge=-1e15, le=1e15)] | None = None
    at_least: Annotated[float, Field(ge=-1e15, le=1e15)] | None = None
    tolerance: Annotated[float, Field(gt=0)] | None = Field(
        None,
        description="how close to the limit a mean may be and count as either side "
        "(default: 5% of the limit's size, at least 0.01)",
    )

    @model_validator(mode="after")
    def _one(self) -> Constraint:
        if (self.at_most is None) == (self.at_least is None):
            raise ValueError("give exactly one of `at_most` and `at_least`")
        return self

    @property
    def limit(self) -> float:
        """The limit."""
        return float(self.at_most if self.at_most is not None else self.at_least)  # type: ignore[arg-type]

    @property
    def sign(self) -> float:
        """+1 for `at_most` (the KPI minus the limit must be below 0), -1 for `at_least`."""
        return 1.0 if self.at_most is not None else -1.0

    @property
    def epsilon(self) -> float:
        """The tolerance zone's half-width."""
        return self.tolerance if self.tolerance is not None else max(0.05 * abs(self.limit), 0.01)


class SelectionRule(Model):
    """How sure the answer must be, and what it may cost."""

    indifference: Annotated[float, Field(gt=0)] = Field(
        description="differences of the objective smaller than this do not matter"
    )
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.95
    max_replications: Annotated[int, Field(ge=2, le=10_000)] = 200
    first_stage: Annotated[int, Field(ge=5, le=1000)] = Field(
        10, description="replications of every candidate before any decision (n0)"
    )
    common_random_numbers: bool = True

    @model_validator(mode="after")
    def _first_stage_within_cap(self) -> SelectionRule:
        if self.first_stage > self.max_replications:
            raise ValueError(
                f"first_stage {self.first_stage} is more than max_replications "
                f"{self.max_replications}: the first stage runs before any decision"
            )
        return self


class Search(Model):
    """A search of a large space before the guaranteed clean-up among its best candidates."""

    trials: Annotated[int, Field(ge=2, le=10_000)] = Field(
        60, description="candidates the search estimates (Optuna TPE with constraints)"
    )
    replications: Annotated[int, Field(ge=2, le=1000)] = Field(
        5, description="replications per estimate (the same for every candidate: CRN)"
    )
    finalists: Annotated[int, Field(ge=2, le=MAX_CANDIDATES)] = Field(
        10, description="best candidates found that go to the guaranteed selection"
    )


class ProblemSettings(Model):
    """Horizon and seed of every replication."""

    days: Annotated[float, Field(gt=0, le=3660)] = 7.0
    warmup_days: Annotated[float, Field(ge=0, le=3660)] = 1.0
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0
    step_min: Annotated[float, Field(gt=0, le=1440)] = 15.0


class DecisionProblem(Model):
    """A decision problem: the candidates, the objective, the constraints, the guarantee asked."""

    problem: ProblemInfo
    base: str | None = Field(None, description="park path or bundled name")
    scenario: str | None = Field(None, description="a scenario applied to the base first")
    variables: Annotated[list[Variable], Field(min_length=1, max_length=20)]
    objective: Objective | None = None
    objectives: Annotated[list[Objective], Field(min_length=2, max_length=4)] | None = Field(
        None, description="two or more objectives: a Pareto set instead of one best"
    )
    costs: Annotated[list[Cost], Field(max_length=1000)] = Field(default_factory=list)
    constraints: Annotated[list[Constraint], Field(max_length=100)] = Field(default_factory=list)
    selection: SelectionRule
    search: Search | None = Field(
        None, description="search first (needed beyond 100 candidates), then select"
    )
    settings: ProblemSettings = ProblemSettings()
    kind: Literal["decision-problem"] = "decision-problem"

    @model_validator(mode="after")
    def _one_objective_field(self) -> DecisionProblem:
        if (self.objective is None) == (self.objectives is None):
            raise ValueError("give exactly one of `objective` and `objectives`")
        return self

    @property
    def goals(self) -> list[Objective]:
        """The objectives: one for a selection, several for a Pareto set."""
        return [self.objective] if self.objective is not None else list(self.objectives or [])

    @property
    def single(self) -> Objective:
        """The one objective of a selection problem."""
        assert self.objective is not None, "a Pareto problem has no single objective"
        return self.objective

    def candidate_count(self) -> int:
        """How many combinations of the variables there are."""
        return math.prod(len(v.choices()) for v in self.variables)


def check_problem(problem: DecisionProblem, source: str) -> None:
    """Rules across sections: unique variables, costs on variables, constraints that can hold.

    Raises:
        InputError: naming the field (``costs[1].path``, ``constraints[0]``, ...).
    """
    keys = [v.key for v in problem.variables]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            raise InputError(source, f"a second variable for {key!r}", place=f"variables[{i}]")
    if any(goal.target == "cost" for goal in problem.goals) and not problem.costs:
        raise InputError(source, "`minimize: cost` needs `costs`", place="objective")
    for i, cost in enumerate(problem.costs):
        if cost.path is not None and cost.path not in keys:
            raise InputError(
                source,
                f"{cost.path!r} is not the path of a variable (variables: {', '.join(keys)})",
                place=f"costs[{i}].path",
            )
        if cost.path is not None:
            _check_priced(problem.variables[keys.index(cost.path)], source, f"costs[{i}].path")
    for i, j in _contradictions(problem.constraints):
        a, b = problem.constraints[i], problem.constraints[j]
        raise InputError(
            source,
            f"contradicts constraints[{j}]: {a.kpi} {_text(a)} and {_text(b)} cannot both hold",
            place=f"constraints[{i}]",
        )


def _check_priced(variable: Variable, source: str, place: str) -> None:
    """A cost per unit of a variable's value needs values that are numbers."""
    for choice in variable.choices():
        if variable.alternatives is not None or not _is_number(choice):
            raise InputError(
                source,
                f"{variable.key!r} takes {choice!r}, which is not a number: a cost per unit "
                "needs a variable whose values are numbers",
                place=place,
            )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(c: Constraint) -> str:
    return f"at most {c.at_most:g}" if c.at_most is not None else f"at least {c.at_least:g}"


def _contradictions(constraints: list[Constraint]) -> list[tuple[int, int]]:
    """Index pairs of constraints on one KPI that no mean can meet together."""
    found = []
    for i, a in enumerate(constraints):
        for j, b in enumerate(constraints):
            upper, lower = a.at_most, b.at_least
            if a.kpi == b.kpi and upper is not None and lower is not None and upper < lower:
                found.append((i, j))
    return found
