"""One language per output: the translation table is complete, every text the code asks for is
in it, KPIs are named in words with asset names, and a Vietnamese report has no English prose."""

from __future__ import annotations

import json
import re
import string
import subprocess
from pathlib import Path

import pytest

from tests.language_helpers import english_words_in, prose_of_html
from twin import api
from twin.errors import UsageError
from twin.experiment.comparison import Comparison
from twin.experiment.settings import Settings
from twin.io.bundled import resolve
from twin.io.load import load_park
from twin.language import LANGUAGES, TEXT, UNIT_TEXT, language_of, say
from twin.model.labels import asset_names, kpi_key, kpi_label, split_kpi
from twin.reports.compare import comparison_report
from twin.sim.kpi import declared_kpi_names
from twin.text import DECIMAL_COMMA

REPO = Path(__file__).resolve().parent.parent
LABELS_JS = REPO / "web" / "static" / "labels.js"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_every_language_with_the_same_fields() -> None:
    for key, texts in TEXT.items():
        assert set(texts) == set(LANGUAGES), key
        assert all(texts[lang].strip() or key.startswith("word.and") for lang in LANGUAGES), key
        assert _fields(texts["en"]) == _fields(texts["vi"]), key
    for unit, texts in UNIT_TEXT.items():
        assert set(texts) == set(LANGUAGES), unit


def _python_sources() -> list[Path]:
    return [*(REPO / "twin").rglob("*.py"), *(REPO / "console").glob("*.py"), REPO / "cli.py"]


SAY_LITERAL = re.compile(r"""say\(\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']""")
SAY_DYNAMIC = re.compile(r"""f["']([a-z0-9_]+\.[a-z0-9_.]*)\{""")
QUOTED_KEY = re.compile(r"""["']([a-z0-9_]+\.[a-z0-9_.]+)["']""")


def test_every_text_the_code_asks_for_is_a_key_and_every_key_is_used() -> None:
    literal: set[str] = set()
    quoted: set[str] = set()
    prefixes: set[str] = set()
    for path in _python_sources():
        source = path.read_text(encoding="utf-8")
        literal |= set(SAY_LITERAL.findall(source))
        quoted |= set(QUOTED_KEY.findall(source))
        prefixes |= set(SAY_DYNAMIC.findall(source))
    missing = sorted(k for k in literal if k not in TEXT)
    assert not missing, f"texts asked for but not in the table: {missing}"
    unused = sorted(
        k
        for k in TEXT
        if k not in quoted
        and not k.startswith("kpi.")
        and not any(k.startswith(p) for p in prefixes)
        and not k.startswith(("optimize.status.", "optimize.reason."))
    )
    assert not unused, f"keys nobody asks for: {unused}"


@pytest.mark.parametrize("park_name", ["yen-binh", "demo-small"])
def test_every_kpi_of_the_bundled_parks_has_words(park_name: str) -> None:
    park = load_park(resolve(park_name))
    names = declared_kpi_names(park)
    assert names
    assert [k for k in names if kpi_key(k) is None] == []
    for kpi in names:
        for lang in LANGUAGES:
            assert kpi_label(kpi, lang, asset_names(park)) != kpi


def test_a_kpi_in_words_names_its_asset() -> None:
    names = {"customs-bays": "Hải quan"}
    kpi = "docks.customs-bays.wait_mean_min"
    assert kpi_label(kpi, "vi", names, "min") == "Thời gian chờ trung bình tại bến Hải quan (phút)"
    assert kpi_label(kpi, "en", {"customs-bays": "Customs bays"}, "min") == (
        "Mean wait at Customs bays (min)"
    )
    assert kpi_label(kpi, "en", {}, "min") == "Mean wait at customs-bays (min)"
    assert split_kpi("docks.a.b.utilization") == ("docks", "a.b", "utilization")
    assert split_kpi("power.lines.l-1.loading_max_pct") == ("power.lines", "l-1", "loading_max_pct")
    assert split_kpi("power.peak_mw") == ("power", None, "peak_mw")
    assert kpi_label("plugin.thing.count", "vi", {}) == "plugin.thing.count"
    gate = {"g1": "Cổng chính", "sub": "Substation North"}
    assert (
        kpi_label("gates.g1.wait_mean_min", "vi", gate) == "Thời gian chờ trung bình tại Cổng chính"
    )
    assert kpi_label("power.sub.peak_load_pct", "en", gate) == "Peak load of Substation North"
    assert kpi_label("power.sub.peak_load_pct", "en", {}) == "Peak load of substation sub"


