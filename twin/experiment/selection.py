"""Selecting the best feasible candidate with a guarantee: the statistics, on plain arrays.

The procedure is the fully sequential one of Andradóttir and Kim (2010): the feasibility check
of each candidate's constraints and the comparison of their objectives run side by side, on the
replications as they arrive. Both are triangular continuation regions in the style of Kim and
Nelson (2001), built on paired differences, so common random numbers are allowed and help.

- **Feasibility** (Andradóttir and Kim 2010; Batur and Kim 2010): for a constraint "mean of G at
  most 0" with tolerance ε, the running sum of G over r replications is set against
  ``R(r) = max(0, h_F² S²/(2ε) - ε r/2)``: at or below ``-R`` the constraint holds, at or
  above ``+R`` it does not; in between, replicate more.
- **Comparison** (Kim and Nelson 2001, procedure KN): candidate i leaves when the running sum of
  ``Y_i - Y_l`` exceeds ``max(0, h² S²_il/(2δ) - δ r/2)`` for a candidate l already declared
  feasible (smaller Y is better), with ``S²_il`` the first-stage variance of the paired
  difference.

With n0 first-stage replications, ``h² = (n0-1)((2a)^(-2/(n0-1)) - 1)`` where ``a`` is the error
one decision may make: ``α₂/(k-1)`` for the comparison of k candidates, ``α₁/(k·s)`` for each of
the s constraints of each candidate (Bonferroni); ``α₁ = α₂ = α/2``. Under normally distributed
replication outputs, with probability at least 1 - α every candidate whose constraint means lie ε
or more inside their limits is declared feasible, every one with a mean ε or more outside is
declared infeasible, and the selected candidate's objective mean is within δ of the best
candidate declared feasible. Nothing is guaranteed when outputs are far from normal (checked
with Shapiro-Wilk and reported), or when the replication cap stops the procedure first.

This module knows no park: :mod:`twin.experiment.optimize` feeds it replications.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from twin.language import say

PROCEDURE = say("optimize.procedure_text", "en")


def h_squared(n0: int, error: float) -> float:
    """The triangle's constant for one decision allowed `error` (Fabian's bound, c = 1)."""
    if n0 < 2:
        raise ValueError("the first stage needs at least 2 replications")
    if not 0 < error < 0.5:
        raise ValueError(f"an error rate must lie in (0, 0.5), not {error}")
    return (n0 - 1) * ((2 * error) ** (-2 / (n0 - 1)) - 1)


def half_width(r: int, h2: float, variance: float, zone: float) -> float:
    """``max(0, h² S²/(2 zone) - zone r/2)``: how far a running sum must go to decide."""
    return max(0.0, h2 * variance / (2 * zone) - zone * r / 2)


@dataclass
class Status:
    """Where one candidate stands."""

    feasible: bool | None = None
    """True or False once decided; None while undecided (or never needed)."""
    in_contention: bool = True
    reason: str = ""
    decided_at: int = 0
    """The replication count at the decision that ended its contention (0: still in)."""
    constraint_state: list[bool | None] = field(default_factory=list)


@dataclass
class Selection:
    """The running procedure: feed it replications with :meth:`observe`; ask :meth:`done`.

    Args:
        objective: ``(k, n)`` array so far (smaller is better); rows are candidates, columns
            replications with the same index (common random numbers) or independent ones.
        constraints: ``(k, s, n)`` array of constraint outputs, feasible when the mean is <= 0.
        epsilons: the s constraints' tolerances.
        indifference: δ.
        alpha: 1 - confidence.
        n0: first-stage replications.
    """

    k: int
    s: int
    epsilons: list[float]
    indifference: float
    alpha: float
    n0: int
    statuses: list[Status] = field(init=False)
    events: list[tuple[int, int, str]] = field(default_factory=list)
    """(replication count, candidate, what happened), in the order it happened."""
    _objective_var: np.ndarray | None = field(default=None, init=False)
    _constraint_var: np.ndarray | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.statuses = [Status(constraint_state=[None] * self.s) for _ in range(self.k)]
        if self.s == 0:
            for status in self.statuses:
                status.feasible = True
        a1 = self.alpha / 2 if self.s else 0.0
        a2 = self.alpha - a1
        self.h2_compare = h_squared(self.n0, a2 / max(self.k - 1, 1)) if self.k > 1 else 0.0
        self.h2_feasible = h_squared(self.n0, a1 / (self.k * self.s)) if self.s else 0.0

    def needs(self) -> list[int]:
        """The candidates that still need replications."""
        return [
            i
            for i, st in enumerate(self.statuses)
            if st.in_contention and (st.feasible is None or self._rivals(i))
        ]

    def _rivals(self, i: int) -> bool:
        return any(j != i and st.in_contention for j, st in enumerate(self.statuses))

    def done(self) -> bool:
        """True when every decision the procedure must make is made."""
        return not self.needs()

    def first_stage(self, objective: np.ndarray, constraints: np.ndarray) -> None:
        """Fix the variances from the first n0 replications, then decide what they allow."""
        n0 = self.n0
        diffs = objective[:, None, :n0] - objective[None, :, :n0]
        self._objective_var = np.var(diffs, axis=2, ddof=1)
        if self.s:
            self._constraint_var = np.var(constraints[:, :, :n0], axis=2, ddof=1)
        self.observe(objective[:, :n0], constraints[:, :, :n0], n0)

    def observe(self, objective: np.ndarray, constraints: np.ndarray, r: int) -> None:
        """Apply the decisions of replication count `r` (sums over the first r columns).

        Rows of candidates no longer sampled may hold NaN beyond their last replication.
        """
        self._check_feasibility(constraints, r)
        self._compare(objective, r)

    def _check_feasibility(self, constraints: np.ndarray, r: int) -> None:
        assert self._constraint_var is not None or not self.s
        for i, st in enumerate(self.statuses):
            if st.feasible is not None or not st.in_contention:
                continue
            for c in range(self.s):
                if st.constraint_state[c] is not None:
                    continue
                total = float(np.sum(constraints[i, c, :r]))
                eps = self.epsilons[c]
                bound = half_width(r, self.h2_feasible, float(self._constraint_var[i, c]), eps)  # type: ignore[index]
                if total <= -bound:
                    st.constraint_state[c] = True
                elif total >= bound:
                    st.constraint_state[c] = False
            self._settle_feasibility(i, st, r)

    def _settle_feasibility(self, i: int, st: Status, r: int) -> None:
        if any(state is False for state in st.constraint_state):
            st.feasible, st.in_contention, st.decided_at = False, False, r
            broken = [c for c, state in enumerate(st.constraint_state) if state is False]
            st.reason = "infeasible: constraint " + ", ".join(str(c + 1) for c in broken)
            self.events.append((r, i, st.reason))
        elif all(state is True for state in st.constraint_state):
            st.feasible = True
            self.events.append((r, i, "feasible"))

    def _compare(self, objective: np.ndarray, r: int) -> None:
        assert self._objective_var is not None
        leaders = [j for j, st in enumerate(self.statuses) if st.in_contention and st.feasible]
        sums = np.sum(objective[:, :r], axis=1)
        for i, st in enumerate(self.statuses):
            if not st.in_contention:
                continue
            for j in leaders:
                if j == i or not self.statuses[j].in_contention:
                    continue
                bound = half_width(
                    r, self.h2_compare, float(self._objective_var[i, j]), self.indifference
                )
                gap = float(sums[i] - sums[j])  # sum of Y_i - Y_j: positive means i is worse
                if gap > bound or (bound == 0 and gap == 0 and j < i):
                    st.in_contention, st.decided_at = False, r
                    st.reason = f"eliminated by candidate {j + 1}"
                    self.events.append((r, i, st.reason))
                    break

    def survivors(self) -> list[int]:
        """Candidates still in contention."""
        return [i for i, st in enumerate(self.statuses) if st.in_contention]


def shapiro_p(samples: np.ndarray) -> float | None:
    """Shapiro-Wilk p-value of a sample, or None when it is constant or too small."""
    from scipy import stats

    values = np.asarray(samples, dtype=float)
    values = values[np.isfinite(values)]
    if values.size < 3 or float(np.ptp(values)) == 0.0:
        return None
    return float(stats.shapiro(values).pvalue)


def normality_pvalues(objective: np.ndarray, n0: int) -> list[float]:
    """Shapiro-Wilk p of the first-stage paired differences against the first-stage best."""
    means = np.nanmean(objective[:, :n0], axis=1)
    best = int(np.argmin(means))
    found = []
    for i in range(objective.shape[0]):
        if i == best:
            continue
        p = shapiro_p(objective[i, :n0] - objective[best, :n0])
        if p is not None and not math.isnan(p):
            found.append(p)
    return found


@dataclass
class SelectionOutcome:
    """What the procedure saw and decided.

    Attributes:
        objective: ``(k, n)`` replications of the objective (NaN where not run).
        constraints: ``(k, s, n)`` replications of the constraint outputs.
        replications: how many replications each candidate got.
        complete: False when the cap (or an interruption) stopped it before every decision.
    """

    objective: np.ndarray
    constraints: np.ndarray
    replications: list[int]
    complete: bool
    interrupted: bool = False


def run_procedure(
    selection: Selection,
    sample: Callable[[list[int], int, int], tuple[np.ndarray, np.ndarray]],
    cap: int,
    batch: int = 1,
    on_stage: Callable[[int, Selection], None] | None = None,
) -> SelectionOutcome:
    """Replicate the candidates that need it, a batch at a time, deciding after each replication.

    Args:
        selection: the procedure's state (decisions are recorded there).
        sample: ``sample(candidates, first, count)`` -> objective ``(len, count)`` and
            constraints ``(len, s, count)`` of replications ``first .. first + count - 1``.
        cap: most replications of one candidate.
        batch: replications per round (decisions are still made after each one, so a batch
            only costs the replications of candidates decided inside it).
        on_stage: called after every round with the replication count reached.
    """
    k, s, n0 = selection.k, selection.s, selection.n0
    objective = np.full((k, cap), np.nan)
    constraints = np.full((k, s, cap), np.nan)
    counts = [0] * k

    def fill(who: list[int], first: int, count: int) -> None:
        obj, con = sample(who, first, count)
        for row, i in enumerate(who):
            objective[i, first : first + count] = obj[row]
            constraints[i, :, first : first + count] = con[row]
            counts[i] = first + count

    try:
        fill(list(range(k)), 0, n0)
        selection.first_stage(objective, constraints)
        r = n0
        if on_stage:
            on_stage(r, selection)
        while not selection.done() and r < cap:
            count = min(batch, cap - r)
            fill(selection.needs(), r, count)
            for step in range(r + 1, r + count + 1):
                selection.observe(objective, constraints, step)
                if selection.done():
                    break
            r += count
            if on_stage:
                on_stage(r, selection)
    except KeyboardInterrupt:  # Ctrl-C: what is decided stays decided
        return SelectionOutcome(objective, constraints, counts, False, interrupted=True)
    return SelectionOutcome(objective, constraints, counts, selection.done())
