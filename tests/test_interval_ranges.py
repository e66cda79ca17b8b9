"""Intervals within a KPI's range: no negative bound for a wait, none above 1 for a utilisation.

The method (twin/stats.py): the Student-t interval intersected with the KPI's range. Its
coverage is the t interval's, because the true mean lies in the range; the slow test checks
that on known distributions over many seeds. The default tier checks the bound property on
random data and in every output of run, compare and sweep, and the note at 2 or 3 replications.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
from twin.language import say
from twin.sim.kpi import kpi_range
from twin.stats import UNBOUNDED, paired_delta, summarize, t_quantile

runner = CliRunner()
POSITIVE = (0.0, math.inf)
SHARE = (0.0, 1.0)


def test_ranges_of_the_kpi_families():
    assert kpi_range("docks.f1-docks.utilization") == SHARE
    for kpi in ("trucks.wait_mean_min", "docks.queue_mean", "power.unserved_mwh", "trucks.arrived"):
        assert kpi_range(kpi) == POSITIVE, kpi
    assert kpi_range("chillers.c1.cop") == UNBOUNDED  # a plugin's KPI: meaning unknown here


def test_the_interval_is_the_t_interval_within_the_range():
    rng = np.random.default_rng(1)
    for _ in range(500):
        n = int(rng.integers(2, 8))
        values = rng.exponential(rng.uniform(0.1, 10.0), n).tolist()
        plain = summarize(values)
        bounded = summarize(values, POSITIVE)
        assert bounded.mean == plain.mean and bounded.std == plain.std
        assert bounded.ci95 == (max(0.0, plain.ci95[0]), plain.ci95[1])
        assert 0.0 <= bounded.ci95[0] <= bounded.mean <= bounded.ci95[1]
        shares = rng.beta(0.5, 0.5, n).tolist()
        low, high = summarize(shares, SHARE).ci95
        assert 0.0 <= low <= high <= 1.0


def test_the_issues_wait_at_two_replications_keeps_its_upper_bound():
    """Two replications of 2 and 9 minutes: t gives about -38..49; the wait's range cuts at 0."""
    plain = summarize([2.0, 9.0])
    assert plain.ci95[0] < -35
    assert summarize([2.0, 9.0], POSITIVE).ci95 == (0.0, plain.ci95[1])


def test_a_difference_is_bounded_by_the_range_of_a_difference():
    up = paired_delta([1.0, 0.0, 1.0], [0.0, 0.0, 0.2], SHARE)
    assert up.ci95[0] >= -1.0 and up.ci95[1] <= 1.0
    assert paired_delta([1.0, 0.0, 1.0], [0.0, 0.0, 0.2]).ci95[1] > 1.0  # unbounded, it is not
    waits = paired_delta([1.0, 2.0], [5.0, 3.0], POSITIVE)  # a wait may well get shorter
    assert waits.ci95[0] < -5 and waits.delta == -2.5


def within(interval, bounds):
    low, high = interval
    return (low is None or low >= bounds[0]) and (high is None or high <= bounds[1])


QUICK = ["demo-small", "--days", "0.5", "--warmup-days", "0.2", "-r", "2"]
NOTE = "only 2 replications: each 95% interval is 12.7 standard errors either side of the mean"


def test_run_keeps_every_interval_in_range_and_says_why_they_are_wide(tmp_path):
    result = runner.invoke(cli.app, ["run", *QUICK, "--json"])
    doc = json.loads(result.stdout)
    assert doc["notes"] == [f"{NOTE} (Student t with 1 degree of freedom), so intervals are wide; "
                            "run 10 or more replications (-r 10) for tight ones"]  # fmt: skip
    for kpi, summary in doc["kpis"].items():
        assert within(summary["ci95"], kpi_range(kpi)), (kpi, summary["ci95"])
    table = runner.invoke(cli.app, ["run", *QUICK, "--out", str(tmp_path / "run")])
    assert f"note: {NOTE}" in table.stdout
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert say("note.few_replications", "en", n=2) in report


def test_compare_and_sweep_keep_every_interval_in_range(tmp_path):
    result = runner.invoke(cli.app, ["compare", *QUICK, "peak-season", "--json"])
    doc = json.loads(result.stdout)
    assert any(NOTE in n for n in doc["notes"])
    for row in doc["rows"]:
        low, high = kpi_range(row["kpi"])
        assert within(row["ci95"], (low, high)) and within(row["baseline_ci95"], (low, high))
        assert within(row["delta_ci95"], (low - high, high - low)), row
    vary = "logistics.dock_groups[id=f1-docks].docks=1,2"
    out = tmp_path / "sweep"
    swept = runner.invoke(cli.app, ["sweep", *QUICK, "--vary", vary, "--json", "--out", str(out)])
    doc = json.loads(swept.stdout)
    assert any(NOTE in n for n in doc["notes"])
    for point in doc["points"]:
        for kpi, summary in point["kpis"].items():
            assert within(summary["ci95"], kpi_range(kpi)), (kpi, summary["ci95"])
    assert say("note.few_replications", "en", n=2) in (out / "report.md").read_text("utf-8")


def test_no_note_at_other_replication_counts():
    result = runner.invoke(cli.app, ["run", "demo-small", "--days", "0.2", "--warmup-days", "0.1",
                                     "-r", "4", "--json"])  # fmt: skip
    assert "notes" not in json.loads(result.stdout)


def coverage(sample, true_mean, n, bounds, trials=20_000):
    """Share of `trials` intervals from `n` draws that hold the true mean, bounded and not."""
    data = sample((trials, n))
    mean = data.mean(axis=1)
    half = t_quantile(n - 1) * data.std(axis=1, ddof=1) / math.sqrt(n)
    plain = (mean - half <= true_mean) & (true_mean <= mean + half)
    low, high = np.maximum(bounds[0], mean - half), np.minimum(bounds[1], mean + half)
    bounded = (low <= true_mean) & (true_mean <= high)
    for k in range(0, trials, 997):  # the vectorised interval is summarize's
        s = summarize(data[k].tolist(), bounds)
        assert s.ci95 == pytest.approx((low[k], high[k]), rel=1e-12, abs=1e-12)
    return float(bounded.mean()), float(plain.mean())


@pytest.mark.slow
@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_coverage_is_the_t_intervals_on_known_distributions(n):
    rng = np.random.default_rng(20261206 + n)
    near_normal = coverage(lambda size: rng.gamma(400.0, 0.05, size), 20.0, n, POSITIVE)
    assert near_normal[0] == near_normal[1]
    assert 0.94 <= near_normal[0] <= 0.96  # 20,000 trials: standard error 0.0015
    # a wait near 0 with a long tail: the interval is often cut at 0, never wrongly
    skewed = coverage(lambda size: rng.exponential(2.0, size), 2.0, n, POSITIVE)
    assert skewed[0] == skewed[1]
    share = coverage(lambda size: rng.beta(0.3, 3.0, size), 0.3 / 3.3, n, SHARE)
    assert share[0] == share[1]
