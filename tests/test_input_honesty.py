"""No silent wrong answers: input that would be ignored is refused, naming what and why.

A scenario event that starts after the horizon ends would change nothing, so every command
that simulates a scenario (and the web what-if) refuses it with exit 2 / HTTP 400, naming the
event and the ``--days`` that would cover it.
"""

from __future__ import annotations

import copy
import html
import json

import pytest
import yaml
from typer.testing import CliRunner

import cli
from twin.errors import InputError
from twin.io.bundled import bundled_parks, data_root
from twin.io.load import load_park
from twin.model.sanity import sanity_warnings
from twin.model.scenario import check_horizon, days_for_events
from twin.model.schema import Park, Scenario

runner = CliRunner()

LATE_OUTAGE = {
    "scenario": {"name": "late-outage"},
    "base": "demo-small",
    "events": [
        {"outage": "sub1", "from": {"day": 0, "at": "10:00"}, "duration_h": 2},
        {"outage": "fd2", "from": {"day": 4, "at": "23:30"}, "duration_h": 1},
    ],
}


def events_of(document):
    return Scenario.model_validate(document).events


def test_days_for_events_counts_whole_days_from_day_zero():
    assert days_for_events(()) == 0
    assert days_for_events(events_of(LATE_OUTAGE)) == 5
    first_minute = {**LATE_OUTAGE, "events": [{"flow": "in-f1", "from": {"day": 3}, "factor": 2}]}
    assert days_for_events(events_of(first_minute)) == 4


def test_an_event_inside_the_horizon_passes_and_one_after_it_is_named():
    events = events_of(LATE_OUTAGE)
    check_horizon(events, 5, "late.yaml")  # day 4 at 23:30 is inside a 5-day horizon
    check_horizon(events, 4.99, "late.yaml")  # 4.99 days end at 23:45 of day 4
    with pytest.raises(InputError) as caught:
        check_horizon(events, 4.5, "late.yaml")
    text = caught.value.text()
    assert text.startswith("late.yaml: the outage of 'fd2' from day 4 at 23:30 starts after")
    assert "sub1" not in text  # the outage inside the horizon is not blamed
    assert "`days` 5 or more" in text


def test_several_late_events_are_all_named():
    events = events_of(LATE_OUTAGE)
    with pytest.raises(InputError, match=r"'sub1' from day 0 .*; the outage of 'fd2'.* 5 or more"):
        check_horizon(events, 0.25, "late.yaml")


@pytest.fixture
def late_scenario(tmp_path):
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(LATE_OUTAGE, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "command",
    [
        ["run", "demo-small", "-s", "{s}", "-r", "1", "--out", "{out}"],
        ["run", "demo-small", "-s", "{s}", "-r", "1", "--json"],
        ["compare", "demo-small", "{s}", "-r", "2", "--out", "{out}"],
        ["compare", "demo-small", "{s}", "-r", "2", "--json"],
        [
            "sweep",
            "demo-small",
            "-s",
            "{s}",
            "--vary",
            "logistics.dock_groups[id=f1-docks].docks=2,3",
        ],
        ["render", "demo-small", "-s", "{s}", "--out", "{out}.png"],
        ["n1", "demo-small", "-s", "{s}", "--out", "{out}"],
    ],
    ids=["run", "run-json", "compare", "compare-json", "sweep", "render", "n1"],
)
def test_every_command_refuses_an_event_after_the_horizon(command, late_scenario, tmp_path):
    out = tmp_path / "out"
    args = [a.format(s=late_scenario, out=out) for a in command]
    result = runner.invoke(cli.app, [*args, "--days", "2"])
    assert result.exit_code == 2, result.output
    assert "the outage of 'fd2' from day 4 at 23:30" in result.output
    assert "--days 5 or more" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and not (tmp_path / "out.png").exists()


def test_optimize_refuses_an_event_after_its_horizon(late_scenario, tmp_path):
    problem = tmp_path / "problem.yaml"
    problem.write_text(
        yaml.safe_dump(
            {
                "problem": {"name": "late"},
                "base": "demo-small",
                "scenario": late_scenario,
                "variables": [
                    {"path": "logistics.dock_groups[id=f1-docks].docks", "values": [2, 3]}
                ],
                "objective": {"minimize": "docks.f1-docks.wait_mean_min"},
                "selection": {"indifference": 1.0},
                "settings": {"days": 2, "warmup_days": 0.25, "seed": 0},
            }
        ),
        encoding="utf-8",
    )
    result = runner.invoke(cli.app, ["optimize", str(problem)])
    assert result.exit_code == 2, result.output
    assert "settings.days" in result.output and "'fd2' from day 4 at 23:30" in result.output


