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
from twin.sim.kpi import kpi_range

GOLDEN = Path(__file__).parent / "data" / "golden"
FEEDER_ONLY = GOLDEN / "feeder-only"
CASES = {
    "yen-binh": ("yen-binh", None),
    "demo-small": ("demo-small", None),
    "yen-binh-substation-outage": ("yen-binh", "substation-outage"),
}
SETTINGS = {"days": 2.0, "warmup_days": 1.0, "seed": 7, "replications": 2}
DAYS = {"yen-binh-substation-outage": 3.0}
"""Cases simulated longer than SETTINGS says: the outage starts on day 2 (a shorter horizon is
refused, and did not simulate the outage at all when the reference was first written)."""
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
        assert _bits(got["kpis"][name]) == _bits(within_range(name, summary)), name


def within_range(kpi: str, summary: dict[str, Any]) -> dict[str, Any]:
    """The reference with its Student-t interval kept within the KPI's range, as output now is.

    The references hold the plain t intervals; clipping them here (not in the files) keeps
    the simulated numbers themselves checked against copies made before that change.
    """
    low, high = kpi_range(kpi)
    lo, hi = summary["ci95"]
    clipped = [lo if lo is None else max(low, lo), hi if hi is None else min(high, hi)]
    return {**summary, "ci95": clipped}


def settings_of(stem: str) -> twin.Settings:
    """The settings a case's reference was made with."""
    return twin.Settings(**{**SETTINGS, "days": DAYS.get(stem, SETTINGS["days"])})


@pytest.mark.parametrize("stem", sorted(CASES))
def test_kpis_are_bit_identical_to_the_stored_copy(stem: str) -> None:
    park, scenario = CASES[stem]
    expected = json.loads((GOLDEN / f"{stem}.kpis.json").read_text(encoding="utf-8"))
    _assert_bit_identical(twin.run(park, scenario, settings_of(stem)).to_dict(), expected)


@pytest.mark.parametrize("stem", sorted(CASES))
def test_without_its_network_a_park_gives_its_numbers_from_before_the_network(stem: str) -> None:
    park, scenario = CASES[stem]
    plain = resolve_inputs(park, "feeder-only").park
    assert plain.power is not None and plain.power.network is None
    expected = json.loads((FEEDER_ONLY / f"{stem}.kpis.json").read_text(encoding="utf-8"))
    got = twin.run(plain, scenario, settings_of(stem)).to_dict()
    _assert_bit_identical(got, expected)


def test_the_comparison_detects_a_one_ulp_change() -> None:
    """The check can fail: the smallest change of a float is seen."""
    x = 0.1
    assert _bits(x) != _bits(math.nextafter(x, 1.0))
    assert _bits([float("nan")]) == _bits([float("nan")])
