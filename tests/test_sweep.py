"""`parktwin sweep`: --vary syntax, the grid, common random numbers, files and exit codes."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from typer.testing import CliRunner

from cli import app
from console.errors import message as cli_message
from twin import api
from twin.errors import InputError, UsageError
from twin.experiment.settings import Settings
from twin.experiment.sweeps import parse_varies, parse_vary

runner = CliRunner()
DOCKS = "logistics.dock_groups[id=f2-docks].docks"


@pytest.mark.parametrize(
    ("text", "path", "values"),
    [
        (f"{DOCKS}=3:6", DOCKS, (3, 4, 5, 6)),
        (f"{DOCKS}=2:8:3", DOCKS, (2, 5, 8)),
        (f"{DOCKS} = 2, 4 ,8", DOCKS, (2, 4, 8)),
        (f"{DOCKS}=5", DOCKS, (5,)),
        ("water.supply.capacity_m3h=0.5:1.5:0.25", "water.supply.capacity_m3h",
         (0.5, 0.75, 1.0, 1.25, 1.5)),
        ("logistics.flows[*].rate_per_hour=1:2:0.3", "logistics.flows[*].rate_per_hour",
         (1.0, 1.3, 1.6, 1.9)),
        ("logistics.gates[id=g1].service.dist=exponential,constant",
         "logistics.gates[id=g1].service.dist", ("exponential", "constant")),
    ],
)  # fmt: skip
def test_vary_syntax(text, path, values):
    vary = parse_vary(text)
    assert vary.path == path
    assert vary.values == values


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("docks", "expected PATH=VALUES"),
        (f"{DOCKS}=", "no values"),
        ("=3:4", "path before '=' is empty"),
        (f"{DOCKS}=8:3", "needs A <= B"),
        (f"{DOCKS}=3:8:0", "step must be positive"),
        (f"{DOCKS}=3:x", "a range is A:B"),
        (f"{DOCKS}=1:2:3:4", "a range is A:B"),
        (f"{DOCKS}=3,,4", "empty value"),
        (f"{DOCKS}=3,3", "listed twice"),
        (f"{DOCKS}=1:1000", "at most 100"),
    ],
)
def test_bad_vary_syntax_is_a_usage_error(text, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        parse_vary(text)


def test_one_or_two_parameters_on_different_paths():
    with pytest.raises(UsageError) as caught:
        parse_varies([])
    assert re.search("needs --vary", cli_message(caught.value))
    assert re.search("needs vary", str(caught.value))  # the library names the parameter
    with pytest.raises(UsageError, match="one or two"):
        parse_varies([f"{DOCKS}=1", "a=1", "b=2"])
    with pytest.raises(UsageError, match="same path twice"):
        parse_varies([f"{DOCKS}=1", f"{DOCKS}=2"])


def test_more_docks_shorten_the_wait_at_every_step_of_the_sweep():
    """With common random numbers each added dock lowers the wait, replication by replication."""
    settings = Settings(days=2, warmup_days=0.5, replications=3)
    sweep = api.sweep("demo-small", None, [f"{DOCKS}=2:4"], settings)
    assert sweep.points == [(2,), (3,), (4,)]
    assert sweep.kpis[:3] == [
        "docks.f2-docks.wait_mean_min",
        "docks.f2-docks.utilization",
        "docks.f2-docks.queue_mean",
    ]
    waits = [e.values["docks.f2-docks.wait_mean_min"] for e in sweep.experiments]
    for fewer, more in itertools.pairwise(waits):
        assert all(b < a for a, b in zip(fewer, more, strict=True))


def test_sweep_writes_json_csv_and_a_report_with_the_chart(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["sweep", "demo-small", "--vary", f"{DOCKS}=2:3", "--vary",
         "logistics.dock_groups[id=f1-docks].docks=2,3", "--days", "1", "--warmup-days", "0.25",
         "-r", "2", "--kpi", "trucks.wait_mean_min", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Mean truck wait (min)" in result.output
    doc = json.loads((out / "sweep.json").read_text())
    assert len(doc["points"]) == 4 and doc["replications"] == 2
    assert doc["points"][1]["values"] == {DOCKS: 2, "logistics.dock_groups[id=f1-docks].docks": 3}
    assert doc["kpis"] == ["trucks.wait_mean_min"]
    header = (out / "sweep.csv").read_text().splitlines()[0]
    assert header.startswith("f2-docks.docks,f1-docks.docks,kpi,unit,mean")
    page = (out / "report.html").read_text()
    assert "<svg" in page and "<polyline" in page
    assert not re.search(r"(src|href)\s*=|<script|<link", page, re.I)
    assert (out / "report.md").read_text().startswith("# Demo Small Park")


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        ("docks=2:4", "docks"),
        ("logistics.dock_groups[id=nope].docks=2:4", "nope"),
        (f"{DOCKS}=0,1", "greater than or equal to 1"),
        (f"{DOCKS}=4:2", "needs A <= B"),
        ("no equals sign", "expected PATH=VALUES"),
    ],
)
def test_bad_sweeps_exit_2(vary, message):
    result = runner.invoke(app, ["sweep", "demo-small", "--vary", vary, "--days", "0.5"])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_unknown_path_is_an_input_error_naming_the_option():
    with pytest.raises(InputError) as caught:
        api.sweep("demo-small", None, ["logistics.dock_groups[id=zz].docks=1:2"])
    assert re.search("--vary", cli_message(caught.value))
