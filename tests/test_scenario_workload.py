"""A scenario's rate events count in the caps of a run: a flood of trucks is refused, not killed."""

from __future__ import annotations

import pytest

from tests.parks import one_dock_group
from twin.errors import SettingError
from twin.experiment.settings import Case, Settings
from twin.experiment.workload import check_workload, expected_trucks
from twin.model.schema import RateEvent


def rate_event(day: int, factor: float, at: str = "00:00", flow: str = "in") -> RateEvent:
    moment = {"day": day, "at": at}
    return RateEvent.model_validate({"flow": flow, "from": moment, "factor": factor})


def test_a_rate_event_that_floods_the_park_is_refused_before_it_runs() -> None:
    """5,000 trucks an hour is 120,000 a day; a factor 1,000 from day 0 makes 120 million."""
    park = one_dock_group(docks=3, service={"dist": "constant", "value": 30}, rate_per_hour=5000)
    settings = Settings(days=1, warmup_days=0)
    check_workload([Case(park, ())], settings)  # the park alone is well under the cap
    with pytest.raises(SettingError, match="trucks per replication") as refused:
        check_workload([Case(park, (rate_event(0, 1000),))], settings)
    assert "rate events" in str(refused.value)


def test_the_expected_trucks_follow_each_rate_event_from_its_moment_on() -> None:
    park = one_dock_group(docks=1, service={"dist": "constant", "value": 30}, rate_per_hour=10)
    # Two days of horizon after a one-day warm-up: 720 trucks at the park's own rate.
    assert expected_trucks(park, 3, (), warmup_days=1) == pytest.approx(720)
    # x3 from the start of the second horizon day: warm-up and day 0 at 10/h, day 1 at 30/h.
    tripled = (rate_event(1, 3),)
    assert expected_trucks(park, 3, tripled, warmup_days=1) == pytest.approx(240 + 240 + 720)
    # A later event replaces the earlier factor; an event of another flow changes nothing.
    back = (rate_event(1, 3), rate_event(1, 0.5, at="12:00"), rate_event(0, 9, flow="other"))
    assert expected_trucks(park, 3, back, warmup_days=1) == pytest.approx(480 + 360 + 60)
