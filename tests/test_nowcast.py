"""The nowcast: forecast.json from a start state, checked by hand and against theory."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from tests.parks import AT_0750, EVERY_STAGE, one_dock_group, tiny_park, truck

# X, EVERY_STAGE, tiny_park, truck
from tests.theory import generator_matrix, mean_queue, transient_by_uniformisation
from twin.errors import InputError, UsageError
from twin.io.load import load_park
from twin.live.nowcast import forecast_samples, nowcast
from twin.model.schema import Park
from twin.sim.start_state import OutageNow, StartState


def test_series_of_a_tiny_park_by_hand():
    # The log of tests/test_warm_start.py::test_every_stage_from_a_state_full_log: at 15 min
    # every truck but F (exit 0.75) is in the park and B, C, D, G, E and N wait for the dock;
    # at 30 min A has left (21) and B is served (20). B, the only truck whose service starts
    # in (15, 30], waited 20 - (-12) = 32 minutes from its arrival.
    doc = nowcast(
        tiny_park(), StartState(AT_0750, EVERY_STAGE), hours=0.5, replications=1
    ).to_dict()
    series = doc["series"]
    assert series["trucks.in_park"]["time"] == ["2026-01-05T08:05:00", "2026-01-05T08:20:00"]
    assert series["trucks.in_park"]["mean"] == [7, 6]
    assert series["docks.d1.queue"]["mean"] == [6, 5]
    assert series["gates.g1.queue"]["mean"] == [0, 0]
    assert series["trucks.gate_to_dock_min"]["mean"] == [None, 32]
    for name in series:
        assert series[name]["p05"] == series[name]["mean"] == series[name]["p95"]
    assert doc["origin"] == "2026-01-05T07:50:00"
    assert (doc["hours"], doc["replications"], doc["step_min"]) == (0.5, 1, 15)
    json.dumps(doc, allow_nan=False)  # plain JSON: None where no value, never NaN


def test_power_per_feeder_and_substation_follows_the_outage():
    # The building asks 100 kW base + 900 kW in its 06:00 shift; the feeder, out for 15 more
    # minutes, carries nothing in the first step and 1 MW after.
    state = StartState(AT_0750, (), (OutageNow("fd1", "feeder", 30, 15),))
    doc = nowcast(tiny_park(powered=True), state, hours=0.75, replications=1).to_dict()
    assert doc["series"]["power.fd1.load_mw"]["mean"] == pytest.approx([0, 1, 1])
    assert doc["series"]["power.s1.load_mw"]["mean"] == pytest.approx([0, 1, 1])
    assert doc["state"] == {"trucks": 0, "outages": ["fd1"]}


def test_alert_when_the_band_goes_above_a_threshold():
    doc = nowcast(
        tiny_park(),
        StartState(AT_0750, EVERY_STAGE),
        hours=1,
        replications=1,
        thresholds={"docks.d1.queue": 5.5, "trucks.in_park": 100},
    ).to_dict()
    assert doc["alerts"] == [
        {
            "series": "docks.d1.queue",
            "time": "2026-01-05T08:05:00",
            "threshold": 5.5,
            "probability": 1.0,
            "peak_time": "2026-01-05T08:05:00",
            "peak_probability": 1.0,
        }
    ]


def test_park_file_alerts_and_the_option_over_them():
    park = load_park(
        {**tiny_park().model_dump(by_alias=True, exclude_none=True),
         "alerts": [{"series": "docks.d1.queue", "above": 100}]}
    )  # fmt: skip
    state = StartState(AT_0750, EVERY_STAGE)
    assert nowcast(park, state, hours=1, replications=1).to_dict()["alerts"] == []
    lowered = nowcast(
        park, state, hours=1, replications=1, thresholds={"docks.d1.queue": 3}
    ).to_dict()
    assert [a["series"] for a in lowered["alerts"]] == ["docks.d1.queue"]


def test_probability_is_the_share_of_replications_above():
    park = one_dock_group(docks=1, service={"dist": "exponential", "mean": 30}, rate_per_hour=2)
    state = StartState(AT_0750, tuple(truck(f"Q{i}", "dock_queue", 5 + i) for i in range(4)))
    doc = nowcast(
        park, state, hours=2, replications=40, thresholds={"docks.d1.queue": 3.5}
    ).to_dict()
    (alert,) = doc["alerts"]
    # The queue starts at 4 (> 3.5); whoever is above at the first step is the share.
    first = doc["series"]["docks.d1.queue"]
    assert alert["time"] == first["time"][0]
    assert 0 < alert["probability"] <= 1 and alert["peak_probability"] >= alert["probability"]
    assert first["p95"][0] > 3.5


def test_same_seed_same_document_other_seed_other_numbers():
    park = load_park("demo-small")
    state = StartState(datetime(2026, 1, 6, 10, 0))
    one = nowcast(park, state, hours=1, replications=3, seed=5).to_dict()
    assert nowcast(park, state, hours=1, replications=3, seed=5).to_dict() == one
    other = nowcast(park, state, hours=1, replications=3, seed=6).to_dict()
    assert other["series"]["trucks.in_park"] != one["series"]["trucks.in_park"]


STEP_ENDS = np.array([30.0, 60.0, 90.0, 120.0])


def test_band_of_a_warm_started_mmc_brackets_the_exact_transient():
    """The nowcast's mean queue at each step end is the transient mean within its interval."""
    c, n, reps = 3, 15, 400
    lam = c * 0.8 / 10
    park = one_dock_group(
        docks=c, service={"dist": "exponential", "mean": 10}, rate_per_hour=lam * 60
    )
    trucks = tuple(truck(f"T{i}", "in_service" if i < c else "dock_queue", 3 + i) for i in range(n))
    state = StartState(AT_0750, trucks)
    options = {"hours": 2, "replications": reps, "step_min": 30}
    doc = nowcast(park, state, **options).to_dict()
    samples = forecast_samples(park, state, **options).values["docks.d1.queue"]
    series = doc["series"]["docks.d1.queue"]
    np.testing.assert_allclose(series["mean"], samples.mean(0))
    np.testing.assert_allclose(series["p95"], np.quantile(samples, 0.95, axis=0))
    exact = mean_queue(
        transient_by_uniformisation(generator_matrix(lam, 0.1, c, 150), n, STEP_ENDS), c
    )
    # Four times, each inside the mean's 99% interval (a miss by chance: about 4%).
    half = stats.t.ppf(0.995, reps - 1) * samples.std(0, ddof=1) / math.sqrt(reps)
    assert np.all(np.abs(samples.mean(0) - exact) <= half), (samples.mean(0), exact, half)
    assert np.all(np.array(series["p05"]) <= exact) and np.all(exact <= np.array(series["p95"]))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"hours": 0}, "hours"),
        ({"hours": 1000}, "hours"),
        ({"replications": 0}, "replications"),
        ({"step_min": -1}, "step_min"),
        ({"thresholds": {"docks.nope.queue": 1}}, "docks.nope.queue"),
        ({"thresholds": {"docks.d1.queue": math.nan}}, "number"),
    ],
)
def test_bad_options_are_refused_by_name(options, message):
    with pytest.raises(UsageError, match=message):
        nowcast(tiny_park(), StartState(AT_0750), **{"hours": 1, "replications": 1, **options})


