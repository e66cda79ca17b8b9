"""The page and table toolkit (twin.reports.page), and every report's text escaped by its rule.

Ids in park files are restricted to letters, digits, ``_``, ``.`` and ``-``, but names,
scenario labels, sensor-folder paths and notes are not; each report is rendered here with such
text (and, where a table shows one, an id) full of ``|``, ``<`` and ``&``.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

import pytest

from twin.calibration.fit_docks import DockCount
from twin.calibration.read import SensorData
from twin.calibration.result import Calibration
from twin.calibration.timestamps import Timebase
from twin.experiment.comparison import Comparison
from twin.experiment.results import Experiment
from twin.experiment.settings import Settings
from twin.experiment.sweeps import Sweep, Vary
from twin.io.load import load_park
from twin.live.backtest import Backtest
from twin.reports.backtest import write_backtest
from twin.reports.calibration import calibration_report
from twin.reports.compare import comparison_report
from twin.reports.page import Markup, html_table, md_table, md_text
from twin.reports.run import run_report
from twin.reports.sweep import sweep_report

HOSTILE = "a|b<i>c&amp;d"
"""Would split a Markdown cell, open an HTML tag and read as an entity if written raw."""

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_markdown_escapes_pipes_tags_entities_and_backslashes_on_one_line():
    assert md_text(HOSTILE) == r"a\|b\<i>c\&amp;d"
    assert md_text("x\\|y") == r"x\\\|y"  # the backslash itself, then the pipe
    assert md_text("two\nlines\r\nhere") == "two lines  here"
    assert md_text(Markup("**bold**")) == "**bold**"
    assert md_text(3.5) == "3.5"


def test_a_markdown_table_keeps_its_columns_whatever_the_cells_hold():
    lines = md_table(["id", "value"], [[HOSTILE, "1"], ["plain", Markup("**2**")]])
    assert [len(UNESCAPED_PIPE.findall(line)) for line in lines] == [3, 3, 3, 3]
    assert lines[1] == "|---|---|"
    assert lines[3] == "| plain | **2** |"


def test_an_html_table_escapes_every_heading_and_cell_and_passes_markup():
    table = html_table([HOSTILE, "n"], [[HOSTILE, Markup("<b>1</b>")]], numeric={1}, marked={0})
    escaped = html.escape(HOSTILE)
    assert table == (
        f"<table><tr><th>{escaped}</th><th>n</th></tr>"
        f"<tr class=sig><td>{escaped}</td><td class=n><b>1</b></td></tr></table>"
    )


def assert_safe(markdown: str, page: str) -> None:
    """The hostile text is in both, escaped, and no Markdown table row gained a column."""
    assert HOSTILE not in markdown and md_text(HOSTILE) in markdown
    assert "<i>" not in page and html.escape(HOSTILE) in page
    assert "&amp;d" not in page.replace("&amp;amp;d", "")  # the entity was escaped too
    table: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        counts = {len(UNESCAPED_PIPE.findall(row)) for row in table}
        assert len(counts) <= 1, table
        table = []


SETTINGS = Settings(days=1.0, warmup_days=0.0, replications=3)


def experiment(park: str, scenario: str | None, shift: float = 0.0) -> Experiment:
    values = {
        "trucks.wait_mean_min": [1.0 + shift, 2.0 + shift, 1.5 + shift],
        f"docks.{HOSTILE}.utilization": [0.5 + shift, 0.6 + shift, 0.55 + shift],
    }
    return Experiment(park, scenario, SETTINGS, values)


def test_the_run_report_escapes_names_and_kpis():
    assert_safe(*run_report(experiment(HOSTILE, HOSTILE)))


def test_the_comparison_report_escapes_names_labels_and_kpis():
    base, case = experiment(HOSTILE, None), experiment(HOSTILE, HOSTILE, shift=5.0)
    comparison = Comparison(base, [case], [HOSTILE], SETTINGS)
    markdown, page = comparison_report(comparison)
    assert_safe(markdown, page)
    assert "**+5 min" in markdown  # the significant change is still bold
    assert "<b>+5 min" in page


def test_the_sweep_report_escapes_names_and_values():
    vary = Vary(path="logistics.dock_groups[id=f1-docks].docks", values=(HOSTILE, "b"))
    points = [(HOSTILE,), ("b",)]
    sweep = Sweep(
        HOSTILE,
        None,
        [vary],
        points,
        [experiment(HOSTILE, None), experiment(HOSTILE, None, 1.0)],
        [f"docks.{HOSTILE}.utilization"],
        SETTINGS,
    )
    assert_safe(*sweep_report(sweep))


def test_the_backtest_report_escapes_the_park_source_and_flows(tmp_path: Path):
    """Its table shows only metric names; the park, the source and the flows are free text."""
    result = Backtest(HOSTILE, [datetime(2026, 1, 5, 8)], 2.0, 60.0, 3, 0, [], [HOSTILE])
    write_backtest(tmp_path, result, HOSTILE)
    assert_safe((tmp_path / "report.md").read_text(), (tmp_path / "report.html").read_text())


def test_the_calibration_report_escapes_groups_notes_and_the_park_name(tmp_path: Path):
    park = load_park("demo-small")
    named = park.model_copy(update={"park": park.park.model_copy(update={"name": HOSTILE})})
    data = SensorData(tmp_path, {}, None, [], Timebase.of(park))
    cal = Calibration(named, named, data, (0.0, 1440.0), 1440.0)
    cal.notes.append(HOSTILE)
    cal.refused[HOSTILE] = "a reason"
    cal.counts[HOSTILE] = DockCount(HOSTILE, 2, 3, 3, 0, 40, False, (3,) * 24)
    assert_safe(*calibration_report(cal))


@pytest.mark.parametrize("text", ["plain", "x_y-z.1", "[1, 2]", "50%", "≥ 0"])
def test_ordinary_text_is_left_as_it_is(text):
    assert md_text(text) == text
