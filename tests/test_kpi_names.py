"""Families declare their KPI names; the declaration matches what a run reports."""

from __future__ import annotations

import pytest

from twin.experiment.runner import kpi_names as runner_kpi_names
from twin.io.bundled import bundled_parks
from twin.io.load import load_park
from twin.model.assets import AssetFamily, families, register, unregister
from twin.sim.context import RunSpec
from twin.sim.engine import run_engine
from twin.sim.kpi import compute_kpis, declared_kpi_names


@pytest.mark.parametrize("name", sorted(bundled_parks()))
def test_declared_names_are_the_computed_ones_in_order(name: str) -> None:
    park = load_park(name)
    trace = run_engine(park, (), RunSpec(horizon_days=0.5, warmup_days=0.0))
    assert declared_kpi_names(park) == list(compute_kpis(trace))


def test_names_are_known_without_simulating(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("kpi_names ran a simulation")

    monkeypatch.setattr("twin.experiment.runner.run_engine", no_run)
    assert "docks.f1-docks.wait_mean_min" in runner_kpi_names(load_park("demo-small"))


def test_a_plugin_without_declared_names_is_found_by_a_one_step_run() -> None:
    quiet = AssetFamily("quiet", kpis=lambda trace: {"quiet.level": 1.0})
    register(quiet, replace=True)
    try:
        assert "quiet.level" in runner_kpi_names(load_park("demo-small"))
        assert "quiet.level" not in declared_kpi_names(load_park("demo-small"))
    finally:
        unregister("quiet")
    assert all(f.name != "quiet" for f in families())
