"""Optimize keeps its objective's and costs' intervals within the values they can take.

A mean wait cannot be negative, and a cost made of a fixed part and non-negative KPIs times
positive unit costs cannot fall below its fixed part: the Student-t interval of a few noisy
replications is clipped to that range, as constraints' intervals already are.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from twin.experiment.optimize import Candidate, Observations, Optimum
from twin.experiment.selection import SelectionOutcome
from twin.model.problem import DecisionProblem
from twin.stats import t_quantile

WAIT = "docks.d1.wait_mean_min"
PATH = "logistics.dock_groups[id=d1].docks"


def _problem(objective: dict[str, Any], costs: list[dict[str, Any]]) -> DecisionProblem:
    return DecisionProblem.model_validate(
        {
            "problem": {"name": "ranges"},
            "base": "demo-small",
            "variables": [{"path": PATH, "values": [4, 5]}],
            "objective": objective,
            "costs": costs,
            "selection": {"indifference": 0.5},
        }
    )


def _candidates(*docks: int) -> list[Candidate]:
    return [Candidate({PATH: d}, (), None) for d in docks]  # type: ignore[arg-type]


def _optimum(problem: DecisionProblem, objective: list[list[float]], docks: list[int]) -> Optimum:
    values = np.asarray(objective, float)
    outcome = SelectionOutcome(
        objective=values,
        constraints=np.zeros((len(docks), 0, values.shape[1])),
        replications=[values.shape[1]] * len(docks),
        complete=True,
    )
    return Optimum(problem, _candidates(*docks), None, outcome, [])  # type: ignore[arg-type]


def test_a_wait_objective_keeps_its_interval_at_or_above_zero():
    problem = _problem({"minimize": WAIT}, [])
    waits = [0.1, 0.2, 9.0]  # three replications, one long wait: t-interval reaches below 0
    half = t_quantile(2) * float(np.std(waits, ddof=1)) / math.sqrt(3)
    assert np.mean(waits) - half < 0
    summary = _optimum(problem, [waits], [4]).objective_summary(0)
    assert summary["ci95"][0] == 0.0
    assert math.isclose(summary["ci95"][1], float(np.mean(waits)) + half)


def test_a_maximised_share_keeps_its_interval_within_zero_and_one():
    problem = _problem({"maximize": "docks.d1.utilization"}, [])
    shares = [0.99, 0.97, 0.5]
    signed = [-v for v in shares]  # the objective is stored signed, smaller is better
    summary = _optimum(problem, [signed], [4]).objective_summary(0)
    assert summary["ci95"][1] == 1.0
    assert summary["ci95"][0] > 0.0
    assert math.isclose(summary["mean"], float(np.mean(shares)))


def test_a_cost_is_bounded_by_its_fixed_part_and_the_kpis_ranges():
    costs = [{"path": PATH, "vnd_per_unit": 1000}, {"kpi": WAIT, "vnd_per_unit": 50}]
    observe = Observations(_problem({"minimize": "cost"}, costs), _candidates(4, 5))
    assert observe.goal_range(0) == (4000.0, math.inf)
    assert observe.goal_range(1) == (5000.0, math.inf)
    refund = [
        {"path": PATH, "vnd_per_unit": 1000},
        {"kpi": "docks.d1.utilization", "vnd_per_unit": -300},
    ]
    observe = Observations(_problem({"minimize": "cost"}, refund), _candidates(4))
    assert observe.goal_range(0) == (3700.0, 4000.0)


def test_a_cost_interval_does_not_reach_below_the_fixed_cost():
    costs = [{"path": PATH, "vnd_per_unit": 1000}, {"kpi": WAIT, "vnd_per_unit": 50}]
    problem = _problem({"minimize": "cost"}, costs)
    totals = [4000 + 50 * w for w in (0.1, 0.2, 9.0)]
    summary = _optimum(problem, [totals], [4]).objective_summary(0)
    assert summary["ci95"][0] == 4000.0
    assert summary["ci95"][1] > summary["mean"] > 4000.0


def test_an_unbounded_plugin_kpi_keeps_its_plain_interval():
    problem = _problem({"minimize": "plugin.thing.score"}, [])
    values = [-5.0, 1.0, 2.0]
    half = t_quantile(2) * float(np.std(values, ddof=1)) / math.sqrt(3)
    summary = _optimum(problem, [values], [4]).objective_summary(0)
    assert math.isclose(summary["ci95"][0], float(np.mean(values)) - half)
