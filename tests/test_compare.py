"""`parktwin compare`: paired statistics with common random numbers, files, exit codes."""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli import app
from tests.parks import one_dock_group
from tests.theory import erlang_c_wait
from twin import api
from twin.errors import InputError, UsageError
from twin.experiment.settings import Settings
from twin.io.bundled import bundled_parks
from twin.io.load import load_park

runner = CliRunner()
QUICK = ["--days", "1", "--warmup-days", "0.25"]
OUTAGE_QUICK = ["--days", "3", "--warmup-days", "0.25"]  # covers substation-outage's day 2


def scenario_file(folder: Path, name: str, changes: list, base: str | None = None) -> Path:
    doc: dict = {"scenario": {"name": name}, "changes": changes}
    if base:
        doc["base"] = base
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_a_scenario_that_changes_nothing_gives_exactly_zero(tmp_path):
    """Common random numbers: the same park under the same streams is the same, to the bit."""
    same = scenario_file(
        tmp_path, "same-docks", [{"set": "logistics.dock_groups[id=f1-docks].docks", "value": 3}]
    )
    comparison = api.compare(
        "demo-small", [same], Settings(days=1, warmup_days=0.25, replications=4)
    )
    rows = comparison.rows()
    assert rows and all(r.pairs == 4 for r in rows)
    for row in rows:
        if row.mean != row.mean:  # a KPI with no value (NaN) in both
            continue
        assert row.delta == 0.0 and row.delta_ci95 == (0.0, 0.0), row
        assert row.significant is False
    assert "no significant change" in comparison.verdicts()[0]


def test_more_docks_lower_the_wait_by_the_erlang_c_amount(tmp_path):
    """M/M/2 at rho 0.8 -> M/M/3 at the same arrivals: Wq falls from 17.8 to 1.96 minutes.

    Ten paired 20-day replications after a 2-day warm-up; the analytic difference must lie in
    the paired 95% interval (seed fixed, so the outcome is deterministic).
    """
    mean_service = 10.0
    park = one_dock_group(
        2, {"dist": "exponential", "mean": mean_service}, rate_per_hour=2 * 0.8 / mean_service * 60
    )
    expected = erlang_c_wait(3, 0.8 * 2 / 3, mean_service) - erlang_c_wait(2, 0.8, mean_service)
    three = scenario_file(
        tmp_path, "three-docks", [{"set": "logistics.dock_groups[id=d1].docks", "value": 3}]
    )
    comparison = api.compare(park, [three], Settings(days=20, warmup_days=2, replications=10))
    row = next(r for r in comparison.rows() if r.kpi == "docks.d1.wait_mean_min")
    lo, hi = row.delta_ci95
    assert lo <= expected <= hi, (expected, row.delta_ci95)
    assert row.significant and row.delta < 0
    # pairing pays: the paired interval is narrower than the baseline's own interval
    assert hi - lo < row.baseline_ci95[1] - row.baseline_ci95[0]


