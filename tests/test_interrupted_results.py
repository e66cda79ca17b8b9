"""Interrupted compare and sweep are reported honestly: a scenario or point with missing
replications says so in the table, the verdict and the JSON, and no verdict comes from fewer
than two pairs."""

from __future__ import annotations

import json

import pytest

from twin import api
from twin.experiment.runner import Interrupted
from twin.experiment.settings import Settings

SHORT = {"days": 1.0, "warmup_days": 0.25, "replications": 4}
OUTAGE_SHORT = {**SHORT, "days": 3.0}  # covers substation-outage's day 2


def stop_after(count: int):
    def progress(done: float, total: int) -> None:
        if done == count:
            raise KeyboardInterrupt

    return progress


@pytest.mark.parametrize(
    ("stop", "pairs"),
    [
        (3, {"peak-season": 0, "substation-outage": 0}),  # the baseline alone finished 3
        (6, {"peak-season": 2, "substation-outage": 0}),
    ],
)
def test_an_interrupted_comparison_labels_every_scenario(tmp_path, stop, pairs):
    out = tmp_path / "cmp"
    with pytest.raises(Interrupted):
        api.compare("demo-small", ["peak-season", "substation-outage"], Settings(**OUTAGE_SHORT),
                    out=out, progress=stop_after(stop))  # fmt: skip
    doc = json.loads((out / "comparison.json").read_text())
    assert doc["complete"] is False
    by_case = doc["missing_by_case"]
    assert by_case["baseline"] == ([3] if stop == 3 else [])
    for label, n in pairs.items():
        assert by_case[label] == list(range(n, 4))
        assert {r["pairs"] for r in doc["rows"] if r["scenario"] == label} == {n}
        if n < 2:
            assert not any(r["significant"] for r in doc["rows"] if r["scenario"] == label)
    assert doc["missing_replications"] == sorted({i for m in by_case.values() for i in m})
    report = (out / "report.md").read_text()
    verdicts = [line for line in report.splitlines() if line.startswith("- ")]
    assert "- substation-outage: no verdict: only 0 of 4 paired replications finished" in report
    assert "no significant change" not in " ".join(v for v in verdicts if "outage" in v)
    if stop == 6:
        assert any("peak-season" in v and "(from 2 of 4 paired replications" in v for v in verdicts)
        assert "peak-season (2 of 4 pairs)" in report  # the table's heading


def test_a_complete_comparison_is_unchanged_by_the_labels():
    comparison = api.compare("demo-small", ["peak-season"], Settings(**SHORT))
    doc = comparison.to_dict()
    assert "missing_by_case" not in doc and doc.get("complete", True) is True
    assert comparison.column("peak-season") == "peak-season"
    assert all("paired replications" not in v for v in comparison.verdicts())


def test_an_interrupted_sweep_marks_its_unfinished_points(tmp_path):
    out = tmp_path / "sweep"
    vary = ["logistics.dock_groups[id=f1-docks].docks=2,3,4"]
    with pytest.raises(Interrupted):
        api.sweep("demo-small", None, vary, Settings(**SHORT), out=out, progress=stop_after(6))
    doc = json.loads((out / "sweep.json").read_text())
    points = doc["points"]
    assert "missing_replications" not in points[0]  # 4 of 4
    assert points[1]["complete"] is False and points[1]["missing_replications"] == [2, 3]
    assert points[2]["missing_replications"] == [0, 1, 2, 3]
    assert doc["complete"] is False and doc["missing_replications"] == [0, 1, 2, 3]
    report = (out / "report.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| ") and "---" not in line]
    assert "incomplete" not in rows[1]  # header, then the complete point
    assert "(incomplete: 2 of 4 replications)" in rows[2]
    assert "(incomplete: 0 of 4 replications)" in rows[3]
