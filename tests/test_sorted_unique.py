"""sorted_unique: numpy's np.unique for 1-D arrays without NaN, without loading numpy.ma."""

from __future__ import annotations

import numpy as np
import pytest

from twin.sim.measure import sorted_unique


@pytest.mark.parametrize("seed", range(5))
def test_sorted_unique_is_np_unique_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    values = np.concatenate([rng.integers(-50, 50, 300) * 0.25, rng.normal(size=50), [0.0, -0.0]])
    rng.shuffle(values)
    got, want = sorted_unique(values), np.unique(values)
    assert got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()


def test_one_value_and_none():
    assert sorted_unique(np.array([3.0, 3.0])).tolist() == [3.0]
    assert sorted_unique(np.array([], dtype=float)).tolist() == []
