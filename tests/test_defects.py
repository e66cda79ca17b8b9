"""The defects the architecture review found (#10), each with a test that failed before."""

from __future__ import annotations

import pytest

from twin.errors import InputError
from twin.load import load_park


def _demo() -> dict:
    return load_park("demo-small").model_dump(mode="json", by_alias=True, exclude_none=True)


def test_an_id_names_one_asset_in_the_whole_park() -> None:
    """A gate and a feeder both called fd1 were both cut by one outage of fd1; now the park
    is refused, naming both places (outages, alarms and meters name assets by id alone)."""
    data = _demo()
    feeder = data["power"]["feeders"][0]["id"]
    old_gate = data["logistics"]["gates"][0]["id"]
    data["logistics"]["gates"][0]["id"] = feeder
    for flow in data["logistics"]["flows"]:
        if flow["gate"] == old_gate:
            flow["gate"] = feeder
    with pytest.raises(InputError) as info:
        load_park(data)
    assert info.value.place.startswith("logistics.gates[0].id")
    assert f"id '{feeder}' is also the id of power.feeders[0]" in info.value.message


def test_the_water_names_are_reserved() -> None:
    data = _demo()
    data["buildings"][0]["id"] = "water.supply"
    for group in data["logistics"]["dock_groups"]:
        group["building"] = (
            "water.supply"
            if group["building"] == _demo()["buildings"][0]["id"]
            else group["building"]
        )
    with pytest.raises(InputError, match="reserved for the water assets"):
        load_park(data)
