"""The Student-t quantile is scipy.stats' value, bit for bit, from a table or scipy.special."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from scipy.stats import t

from twin.stats import t_quantile

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_t_quantile_is_scipy_stats_value(level: float) -> None:
    for dof in range(1, 400):
        assert t_quantile(dof, level) == float(t.ppf(0.5 + level / 2, dof)), dof
    assert t_quantile(1_000_000, 0.95) == pytest.approx(1.959964, abs=1e-5)  # the normal quantile


def test_the_quantile_table_is_what_its_generator_writes_from_scipy() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_t_quantiles.py"), "--check"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
