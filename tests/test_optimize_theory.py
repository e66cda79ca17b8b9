"""The selection's guarantee through the engine, against Erlang C (slow tier).

200 independent macro-replications of each M/M/c problem of tests/optimize_problems.py: the
fewest docks under a wait limit, the cheapest docks at a price per dock and per minute of wait,
and the same with the indifference zone exactly the gap between the best and the second best
(the slippage configuration, the hardest case the guarantee covers). The procedure must select
the answer Erlang C gives at least 1 - α = 95% of the time and call feasibility right. Rates,
Wilson intervals and replications per decision are printed (``-s``).
"""

from __future__ import annotations

import statistics
from concurrent.futures import ProcessPoolExecutor

import pytest

from tests import optimize_problems as op

MACRO = 200
pytestmark = pytest.mark.xdist_group("optimize-theory")  # one worker: _DONE serves every test


_DONE: dict[str, list[tuple[bool, bool, int]]] = {}


def _run(doc):
    """Score MACRO macro-replications on two processes (each problem once per session)."""
    key = f"{doc['problem']['name']}-{doc['selection']['common_random_numbers']}"
    if key not in _DONE:
        halves = [range(0, MACRO // 2), range(MACRO // 2, MACRO)]
        with ProcessPoolExecutor(2) as pool:
            _DONE[key] = [r for part in pool.map(op.score, [doc, doc], halves) for r in part]
    return _DONE[key]


@pytest.mark.slow
@pytest.mark.parametrize("make", [op.fewest_docks, op.cheapest_docks, op.slippage_docks])
def test_the_answer_is_selected_with_the_promised_probability(tmp_path, make):
    doc = make(op.write_park(tmp_path))
    results = _run(doc)
    correct = sum(r[0] for r in results)
    calls = sum(r[1] for r in results)
    low, high = op.wilson(correct, MACRO)
    reps = statistics.mean(r[2] for r in results)
    print(f"{make.__name__}: correct {correct}/{MACRO} [{low:.3f}, {high:.3f}], "
          f"feasibility right {calls}/{MACRO}, {reps:.1f} replications per decision")  # fmt: skip
    assert correct / MACRO >= 0.93  # 95% promised; 0.93 is 1.3 binomial sd below it
    assert calls / MACRO >= 0.93


@pytest.mark.slow
def test_common_random_numbers_save_replications_on_the_engine(tmp_path):
    park = op.write_park(tmp_path)
    with_crn = statistics.mean(r[2] for r in _run(op.cheapest_docks(park, crn=True)))
    without = statistics.mean(r[2] for r in _run(op.cheapest_docks(park, crn=False)))
    print(
        f"cheapest_docks: {with_crn:.1f} replications per decision with CRN, {without:.1f} without"
    )
    assert with_crn < 0.7 * without
