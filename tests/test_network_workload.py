"""The caps of a run count the power network's series: a large network is refused, not killed."""

from __future__ import annotations

import pytest

from tests.hostile_networks import chain
from twin.errors import SettingError
from twin.experiment.settings import Case, Settings
from twin.experiment.workload import MAX_SERIES_VALUES, check_workload, grid_steps
from twin.io.inputs import read_park
from twin.model.schema import Park


def test_a_large_network_on_a_fine_grid_is_refused_before_it_runs() -> None:
    """2,000 buses on a one-minute grid for 60 days: each bus and line is a series of its own."""
    park = Park.model_validate(chain(2000))
    settings = Settings(days=60, step_min=1)
    buses_and_lines = 2000 + 1999
    assert grid_steps(settings) * buses_and_lines > MAX_SERIES_VALUES
    with pytest.raises(SettingError, match="step_min") as refused:
        check_workload([Case(park, ())], settings)
    assert "series values" in str(refused.value)
    check_workload([Case(park, ())], Settings(days=60))  # the 15-minute grid holds it


def test_ten_years_of_the_bundled_park_with_its_network_still_run() -> None:
    check_workload([Case(read_park("yen-binh"), ())], Settings(days=3650))
