"""Scenario changes and events, one operation at a time, on the demo-small park."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from console.errors import message as cli_message
from twin.errors import InputError
from twin.io.bundled import bundled_scenarios
from twin.io.inputs import check_file, resolve_inputs
from twin.io.load import load_park, load_scenario, scenario_path
from twin.model import scenario as scenario_module
from twin.model.scenario import apply_scenario, get_path, parse_path, set_path
from twin.model.schema import Park, Scenario

Spec = dict[str, Any]
SOURCE = "what-if.yaml"
BUNDLED = (
    "peak-season",
    "new-supplier",
    "substation-outage",
    "more-docks",
    "night-shift",
    "water-restriction",
)


def scenario(changes: Sequence[Spec] = (), events: Sequence[Spec] = ()) -> Scenario:
    return load_scenario(
        {"scenario": {"name": "test"}, "changes": list(changes), "events": list(events)}
    )


def apply(park: Park, *changes: Spec, events: Sequence[Spec] = ()) -> Park:
    return apply_scenario(park, scenario(list(changes), list(events)), SOURCE)


def error(park: Park, *changes: Spec, events: Sequence[Spec] = ()) -> InputError:
    with pytest.raises(InputError) as caught:
        apply(park, *changes, events=events)
    assert caught.value.file == SOURCE
    return caught.value


def group(park: Park, gid: str) -> Any:
    return next(g for g in park.logistics.dock_groups if g.id == gid)


def flow(park: Park, fid: str) -> Any:
    return next(f for f in park.logistics.flows if f.id == fid)


# --------------------------------------------------------------------------- paths


def test_parse_path_steps() -> None:
    steps = parse_path("logistics.dock_groups[id=f1-docks].docks")
    assert [(s.kind, s.key) for s in steps] == [
        ("field", "logistics"),
        ("field", "dock_groups"),
        ("match", "id"),
        ("field", "docks"),
    ]
    assert steps[2].value == "f1-docks"
    assert [s.kind for s in parse_path("buildings[*].shifts[0].end")] == [
        "field",
        "all",
        "field",
        "index",
        "field",
    ]
    assert parse_path("buildings[id='f.1']")[1].value == "f.1"


@pytest.mark.parametrize("path", ["", "[0]", "buildings[", "buildings..x", "buildings.[0]"])
def test_unreadable_path_is_an_error(park: Park, path: str) -> None:
    exc = error(park, {"set": path, "value": 1})
    assert exc.place == "changes[0]"
    assert "path" in exc.message


def test_a_path_of_100_000_steps_is_refused_at_once_with_a_short_message(park: Park) -> None:
    """Each step kept the text before it: 100,000 steps took gigabytes (a MemoryError)."""
    exc = error(park, {"set": "a." * 100_000 + "b", "value": 1})
    assert exc.place == "changes[0]"
    assert "at most 1,000" in exc.message
    assert len(exc.message) < 300


# --------------------------------------------------------------------------- set


def test_set_one_field(park: Park) -> None:
    result = apply(park, {"set": "logistics.dock_groups[id=f1-docks].docks", "value": 6})
    assert group(result, "f1-docks").docks == 6
    assert group(result, "f2-docks").docks == group(park, "f2-docks").docks


def test_set_top_level_field(park: Park) -> None:
    assert apply(park, {"set": "park.name", "value": "Renamed"}).park.name == "Renamed"


def test_set_every_item(park: Park) -> None:
    result = apply(park, {"set": "logistics.dock_groups[*].docks", "value": 5})
    assert [g.docks for g in result.logistics.dock_groups] == [5, 5, 5]


def test_set_by_index_and_nested_list(park: Park) -> None:
    result = apply(park, {"set": "buildings[0].shifts[1].end", "value": "23:00"})
    assert result.buildings[0].shifts[1].end == "23:00"


def test_set_new_optional_field(park: Park) -> None:
    assert group(park, "f1-docks").hours is None
    hours = [{"start": "06:00", "end": "22:00"}]
    result = apply(park, {"set": "logistics.dock_groups[id=f1-docks].hours", "value": hours})
    assert [(w.start, w.end) for w in group(result, "f1-docks").hours] == [("06:00", "22:00")]


def test_set_whole_item(park: Park) -> None:
    result = apply(
        park,
        {
            "set": "logistics.flows[id=in-f1]",
            "value": {"id": "in-f1", "gate": "g1", "dock_group": "f2-docks", "rate_per_hour": 1},
        },
    )
    assert flow(result, "in-f1").dock_group == "f2-docks"


def test_set_unknown_new_field_suggests(park: Park) -> None:
    exc = error(park, {"set": "logistics.dock_groups[id=f1-docks].hour", "value": []})
    assert exc.place == "changes[0]"
    assert "no field 'hour'" in exc.message
    assert "did you mean 'hours'?" in exc.message


# --------------------------------------------------------------------------- scale


def test_scale_float_under_wildcard(park: Park) -> None:
    result = apply(park, {"scale": "logistics.flows[*].rate_per_hour", "by": 1.3})
    assert flow(result, "in-f1").rate_per_hour == pytest.approx(
        flow(park, "in-f1").rate_per_hour * 1.3
    )
    # Flows given by a profile have no rate_per_hour: the wildcard passes them over.
    assert flow(result, "in-f2").hourly_profile == flow(park, "in-f2").hourly_profile


def test_scale_integer_field_rounds(park: Park) -> None:
    result = apply(
        park,
        {"set": "logistics.dock_groups[*].docks", "value": 3},
        {"set": "logistics.dock_groups[id=w1-docks].docks", "value": 4},
        {"scale": "logistics.dock_groups[*].docks", "by": 1.5},
    )
    docks = [g.docks for g in result.logistics.dock_groups]
    assert docks == [5, 5, 6]  # 4.5 rounds up, 6 is whole
    assert all(isinstance(d, int) for d in docks)
    result = apply(park, {"scale": "logistics.dock_groups[id=f1-docks].docks", "by": 1.1})
    assert group(result, "f1-docks").docks == round(group(park, "f1-docks").docks * 1.1)


def test_scale_list_of_numbers(park: Park) -> None:
    result = apply(park, {"scale": "logistics.flows[id=in-f2].hourly_profile", "by": 2})
    before = flow(park, "in-f2").hourly_profile
    assert flow(result, "in-f2").hourly_profile == [2 * r for r in before]


def test_scale_to_zero_docks_is_invalid(park: Park) -> None:
    exc = error(park, {"scale": "logistics.dock_groups[id=w1-docks].docks", "by": 0.2})
    assert "docks" in exc.place
    assert "after applying" in exc.message


def test_scale_non_number_is_an_error(park: Park) -> None:
    exc = error(park, {"scale": "buildings[id=f1].footprint", "by": 2})
    assert exc.place == "changes[0]"
    assert "not a number" in exc.message


def test_scaling_past_the_range_of_numbers_is_an_error(park: Park) -> None:
    """Docks scaled by 10^6 fifty-two times overflowed into an internal error (OverflowError)."""
    times = [{"scale": "logistics.dock_groups[id=f1-docks].docks", "by": 1e6}] * 60
    exc = error(park, *times)
    assert exc.place == "changes[51]"
    assert "too large a number" in exc.message
    rates = [{"scale": "logistics.flows[id=in-f2].hourly_profile", "by": 1e6}] * 60
    assert "too large a number" in error(park, *rates).message


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("start", "9999-12-31T23:59", "year 9999 is out of range"),  # wrote year-10000 dates
        ("start", "0001-01-01", "year 1 is out of range"),
        ("timezone", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("timezone", "../../etc/passwd", "unknown time zone"),
    ],
)
def test_a_park_calendar_that_cannot_be_written_is_refused(
    park: Park, field: str, value: str, words: str
) -> None:
    exc = error(park, {"set": f"park.{field}", "value": value})
    assert exc.place == f"park.{field}"
    assert words in exc.message


def test_a_set_that_writes_a_huge_value_at_every_item_is_refused_before_copying(park: Park) -> None:
    """150,000 values at each of 5 buildings: copied in full before validation refused them."""
    outline = [[float(i % 7), float(i % 5)] for i in range(50_000)]
    exc = error(park, {"set": "buildings[*].footprint", "value": outline})
    assert exc.place == "changes[0]"
    assert "more than 200,000 places and values" in exc.message


def test_the_changes_of_a_scenario_reach_a_bounded_number_of_places(
    park: Park, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10,000 wildcard changes over a large park took about an hour; they are counted."""
    monkeypatch.setattr(scenario_module, "MAX_REACH", 1_000)
    corners = sum(len(b.footprint) * 2 for b in park.buildings)  # numbers in every footprint
    wide = {"scale": "buildings[*].footprint[*][*]", "by": 1}
    exc = error(park, *[wide] * 100)
    assert exc.place == f"changes[{1_000 // corners}]"
    assert "more than 1,000 places" in exc.message
    assert apply(park, *[wide] * (1_000 // corners)) == park


# --------------------------------------------------------------------------- add


def test_add_building_dock_group_and_flow(park: Park) -> None:
    result = apply(
        park,
        {
            "add": "buildings",
            "value": {
                "id": "f9",
                "kind": "warehouse",
                "footprint": [[400, 0], [450, 0], [450, 40], [400, 40]],
                "height_m": 10,
            },
        },
        {
            "add": "logistics.dock_groups",
            "value": {
                "id": "f9-docks",
                "building": "f9",
                "docks": 2,
                "service": {"dist": "exponential", "mean": 30},
            },
        },
        {
            "add": "logistics.flows",
            "value": {"id": "in-f9", "gate": "g1", "dock_group": "f9-docks", "rate_per_hour": 1},
        },
    )
    assert result.buildings[-1].id == "f9"
    assert group(result, "f9-docks").building == "f9"
    assert flow(result, "in-f9").rate_per_hour == 1
    assert len(result.buildings) == len(park.buildings) + 1


def test_add_to_nested_list(park: Park) -> None:
    result = apply(
        park, {"add": "buildings[id=w1].shifts", "value": {"start": "17:00", "end": "23:00"}}
    )
    assert [w.end for w in result.buildings[2].shifts] == ["17:00", "23:00"]


def test_add_creates_missing_section(park: Park) -> None:
    data = park.model_dump(mode="json", by_alias=True, exclude_none=True)
    del data["power"]
    for building in data["buildings"]:
        building.pop("power")
    bare = Park.model_validate(data)
    assert bare.power is None
    result = apply(
        bare,
        {"add": "power.substations", "value": {"id": "s9", "capacity_mw": 10}},
        {"add": "power.feeders", "value": {"id": "fd9", "substation": "s9", "capacity_mw": 2}},
    )
    assert result.power is not None
    assert [f.id for f in result.power.feeders] == ["fd9"]


def test_add_existing_id_is_an_error(park: Park) -> None:
    exc = error(
        park,
        {"set": "park.name", "value": "x"},
        {
            "add": "logistics.flows",
            "value": {"id": "in-f1", "gate": "g1", "dock_group": "f1-docks", "rate_per_hour": 1},
        },
    )
    assert exc.place == "changes[1]"
    assert "already has an item with id 'in-f1'" in exc.message


def test_add_to_non_list_is_an_error(park: Park) -> None:
    exc = error(park, {"add": "park.name", "value": "x"})
    assert "not a list" in exc.message


# --------------------------------------------------------------------------- remove


def test_remove_building_with_its_docks_and_flows(park: Park) -> None:
    result = apply(
        park,
        {"remove": "logistics.flows[id=in-w1]"},
        {"remove": "logistics.dock_groups[id=w1-docks]"},
        {"remove": "buildings[id=w1]"},
    )
    assert "w1" not in {b.id for b in result.buildings}
    assert [g.id for g in result.logistics.dock_groups] == ["f1-docks", "f2-docks"]
    assert [f.id for f in result.logistics.flows] == ["in-f1", "in-f2"]


def test_remove_several_and_an_optional_field(park: Park) -> None:
    result = apply(
        park,
        {"remove": "logistics.flows[gate=g1]"},
        {"remove": "buildings[id=f1].production"},
    )
    assert result.logistics.flows == []
    assert result.buildings[0].production is None


def test_remove_leaving_a_dangling_reference_names_the_scenario(park: Park) -> None:
    exc = error(park, {"remove": "buildings[id=w1]"})
    assert "after applying this scenario's changes" in exc.message
    assert "'w1'" in exc.message
    assert exc.place.startswith("logistics.dock_groups[")
    assert "building" in exc.place


# --------------------------------------------------------------------------- errors


def test_path_not_found(park: Park) -> None:
    exc = error(park, {"scale": "logistics.flows[*].rate_per_hr", "by": 2})
    assert exc.place == "changes[0]"
    assert "rate_per_hr" in exc.message
    assert "did you mean 'rate_per_hour'?" in exc.message
    exc = error(park, {"scale": "buildings[id=u1].water.base_m3h", "by": 2})
    assert "has no 'water'" in exc.message


def test_id_not_found(park: Park) -> None:
    exc = error(
        park,
        {"scale": "logistics.flows[*].rate_per_hour", "by": 1.1},
        {"set": "logistics.dock_groups[id=f1-dock].docks", "value": 4},
    )
    assert exc.place == "changes[1]"
    assert "'f1-dock'" in exc.message
    assert "did you mean 'f1-docks'?" in exc.message
    assert str(exc).startswith(f"{SOURCE}: changes[1]: ")


def test_index_out_of_range(park: Park) -> None:
    exc = error(park, {"remove": "logistics.gates[3]"})
    assert "out of range" in exc.message


def test_invalid_result_names_scenario_and_field(park: Park) -> None:
    exc = error(park, {"set": "logistics.dock_groups[id=f1-docks].docks", "value": 0})
    assert exc.file == SOURCE
    assert exc.place.startswith("logistics.dock_groups[")
    assert "docks (id=f1-docks)" in exc.place
    assert "after applying this scenario's changes" in exc.message
    assert "Demo Small Park" in exc.message


# --------------------------------------------------------------------------- events


def test_known_events_pass(park: Park) -> None:
    events = [
        {"outage": "sub1", "from": {"day": 2, "at": "08:00"}, "duration_h": 4},
        {"outage": "fd2", "from": {"day": 1}, "duration_h": 1},
        {"outage": "g1", "from": {"day": 1}, "duration_h": 1},
        {"outage": "water.supply", "from": {"day": 1}, "duration_h": 1},
        {"outage": "water.wastewater", "from": {"day": 1}, "duration_h": 1},
        {"flow": "in-f1", "from": {"day": 1}, "factor": 2},
    ]
    assert apply(park, events=events) == park


def test_outage_of_unknown_asset(park: Park) -> None:
    events = [
        {"outage": "sub1", "from": {"day": 1}, "duration_h": 1},
        {"outage": "sub2", "from": {"day": 1}, "duration_h": 1},
    ]
    exc = error(park, events=events)
    assert exc.place == "events[1]"
    assert "'sub2'" in exc.message
    assert "did you mean 'sub1'?" in exc.message


def test_outage_of_asset_removed_by_the_scenario(park: Park) -> None:
    exc = error(
        park,
        {"remove": "logistics.flows[*]"},
        {"remove": "logistics.gates[id=g1]"},
        events=[{"outage": "g1", "from": {"day": 1}, "duration_h": 1}],
    )
    assert exc.place == "events[0]"


def test_rate_event_for_unknown_flow(park: Park) -> None:
    exc = error(park, events=[{"flow": "in-f4", "from": {"day": 1}, "factor": 2}])
    assert exc.place == "events[0]"
    assert "'in-f4'" in exc.message
    assert "did you mean" in exc.message


def test_two_rate_events_of_one_flow_at_one_moment_are_refused(park: Park) -> None:
    """The engine keeps one factor per moment; which of two it kept depended on their sizes."""
    events = [
        {"flow": "in-f1", "from": {"day": 1, "at": "06:00"}, "factor": 2},
        {"flow": "in-f2", "from": {"day": 1, "at": "06:00"}, "factor": 3},
        {"flow": "in-f1", "from": {"day": 2}, "factor": 0.5},  # a later moment replaces it
        {"flow": "in-f1", "from": {"day": 1, "at": "06:00"}, "factor": 1.5},
    ]
    assert apply(park, events=events[:3]) == park
    exc = error(park, events=events)
    assert exc.place == "events[3]"
    assert "'in-f1' from day 1 at 06:00" in exc.message
    assert "events[0]" in exc.message


# --------------------------------------------------------------------------- whole scenarios


def test_no_op_scenario_returns_an_equal_park(park: Park) -> None:
    assert apply(park) == park
    # A change that sets a value to what it already is goes through validation and round-trips.
    assert apply(park, {"set": "park.name", "value": park.park.name}) == park


def test_input_park_and_scenario_are_unchanged(park: Park) -> None:
    before = park.model_dump()
    what_if = scenario(
        [
            {"scale": "logistics.flows[*].rate_per_hour", "by": 2},
            {"scale": "logistics.flows[id=in-f2].hourly_profile", "by": 2},
            {"add": "buildings[id=w1].shifts", "value": {"start": "17:00", "end": "23:00"}},
            {
                "set": "logistics.dock_groups[*].hours",
                "value": [{"start": "06:00", "end": "22:00"}],
            },
            {"remove": "buildings[id=f1].production"},
        ]
    )
    scenario_before = what_if.model_dump()
    result = apply_scenario(park, what_if, SOURCE)
    assert result != park
    assert park.model_dump() == before
    assert what_if.model_dump() == scenario_before
    assert load_park("demo-small") == park


def test_changes_apply_in_order(park: Park) -> None:
    result = apply(
        park,
        {"set": "logistics.dock_groups[id=f1-docks].docks", "value": 2},
        {"scale": "logistics.dock_groups[id=f1-docks].docks", "by": 3},
    )
    assert group(result, "f1-docks").docks == 6


# --------------------------------------------------------------------------- sweeps


def test_set_path_and_get_path(park: Park) -> None:
    path = "logistics.dock_groups[id=w1-docks].docks"
    docks = group(park, "w1-docks").docks
    assert get_path(park, path) == [docks]
    assert get_path(set_path(park, path, docks + 3), path) == [docks + 3]
    assert get_path(park, path) == [docks]
    assert get_path(park, "logistics.flows[*].id") == [f.id for f in park.logistics.flows]


def test_set_path_errors(park: Park) -> None:
    with pytest.raises(InputError, match="did you mean 'w1-docks'"):
        set_path(park, "logistics.dock_groups[id=w1-dock].docks", 3)
    with pytest.raises(InputError, match="greater than or equal to 1") as caught:
        set_path(park, "logistics.dock_groups[id=w1-docks].docks", 0)
    assert caught.value.file == "`vary`"  # the parameter, which the command line calls:
    assert cli_message(caught.value).startswith("--vary: ")


# --------------------------------------------------------------------------- bundled


@pytest.mark.parametrize("name", sorted(set(BUNDLED) | set(bundled_scenarios())))
def test_bundled_scenario_applies_to_its_base(name: str) -> None:
    assert name in bundled_scenarios(), f"bundled scenario {name} is missing"
    what_if = load_scenario(name)
    assert what_if.scenario.description
    assert what_if.changes or what_if.events
    inputs = resolve_inputs(None, name)
    base, result = inputs.base, inputs.park
    assert isinstance(result, Park)
    if what_if.changes:
        assert result != base
    assert check_file(scenario_path(name)) == ("scenario", what_if.scenario.name)
