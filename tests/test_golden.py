"""The simulated numbers stay bit-identical to a stored copy.

The references in tests/data/golden/ were written by ``bench/make_golden.py``; any change to them
must be a deliberate change of the model. Those in tests/data/golden/feeder-only/ are the bundled
parks' numbers from before the parks had a power network: the same parks with the network taken
away (the bundled scenario feeder-only) must still give them, bit for bit, so a park without
`power.network` behaves exactly as it did.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import twin
from twin.io.inputs import resolve_inputs

GOLDEN = Path(__file__).parent / "data" / "golden"
FEEDER_ONLY = GOLDEN / "feeder-only"
CASES = {
    "yen-binh": ("yen-binh", None),
    "demo-small": ("demo-small", None),
    "yen-binh-substation-outage": ("yen-binh", "substation-outage"),
}
SETTINGS = {"days": 2.0, "warmup_days": 1.0, "seed": 7, "replications": 2}
HEADER = ("park", "scenario", "seed", "replications", "horizon_days", "warmup_days")


def _bits(value: Any) -> Any:
    """A value with every float replaced by its exact hex form (NaN compares equal to NaN)."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value.hex()
    if isinstance(value, list):
        return [_bits(v) for v in value]
    if isinstance(value, dict):
        return {k: _bits(v) for k, v in value.items()}
    return value


def _assert_bit_identical(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert {k: got[k] for k in HEADER} == {k: expected[k] for k in HEADER}
    assert sorted(got["kpis"]) == sorted(expected["kpis"])
    for name, summary in expected["kpis"].items():
        assert _bits(got["kpis"][name]) == _bits(summary), name


@pytest.mark.parametrize("stem", sorted(CASES))
def test_kpis_are_bit_identical_to_the_stored_copy(stem: str) -> None:
    park, scenario = CASES[stem]
    expected = json.loads((GOLDEN / f"{stem}.kpis.json").read_text(encoding="utf-8"))
    _assert_bit_identical(twin.run(park, scenario, twin.Settings(**SETTINGS)).to_dict(), expected)


@pytest.mark.parametrize("stem", sorted(CASES))
def test_without_its_network_a_park_gives_its_numbers_from_before_the_network(stem: str) -> None:
    park, scenario = CASES[stem]
    plain = resolve_inputs(park, "feeder-only").park
    assert plain.power is not None and plain.power.network is None
    expected = json.loads((FEEDER_ONLY / f"{stem}.kpis.json").read_text(encoding="utf-8"))
    got = twin.run(plain, scenario, twin.Settings(**SETTINGS)).to_dict()
    _assert_bit_identical(got, expected)


def test_the_comparison_detects_a_one_ulp_change() -> None:
    """The check can fail: the smallest change of a float is seen."""
    x = 0.1
    assert _bits(x) != _bits(math.nextafter(x, 1.0))
    assert _bits([float("nan")]) == _bits([float("nan")])
