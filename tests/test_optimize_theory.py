"""The selection's guarantee through the engine, against Erlang C (slow tier).

200 independent macro-replications of the "fewest docks under a wait limit" problem on an M/M/c
dock group: the procedure must select the answer Erlang C gives at least 1 - α = 95% of the time
and call feasibility right. The rate and its Wilson interval are printed (``-s``).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest

from tests import optimize_problems as op

MACRO = 200


@pytest.mark.slow
def test_fewest_docks_is_selected_with_the_promised_probability(tmp_path):
    park = op.write_park(tmp_path)
    doc = op.fewest_docks(park)
    halves = [range(0, MACRO // 2), range(MACRO // 2, MACRO)]
    with ProcessPoolExecutor(2) as pool:
        results = [r for part in pool.map(op.score, [doc, doc], halves) for r in part]
    correct = sum(r[0] for r in results)
    calls = sum(r[1] for r in results)
    low, high = op.wilson(correct, MACRO)
    print(f"correct selection {correct}/{MACRO} [{low:.3f}, {high:.3f}], feasibility {calls}")
    assert correct / MACRO >= 0.93  # 95% promised; 0.93 is 1.3 binomial sd below it
    assert calls / MACRO >= 0.93
