"""The public API (`import twin`): light to import, complete, and the same numbers as the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
import twin
from twin.experiment.results import Experiment
from twin.sim.trace import INDEX_COLUMNS, INDEX_DTYPE

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "scipy", "simpy", "pydantic", "yaml", "pyvista", "vtk", "pandas", "dask")
SHORT = twin.Settings(days=1, warmup_days=0.5, replications=2)


def _python(code: str) -> Any:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# --------------------------------------------------------------------------- the package


def test_import_twin_is_light() -> None:
    modules = _python("import sys, json, twin\nprint(json.dumps(sorted(sys.modules)))")
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == [], f"`import twin` imported {heavy}"


def test_every_public_name_resolves_without_scipy_or_pyvista() -> None:
    code = (
        "import sys, json, twin\n"
        "missing = [n for n in twin.__all__ if getattr(twin, n, None) is None]\n"
        "print(json.dumps({'missing': missing, 'modules': sorted(sys.modules)}))"
    )
    report = _python(code)
    assert report["missing"] == []
    heavy = sorted(m for m in report["modules"] if m.split(".")[0] in ("scipy", "pyvista", "vtk"))
    assert heavy == []


def test_all_is_sorted_unique_and_in_dir() -> None:
    assert len(set(twin.__all__)) == len(twin.__all__)
    assert set(twin.__all__) <= set(dir(twin))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        twin.nope  # noqa: B018
    assert isinstance(twin.__version__, str)


# --------------------------------------------------------------------------- CLI == API


def _cli_json(args: list[str]) -> dict[str, Any]:
    """Run the console script (or the Typer app in-process when it is not installed)."""
    script = Path(sys.executable).with_name("parktwin")
    if script.exists():
        proc = subprocess.run(
            [str(script), *args], capture_output=True, text=True, timeout=300, check=False
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _same(api: dict[str, Any], cli_doc: dict[str, Any]) -> None:
    # both through JSON: NaN is null on both sides; floats are compared bit for bit
    assert json.loads(json.dumps(api, allow_nan=False, default=str)) == cli_doc


def test_run_gives_the_cli_numbers_bit_for_bit() -> None:
    cli_doc = _cli_json(["run", "demo-small", "--days", "2", "--json"])
    api = twin.run("demo-small", settings=twin.Settings(days=2))
    _same(json.loads(api.to_json()), cli_doc)


def test_run_with_scenario_seed_and_replications_matches_the_cli() -> None:
    args = ["run", "demo-small", "-s", "peak-season", "--days", "1", "-r", "3", "--seed", "7"]
    cli_doc = _cli_json([*args, "--json"])
    api = twin.run("demo-small", "peak-season", twin.Settings(days=1, replications=3, seed=7))
    _same(json.loads(api.to_json()), cli_doc)


def test_compare_matches_the_cli() -> None:
    cli_doc = _cli_json(
        ["compare", "demo-small", "peak-season", "--days", "1", "-r", "2", "--json"]
    )
    api = twin.compare("demo-small", ["peak-season"], twin.Settings(days=1, replications=2))
    _same(api.to_dict(), cli_doc)


def test_sweep_matches_the_cli() -> None:
    vary = "logistics.dock_groups[id=f2-docks].docks=4,6"
    cli_doc = _cli_json(["sweep", "demo-small", "--vary", vary, "--days", "1", "--json"])
    api = twin.sweep("demo-small", vary=[vary], settings=twin.Settings(days=1))
    _same(api.to_dict(), cli_doc)


# --------------------------------------------------------------------------- simulate


def test_simulate_is_replication_i_of_run() -> None:
    experiment = twin.run("demo-small", "peak-season", SHORT)
    for i in range(SHORT.replications):
        trace = twin.simulate("demo-small", "peak-season", days=1, warmup_days=0.5, replication=i)
        kpis = twin.compute_kpis(trace)
        assert set(kpis) == set(experiment.values)
        for name, value in kpis.items():
            other = experiment.values[name][i]
            assert value == other or (math.isnan(value) and math.isnan(other)), name


def test_simulate_takes_names_paths_dicts_and_models(tmp_path: Path) -> None:
    from twin.io.bundled import bundled_parks, bundled_scenarios

    park = twin.load_park("demo-small")
    scenario = twin.load_scenario("peak-season")
    as_dicts = (
        park.model_dump(mode="json", by_alias=True, exclude_none=True),
        scenario.model_dump(mode="json", by_alias=True, exclude_none=True),
    )
    sources = [
        ("demo-small", "peak-season"),
        (bundled_parks()["demo-small"], bundled_scenarios()["peak-season"]),
        (str(bundled_parks()["demo-small"]), str(bundled_scenarios()["peak-season"])),
        as_dicts,
        (park, scenario),
    ]
    traces = [twin.simulate(p, s, days=0.5, warmup_days=0) for p, s in sources]
    first = traces[0]
    assert first.meta["scenario"] == "peak-season"
    for trace in traces[1:]:
        for column, values in first.trucks.items():
            assert np.array_equal(values, trace.trucks[column], equal_nan=True), column


def test_simulate_without_a_park_uses_the_scenario_base() -> None:
    scenario = {
        "scenario": {"name": "small-outage"},
        "base": "demo-small",
        "events": [{"outage": "fd1", "from": {"day": 0, "at": "08:00"}, "duration_h": 1}],
    }
    trace = twin.simulate(None, scenario, days=0.5, warmup_days=0)
    assert trace.meta["park"] == "Demo Small Park"
    assert twin.compute_kpis(trace)["power.unserved_mwh"] > 0


def test_bad_inputs_raise_input_and_usage_errors() -> None:
    with pytest.raises(twin.InputError, match="did you mean 'demo-small'"):
        twin.simulate("demo-smal", days=1)
    with pytest.raises(twin.UsageError, match="days must be more than 0"):
        twin.simulate("demo-small", days=0)
    data = twin.load_park("demo-small").model_dump(mode="json", by_alias=True, exclude_none=True)
    data["logistics"]["dock_groups"][0]["docks"] = 0
    with pytest.raises(twin.InputError, match=r"dock_groups\[0\]\.docks"):
        twin.load_park(data)


# --------------------------------------------------------------------------- arrays and frames


@pytest.fixture(scope="module")
def trace() -> twin.Trace:
    return twin.simulate("demo-small", days=1, warmup_days=0.5)


def test_trace_arrays_are_the_trace_itself(trace: twin.Trace) -> None:
    arrays = twin.to_arrays(trace)
    assert arrays["edges"] is trace.edges
    assert arrays["trucks/dock_start"] is trace.trucks["dock_start"]
    assert arrays["series/feeder_load_kw"] is trace.series["feeder_load_kw"]
    assert all(isinstance(a, np.ndarray) for a in arrays.values())


def test_truck_index_columns_hold_more_than_32767_assets() -> None:
    """flow, gate and dock-group indices were int16: they wrapped or failed past 32,767."""
    trace = twin.simulate("demo-small", days=1)
    for column in INDEX_COLUMNS:
        assert trace.trucks[column].dtype == INDEX_DTYPE
    assert np.array([40_000], dtype=INDEX_DTYPE)[0] == 40_000


def test_trace_frames(trace: twin.Trace) -> None:
    pytest.importorskip("pandas")
    trucks = trace.trucks_frame()
    assert len(trucks) == trace.n_trucks
    assert set(trucks["flow"].cat.categories) == set(trace.names["flows"])
    assert list(trucks.columns[:3]) == ["flow", "gate", "dock_group"]
    assert np.array_equal(trucks["exit"].to_numpy(), trace.trucks["exit"], equal_nan=True)
    power = trace.series_frame("building_power_demand_kw")
    assert list(power.columns) == ["step_min", *trace.names["buildings"]]
    assert power.index.name == "t_min" and power.index[0] == -720.0
    assert np.array_equal(power["f1"].to_numpy(), trace.series["building_power_demand_kw"][:, 0])
    assert list(trace.series_frame("substation_load_kw").columns) == ["step_min", "sub1"]
    assert list(trace.series_frame("dock_queue_mean").columns)[1:] == trace.names["dock_groups"]
    water = trace.series_frame("water_demand_m3h", calendar=True)
    assert str(water.index[720 // 15]) == "2026-01-05 00:00:00"  # day 0 00:00 = park.start
    assert trace.trucks_frame(calendar=True)["arrive"].dtype.kind == "M"
    with pytest.raises(KeyError, match="no series 'nope'"):
        trace.series_frame("nope")


def test_frames_say_when_pandas_is_missing(
    trace: twin.Trace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(ImportError, match="pip install pandas"):
        trace.trucks_frame()
    with pytest.raises(ImportError, match="pip install pandas"):
        twin.to_frame(twin.run("demo-small", settings=twin.Settings(days=0.5)))


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> twin.Comparison:
    more_docks = tmp_path_factory.mktemp("scenarios") / "more-docks.yaml"
    more_docks.write_text(
        "scenario: {name: more-docks}\n"
        "changes: [{set: 'logistics.dock_groups[id=f2-docks].docks', value: 7}]\n",
        encoding="utf-8",
    )
    return twin.compare("demo-small", ["peak-season", more_docks], SHORT)


def test_experiment_arrays_and_frames(comparison: twin.Comparison) -> None:
    experiment: Experiment = comparison.baseline
    arrays = twin.to_arrays(experiment)
    assert arrays["trucks.arrived"].shape == (2,)
    assert arrays["trucks.arrived"].tolist() == experiment.values["trucks.arrived"]
    pd = pytest.importorskip("pandas")
    frame = twin.to_frame(experiment)
    summary = experiment.summary("trucks.wait_mean_min")
    row = frame.loc["trucks.wait_mean_min"]
    assert (row["mean"], row["ci95_low"], row["ci95_high"]) == (summary.mean, *summary.ci95)
    assert row["unit"] == "min" and row["replications"] == 2
    wide = twin.to_frame(experiment, replications=True)
    assert wide.shape == (2, len(experiment.values))
    assert isinstance(wide, pd.DataFrame)


def test_comparison_arrays_and_frames(comparison: twin.Comparison) -> None:
    arrays = twin.to_arrays(comparison)
    assert list(arrays) == ["baseline", "peak-season", "more-docks"]
    assert arrays["peak-season"]["trucks.arrived"].shape == (2,)
    pytest.importorskip("pandas")
    frame = twin.to_frame(comparison)
    assert len(frame) == len(comparison.rows())
    rows = {(r.scenario, r.kpi): r for r in comparison.rows()}
    for record in frame.to_dict("records")[:20]:
        row = rows[(record["scenario"], record["kpi"])]
        assert record["delta_ci95_low"] == row.delta_ci95[0] or math.isnan(row.delta_ci95[0])
        assert record["significant"] == row.significant
    long = twin.to_frame(comparison, replications=True)
    assert list(long.columns) == ["case", "replication", "kpi", "value"]
    assert set(long["case"]) == {"baseline", "peak-season", "more-docks"}
    assert set(long["replication"]) == {0, 1}


def test_sweep_arrays_and_frames() -> None:
    vary = ["logistics.dock_groups[id=f2-docks].docks=4:6"]
    result = twin.sweep("demo-small", vary=vary, settings=SHORT)
    arrays = twin.to_arrays(result)
    assert arrays["points"].tolist() == [[4], [5], [6]]
    assert arrays["docks.f2-docks.wait_mean_min"].shape == (3, 2)
    pytest.importorskip("pandas")
    from twin.experiment.sweeps import labels_of

    (column,) = labels_of(result.varies)  # the parameter's column: its short name
    frame = twin.to_frame(result)
    waits = frame[frame.kpi == "docks.f2-docks.wait_mean_min"]
    assert waits[column].tolist() == [4, 5, 6]
    assert waits["mean"].tolist() == [
        e.summary("docks.f2-docks.wait_mean_min").mean for e in result.experiments
    ]
    long = twin.to_frame(result, replications=True)
    assert {column, "replication", "kpi", "value"} <= set(long.columns)


def test_to_frame_and_to_arrays_refuse_other_things() -> None:
    with pytest.raises(TypeError, match="takes a Trace"):
        twin.to_arrays({"a": 1})
    pytest.importorskip("pandas")
    with pytest.raises(TypeError, match="takes a Trace"):
        twin.to_frame([1, 2])
