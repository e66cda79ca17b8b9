"""Hostile power networks through every command: each works or is exit 2 naming the element.

The networks are tests/hostile_networks.py's. The default tier runs a handful; the whole sweep
(every case through `validate`, `run` and `n1`) is in the slow tier.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

import cli
from tests.hostile_networks import HostileNetwork, case_named, cases, chain
from tests.load_helpers import assert_bad_input, dump
from twin.experiment.headroom import MAX_BUSES, MAX_N1_ROWS
from twin.experiment.n1 import MAX_OUTAGES
from twin.io.inputs import resolve_inputs
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from web.app import create_app
from web.server import build_services


def _files(case: HostileNetwork, folder: Path) -> list[str]:
    """The park path, and `--scenario PATH` when the case has a scenario."""
    park = dump(case.park, folder / f"{case.name}.yaml")
    if case.scenario is None:
        return [str(park)]
    scenario = dump({**case.scenario, "base": str(park)}, folder / f"{case.name}-scenario.yaml")
    return [str(park), "--scenario", str(scenario)]


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli.app, list(args))


def _finite(value: Any) -> bool:
    """No NaN or infinity anywhere in a JSON value (None is a KPI with no samples)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _run(files: list[str]) -> dict[str, Any]:
    result = _invoke("run", *files, "--days", "1", "--warmup-days", "0", "--json")
    assert result.exit_code == 0, result.output
    kpis: dict[str, Any] = json.loads(result.stdout)["kpis"]
    power = {k: v["mean"] for k, v in kpis.items() if k.startswith(("power.", "buildings."))}
    assert power and all(v is not None and math.isfinite(v) for v in power.values()), power
    return power


def _kpi(power: dict[str, Any], name: str) -> float:
    value: float = power[name]
    return value


def test_a_load_a_hundred_times_the_network_is_left_off_not_a_crash(tmp_path: Path) -> None:
    """Every building alone is past the ring's rating: all of it unserved, nothing drawn."""
    power = _run(_files(case_named("hundredfold-load"), tmp_path))
    assert _kpi(power, "power.energy_mwh") == 0.0
    assert _kpi(power, "power.unserved_mwh") > 0.0
    buildings = sum(
        v for k, v in power.items() if k.startswith("buildings.") and k.endswith(".unserved_mwh")
    )
    assert buildings == pytest.approx(_kpi(power, "power.unserved_mwh"))


def test_a_network_with_no_building_on_it_runs_with_nothing_drawn(tmp_path: Path) -> None:
    """A scenario that removes every building leaves the ring with no load: it still solves."""
    power = _run(_files(case_named("scenario-removes-every-building"), tmp_path))
    assert _kpi(power, "power.energy_mwh") == 0.0
    assert _kpi(power, "power.unserved_mwh") == 0.0
    assert not any(k.startswith("buildings.") for k in power)


def test_what_the_network_left_off_is_said_in_every_output(tmp_path: Path) -> None:
    """A load the ring cannot carry is not only unserved energy: the run says why, in its
    notes (kpis.json) and on the terminal."""
    files = _files(case_named("hundredfold-load"), tmp_path)
    result = _invoke("run", *files, "--days", "1", "--warmup-days", "0", "--json")
    notes = json.loads(result.stdout)["notes"]
    assert any(n.startswith("power: buildings left off") for n in notes), notes
    table = _invoke("run", *files, "--days", "1", "--warmup-days", "0")
    assert "note: power: buildings left off to keep ratings and 0.9 pu" in table.stdout


def test_two_sources_in_a_closed_loop_and_parallel_lines_solve(tmp_path: Path) -> None:
    """A meshed network fed from both ends keeps every bus between 0.9 pu and its sources."""
    for name in ("two-source-loop", "parallel-lines"):
        power = _run(_files(case_named(name), tmp_path))
        voltages = [v for k, v in power.items() if k.endswith(".v_min_pu")]
        assert all(0.9 < v <= 1.0 + 1e-9 for v in voltages), (name, voltages)
        assert _kpi(power, "power.unserved_mwh") == 0.0


