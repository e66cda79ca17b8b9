"""A scenario based on another scenario: the base's changes and events come first."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import twin
from twin.errors import InputError, UsageError
from twin.io.bundled import bundled_scenarios
from twin.io.inputs import resolve_inputs


def _write(path: Path, data: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_changes_and_events_of_both_apply_in_order(tmp_path: Path) -> None:
    _write(tmp_path / "first.yaml", {
        "scenario": {"name": "first"}, "base": "demo-small",
        "changes": [{"set": "logistics.dock_groups[id=f1-docks].docks", "value": 7}],
        "events": [{"outage": "fd1", "from": {"day": 0, "at": "10:00"}, "duration_h": 1}],
    })  # fmt: skip
    second = _write(tmp_path / "second.yaml", {
        "scenario": {"name": "second"}, "base": "first.yaml",
        "changes": [{"scale": "logistics.dock_groups[id=f1-docks].docks", "by": 2}],
        "events": [{"outage": "g1", "from": {"day": 0, "at": "12:00"}, "duration_h": 1}],
    })  # fmt: skip
    inputs = resolve_inputs(None, second)
    assert inputs.park.logistics.dock_groups[0].docks == 14
    assert [e.outage for e in inputs.events] == ["fd1", "g1"]  # type: ignore[union-attr]
    assert inputs.base.logistics.dock_groups[0].docks == 7


def test_a_loop_of_bases_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", {"scenario": {"name": "a"}, "base": "b.yaml"})
    _write(tmp_path / "b.yaml", {"scenario": {"name": "b"}, "base": "a.yaml"})
    with pytest.raises(UsageError, match="deep"):
        resolve_inputs(None, tmp_path / "a.yaml")


@pytest.mark.slow
def test_compare_takes_the_base_scenario_as_the_baseline(tmp_path: Path) -> None:
    """A fault on top of feeder-only: the baseline is the park without its network."""
    fault = _write(tmp_path / "fault.yaml", {
        "scenario": {"name": "fd-b1-fault"}, "base": str(bundled_scenarios()["feeder-only"]),
        "events": [{"outage": "fd-b1", "from": {"day": 1, "at": "10:00"}, "duration_h": 4}],
    })  # fmt: skip
    comparison = twin.compare(None, [str(fault)], twin.Settings(days=3, replications=1))
    baseline = comparison.baseline.to_dict()["kpis"]
    assert "power.sub1.peak_load_pct" in baseline
    assert not any(name.startswith("power.lines.") for name in baseline)
    cut = comparison.scenarios[0].to_dict()["kpis"]
    assert cut["power.unserved_mwh"]["mean"] > baseline["power.unserved_mwh"]["mean"]


@pytest.mark.parametrize("address", ["https://example.com/park.yaml", "s3://bucket/park.yaml"])
def test_a_base_or_scenario_given_as_a_web_address_is_named_as_such(
    tmp_path: Path, address: str
) -> None:
    """It was read as a path: 'https:/example.com/park.yaml: file not found'."""
    scenario = _write(tmp_path / "s.yaml", {"scenario": {"name": "s"}, "base": address})
    with pytest.raises(InputError, match="is a web address") as refused:
        resolve_inputs(None, scenario)
    assert refused.value.file == address
    with pytest.raises(InputError, match="is a web address"):
        resolve_inputs(None, address)
