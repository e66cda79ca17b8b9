"""The Student-t quantile is scipy.stats' value, bit for bit, without importing scipy.stats."""

from __future__ import annotations

import pytest
from scipy.stats import t

from twin.stats import t_quantile


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_t_quantile_is_scipy_stats_value(level: float) -> None:
    for dof in range(1, 400):
        assert t_quantile(dof, level) == float(t.ppf(0.5 + level / 2, dof)), dof
    assert t_quantile(1_000_000, 0.95) == pytest.approx(1.959964, abs=1e-5)  # the normal quantile
