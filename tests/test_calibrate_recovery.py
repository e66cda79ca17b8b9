"""Recovery of gates, docks and arrival profiles from data of an independent SimPy park.

The data come from :mod:`tests.independent` (plain SimPy, not parktwin's engine), with and
without the ``gate_out`` column, and an extra ``plate`` column real exports carry. The park
file to calibrate starts far off (gate 5 min exponential, two docks too many, exponential
services, flat arrivals); the calibration must recover the truth.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests import independent as ind
from tests.known_truth import differences
from twin.calibration import Calibration, calibrate
from twin.io.load import load_park
from twin.model.dist import Sampler

DAYS = 30.0


@pytest.fixture(scope="module")
def visits() -> list[dict]:
    return ind.simulate(DAYS, seed=11)


@pytest.fixture(scope="module", params=[True, False], ids=["gate_out", "no_gate_out"])
def fitted(request: pytest.FixtureRequest, visits: list[dict], tmp_path_factory) -> Calibration:
    folder = tmp_path_factory.mktemp("independent")
    ind.write_trucks(folder, visits, gate_out=request.param)
    return calibrate(load_park(ind.wrong_park()), folder, holdout=0.0)


def test_gate_service_is_recovered(fitted: Calibration) -> None:
    gate = fitted.park.logistics.gates[0]
    assert Sampler(gate.service).mean == pytest.approx(ind.GATE["mean"], rel=0.06)
    assert gate.service.dist == ind.GATE["dist"]
    assert gate.lanes == ind.LANES


def test_dock_services_and_counts_are_recovered(fitted: Calibration) -> None:
    groups = {g.id: g for g in fitted.park.logistics.dock_groups}
    for truth in ind.GROUPS:
        group = groups[truth.group]
        assert group.docks == truth.docks, truth.group
        assert group.service.dist == truth.service["dist"], truth.group
        assert Sampler(group.service).mean == pytest.approx(truth.service["mean"], rel=0.06)
        assert fitted.counts[truth.group].identified


def test_arrival_profiles_follow_the_truth(fitted: Calibration) -> None:
    for truth in ind.GROUPS:
        flow = next(f for f in fitted.park.logistics.flows if f.dock_group == truth.group)
        rates = np.asarray(flow.weekly_rates()).reshape(7, 24).mean(axis=0)
        expected = truth.peak_per_hour * ind.SHAPE
        assert np.corrcoef(rates, expected)[0, 1] >= 0.95, truth.group


def test_extra_column_is_noted(fitted: Calibration) -> None:
    trucks_report = fitted.data.reports[0]
    assert any("plate" in note and "ignored" in note for note in trucks_report.notes)


def test_gate_log_is_used_when_present(visits: list[dict], tmp_path: Path) -> None:
    ind.write_trucks(tmp_path, visits, gate_out=True)
    cal = calibrate(load_park(ind.wrong_park()), tmp_path, holdout=0.0)
    assert "gate_out" in cal.gates["g1"].data
    assert cal.gates["g1"].used > 0.9 * cal.gates["g1"].trucks


def test_docks_without_service_times_are_searched_with_widening_bounds(
    visits: list[dict], tmp_path: Path
) -> None:
    """A log without dock_end shows no occupancy: the count is found by simulation.

    The file says 9 docks for a-docks (truth 4): the first range, 7..11, has its best count
    on the edge, so the search widens until the best count is interior.
    """
    cut = [{k: v for k, v in row.items() if k != "dock_end"} for row in visits]
    for row in cut:
        row["depart"] = None  # a log of arrivals and dock starts only
    ind.write_trucks(tmp_path, cut, gate_out=False)
    data = ind.true_park()
    group = next(g for g in data["logistics"]["dock_groups"] if g["id"] == "a-docks")
    group["docks"] = 9
    cal = calibrate(load_park(data), tmp_path, holdout=0.0)
    assert not cal.counts  # nothing to read the counts from
    found = cal.docks["a-docks"]
    tried = sorted(found.simulated)
    assert found.chosen == 4
    assert tried[0] < found.chosen < tried[-1]  # interior
    assert cal.park.logistics.dock_groups[0].docks == 4


def test_a_night_staffing_schedule_is_read_from_the_occupancy(tmp_path: Path) -> None:
    """a-docks runs 4 docks by day and 2 from 22:00 to 06:00; the file says 6 all day.

    An hour is read as staffed below the peak once its trucks were seen waiting 5 times at
    its own most-at-once; the quiet late evening needs two months of data for that.
    """
    visits = ind.simulate(60.0, seed=3, night_docks={"a-docks": 2})
    ind.write_trucks(tmp_path, visits, True)
    cal = calibrate(load_park(ind.wrong_park()), tmp_path, holdout=0.0)
    group = next(g for g in cal.park.logistics.dock_groups if g.id == "a-docks")
    assert group.docks == 4
    assert group.staffing is not None
    assert [(w.start, w.end, w.docks) for w in group.staffing] == [("22:00", "06:00", 2)]
    others = [g for g in cal.park.logistics.dock_groups if g.id != "a-docks"]
    assert all(g.staffing is None for g in others)  # round the clock there: no schedule
    # and starting from the true park, schedule and all, nothing moves
    truth = ind.true_park()
    staffed = next(g for g in truth["logistics"]["dock_groups"] if g["id"] == "a-docks")
    staffed["staffing"] = [{"start": "22:00", "end": "06:00", "docks": 2}]
    again = calibrate(load_park(truth), tmp_path, holdout=0.0)
    assert differences(again) == []


def test_too_few_lanes_in_the_file_are_raised_to_what_the_gate_log_needs(
    visits: list[dict], tmp_path: Path
) -> None:
    ind.write_trucks(tmp_path, visits, gate_out=True)
    data = ind.true_park()
    data["logistics"]["gates"][0]["lanes"] = 1  # the truth is 2
    cal = calibrate(load_park(data), tmp_path, holdout=0.0)
    gate = cal.park.logistics.gates[0]
    assert gate.lanes == ind.LANES
    assert Sampler(gate.service).mean == pytest.approx(ind.GATE["mean"], rel=0.06)