def test_a_dock_group_is_called_by_its_buildings_name() -> None:
    park = load_park(resolve("yen-binh"))
    names = asset_names(park)
    group = park.logistics.dock_groups[0]
    building = next(b for b in park.buildings if b.id == group.building)
    assert building.name and names[group.id] == building.name


def test_language_of_takes_the_flag_then_the_park_then_english() -> None:
    assert language_of(None, None) == "en"
    assert language_of(None, "vi") == "vi"
    assert language_of("en", "vi") == "en"
    with pytest.raises(UsageError, match="lang"):
        language_of("fr", None)
    assert say("compare.summary", "vi") == "Tóm tắt"


def test_the_word_check_finds_english() -> None:
    assert english_words_in("Mean truck wait +3 min", set()) == {"mean", "truck", "wait", "min"}
    assert english_words_in("Thời gian chờ tại bến customs-bays", {"customs-bays"}) == set()


def test_labels_js_has_both_tables_with_the_same_keys() -> None:
    script = (
        "globalThis.location = { search: '' };\n"
        + LABELS_JS.read_text(encoding="utf-8")
        + ("\nprocess.stdout.write(JSON.stringify({vi: VI, en: EN}));\n")
    )
    node = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    tables = json.loads(node.stdout)

    def shape(value: object, path: str = "") -> set[str]:
        if isinstance(value, dict):
            return {p for k, v in value.items() for p in shape(v, f"{path}.{k}")} | {path}
        if isinstance(value, list):
            return {f"{path}[{len(value)}]"}
        return {path}

    assert shape(tables["vi"]) == shape(tables["en"])
    flat_en = json.dumps(tables["en"], ensure_ascii=False)
    assert not re.search(r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]", flat_en)


@pytest.fixture(scope="module")
def outage() -> Comparison:
    """demo-small with a substation out on day 2, 3 paired replications, in English."""
    settings = Settings(days=3.0, warmup_days=0.25, replications=3)
    return api.compare("demo-small", ["substation-outage"], settings)


def test_the_english_report_opens_with_the_summary_and_names_assets(outage: Comparison) -> None:
    outage.lang = "en"
    markdown, page = comparison_report(outage)
    assert markdown.index("## Summary") < markdown.index("## Verdict")
    summary = markdown[markdown.index("## Summary") : markdown.index("## Verdict")]
    assert re.search(r"- substation-outage: \d+ change\(s\) that matter\.", summary)
    assert "Most affected: Mean wait at Nhà máy" in summary
    assert re.search(r"Production: -[\d,]+ units .* in all \(Nhà máy", summary)
    assert "Unserved energy: +" in summary
    assert "With 3 replications the intervals are wide" in markdown
    table = markdown[markdown.index("## Changes") :]
    assert "docks.f2-docks.wait_mean_min" not in table and "Mean wait at Nhà máy F2" in table
    assert "<html lang=en>" in page and "<h2>Summary</h2>" in page


def test_the_vietnamese_report_has_no_english_prose(outage: Comparison) -> None:
    outage.lang = "vi"
    try:
        markdown, page = comparison_report(outage)
    finally:
        outage.lang = "en"
    allowed = {"Demo Small Park", "substation-outage", "comparison.csv", "parktwin"}
    assert english_words_in(markdown, allowed) == set()
    assert english_words_in(prose_of_html(page), allowed) == set()
    assert "## Tóm tắt" in markdown and "<html lang=vi>" in page
    assert "Thời gian chờ trung bình tại bến Nhà máy" in markdown


def test_the_parks_language_is_the_default_and_the_flag_overrides_it() -> None:
    park = load_park(resolve("demo-small"))
    vietnamese = park.model_copy(update={"park": park.park.model_copy(update={"language": "vi"})})
    settings = Settings(days=0.5, warmup_days=0.0, replications=2)
    assert api.compare(vietnamese, ["peak-season"], settings).lang == "vi"
    assert api.compare(vietnamese, ["peak-season"], settings, lang="en").lang == "en"
    assert api.compare(park, ["peak-season"], settings).lang == "en"


