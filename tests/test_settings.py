"""Every setting is checked at the API, with a message naming the setting.

A zero or negative ``step_min`` is refused by name (not a ZeroDivisionError, not accepted), in
the API itself and not only on the command line.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import cli
import twin
from console.experiment import ExperimentOptions
from twin.errors import SettingError, UsageError
from twin.experiment.settings import MAX_GRID_STEPS, Settings

BAD = [
    ({"step_min": 0}, "step_min must be more than 0, got 0"),
    ({"step_min": -15}, "step_min must be more than 0, got -15"),
    ({"step_min": float("nan")}, "step_min must be a finite number, got nan"),
    ({"step_min": 2000}, "step_min must be at most 1440"),
    ({"step_min": "15"}, "step_min must be a number, got '15'"),
    ({"days": 0}, "days must be more than 0"),
    ({"days": float("inf")}, "days must be a finite number, got inf"),
    ({"days": 4000}, "days must be at most 3660"),
    ({"days": True}, "days must be a number, got True"),
    ({"warmup_days": -1}, "warmup_days must be 0 or more"),
    ({"seed": -1}, "seed must be at least 0"),
    ({"seed": 1.5}, "seed must be a whole number, got 1.5"),
    ({"replications": 0}, "replications must be at least 1"),
    ({"replications": 2.0}, "replications must be a whole number"),
    ({"jobs": 0}, "jobs must be at least 1"),
    ({"first_replication": -2}, "first_replication must be at least 0"),
    ({"backend": "spark"}, "backend must be one of local, dask"),
    (
        {"scheduler": "tcp://x:1"},
        "scheduler is the address of a dask scheduler: it needs backend dask",
    ),
    ({"precision": 0.0}, "precision is a relative half-width between 0 and 1"),
    ({"precision": "5%"}, "precision must be a number"),
    ({"precision": float("nan")}, "precision must be a finite number, got nan"),  # not "> -inf"
    ({"precision": 1.0}, "precision is a relative half-width between 0 and 1"),
    ({"precision": 0.1, "max_replications": 1}, "max_replications must be at least 2"),
    ({"precision": 0.1, "precision_kpis": ()}, "precision_kpis must name at least one KPI"),
    ({"precision_kpis": ["trucks.wait_mean_min"]}, "precision_kpis must be a tuple"),
    ({"warmup_auto": "yes"}, "warmup_auto must be true or false"),
    ({"days": 3000, "step_min": 0.01}, "step_min of 0.01 makes"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD)
def test_a_bad_setting_is_named_at_the_api(kwargs: dict, message: str) -> None:
    with pytest.raises(SettingError) as info:
        Settings(**kwargs)
    assert message in str(info.value)
    assert info.value.setting in kwargs


def test_the_grid_is_bounded() -> None:
    """The largest grid allowed is MAX_GRID_STEPS steps; one step more is refused."""
    smallest = 3001 * 1440.0 / MAX_GRID_STEPS  # step_min at the bound for 3000 + 1 days
    Settings(days=3000, warmup_days=1.0, step_min=smallest * (1 + 1e-9))
    with pytest.raises(SettingError, match="grid steps"):
        Settings(days=3000, warmup_days=1.0, step_min=smallest * (1 - 1e-6))


def test_good_settings_pass_and_numpy_numbers_are_accepted() -> None:
    np = pytest.importorskip("numpy")
    s = Settings(days=np.float64(2.5), seed=np.int64(3), replications=np.int32(2), step_min=1440)
    assert s.spec(1).seed == 3


def test_simulate_checks_settings_before_any_work() -> None:
    with pytest.raises(UsageError, match="step_min must be more than 0"):
        twin.simulate("demo-small", days=1, step_min=0)


def test_the_command_line_names_the_flag() -> None:
    with pytest.raises(UsageError, match=r"^--step-min must be more than 0"):
        ExperimentOptions(step_min=-15).settings()
    result = CliRunner().invoke(cli.app, ["run", "demo-small", "--days", "4000"])
    assert result.exit_code == 2
    assert "--days must be at most 3660, got 4000" in result.output
    assert "Traceback" not in result.output