def test_a_sweep_parameter_that_changes_nothing_is_named_in_every_output(tmp_path):
    base = ["sweep", "demo-small", "--days", "0.2", "--warmup-days", "0.1", "-r", "1"]
    flat = [
        *base,
        "--vary",
        "park.description=a,b",
        "--vary",
        "logistics.dock_groups[id=f1-docks].docks=1,3",
    ]
    note = "the parameter 'park.description=a,b' changed no KPI"
    table = runner.invoke(cli.app, [*flat, "--out", str(tmp_path / "out")])
    assert table.exit_code == 0, table.output
    assert f"warning: {note}" in table.output
    assert "docks=1,3" not in table.output.split("warning:")[1]  # the docks do change the waits
    doc = json.loads(runner.invoke(cli.app, [*flat, "--json"]).stdout)
    assert [w for w in doc["warnings"] if "changed no KPI" in w] == [
        note + ": every value gave exactly the same numbers (the simulation does not read "
        "this field, or the values act alike)"
    ]
    assert note in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert note in html.unescape((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    docks = runner.invoke(
        cli.app, [*base, "--vary", "logistics.dock_groups[id=f1-docks].docks=1,3"]
    )
    assert docks.exit_code == 0 and "changed no KPI" not in docks.output


# --------------------------------------------------------------------------- every problem at once

DEMO = yaml.safe_load((data_root() / "assets" / "parks" / "demo-small.yaml").read_text("utf-8"))


def validate_file(document, tmp_path, name="bad.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    result = runner.invoke(cli.app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return str(path), result.stderr.splitlines()


def test_validation_lists_every_problem_each_naming_file_line_and_field(tmp_path):
    park = copy.deepcopy(DEMO)
    park["buildings"][0]["kind"] = "factry"
    park["buildings"][1]["height_m"] = -3
    park["logistics"]["gates"][0]["lanes"] = 0
    park["logistics"]["dock_groups"][0]["docks"] = "three"
    name, lines = validate_file(park, tmp_path)
    assert len(lines) == 4
    assert lines[0].startswith(f"parktwin: {name}:")
    assert all(line.startswith(f"  {name}:") for line in lines[1:])
    text = "\n".join(lines)
    assert "buildings[0].kind (id=f1): input should be 'factory', " in text
    assert "got 'factry'; did you mean 'factory'?" in text
    assert "buildings[1].height_m (id=f2): " in text and "got -3" in text
    assert "logistics.gates[0].lanes (id=g1): " in text
    assert "logistics.dock_groups[0].docks (id=f1-docks): " in text


def test_rules_broken_across_the_park_are_all_listed(tmp_path):
    park = copy.deepcopy(DEMO)
    for i, flow in enumerate(park["logistics"]["flows"]):
        flow["gate"] = f"nowhere-{i}"
    _, lines = validate_file(park, tmp_path)
    flows = len(park["logistics"]["flows"])
    assert len(lines) == flows
    for i in range(flows):
        assert (
            sum(f"logistics.flows[{i}].gate" in line and f"nowhere-{i}" in line for line in lines)
            == 1
        )


def test_more_than_twenty_problems_show_twenty_and_a_count(tmp_path):
    park = copy.deepcopy(DEMO)
    template = park["buildings"][0]
    park["buildings"] = [{**template, "id": f"b{i}", "height_m": -1} for i in range(25)]
    _, lines = validate_file(park, tmp_path)
    assert len(lines) == 21
    assert lines[-1] == "  ... and 5 more problems"
    assert all("height_m" in line for line in lines[:-1])


@pytest.mark.parametrize(
    ("event", "expected", "absent"),
    [
        (  # the case: the hint lists the fields as files spell them ('from', not 'at')
            {"outage": "sub1", "from": {"day": 1}, "duration_min": 30},
            "unknown field 'duration_min'; did you mean 'duration_h' (required here, and missing)?"
            " (the fields here: outage, from, duration_h)",
            "required field 'duration_h'",
        ),
        (  # a typo of the missing field is paired with it, once
            {"outage": "sub1", "form": {"day": 1}, "duration_h": 2},
            "unknown field 'form'; did you mean 'from' (required here, and missing)?",
            "required field 'from'",
        ),
        (  # an outage is not told about a rate event's fields
            {"outage": "sub1", "from": {"day": 1}, "duration": 2},
            "unknown field 'duration'; did you mean 'duration_h' (required here, and missing)?",
            "factor",
        ),
    ],
)
def test_did_you_mean_suggests_only_fields_valid_where_the_bad_key_sits(
    tmp_path, event, expected, absent
):
    scenario = {"scenario": {"name": "x"}, "events": [event]}
    _, lines = validate_file(scenario, tmp_path)
    text = "\n".join(lines)
    assert len(lines) == 1, text
    field = expected.split("'")[1]
    assert f"events[0].{field}: {expected}" in text
    assert absent not in text


# --------------------------------------------------------------------------- unit sanity


def odd(change):
    """demo-small with one implausible figure (made with plain dicts, not the code under test)."""
    park = copy.deepcopy(DEMO)
    change(park)
    return Park.model_validate(park)


def _factory_of_watts(p):
    p["buildings"][0]["power"].update(base_kw=1.0, shift_kw=0.5)


def _far_building(p):
    p["buildings"][1]["footprint"] = [[x + 50_000, y] for x, y in p["buildings"][1]["footprint"]]


ODD = {
    "feeder above its substation": (
        lambda p: p["power"]["feeders"][0].update(capacity_mw=10_000),
        "power.feeders[0] (id=fd1).capacity_mw: 10000 MW is more than its substation 'sub1' "
        "(12 MW)",
    ),
    "factory under 10 kW": (
        _factory_of_watts,
        "buildings[0] (id=f1).power: a factory drawing at most 1.5 kW",
    ),
    "dock service under a minute": (
        lambda p: p["logistics"]["dock_groups"][0].update(
            service={"dist": "constant", "value": 0.4}
        ),
        "logistics.dock_groups[0] (id=f1-docks).service: a mean of 0.4 min",
    ),
    "10,000 trucks an hour": (
        lambda p: p["logistics"]["flows"][0].update(rate_per_hour=10_000),
        "logistics.flows[0] (id=in-f1): 10,000 trucks in its busiest hour",
    ),
    "road at 190 km/h": (
        lambda p: p["logistics"]["roads"][0].update(speed_kmh=190),
        "logistics.roads[0] (id=r-main).speed_kmh: 190 km/h",
    ),
    "building 50 km away": (_far_building, "buildings[1] (id=f2): 50 km from the middle"),
}


@pytest.mark.parametrize("case", list(ODD))
def test_each_implausible_figure_is_warned_about_alone(case):
    change, expected = ODD[case]
    warnings = sanity_warnings(odd(change))
    assert len(warnings) == 1 and warnings[0].startswith(expected), warnings


def test_limits_are_loose_enough_for_real_parks():
    for name in bundled_parks():
        assert sanity_warnings(load_park(name)) == [], name
    edge = odd(lambda p: p["power"]["feeders"][0].update(capacity_mw=12))  # equal: plausible
    assert sanity_warnings(edge) == []


def test_warnings_are_shown_and_the_command_still_succeeds(tmp_path):
    path = tmp_path / "odd.yaml"
    park = copy.deepcopy(DEMO)
    park["power"]["feeders"][0]["capacity_mw"] = 10_000
    path.write_text(yaml.safe_dump(park, allow_unicode=True), encoding="utf-8")
    note = "power.feeders[0] (id=fd1).capacity_mw: 10000 MW is more than its substation"
    checked = runner.invoke(cli.app, ["validate", str(path)])
    assert checked.exit_code == 0
    assert f"warning: {path}: {note}" in checked.stderr and note not in checked.stdout
    quick = ["--days", "0.1", "--warmup-days", "0", "-r", "1"]
    out = tmp_path / "run"
    table = runner.invoke(cli.app, ["run", str(path), *quick, "--out", str(out)])
    assert table.exit_code == 0 and f"warning: {note}" in table.stderr
    assert note in (out / "report.md").read_text(encoding="utf-8")
    as_json = runner.invoke(cli.app, ["run", str(path), *quick, "--json"])
    assert any(w.startswith(note) for w in json.loads(as_json.stdout)["warnings"])
    assert f"warning: {note}" in as_json.stderr
    compared = runner.invoke(cli.app, ["compare", str(path), "peak-season", *quick, "--json"])
    assert compared.exit_code == 0, compared.output
    assert any(w.startswith(note) for w in json.loads(compared.stdout)["warnings"])


def test_optimize_shows_the_warnings_of_its_park(tmp_path):
    park = copy.deepcopy(DEMO)
    park["power"]["feeders"][0]["capacity_mw"] = 10_000
    (tmp_path / "odd.yaml").write_text(yaml.safe_dump(park, allow_unicode=True), "utf-8")
    problem = {
        "problem": {"name": "odd"},
        "base": "odd.yaml",
        "variables": [{"path": "logistics.dock_groups[id=f1-docks].docks", "values": [2, 3]}],
        "objective": {"minimize": "docks.f1-docks.wait_mean_min"},
        "selection": {"indifference": 100.0, "max_replications": 6, "first_stage": 5},
        "settings": {"days": 0.2, "warmup_days": 0.1, "seed": 0},
    }
    path = tmp_path / "problem.yaml"
    path.write_text(yaml.safe_dump(problem), encoding="utf-8")
    note = "warning: power.feeders[0] (id=fd1).capacity_mw: 10000 MW is more than its substation"
    out = tmp_path / "opt"
    table = runner.invoke(cli.app, ["optimize", str(path), "--out", str(out)])
    assert table.exit_code == 0, table.output
    assert note in table.stderr and note not in table.stdout
    assert note in (out / "report.md").read_text(encoding="utf-8")
    as_json = runner.invoke(cli.app, ["optimize", str(path), "--json"])
    assert any(n.startswith(note) for n in json.loads(as_json.stdout)["notes"])


def test_a_simulated_feed_refuses_an_event_after_its_days(tmp_path):
    from twin.live.simulated import simulated_recording

    with pytest.raises(InputError, match=r"'fd2' from day 4 at 23:30 .* days 5 or more"):
        simulated_recording(None, LATE_OUTAGE, tmp_path / "sensors", days=2)
    assert not (tmp_path / "sensors").exists()