def test_an_outage_of_every_source_leaves_all_unserved_while_both_are_out(tmp_path: Path) -> None:
    """sub1 out 10:00-13:00, sub2 11:00-14:00: every demand of 11:00-13:00 is unserved."""
    files = _files(case_named("outage-of-every-source"), tmp_path)
    inputs = resolve_inputs(files[0], files[2])
    trace = run_engine(inputs.park, inputs.events, RunSpec(horizon_days=1.0))
    starts = trace.edges[:-1]
    dark = (starts >= 660) & (starts < 780)
    demand = trace.series["building_power_demand_kw"][dark]
    assert demand.sum() > 0
    np.testing.assert_array_equal(trace.series["building_power_unserved_kw"][dark], demand)
    lit = (starts >= 840) & (starts < 1200)  # both back: the loop serves everything again
    assert not trace.series["building_power_unserved_kw"][lit].any()
    assert _finite(_run(files))


def test_n1_refuses_a_network_with_more_outages_than_it_can_study(tmp_path: Path) -> None:
    """A chain of MAX_OUTAGES + 1 buses: MAX_OUTAGES lines and a substation, one too many."""
    park = dump(chain(MAX_OUTAGES + 1), tmp_path / "chain.yaml")
    result = _invoke("n1", str(park), "--days", "1")
    assert_bad_input(result, "power.network", f"{MAX_OUTAGES + 1} single outages")


def test_headroom_refuses_a_network_with_more_buses_than_it_can_study(tmp_path: Path) -> None:
    park = dump(chain(MAX_BUSES + 1), tmp_path / "chain.yaml")
    result = _invoke("headroom", str(park), "--days", "1")
    assert_bad_input(result, "power.network", f"{MAX_BUSES + 1} buses", f"at most {MAX_BUSES}")


def test_headroom_with_n1_refuses_more_pairs_than_it_can_study(tmp_path: Path) -> None:
    """150 buses and 150 single outages: 22,500 (outage, bus) pairs; without N-1 it runs."""
    park = dump(chain(150), tmp_path / "chain.yaml")
    result = _invoke("headroom", str(park), "--days", "1", "--n1")
    assert_bad_input(result, "22,500 pairs", f"at most {MAX_N1_ROWS:,}", "leave out --n1")


@pytest.fixture
def chain_client(tmp_path: Path) -> Iterator[TestClient]:
    park = dump(chain(MAX_OUTAGES + 1), tmp_path / "chain.yaml")
    services = build_services(str(park), None, tmp_path)
    with TestClient(create_app(services), base_url="http://127.0.0.1") as client:
        yield client
    services.jobs.close()


def test_api_n1_refuses_it_too_with_400(chain_client: TestClient) -> None:
    answer = chain_client.get("/api/n1", params={"hours": 1})
    assert answer.status_code == 400, answer.text
    assert "power.network" in answer.json()["error"]


REFUSED = [c for c in cases() if c.element is not None]
WORKING = [c for c in cases() if c.element is None]


@pytest.mark.slow
@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
@pytest.mark.parametrize("command", ["validate", "run", "n1"])
def test_every_malformed_network_is_exit_2_naming_it(
    tmp_path: Path, case: HostileNetwork, command: str
) -> None:
    files = _files(case, tmp_path)
    if command == "validate":
        result = _invoke("validate", *(f for f in files if f != "--scenario"))
    else:
        result = _invoke(command, *files, "--days", "1")
    assert_bad_input(result, str(case.element))


@pytest.mark.slow
@pytest.mark.parametrize("case", WORKING, ids=[c.name for c in WORKING])
def test_every_odd_network_validates_runs_and_studies(tmp_path: Path, case: HostileNetwork) -> None:
    """validate, run and n1 all exit 0, with finite KPIs and finite n1 rows."""
    files = _files(case, tmp_path)
    validated = _invoke("validate", *(f for f in files if f != "--scenario"))
    assert validated.exit_code == 0, validated.output
    _run(files)
    result = _invoke("n1", *files, "--days", "1", "--hours", "1", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["contingencies"] and _finite(document)


@pytest.mark.slow
def test_ten_thousand_buses_run_and_n1_refuses_them(tmp_path: Path) -> None:
    """The most buses a park may have: a run works with finite KPIs; N-1 is refused."""
    park = dump(chain(10_000), tmp_path / "chain.yaml")
    power = _run([str(park)])
    assert 0.9 < _kpi(power, "power.buses.b9999.v_min_pu") < 1.0
    assert_bad_input(_invoke("n1", str(park), "--days", "1"), "10000 single outages")
