"""Held-out queue checks judged against the model's own paths, and Holm's correction.

The paths come from the independent plain-SimPy park of :mod:`tests.independent` (not
parktwin's engine), so the checks hold for queues that no parktwin code made:

- a path of the true park, judged against 20 others, is flagged about as often as the test's
  level says; the plain two-sample KS test, which takes trucks as independent, flags a correct
  model in a quarter to a half of the paths (the reason for the change);
- a path of a park that is off (slower service, a dock fewer) is flagged;
- Holm's adjustment matches a hand computation and keeps the family-wise error at its level.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests import independent as ind
from twin.calibration import calibrate
from twin.calibration.read import read_sensors
from twin.calibration.spread import MIN_REPLICATIONS, ks_against_spread
from twin.calibration.validation import check_held_out
from twin.io.load import load_park
from twin.stats import holm

Paths = dict[str, tuple[np.ndarray, np.ndarray]]  # group: (gate to dock, turnaround)


def path(seed: int, groups: tuple[ind.GroupTruth, ...] = ind.GROUPS) -> Paths:
    """Four days (after a day of warm-up) of the independent park's trucks, by dock group."""
    visits = ind.simulate(5.0, seed=seed, groups=groups)
    out: Paths = {}
    for g in groups:
        rows = [v for v in visits if v["group"] == g.group and v["arrive"] >= 1440.0]
        to_dock = [v["dock_start"] - v["arrive"] for v in rows if "dock_start" in v]
        turn = [v["depart"] - v["arrive"] for v in rows if "depart" in v]
        out[g.group] = (np.array(to_dock), np.array(turn))
    return out


@pytest.fixture(scope="module")
def pool() -> list[Paths]:
    return [path(seed) for seed in range(100)]


@pytest.mark.slow
def test_a_correct_model_is_flagged_at_the_tests_level(pool: list[Paths]) -> None:
    rng = np.random.default_rng(3)
    flagged = plain = trials = 0
    for group in ("a-docks", "b-docks", "c-docks"):
        for quantity in (0, 1):
            for _ in range(100):
                pick = rng.choice(len(pool), 21, replace=False)
                observed = pool[pick[0]][group][quantity]
                model = [pool[i][group][quantity] for i in pick[1:]]
                x = ks_against_spread(observed, model)
                flagged += x.p_value < 0.05
                plain += x.iid_p < 0.05
                trials += 1
    # measured: 27 of 600 (4.5%); plain KS: 184 (31%)
    assert flagged / trials < 0.09
    assert plain / trials > 0.2


@pytest.mark.slow
def test_a_slower_service_and_a_missing_dock_are_flagged(pool: list[Paths]) -> None:
    a = ind.GROUPS[0]
    slower = (dataclasses.replace(a, service={"dist": "gamma", "mean": 50.0, "sd": 15.0}),)
    fewer = (dataclasses.replace(a, docks=a.docks - 1),)
    model = [p["a-docks"][1] for p in pool[:20]]
    for change in (slower, fewer):
        groups = change + ind.GROUPS[1:]
        p_values = [
            ks_against_spread(path(500 + k, groups)["a-docks"][1], model).p_value for k in range(20)
        ]
        # measured: 25% slower, p < 0.01 for 70% of the paths; a dock fewer, 55%
        assert np.mean(np.array(p_values) < 0.05) >= 0.6


def test_without_a_spread_only_the_distance_is_given() -> None:
    model = [path(seed)["a-docks"][0] for seed in range(MIN_REPLICATIONS - 1)]
    x = ks_against_spread(path(50)["a-docks"][0], model)
    assert 0 < x.d < 1 and math.isnan(x.p_value) and not x.judged
    assert not ks_against_spread(np.zeros(1), model).judged  # one truck: nothing to judge


def test_holm_by_hand() -> None:
    adjusted = holm([0.01, 0.04, 0.03, 0.005, math.nan])
    assert adjusted[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(adjusted[4])
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([]) == []


def test_holm_keeps_the_family_wise_error_at_its_level() -> None:
    rng = np.random.default_rng(7)
    families = rng.uniform(size=(20_000, 8))  # eight true null hypotheses
    any_rejected = np.mean([min(holm(row.tolist())) < 0.05 for row in families])
    raw = np.mean(families.min(axis=1) < 0.05)
    assert 0.04 < any_rejected <= 0.053  # theory: 1 − 0.95^(1/8·8)... at most 5%
    assert raw > 0.3  # unadjusted: 1 − 0.95^8 = 34%


def _a_docks_verdicts(data_seed: int) -> dict[str, str]:
    """Held-out verdicts of a-docks for the true park and three wrong ones, on one data set."""
    with tempfile.TemporaryDirectory() as tmp:
        ind.write_trucks(Path(tmp), ind.simulate(30.0, seed=data_seed), gate_out=False)
        data = read_sensors(Path(tmp), load_park(ind.true_park()))
    window = (24 * 1440.0, 30 * 1440.0)  # the last 6 of 30 days
    changes = {
        "truth": {},
        "service 40 -> 55 min": {"service": {"dist": "gamma", "mean": 55.0, "sd": 16.5}},
        "docks 4 -> 6": {"docks": 6},
        "docks 4 -> 3": {"docks": 3},
    }
    verdicts = {}
    for name, change in changes.items():
        spec = ind.true_park()
        spec["logistics"]["dock_groups"][0].update(change)
        checks = check_held_out(load_park(spec), data, window, {}, seed=2).queues
        verdicts[name] = next(q.verdict for q in checks if q.group == "a-docks")
    return verdicts


@pytest.mark.slow
def test_validation_tells_the_true_park_from_wrong_ones() -> None:
    runs = [_a_docks_verdicts(seed) for seed in (21, 22, 23, 24)]
    assert [r["truth"] for r in runs] == ["good"] * 4
    assert [r["service 40 -> 55 min"] for r in runs] == ["poor"] * 4
    assert [r["docks 4 -> 6"] for r in runs] == ["poor"] * 4
    # a dock fewer: flagged in 3 of these 4 six-day spans (poor, poor, fair; one good: its
    # span was busy enough for 3 docks): six days of a 92%-loaded group cannot always tell
    assert sum(r["docks 4 -> 3"] != "good" for r in runs) >= 2


@pytest.mark.parametrize("gate_out", [True, False], ids=["gate_out", "no_gate_out"])
def test_a_wrong_park_file_calibrated_on_independent_data_checks_good(
    tmp_path: Path, gate_out: bool
) -> None:
    """From a park file whose gate, docks and services are all off, end to end."""
    ind.write_trucks(tmp_path, ind.simulate(30.0, seed=12), gate_out=gate_out)
    cal = calibrate(load_park(ind.wrong_park()), tmp_path)
    assert cal.validation is not None
    verdicts = {c.name: c.verdict for c in cal.validation.arrivals}
    verdicts |= {q.group: q.verdict for q in cal.validation.queues}
    assert len(verdicts) == 7 and set(verdicts.values()) == {"good"}