def test_a_state_that_does_not_fit_is_a_usage_error():
    state = StartState(AT_0750, (truck("X", "on_road", 5, 1),))
    with pytest.raises(UsageError, match=r"trucks\[id=X\]"):
        nowcast(tiny_park(), state, hours=1, replications=1)


def test_a_park_file_alert_on_an_unknown_series_names_its_place():
    """Refused when the park is read (it would never fire), and by the nowcast of a Park."""
    data = {**tiny_park().model_dump(by_alias=True, exclude_none=True),
            "alerts": [{"series": "docks.d9.queue", "above": 1}]}  # fmt: skip
    with pytest.raises(InputError, match=r"alerts\[0\]\.series: no forecast series 'docks.d9"):
        load_park(data)
    with pytest.raises(UsageError, match=r"alerts\[0\]\.series"):
        nowcast(Park.model_validate(data), StartState(AT_0750), hours=1, replications=1)


def test_the_forecast_document_stays_byte_for_byte_the_stored_one():
    """SPEC's forecast.json, made from the typed Forecast and Alert, equals the stored copy."""
    golden = Path(__file__).parent / "data" / "golden" / "demo-small.forecast.json"
    forecast = nowcast(
        load_park("demo-small"),
        StartState(datetime(2026, 1, 6, 10, 0)),
        hours=1,
        replications=3,
        seed=5,
        thresholds={"trucks.in_park": 1},
    )
    assert forecast.alerts, "the stored copy has an alert"
    text = json.dumps(forecast.to_dict(), indent=1, ensure_ascii=False) + "\n"
    assert text == golden.read_text(encoding="utf-8")