def test_the_3d_clock_and_panel_speak_the_language() -> None:
    from viz.clock import clock_parts
    from viz.overlay import panel_rows

    assert clock_parts(2 * 1440 + 600, "2026-01-05T00:00", "en") == (
        "day 2  10:00",
        "Wed 07 Jan 2026",
    )
    assert clock_parts(2 * 1440 + 600, "2026-01-05T00:00", "vi") == (
        "ngày 2  10:00",
        "Thứ Tư 07/01/2026",
    )
    kpis = {"trucks_in_park": 3, "gate_queue": 1, "dock_queue": 2, "park_power_mw": 4.2,
            "unserved_mw": 1.0}  # fmt: skip
    labels = [label for label, _, _ in panel_rows(kpis, "vi")]
    assert labels[0] == "Xe tải trong khu" and labels[-1] == "Công suất không được cấp"
    assert english_words_in(" ".join(labels), set()) == set()


def test_the_3d_panel_writes_its_numbers_in_the_languages_style() -> None:
    from viz.overlay import panel_rows

    kpis = {"trucks_in_park": 3, "gate_queue": 1, "dock_queue": 2, "park_power_mw": 134.94,
            "unserved_mw": 2.25}  # fmt: skip
    assert [value for _, value, _ in panel_rows(kpis, "en")][3:] == ["134.9 MW", "2.2 MW"]
    assert [value for _, value, _ in panel_rows(kpis, "vi")][3:] == ["134,9 MW", "2,2 MW"]


def _tick_labels(svg: str) -> list[str]:
    return re.findall(r"<text [^>]*>([-0-9.,]+)</text>", svg)


def test_chart_axis_numbers_follow_the_reports_language() -> None:
    import numpy as np

    from twin.reports.charts import svg_chart, svg_intervals

    lines = {"a": (np.array([0.0, 0.5, 1.0, 1.5]), np.array([0.0, 1.2, 2.5, 1700.0]))}
    english, vietnamese = svg_chart(lines, "x", "y"), svg_chart(lines, "x", "y", lang="vi")
    assert "0.5" in _tick_labels(english) and "2,000" in _tick_labels(english)
    assert "0,5" in _tick_labels(vietnamese) and "2.000" in _tick_labels(vietnamese)
    assert [t.translate(DECIMAL_COMMA) for t in _tick_labels(english)] == _tick_labels(vietnamese)
    entries = [("base", 2.5, 2.0, 3.0), ("case", 4.25, 3.5, 5.0)]
    english, vietnamese = (
        svg_intervals("t", "u", entries),
        svg_intervals("t", "u", entries, lang="vi"),
    )
    assert "4.25" in _tick_labels(english) and "4,25" in _tick_labels(vietnamese)
    assert [t.translate(DECIMAL_COMMA) for t in _tick_labels(english)] == _tick_labels(vietnamese)


@pytest.mark.slow
def test_the_optimize_report_and_certificate_are_in_vietnamese() -> None:
    from twin.api.decisions import optimize
    from twin.experiment.optimize import optimum_dict
    from twin.reports.optimize import optimize_report, pareto_report

    path = "logistics.dock_groups[id=f1-docks].docks"
    problem = {
        "problem": {"name": "f1-docks"},
        "base": "demo-small",
        "variables": [{"path": path, "values": [2, 3, 4]}],
        "objective": {"minimize": "cost"},
        "costs": [
            {"path": path, "vnd_per_unit": 1_000_000},
            {"kpi": "docks.f1-docks.wait_mean_min", "vnd_per_unit": 100_000},
        ],
        "constraints": [{"kpi": "docks.f1-docks.wait_mean_min", "at_most": 20, "tolerance": 4}],
        "selection": {"indifference": 1_000_000, "max_replications": 12, "first_stage": 5},
        "settings": {"days": 0.5, "warmup_days": 0.25, "seed": 1},
    }
    result = optimize(problem, lang="vi")
    doc = optimum_dict(result)
    assert doc["summary"]["lang"] == "vi" and doc["summary"]["text"]
    markdown, page = optimize_report(result)
    allowed = {path, "f1-docks", "cost", "Naval Research Logistics", "ACM TOMACS"}
    assert english_words_in(markdown, allowed) == set()
    assert english_words_in(prose_of_html(page), allowed) == set()
    assert "Kim và Nelson 2001" in doc["certificate"]["procedure"]
    del problem["objective"], problem["constraints"]
    problem["objectives"] = [{"minimize": "cost"}, {"minimize": "docks.f1-docks.wait_mean_min"}]
    pareto = optimize(problem, lang="vi")
    markdown, page = pareto_report(pareto)
    assert english_words_in(markdown, allowed) == set(), markdown
    assert english_words_in(prose_of_html(page), allowed) == set()
    assert "biên Pareto" in markdown
