"""The summary a manager reads first: materiality, the most affected asset by name, lost
production and unserved energy with intervals, new assets, and a sweep's target.

The statistics are checked against scipy's Student-t distribution, computed here on the same
replication values (the summary's own code never touches scipy.stats)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from cli import app
from twin import api
from twin.errors import InputError, UsageError
from twin.experiment.comparison import Comparison
from twin.experiment.materiality import Materiality, Threshold, family_of
from twin.experiment.results import Experiment
from twin.experiment.settings import Settings
from twin.experiment.target import one_sided_bound, parse_target, target_result

runner = CliRunner()
NAMES = {"d1": "Nhà máy F1", "d2": "Kho W1", "f1": "Nhà máy F1", "f3": "Nhà máy F3"}
BASE = [10.0, 11.5, 12.0, 13.25, 14.0]


def _comparison(baseline: dict, scenario: dict, materiality: Materiality | None = None,
                lang: str = "en") -> Comparison:  # fmt: skip
    settings = Settings(replications=len(BASE))
    return Comparison(
        Experiment("Park", None, settings, baseline),
        [Experiment("Park", "s", settings, scenario)],
        ["s"],
        settings,
        names=NAMES,
        lang=lang,  # type: ignore[arg-type]
        materiality=materiality or Materiality(),
    )


def _interval(diff: list[float]) -> tuple[float, float]:
    """Student-t 95% interval of the mean, by scipy."""
    half = stats.t.ppf(0.975, len(diff) - 1) * np.std(diff, ddof=1) / math.sqrt(len(diff))
    return float(np.mean(diff) - half), float(np.mean(diff) + half)


def test_a_tiny_significant_change_is_never_called_most_affected() -> None:
    tiny = [b - 0.002 + 1e-5 * k for k, b in enumerate(BASE)]
    comparison = _comparison({"docks.d1.wait_mean_min": BASE}, {"docks.d1.wait_mean_min": tiny})
    assert comparison.rows()[0].significant
    summary = comparison.summary()["scenarios"][0]
    assert summary["status"] == "small" and summary["changes"] == []
    assert summary["most_affected"] is None
    assert "most affected" not in " ".join(comparison.verdicts())
    assert comparison.summary()["text"][0] == (
        "s: significant changes, but none that matters (below the thresholds)."
    )


def test_a_change_that_matters_names_its_asset() -> None:
    big = [b + 20 + 0.5 * k for k, b in enumerate(BASE)]
    tiny = [b - 0.002 + 1e-5 * k for k, b in enumerate(BASE)]
    comparison = _comparison(
        {"docks.d1.wait_mean_min": BASE, "docks.d2.wait_mean_min": BASE},
        {"docks.d1.wait_mean_min": tiny, "docks.d2.wait_mean_min": big},
    )
    summary = comparison.summary()["scenarios"][0]
    assert summary["status"] == "matters"
    assert [c["kpi"] for c in summary["changes"]] == ["docks.d2.wait_mean_min"]
    worst = summary["most_affected"]
    assert worst["name"] == "Kho W1"
    low, high = _interval([b - a for a, b in zip(BASE, big, strict=True)])
    assert worst["delta_ci95"] == pytest.approx([low, high])
    text = "\n".join(comparison.summary()["text"])
    assert "Most affected: Mean wait at Kho W1 +21 min [" in text
    assert "most affected: Mean wait at Kho W1 +21 min" in comparison.verdicts()[0]
    vi = _comparison(
        {"docks.d2.wait_mean_min": BASE}, {"docks.d2.wait_mean_min": big}, lang="vi"
    ).summary()["text"]
    assert "Bị ảnh hưởng nhiều nhất: Thời gian chờ trung bình tại bến Kho W1 +21 phút [" in (
        "\n".join(vi)
    )


def test_lost_production_is_the_paired_change_of_the_total_with_its_interval() -> None:
    f1 = [100.0, 102.0, 98.0, 101.0, 99.0]
    f1_after = [90.0, 93.0, 87.0, 91.0, 89.0]
    f2 = [50.0, 52.0, 49.0, 51.0, 50.5]
    f2_after = [50.5, 51.0, 49.5, 51.5, 50.0]
    comparison = _comparison(
        {"production.f1.units": f1, "production.f2.units": f2},
        {"production.f1.units": f1_after, "production.f2.units": f2_after,
         "production.f3.units": [40.0, 41.0, 39.0, 40.0, 40.0]},
    )  # fmt: skip
    summary = comparison.summary()["scenarios"][0]
    lost = summary["lost_production"]
    diff = [a1 + a2 - b1 - b2 for a1, a2, b1, b2 in zip(f1_after, f2_after, f1, f2, strict=True)]
    assert lost["delta"] == pytest.approx(np.mean(diff))
    assert lost["delta_ci95"] == pytest.approx(list(_interval(diff)))
    assert lost["significant"] is True
    assert [b["name"] for b in lost["buildings_losing"]] == ["Nhà máy F1"]
    new = summary["new_assets"]
    assert [(a["kpi"], a["name"], a["mean"]) for a in new] == [
        ("production.f3.units", "Nhà máy F3", 40.0)
    ]
    assert new[0]["ci95"] == pytest.approx(list(_interval([40.0, 41.0, 39.0, 40.0, 40.0])))
    text = "\n".join(comparison.summary()["text"])
    assert re.search(
        r"\n  Production: -10 units \[[-\d.]+, [-\d.]+\] \(-6\.\d+%\) in all \(Nhà máy F1 -10\)",
        text,
    )
    assert "New in s: Production of Nhà máy F3 40 units [" in text


def test_the_thresholds_decide_what_matters() -> None:
    wait = Threshold(5.0, 10.0, 0.5)
    assert wait.reached(5.0, 1.0) and wait.reached(1.0, 12.0)
    assert not wait.reached(4.9, 9.9) and not wait.reached(0.4, 50.0)
    assert not wait.reached(math.nan, math.nan)
    energy = Materiality().threshold("power.unserved_mwh")
    assert energy.reached(1.0, math.nan) and not energy.reached(0.99, 500.0)
    assert family_of("docks.a.b.queue_mean") == "queue"
    assert family_of("plugin.x.count") == "other"
    assert not Materiality().matters("power.unserved_mwh", 5.0, 10.0, significant=False)


def test_a_materiality_file_overrides_some_families(tmp_path: Path) -> None:
    path = tmp_path / "materiality.yaml"
    path.write_text(
        "wait: {absolute: 0.001, floor: 0}\nenergy: {absolute: null, relative_pct: 2}\n"
    )
    materiality = api.read_materiality(path)
    assert materiality.thresholds["wait"] == Threshold(0.001, 10.0, 0.0)
    assert materiality.thresholds["energy"] == Threshold(None, 2.0, 0.0)
    assert materiality.thresholds["power"] == Materiality().thresholds["power"]
    tiny = [b - 0.002 + 1e-5 * k for k, b in enumerate(BASE)]
    comparison = _comparison(
        {"docks.d1.wait_mean_min": BASE}, {"docks.d1.wait_mean_min": tiny}, materiality
    )
    assert comparison.summary()["scenarios"][0]["most_affected"]["name"] == "Nhà máy F1"
    assert comparison.to_dict()["summary"]["materiality"]["wait"]["absolute"] == 0.001


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("waits: {absolute: 1}\n", "waits"),
        ("wait: {absolute: -1}\n", "wait.absolute"),
        ("wait: {absolut: 1}\n", "wait.absolut"),
        ("wait: 5\n", "wait"),
        ("[1, 2]\n", ""),
    ],
)
def test_a_bad_materiality_file_is_named_with_its_field(
    tmp_path: Path, text: str, place: str
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        api.read_materiality(path)
    assert error.value.file == str(path) and error.value.place == place


def test_the_command_line_refuses_a_bad_language_or_materiality(tmp_path: Path) -> None:
    result = runner.invoke(app, ["compare", "demo-small", "peak-season", "--lang", "fr"])
    assert result.exit_code == 2 and "--lang" in result.output, result.output
    path = tmp_path / "m.yaml"
    path.write_text("wait: {absolute: -1}\n")
    result = runner.invoke(
        app, ["compare", "demo-small", "peak-season", "--materiality", str(path)]
    )
    assert result.exit_code == 2 and "wait.absolute" in result.output, result.output
    assert "Traceback" not in result.output


def test_the_one_sided_bound_is_students() -> None:
    values = [20.0, 23.5, 19.0, 24.0, 21.5, 22.0]
    mean, upper = one_sided_bound(values, upper=True)
    half = stats.t.ppf(0.95, 5) * np.std(values, ddof=1) / math.sqrt(6)
    assert mean == pytest.approx(np.mean(values)) and upper == pytest.approx(mean + half)
    assert one_sided_bound(values, upper=False)[1] == pytest.approx(mean - half)
    assert math.isnan(one_sided_bound([3.0], upper=True)[1])


def test_the_smallest_setting_that_meets_the_target_is_marked() -> None:
    target = parse_target("trucks.wait_mean_min<=20", ["trucks.wait_mean_min"])
    points = [(24,), (18,), (20,), (22,)]
    values = [[10.0, 11.0, 10.5], [30.0, 28.0, 31.0], [19.0, 19.5, 19.2], [15.0, 14.0, 16.0]]
    result = target_result(target, points, values)
    assert [p["meets"] for p in result["points"]] == [True, False, True, True]
    assert result["smallest"] == 2  # 20 docks: the smallest setting that meets it
    assert result["confidence"] == "one-sided 95% Student-t bound of the mean"
    mean_just_under = [[19.0, 21.0, 19.5]] * 4  # mean 19.8, but not with 95% confidence
    assert target_result(target, points, mean_just_under)["smallest"] is None
    one = target_result(target, points, [[1.0]] * 4)
    assert one["smallest"] is None and all(p["bound"] is None for p in one["points"])


@pytest.mark.parametrize(
    "text", ["trucks.wait_mean_min=20", "trucks.wait_mean_min<=x", "nope<=3", "<=3"]
)
def test_a_bad_target_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="target"):
        parse_target(text, ["trucks.wait_mean_min"])


def test_sweep_target_names_the_smallest_setting_in_the_summary(tmp_path: Path) -> None:
    vary = "logistics.dock_groups[id=w1-docks].docks=1,2,3"
    result = runner.invoke(
        app,
        ["sweep", "demo-small", "--vary", vary, "-r", "3", "--days", "1", "--warmup-days", "0.25",
         "--target", "docks.w1-docks.wait_mean_min<=30", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    target = doc["target"]
    means = [p["kpis"]["docks.w1-docks.wait_mean_min"]["mean"] for p in doc["points"]]
    assert len(target["points"]) == 3
    meeting = [k for k, p in enumerate(target["points"]) if p["meets"]]
    assert meeting and target["smallest"] == meeting[0]
    for k in meeting:
        assert means[k] <= target["points"][k]["bound"] <= 30
    assert doc["summary"]["text"][0].startswith("Target docks.w1-docks.wait_mean_min<=30:")


def test_sweep_target_with_one_replication_is_not_judged_not_unmet() -> None:
    """Every wait is far under 30 min, but one replication has no bound: the summary said "no
    setting meets it with 95% confidence"."""
    vary = "logistics.dock_groups[id=w1-docks].docks=1,2"
    result = runner.invoke(
        app,
        ["sweep", "demo-small", "--vary", vary, "--days", "1", "--warmup-days", "0",
         "--target", "trucks.wait_mean_min<=30", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert all(p["kpis"]["trucks.wait_mean_min"]["mean"] < 30 for p in doc["points"])
    line = doc["summary"]["text"][0]
    assert line.startswith("Target trucks.wait_mean_min<=30: not judged") and "no setting" in line
    assert "meets it with 95% confidence" not in line


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "s: 0 change(s) that matter (from 56 of 100 paired replications)."),
        ("vi", "s: 0 thay đổi đáng kể (từ 56/100 cặp lần lặp)."),
    ],
)
def test_a_summary_of_an_interrupted_comparison_says_how_many_pairs_it_rests_on(
    lang: str, expected: str
) -> None:
    from twin.experiment.summary import scenario_lines

    summary = {
        "scenario": "s",
        "status": "matters",
        "changes": [],
        "most_affected": None,
        "lost_production": None,
        "unserved_energy": None,
        "new_assets": [],
        "pairs": 56,
        "total": 100,
    }
    assert scenario_lines(summary, lang, {})[0] == expected  # type: ignore[arg-type]
    complete = scenario_lines({**summary, "pairs": 100}, lang, {})[0]  # type: ignore[arg-type]
    assert "100" not in complete and complete.endswith(".")
