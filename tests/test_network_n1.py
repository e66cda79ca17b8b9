"""`parktwin n1`: every single outage at a moment, ranked, with SPEC.md's n1.json fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy
import pytest
from typer.testing import CliRunner

import cli
from tests.load_helpers import assert_bad_input, dump
from tests.networks import feeder_only_data, ring_data
from twin import api
from twin.experiment import n1 as n1_module
from twin.experiment.settings import Settings
from twin.model.schema import Park
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine as simulate

FIELDS = {
    "outage", "kind", "lost_buses", "restored_by", "unserved_mw", "unserved_mwh",
    "max_loading_pct", "min_v_pu", "secure", "buildings_unserved", "trucks_delayed",
}  # fmt: skip


def _n1(tmp_path: Path, data: dict[str, Any], *args: str) -> tuple[Any, dict[str, Any]]:
    park = dump(data, tmp_path / "ring.yaml")
    out = tmp_path / "n1"
    result = CliRunner().invoke(cli.app, ["n1", str(park), "--out", str(out), "--days", "1", *args])
    document = json.loads((out / "n1.json").read_text()) if result.exit_code == 0 else {}
    return result, document


def test_every_single_outage_is_a_row_worst_first(tmp_path: Path) -> None:
    result, doc = _n1(tmp_path, ring_data(), "--at", "day 0 10:00")
    assert result.exit_code == 0, result.output
    rows = {r["outage"]: r for r in doc["contingencies"]}
    assert set(rows) == {"sub1", "l1", "l2", "l3", "l4"}
    assert all(set(r) == FIELDS for r in rows.values())
    assert doc["at"] == "day 0 10:00"
    assert doc["contingencies"][0]["outage"] == "sub1"  # nothing can pick it up
    assert not rows["sub1"]["secure"] and rows["sub1"]["buildings_unserved"]
    l1 = rows["l1"]
    assert l1["lost_buses"] == ["rmu1", "rmu2", "rmu3"] and l1["restored_by"] == ["l4"]
    assert l1["secure"] and l1["unserved_mw"] == 0
    # the lost energy is the 30 minutes before the tie closes, from the demand series
    trace = simulate(Park.model_validate(ring_data()), (), RunSpec(horizon_days=1.0))
    starts = trace.edges[:-1]
    lost = (starts >= 600) & (starts < 630)
    expected = trace.series["building_power_demand_kw"][lost].sum() * 0.25 / 1000.0
    assert l1["unserved_mwh"] == pytest.approx(expected, abs=1e-6)
    assert rows["l4"]["lost_buses"] == [] and rows["l4"]["unserved_mwh"] == 0
    unserved = [r["unserved_mwh"] for r in doc["contingencies"]]
    assert unserved == sorted(unserved, reverse=True)
    assert "| l1 | line | yes |" in (tmp_path / "n1" / "report.md").read_text()
    plan = {line["id"]: line for line in doc["lines"]}
    assert all("from" in line and "to" in line for line in plan.values())
    assert plan["l4"]["worst_loading_pct"] == max(r["max_loading_pct"] for r in doc[
        "contingencies"] if r["restored_by"] == ["l4"])  # fmt: skip
    assert "<svg" in (tmp_path / "n1" / "report.html").read_text()
    buses = {bus["id"]: bus for bus in doc["buses"]}
    assert buses["rmu1"]["label"] == "Nhà máy F1; Kho W1"  # the buildings' names
    assert buses["sub1-mv"]["label"] == "Trạm 110 kV"  # its substation's name
    source = buses["sub1-mv"]
    assert source["source"] and source["held_on"] == "busbar" and source["held_v_pu"] == 1.0
    assert source["v_pu"] == pytest.approx(1.0, abs=1e-6)  # a busbar source holds itself


def test_behind_transformers_the_source_holds_the_high_voltage_side(tmp_path: Path) -> None:
    """The busbar lies below the held 1.04 pu by the transformer's drop at the moment."""
    data = ring_data()
    data["power"]["network"]["source_v_pu"] = 1.04
    data["power"]["substations"][0]["transformers"] = [
        {"id": "t1", "sn_mva": 10, "vk_percent": 12.5, "vkr_percent": 0.5}
    ]
    result, doc = _n1(tmp_path, data, "--at", "day 0 10:00")
    assert result.exit_code == 0, result.output
    source = next(bus for bus in doc["buses"] if bus["id"] == "sub1-mv")
    assert source["held_v_pu"] == 1.04 and source["held_on"] == "110 kV side"
    trace = simulate(Park.model_validate(data), (), RunSpec(horizon_days=1.0))
    busbar = trace.series["bus_v_pu"][list(trace.edges).index(600.0), 0]
    assert source["v_pu"] == round(busbar, 5) and busbar < 1.04 - 0.005
    page = (tmp_path / "n1" / "report.html").read_text()
    assert "holds 1.040 pu on its 110 kV side, its busbar" in page and "Trạm 110 kV" in page


def test_a_weak_tie_makes_the_feeder_head_outage_insecure(tmp_path: Path) -> None:
    data = ring_data()
    data["power"]["network"]["lines"][3]["max_i_ka"] = 0.06
    result, doc = _n1(tmp_path, data, "--at", "day 0 10:00")
    assert result.exit_code == 0, result.output
    l1 = next(r for r in doc["contingencies"] if r["outage"] == "l1")
    assert not l1["secure"] and l1["unserved_mw"] > 0 and l1["buildings_unserved"]
    assert l1["max_loading_pct"] <= 100.0 + 1e-6


