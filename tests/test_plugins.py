"""Asset families as plugins: register, validate in park files, simulate, report KPIs."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field
from typer.testing import CliRunner

import cli
from twin.errors import InputError
from twin.io.load import load_park
from twin.model.assets import AssetFamily, Recorder, families, json_schema, register, unregister
from twin.sim.context import RunSpec, SimContext
from twin.sim.engine import run_engine
from twin.sim.kpi import compute_kpis, unit_of
from twin.sim.trace import Trace


class Chiller(BaseModel):
    """A cold store's chiller: a constant load on a feeder."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    feeder: str
    kw: float = Field(gt=0)


def _finish(ctx: SimContext, state: Any, record: Recorder) -> None:
    chillers = CHILLERS.items(ctx.park)
    for chiller in chillers:
        ctx.add_feeder_load(chiller.feeder, np.full(len(ctx.edges) - 1, chiller.kw))
    record.names["chillers"] = [c.id for c in chillers]
    record.meta["chiller_kw"] = {c.id: c.kw for c in chillers}


def _kpis(trace: Trace) -> dict[str, float]:
    return {f"chillers.{cid}.rated_kw": kw for cid, kw in trace.meta["chiller_kw"].items()}


CHILLERS = AssetFamily(
    "chillers", spec=Chiller, finish=_finish, kpis=_kpis, units={"rated_kw": "kW"}
)


@pytest.fixture
def chillers():
    register(CHILLERS, replace=True)
    yield CHILLERS
    unregister("chillers")


def park_with(extension: dict[str, Any]) -> dict[str, Any]:
    data = load_park("demo-small").model_dump(mode="json", by_alias=True, exclude_none=True)
    data["extensions"] = extension
    return data


def test_builtin_families_use_the_same_registry():
    names = [f.name for f in families()]
    assert names[:2] == ["logistics", "buildings"]
    assert names[-2:] == ["power", "water"]


def test_plugin_validates_simulates_and_reports(chillers, tmp_path):
    path = tmp_path / "park.yaml"
    path.write_text(
        yaml.safe_dump(park_with({"chillers": [{"id": "c1", "feeder": "fd1", "kw": 400}]}))
    )
    park = load_park(path)
    spec = RunSpec(horizon_days=2, warmup_days=1, seed=3)
    with_chiller = compute_kpis(run_engine(park, spec=spec))
    without = compute_kpis(run_engine(load_park("demo-small"), spec=spec))
    assert with_chiller["chillers.c1.rated_kw"] == 400
    assert unit_of("chillers.c1.rated_kw") == "kW"
    # 400 kW for 48 hours, served in full: exactly 19.2 MWh more park energy
    assert with_chiller["power.energy_mwh"] - without["power.energy_mwh"] == pytest.approx(19.2)
    # common random numbers: the trucks did not notice the chiller
    assert with_chiller["trucks.wait_mean_min"] == without["trucks.wait_mean_min"]


def test_plugin_load_is_cut_by_an_outage(chillers):
    from twin.model.schema import OutageEvent

    park = load_park(park_with({"chillers": [{"id": "c1", "feeder": "fd1", "kw": 400}]}))
    cut = OutageEvent.model_validate({"outage": "fd1", "from": {"day": 0}, "duration_h": 2})
    kpis = compute_kpis(run_engine(park, [cut], RunSpec(horizon_days=1, warmup_days=0)))
    base = compute_kpis(
        run_engine(load_park("demo-small"), [cut], RunSpec(horizon_days=1, warmup_days=0))
    )
    assert kpis["power.unserved_mwh"] - base["power.unserved_mwh"] == pytest.approx(0.8)


def test_bad_plugin_item_names_the_place(chillers, tmp_path):
    path = tmp_path / "park.yaml"
    path.write_text(
        yaml.safe_dump(park_with({"chillers": [{"id": "c1", "feeder": "fd1", "kw": -5}]}))
    )
    with pytest.raises(InputError) as info:
        load_park(path)
    assert "extensions.chillers[0].kw" in str(info.value)
    result = CliRunner().invoke(cli.app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "extensions.chillers[0].kw" in result.output


def test_unknown_family_is_an_input_error(chillers):
    with pytest.raises(InputError) as info:
        load_park(park_with({"chilers": [{"id": "c1"}]}))
    assert "extensions.chilers" in str(info.value)
    assert "did you mean 'chillers'" in str(info.value)


def test_plugin_spec_is_in_the_json_schema(chillers):
    schema = json_schema()
    item = schema["properties"]["extensions"]["properties"]["chillers"]["items"]
    assert set(item["properties"]) == {"id", "feeder", "kw"}
    json.dumps(schema)  # serialisable


def test_ev_hub_example_adds_exactly_its_energy():
    from examples.ev_hub import demo_park_with_hub

    spec = RunSpec(horizon_days=2, warmup_days=1)
    with_hub = compute_kpis(run_engine(demo_park_with_hub(), spec=spec))
    without = compute_kpis(run_engine(load_park("demo-small"), spec=spec))
    assert with_hub["ev_hubs.hub1.sessions"] > 0
    extra = with_hub["power.energy_mwh"] - without["power.energy_mwh"]
    assert extra == pytest.approx(with_hub["ev_hubs.hub1.energy_mwh"])
    assert with_hub["ev_hubs.hub1.peak_kw"] <= 4 * 150 + 1e-9
    # charging makes electric trucks stay longer
    assert with_hub["trucks.turnaround_mean_min"] > without["trucks.turnaround_mean_min"]
    unregister("ev_hubs")
