"""Decision problems whose answers queueing theory knows: M/M/c dock groups and Erlang C.

Used by the slow-tier validation (tests/test_optimize_theory.py) and bench/bench_optimize.py.
Trucks arrive as a Poisson stream of 15 an hour at one dock group with exponential service of
10 minutes (2.5 Erlangs); every count of docks has its mean wait from Erlang C.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.parks import one_dock_group
from twin.experiment.backends import SerialBackend
from twin.experiment.optimize import Optimum, decide, engine_sampler, make_candidates
from twin.experiment.settings import Settings
from twin.io.load import load_park
from twin.io.problem_file import load_problem

RATE_PER_MIN = 0.25
MEAN_SERVICE = 10.0
DOCKS = [4, 5, 6, 7]
PATH = "logistics.dock_groups[id=d1].docks"
WAIT = "docks.d1.wait_mean_min"


def erlang_c_wait(c: int) -> float:
    """Mean wait in queue of the M/M/c dock group with c docks (minutes)."""
    a = RATE_PER_MIN * MEAN_SERVICE
    rho = a / c
    terms = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (terms + top) * MEAN_SERVICE / (c * (1 - rho))


def write_park(folder: Path) -> Path:
    """The M/M/c park as a file (a problem names its base by path)."""
    service = {"dist": "exponential", "mean": MEAN_SERVICE}
    park = one_dock_group(docks=4, service=service, rate_per_hour=RATE_PER_MIN * 60)
    path = folder / "mmc.yaml"
    path.write_text(yaml.safe_dump(park.model_dump(mode="json", by_alias=True, exclude_none=True)))
    return path


def fewest_docks(park: Path, crn: bool = True) -> dict[str, Any]:
    """The fewest docks whose mean wait is at most 1 minute (tolerance 0.4): Erlang C says 5."""
    return {
        "problem": {"name": "fewest-docks"},
        "base": str(park),
        "variables": [{"path": PATH, "values": DOCKS}],
        "objective": {"minimize": "cost"},
        "costs": [{"path": PATH, "vnd_per_unit": 1}],
        "constraints": [{"kpi": WAIT, "at_most": 1, "tolerance": 0.4}],
        "selection": {"indifference": 0.5, "confidence": 0.95, "max_replications": 400,
                      "common_random_numbers": crn},
        "settings": {"days": 0.5, "warmup_days": 0.25},
    }  # fmt: skip


def cheapest_docks(park: Path, crn: bool = True) -> dict[str, Any]:
    """Docks at 1 unit each, a minute of mean wait at 2 units: Erlang C says 5 (6.04 vs 6.27)."""
    return {
        "problem": {"name": "cheapest-docks"},
        "base": str(park),
        "variables": [{"path": PATH, "values": DOCKS}],
        "objective": {"minimize": "cost"},
        "costs": [{"path": PATH, "vnd_per_unit": 1}, {"kpi": WAIT, "vnd_per_unit": 2}],
        "selection": {"indifference": 0.2, "confidence": 0.95, "max_replications": 400,
                      "common_random_numbers": crn},
        "settings": {"days": 0.5, "warmup_days": 0.25},
    }  # fmt: skip


def slippage_docks(park: Path, crn: bool = True) -> dict[str, Any]:
    """The cheapest-docks problem with δ exactly the gap between the best and the second best."""
    doc = cheapest_docks(park, crn)
    costs = sorted(true_cost(doc, d) for d in DOCKS)
    doc["problem"]["name"] = "slippage-docks"
    doc["selection"]["indifference"] = costs[1] - costs[0]
    return doc


def true_cost(doc: dict[str, Any], docks: int) -> float:
    """The candidate's cost with Erlang C's mean wait."""
    total = 0.0
    for cost in doc["costs"]:
        total += cost["vnd_per_unit"] * (docks if "path" in cost else erlang_c_wait(docks))
    return total


def correct_answers(doc: dict[str, Any]) -> set[int]:
    """Dock counts that are a correct selection: feasible by Erlang C and less than δ worse than
    the best (in the slippage configuration, the best alone)."""
    limits = [(c["at_most"], c["tolerance"]) for c in doc.get("constraints", [])]
    feasible = [d for d in DOCKS if all(erlang_c_wait(d) <= lim for lim, _ in limits)]
    best = min(true_cost(doc, d) for d in feasible)
    delta = doc["selection"]["indifference"]
    return {d for d in feasible if true_cost(doc, d) < best + delta * (1 - 1e-9)}


def macro_replications(
    doc: dict[str, Any], seeds: range, on_result: Callable[[int, Optimum], None]
) -> None:
    """Decide the problem once per seed (independent macro-replications), in this process."""
    problem, source = load_problem(doc)
    park = load_park(doc["base"])
    candidates = make_candidates(problem, park, source)
    base = Settings(days=problem.settings.days, warmup_days=problem.settings.warmup_days)
    with SerialBackend() as backend:
        for seed in seeds:
            settings = dataclasses.replace(base, seed=seed)
            sample = engine_sampler(problem, candidates, (), settings, backend)
            on_result(seed, decide(problem, candidates, sample))


def chosen_docks(result: Optimum) -> int | None:
    """The dock count selected, None when nothing was (or the procedure did not finish)."""
    if result.best is None or not result.outcome.complete:
        return None
    return int(result.candidates[result.best].values[PATH])


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials**2)) / (1 + z * z / trials)
    return centre - half, centre + half


def score(doc: dict[str, Any], seeds: range) -> list[tuple[bool, bool, int]]:
    """Per macro-replication: correct selection, correct feasibility calls, replications."""
    answers = correct_answers(doc)
    feasible_by_theory = {d: _clearly_feasible(doc, d) for d in DOCKS}
    found: list[tuple[bool, bool, int]] = []

    def record(seed: int, result: Optimum) -> None:
        calls = True
        for i, status in enumerate(result.selection.statuses):
            truth = feasible_by_theory[int(result.candidates[i].values[PATH])]
            if status.feasible is not None and truth is not None and status.feasible != truth:
                calls = False
        found.append((chosen_docks(result) in answers, calls, result.total_replications))

    macro_replications(doc, seeds, record)
    return found


def _clearly_feasible(doc: dict[str, Any], docks: int) -> bool | None:
    """True/False when Erlang C's wait is a tolerance or more inside/outside every limit."""
    verdicts = []
    for c in doc.get("constraints", []):
        gap = erlang_c_wait(docks) - c["at_most"]
        verdicts.append(None if abs(gap) < c["tolerance"] else gap < 0)
    if any(v is False for v in verdicts):
        return False
    return True if all(v is True for v in verdicts) else None


def problem(**overrides):
    """A decision problem on demo-small: the f2-docks count, with `overrides` of its sections."""
    doc = {
        "problem": {"name": "f2-docks"},
        "base": "demo-small",
        "variables": [{"path": "logistics.dock_groups[id=f2-docks].docks", "values": [4, 5, 6]}],
        "objective": {"minimize": "cost"},
        "costs": [
            {"path": "logistics.dock_groups[id=f2-docks].docks", "vnd_per_unit": 1_000_000},
            {"kpi": "docks.f2-docks.wait_mean_min", "vnd_per_unit": 200_000},
        ],
        "constraints": [{"kpi": "docks.f2-docks.wait_mean_min", "at_most": 15, "tolerance": 3}],
        "selection": {"indifference": 1_000_000, "max_replications": 60, "first_stage": 5},
        "settings": {"days": 2, "warmup_days": 0.5, "seed": 3},
    }
    doc.update(overrides)
    return doc