def test_compare_writes_the_files_of_the_spec_and_an_offline_report(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["compare", "demo-small", "peak-season", "substation-outage", "-r", "3", "--days", "3",
         "--warmup-days", "0.25", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "peak-season: " in result.output and "substation-outage: " in result.output
    assert re.search(r"substation-outage: .*Unserved energy \+[\d.]+ MWh", result.output)
    # the summary comes first and names the costs: lost production and unserved energy
    assert result.output.index("change(s) that matter") < result.output.index("Mean truck wait")
    assert re.search(r"\n  Production: -[\d,]+ units .* in all \(Nhà máy", result.output)
    assert re.search(r"\n  Unserved energy: \+[\d.]+ MWh", result.output)
    for name in ("comparison.json", "comparison.csv", "report.md", "report.html", "park.yaml"):
        assert (out / name).stat().st_size > 0, name
    doc = json.loads((out / "comparison.json").read_text())
    assert doc["baseline"] == "Demo Small Park"
    assert doc["scenarios"] == ["peak-season", "substation-outage"]
    assert doc["replications"] == 3 and doc["seed"] == 0
    row = next(
        r
        for r in doc["rows"]
        if r["kpi"] == "power.unserved_mwh" and r["scenario"] != "peak-season"
    )
    for key in ("kpi", "scenario", "unit", "mean", "ci95", "baseline_mean", "delta",
                "delta_pct", "delta_ci95", "significant"):  # fmt: skip
        assert key in row
    # the outage (day 2, 08:00-12:00) leaves energy unserved
    assert row["delta"] > 0 and row["significant"] is True
    with (out / "comparison.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(doc["rows"]) and "delta_ci95_low" in rows[0]
    page = (out / "report.html").read_text()
    # offline: nothing fetched (the SVG namespace is a name, not a download)
    assert not re.search(r"(src|href)\s*=|@import|url\(|<script|<link", page, re.I)
    assert not re.findall(r"https?://(?!www\.w3\.org/2000/svg)", page)
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) >= 3  # intervals and the two hourly profiles
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    assert "Hourly profiles" in page
    markdown = (out / "report.md").read_text()
    assert "## Verdict" in markdown and "peak-season" in markdown


def test_json_output_is_the_comparison_document():
    result = runner.invoke(
        app, ["compare", "demo-small", "substation-outage", *OUTAGE_QUICK, "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["scenarios"] == ["substation-outage"] and doc["replications"] == 1


def test_park_or_scenario_first(tmp_path):
    assert api.split_park_and_scenarios(["yen-binh", "peak-season"]) == (
        "yen-binh",
        ["peak-season"],
    )
    assert api.split_park_and_scenarios(["peak-season", "substation-outage"]) == (
        None,
        ["peak-season", "substation-outage"],
    )
    park_file = tmp_path / "mine.yaml"
    park_file.write_text(bundled_parks()["demo-small"].read_text(encoding="utf-8"))
    assert api.split_park_and_scenarios([str(park_file), "peak-season"])[0] == str(park_file)
    with pytest.raises(UsageError, match="is a park; compare needs at least one scenario"):
        api.split_park_and_scenarios(["demo-small"])
    with pytest.raises(InputError, match="did you mean 'yen-binh'"):
        api.split_park_and_scenarios(["yen-bin", "peak-season"])


def test_without_a_park_the_scenarios_base_is_the_baseline():
    comparison = api.compare(
        None, ["more-docks"], Settings(days=0.1, warmup_days=0.05, replications=1)
    )
    assert comparison.baseline.park == load_park("yen-binh").park.name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "demo-small", "no-such-scenario"], "no-such-scenario"),
        (["compare", "demo-small"], "at least one scenario"),
        (["compare", "demo-small", "peak-season", "peak-season"], "given twice"),
        (["compare", "demo-small", "peak-season", "-r", "0"], "--replications"),
        (["compare", "demo-small", "peak-season", "--precision", "0.1"], "-r auto"),
        (["compare", "demo-small", "peak-season", "--backend", "mpi"], "--backend"),
        (["compare", "demo-small", "peak-season", "--scheduler", "tcp://x:1"], "--backend dask"),
        (["compare", "demo-small", "peak-season", "-r", "auto", "--kpi", "nope"], "--kpi nope"),
    ],
)
def test_bad_compare_input_exits_2_with_one_clear_message(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_scenarios_for_different_parks_need_a_park(tmp_path):
    a = scenario_file(tmp_path, "a", [], base="demo-small")
    b = scenario_file(tmp_path, "b", [], base="yen-binh")
    result = runner.invoke(app, ["compare", str(a), str(b), *QUICK])
    assert result.exit_code == 2
    assert "different parks" in result.output


def test_the_comparison_document_stays_byte_for_byte_the_stored_one():
    """SPEC's comparison.json (less the run's id) equals the stored copy exactly."""
    golden = Path(__file__).parent / "data" / "golden" / "demo-small-peak-season.comparison.json"
    settings = Settings(days=1.0, warmup_days=0.5, seed=7, replications=3)
    comparison = api.compare("demo-small", ["peak-season"], settings)
    text = json.dumps(comparison.to_dict(), indent=1, ensure_ascii=False) + "\n"
    assert text == golden.read_text(encoding="utf-8")
