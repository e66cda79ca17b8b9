"""Bundled parks and scenarios: they load, round-trip, and every scenario runs."""

from __future__ import annotations

import pytest
import yaml

from twin.errors import InputError
from twin.experiment.runner import run_experiment
from twin.experiment.settings import Settings
from twin.io.bundled import bundled_parks, bundled_scenarios
from twin.io.dump import dump_park
from twin.io.inputs import resolve_inputs
from twin.io.load import load_park, load_scenario

PARKS = sorted(bundled_parks())
SCENARIOS = sorted(bundled_scenarios())


def test_the_bundled_files_are_there():
    assert {"yen-binh", "demo-small"} <= set(PARKS)
    assert len(SCENARIOS) >= 6


@pytest.mark.parametrize("name", PARKS)
def test_park_round_trip(name):
    park = load_park(name)
    assert load_park(yaml.safe_load(dump_park(park))) == park


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_round_trip(name):
    scenario = load_scenario(name)
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert load_scenario(data) == scenario


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_bundled_scenario_runs(name):
    inputs = resolve_inputs(None, name)
    assert inputs.scenario is not None and inputs.scenario.scenario.description
    experiment = run_experiment(
        inputs.park, inputs.events, Settings(days=3, warmup_days=0.5), inputs.scenario_name
    )
    assert experiment.values["trucks.completed"][0] > 0


def test_default_park_is_illustrative_and_plausible():
    park = load_park("yen-binh")
    assert "illustrative" in park.park.name.lower() + (park.park.description or "").lower()
    assert 25 <= len(park.buildings) <= 40
    assert 2 <= len(park.logistics.gates) <= 3
    trucks_per_day = sum(sum(f.weekly_rates()) / 7 for f in park.logistics.flows)
    assert 1000 <= trucks_per_day <= 5000


def test_events_after_the_horizon_are_refused_not_silently_ignored():
    from twin.api import run

    with pytest.raises(InputError, match=r"outage of 'sub1' from day 2 at 08:00.*days 3 or more"):
        run(None, "substation-outage", Settings(days=2, warmup_days=0.5))
    long = run(None, "substation-outage", Settings(days=3, warmup_days=0.5)).to_dict()
    assert long["kpis"]["power.unserved_mwh"]["mean"] > 0