def test_the_default_moment_is_the_peak(tmp_path: Path) -> None:
    result, doc = _n1(tmp_path, ring_data())
    assert result.exit_code == 0, result.output
    trace = simulate(Park.model_validate(ring_data()), (), RunSpec(horizon_days=1.0))
    demand = trace.series["building_power_demand_kw"].sum(axis=1)[trace.edges[:-1] >= 0]
    day, clock = doc["at"].split()[1:]
    hours, minutes = map(int, clock.split(":"))
    index = (int(day) * 1440 + hours * 60 + minutes) // 15
    assert demand[index] == demand.max()


def test_a_park_without_a_network_or_a_moment_outside_is_bad_input(tmp_path: Path) -> None:
    result, _ = _n1(tmp_path, feeder_only_data())
    assert_bad_input(result, "power.network")
    result, _ = _n1(tmp_path, ring_data(), "--at", "day 3 10:00")
    assert_bad_input(result, "day 3 10:00", "inside the horizon")
    assert not (tmp_path / "n1").exists()


def test_an_outage_past_the_horizon_is_followed_to_its_end(tmp_path: Path) -> None:
    """--hours running past --days: the runs cover the whole outage, not the horizon's part."""
    park = dump(ring_data(), tmp_path / "ring.yaml")
    out = tmp_path / "n1"
    args = ["n1", str(park), "--days", "0.25", "--at", "day 0 04:00", "--hours", "4"]
    result = CliRunner().invoke(cli.app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["outage"]: r for r in json.loads((out / "n1.json").read_text())["contingencies"]}
    # nothing picks up the substation's loads: all the demand of 04:00 to 08:00 goes unserved
    trace = simulate(Park.model_validate(ring_data()), (), RunSpec(horizon_days=1.0))
    starts = trace.edges[:-1]
    lost = (starts >= 240) & (starts < 480)
    expected = trace.series["building_power_demand_kw"][lost].sum() * 0.25 / 1000.0
    assert rows["sub1"]["unserved_mwh"] == pytest.approx(expected, abs=1e-6)


def test_a_study_too_big_to_hold_is_refused_before_it_simulates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flows at 10,000 trucks an hour through day 290: each run of the study would bring 200
    million trucks, so the study is refused as `parktwin run` refuses it."""
    data = ring_data()
    for flow in data["logistics"]["flows"]:
        flow.pop("hourly_profile", None)
        flow["rate_per_hour"] = 10_000

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("simulated before the workload was checked")

    monkeypatch.setattr(n1_module, "run_engine", never)
    result, _ = _n1(tmp_path, data, "--days", "300", "--at", "day 290 10:00")
    assert_bad_input(result, "--days 292", "trucks", "at most 20,000,000")
    result, _ = _n1(tmp_path, data, "--days", "300")  # the peak's run is checked too
    assert_bad_input(result, "--days 300", "trucks", "at most 20,000,000")
    assert not (tmp_path / "n1").exists()


def test_the_study_reports_its_progress_run_by_run(tmp_path: Path) -> None:
    """A study of 200 outages runs for minutes: the base run and each outage report."""
    park = dump(ring_data(), tmp_path / "ring.yaml")
    calls: list[tuple[float, int]] = []
    api.n1(
        str(park), at_min=600, settings=Settings(days=1), progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(done, 6) for done in range(7)]  # the base run and 5 outages


def test_lost_buses_are_read_inside_the_outage_whatever_the_minute(tmp_path: Path) -> None:
    """At 10:10 the grid step of 10:00 has its middle (10:07:30) before the outage: the buses
    it cuts off are read at the first step that the outage is in effect at."""
    result, doc = _n1(tmp_path, ring_data(), "--at", "day 0 10:10")
    assert result.exit_code == 0, result.output
    rows = {r["outage"]: r for r in doc["contingencies"]}
    assert rows["l1"]["lost_buses"] == ["rmu1", "rmu2", "rmu3"]
    assert rows["sub1"]["lost_buses"] == ["sub1-mv", "rmu1", "rmu2", "rmu3"]


def test_an_outage_shorter_than_restoration_is_read_while_it_lasts(tmp_path: Path) -> None:
    """--hours 0.25 with restoration after 30 min: no tie ever closes, the three buses stay off
    for the whole outage, so l1 is not secure (it read secure once it had ended before)."""
    result, doc = _n1(tmp_path, ring_data(), "--at", "day 0 10:00", "--hours", "0.25")
    assert result.exit_code == 0, result.output
    l1 = {r["outage"]: r for r in doc["contingencies"]}["l1"]
    assert l1["lost_buses"] == ["rmu1", "rmu2", "rmu3"] and l1["restored_by"] == []
    assert not l1["secure"] and l1["unserved_mw"] > 0 and l1["buildings_unserved"]
    trace = simulate(Park.model_validate(ring_data()), (), RunSpec(horizon_days=1.0))
    step = int(numpy.searchsorted(trace.edges[:-1], 600))
    demand = trace.series["building_power_demand_kw"][step]
    assert l1["unserved_mw"] == pytest.approx(demand.sum() / 1000.0, rel=1e-6)  # all of it
