"""One language per output, for the reports of n1 and backtest, and numbers in each language's
style: the decimal comma and thousands dot in Vietnamese, the point and comma in English."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import cli
from tests.history import known_park, write_history
from tests.language_helpers import english_words_in, prose_of_html
from tests.load_helpers import dump
from tests.networks import ring_data
from twin import api
from twin.experiment.results import describe_choices
from twin.experiment.settings import Settings
from twin.io.bundled import data_root, resolve
from twin.io.load import load_park
from twin.live.backtest import backtest
from twin.model.labels import asset_names
from twin.model.sanity import warning_text
from twin.reports.backtest import verdict_lines, write_backtest
from twin.text import fixed, fmt, interval_text, localized, signed


def test_vietnamese_numbers_have_the_decimal_comma_and_the_thousands_dot() -> None:
    assert fmt(12345.0) == "12,345" and fmt(12345.0, lang="vi") == "12.345"
    assert fmt(4.56) == "4.56" and fmt(4.56, lang="vi") == "4,56"
    assert fmt(-1234567.0, lang="vi") == "-1.234.567"
    assert fmt(0.000123, lang="vi") == "0,000123"
    assert fmt(None, lang="vi") == "-" and fmt(float("nan"), lang="vi") == "-"
    assert fmt("sub1", lang="vi") == "sub1"
    assert fixed(1234.56, 1, "vi") == "1.234,6" and fixed(1234.56, 1) == "1,234.6"
    assert fixed(4.25, 1, "vi", sign=True) == "+4,2" and fixed(0.953, 3) == "0.953"
    assert signed(0.3, "vi") == "+0,3" and signed(-2.5) == "-2.5" and signed(0.0) == "0"
    # a comma inside each end: the ends are kept apart by a semicolon
    assert interval_text(1.5, 2.5, "vi") == "[1,5; 2,5]"
    assert interval_text(1.5, 2500.0) == "[1.5, 2,500]"
    assert localized("1,234.5", "vi") == "1.234,5" and localized("1,234.5", "en") == "1,234.5"


def test_every_digit_survives_the_vietnamese_style() -> None:
    """The vi text read back the Vietnamese way is the en text's number, for many values."""
    for value in (0.00123, 0.5, 3.14159, 999.4, 1000.0, 65432.1, -2.5e6, 7.0e9):
        for digits in (2, 3, 5):
            en, vi = fmt(value, digits), fmt(value, digits, "vi")
            assert float(vi.replace(".", "").replace(",", ".")) == float(en.replace(",", ""))


@pytest.fixture(scope="module")
def ring_n1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The N-1 study of a ring network at 10:00 in Vietnamese: its park and its folder."""
    folder = tmp_path_factory.mktemp("n1")
    park = dump(ring_data(), folder / "ring.yaml")
    out = folder / "out"
    api.n1(park, None, 600.0, 4.0, Settings(days=1.0), out, lang="vi")
    return park, out


def test_the_vietnamese_n1_report_has_no_english_prose(ring_n1: tuple[Path, Path]) -> None:
    _, out = ring_n1
    markdown = (out / "report.md").read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")
    doc = json.loads((out / "n1.json").read_text(encoding="utf-8"))
    ids = {r["outage"] for r in doc["contingencies"]} | {"N-1", "MW", "MWh", "pu"}
    ids |= {b["id"] for b in doc["buses"]} | {b["label"] for b in doc["buses"]}
    ids |= {name for r in doc["contingencies"] for name in r["buildings_unserved"]}
    allowed = ids | {doc["park"], "parktwin"}
    assert english_words_in(markdown, allowed) == set()
    assert english_words_in(prose_of_html(page), allowed) == set()
    assert markdown.startswith(f"# Phân tích N-1 của {doc['park']} lúc ngày 0 10:00")
    assert "| l1 | đường dây | có |" in markdown and "dưới 0,95 pu" in markdown
    assert "<html lang=vi>" in page
    # n1.json keeps machine numbers and ids
    assert doc["at"] == "day 0 10:00" and isinstance(doc["contingencies"][0]["min_v_pu"], float)


def test_the_n1_terminal_table_speaks_the_language(ring_n1: tuple[Path, Path]) -> None:
    park, _ = ring_n1
    args = ["n1", str(park), "--days", "1", "--at", "day 0 10:00"]
    vi = CliRunner().invoke(cli.app, [*args, "--lang", "vi"])
    en = CliRunner().invoke(cli.app, args)
    assert vi.exit_code == 0 and en.exit_code == 0, vi.output + en.output
    assert vi.output.startswith("N-1 lúc ngày 0 10:00") and "KHÔNG AN TOÀN" in vi.output
    assert en.output.startswith("N-1 at day 0 10:00") and "NOT SECURE" in en.output
    assert english_words_in(vi.output, {"sub1", "N-1", "MW", "MWh", "pu"}) == set()
    assert re.search(r"điện áp nhỏ nhất \d,\d{3} pu", vi.output)
    bad = CliRunner().invoke(cli.app, [*args, "--lang", "fr"])
    assert bad.exit_code == 2 and "lang" in bad.output


def test_the_vietnamese_backtest_report_has_no_english_prose(tmp_path: Path) -> None:
    folder = write_history(tmp_path / "sensors", days=2, seed=3)
    result = backtest(known_park(), folder, every_min=240, hours=2, replications=2)
    write_backtest(tmp_path / "out", result, "sensors", "vi")
    markdown = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    allowed = {result.park, "sensors", "MAE", "RMSE", "parktwin", "p05", "p95", "kW"}
    allowed |= {c["name"] for c in result.changes}
    assert english_words_in(markdown, allowed) == set()
    assert english_words_in(prose_of_html(page), allowed) == set()
    assert "kết luận:" in markdown and "<html lang=vi>" in page
    doc = json.loads((tmp_path / "out" / "backtest.json").read_text(encoding="utf-8"))
    assert doc["verdict"] == verdict_lines(result) and doc["verdict"][-1].startswith("verdict:")


@pytest.mark.slow
def test_the_vietnamese_calibration_report_frames_its_findings_in_vietnamese(
    tmp_path: Path,
) -> None:
    """Everything the report says itself is vi, assets by name in the summary; what is left
    in English is ids, field names and the fitting modules' own notes, named below."""
    report = tmp_path / "report"
    args = ["calibrate", "yen-binh", str(data_root() / "assets" / "sensors" / "yen-binh"),
            "--out", str(tmp_path / "fitted.yaml"), "--report", str(report), "-r", "2",
            "--no-search", "--lang", "vi"]  # fmt: skip
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    assert "hiệu chỉnh" in result.output and "tốt" in result.output
    markdown = (report / "report.md").read_text(encoding="utf-8")
    page = (report / "report.html").read_text(encoding="utf-8")
    lines = markdown.splitlines()
    summary = lines.index("## Tóm tắt")
    frame = [*lines[:summary], *(line for line in lines if line.startswith(("# ", "## ")))]
    frame.append(lines[summary + 2])  # the summary table's header
    frame += [line for line in lines if line.startswith(("- Khớp", "- Không khớp", "- Các dòng"))]
    names = set(asset_names(load_park(resolve("yen-binh"))).values())  # "in" is Vietnamese too
    allowed = {"KCN Yên Bình (illustrative)", str(data_root()), "parktwin", *names}
    assert english_words_in("\n".join(frame), allowed) == set()
    assert lines[0] == "# Hiệu chỉnh mô hình KCN Yên Bình (illustrative)"
    assert "| Nhà máy ép nhựa K | công suất (kW) |" in markdown  # a building by its name
    # numbers of the summary's fits in the Vietnamese style: 11.000 kW, MAPE 1,6%
    assert re.search(r"\| 11\.000 \+ 21\.000 → [\d.]+ \+ [\d.]+ kW \| MAPE \d,\d%", markdown)
    table = lines[summary + 4 : lines.index("", summary + 2)]
    verdicts = {row.split("|")[-2].strip().rstrip(" *") for row in table}
    assert {"tốt", "khá"} <= verdicts and not verdicts & {"good", "fair", "poor"}
    assert "<html lang=vi>" in page and "<h2>Tóm tắt</h2>" in page
    park = load_park(resolve("yen-binh"))
    ids = {b.id for b in park.buildings} | {f.id for f in park.logistics.flows}
    ids |= {g.id for g in park.logistics.dock_groups} | {g.id for g in park.logistics.gates}
    ids |= {f.id for f in park.power.feeders} if park.power else set()
    whole = _without_fitting_notes(markdown)
    assert english_words_in(whole, allowed | ids) == set()
    assert english_words_in(_without_fitting_notes(prose_of_html(page)), allowed | ids) == set()
    assert "### Cổng" in markdown and "| luồng xe | số xe | số ngày |" in markdown
    assert (
        "<h3>Thời gian chờ và quay vòng</h3>" in page and ">ngày trong tuần (0 = thứ Hai)<" in page
    )


@pytest.mark.slow
def test_the_calibration_reasons_in_words_of_the_table_are_the_validations_own() -> None:
    """The report says a check's reason again in its language from the check's figures: in
    English that is the validation's own text, for every meter, arrival and queue check."""
    from twin.calibration import calibrate
    from twin.reports.calibration import check_reason

    sample = data_root() / "assets" / "sensors" / "yen-binh"
    for replications in (2, 3):  # too few for the model's own spread, then judged by it
        val = calibrate("yen-binh", sample, replications=replications, search=False).validation
        assert val is not None and val.queues and val.arrivals and val.series
        for check in [*val.series, *val.arrivals, *val.queues]:
            vietnamese = check_reason(check, "vi", len(val.arrivals), replications)
            kept = {check.changed} if check.changed else set()  # the SPEC's text of a change
            assert english_words_in(vietnamese, kept) == set() and vietnamese != check.reason
            again = _english_again(check, len(val.arrivals), replications)
            assert again == check.reason, (again, check.reason)


def _english_again(check: object, family: int, replications: int) -> str:
    from twin.calibration.validation import (
        ArrivalCheck,
        SeriesCheck,
        arrival_reason,
        meter_reason,
        queue_reason,
    )

    if isinstance(check, SeriesCheck):
        text = meter_reason(check.mape_pct, check.days_in_band, check.days)
    elif isinstance(check, ArrivalCheck):
        text = arrival_reason(check, check.chi2_p_adjusted, family)
    else:
        finished = len(check.samples["turnaround"])  # type: ignore[attr-defined]
        text = queue_reason(check.to_dock, check.turnaround, finished,  # type: ignore[attr-defined]
                            check.p_adjusted, replications)  # type: ignore[attr-defined]  # fmt: skip
    changed = getattr(check, "changed", "")
    return f"{changed}: the fit is older than the held-out data; {text}" if changed else text


FITTING_NOTES = (
    r"\S+\.csv:|\btruck_id\b",  # the files read and a column of the truck log
    r"changed in validation span on [\d-]+ \([^)]*\)",  # the SPEC's text of a change
    r"\b(dock_start|dock_end|gate_out)\b|\b(power|water|feeder|substation)_\w+|\bbuildings\[[^\]]*\]\S*|\blogistics\.\S+",
    r"\b(mean|sd|min|mode|max|value|per_day|hourly_profile|weekly_profile|docks|gate|"
    r"dock_group|id):? (?=[-\d…\[\w])",
)
"""What stays English in a Vietnamese calibration report: the files read, the SPEC's text of a
change, and field and column names."""


def test_a_fitting_note_with_figures_is_read_back_and_said_in_vietnamese() -> None:
    from twin.language import say
    from twin.reports.calibration import FIGURE_NOTES, note_text

    change = say("calibration.note.level_change", "en", asset="sup-r", quantity="power_kw",
                 size="+31", at="2026-01-15T00:00", before="2,770", after="3,622.5")  # fmt: skip
    assert note_text(change, "en") == change
    assert note_text(change, "vi") == (
        "sup-r power_kw: mức tải đổi +31% vào 2026-01-15T00:00 (2.770 → 3.622,5); khớp trên các "
        "số đọc sau thời điểm đó"
    )
    flows = say("calibration.note.unlogged_flows", "en", flows="in-a.1, out-b")
    at_gate = say("calibration.note.at_gate", "en", gate="g.main", note=flows)
    assert note_text(at_gate, "vi") == say(
        "calibration.note.at_gate", "vi", gate="g.main",
        note=say("calibration.note.unlogged_flows", "vi", flows="in-a.1, out-b"),
    )  # fmt: skip  # ids keep their dots and commas, the note within is said in vi too
    split = say("calibration.note.not_identifiable", "en", share="97",
                combination="base_kw + shift_kw × 0.975")  # fmt: skip
    assert "base_kw + shift_kw × 0,975" in note_text(split, "vi")
    for key in FIGURE_NOTES:
        filled = say(key, "en", **dict.fromkeys(_fields(key), "7"))
        fields = {"dock_start", "dock_end", "power"}  # of the truck log and the park file
        assert english_words_in(note_text(filled, "vi"), fields) == set(), key
    disagree = say("calibration.note.meters_disagree", "en", days="Saturday and Sunday",
                   shares="power meter Sunday 20%; water meter Sunday 100%")  # fmt: skip
    assert "vào thứ Bảy và Chủ nhật hay" in note_text(disagree, "vi")
    assert "công tơ điện Chủ nhật 20%; đồng hồ nước Chủ nhật 100%" in note_text(disagree, "vi")
    weekly = say("calibration.note.weekly_pattern", "en", days="Sunday -65%",
                 how=say("calibration.note.how_workday", "en"))  # fmt: skip
    how = say("calibration.note.how_workday", "vi")
    said = say("calibration.note.weekly_pattern", "vi", days="Chủ nhật -65%", how=how)
    assert note_text(weekly, "vi") == said
    assert note_text("a note nobody wrote a key for", "vi") == "a note nobody wrote a key for"


def _note(key: str, **fields: str) -> str:
    from twin.language import say

    return say(f"calibration.note.{key}", "en", **fields)


def _rarer_notes() -> list[tuple[str, str, str | None]]:
    """The notes the bundled sample never gives, filled as the fitting code fills them: the
    outer key, the English note, and (for some) its Vietnamese text written out in full."""
    change = {"size": "+25", "at": "2026-01-20T06:00", "before": "85.5", "after": "106.9"}
    service = {"size": "-15", "at": "2026-01-21T10:14", "before": "42.5", "after": "36.1"}
    return [
        ("not_validated", _note("not_validated"), None),
        ("validation_interrupted", _note("validation_interrupted"), None),
        ("numerical", _note("numerical", stage=_note("stage_changes"),
                            warnings="divide by zero encountered in log"),
         "thay đổi trong khoảng dữ liệu giữ lại: có cảnh báo tính toán (divide by zero "
         "encountered in log); các giá trị thu được đã được đối chiếu với phạm vi cho phép của "
         "định dạng tệp khu"),
        ("numerical", _note("numerical", stage=_note("stage_trucks"), warnings="overflow"), None),
        ("numerical", _note("numerical", stage=_note("stage_meters"), warnings="overflow"), None),
        ("numerical", _note("numerical", stage=_note("stage_validation"), warnings="x"), None),
        ("ratio_capped", _note("ratio_capped", ratio="1.25"),
         "các đồng hồ cho thấy 1,25 m³ nước thải trên mỗi m³ nước cấp; lấy tối đa là 1 (nước "
         "mưa hay một nguồn chảy khác vào đồng hồ nước thải?)"),
        ("daily_above", _note("daily_above", hour="08", gap="1,230", unit="kW", share="18"),
         "một dạng tải trong ngày mà hai mức không theo được: khoảng 08:00 công tơ đo cao hơn "
         "bản khớp 1.230 kW (18% của mức trung bình)"),
        ("daily_below", _note("daily_below", hour="13", gap="12.5", unit="m³/h", share="22"),
         "một dạng tải trong ngày mà hai mức không theo được: khoảng 13:00 công tơ đo thấp hơn "
         "bản khớp 12,5 m³/h (22% của mức trung bình)"),
        ("level_shift", _note("level_shift", at="2026-01-15", size="+31"), None),
        ("level_shift_day", _note("level_shift_day", day="9", size="-12"), None),
        ("no_power_section", _note("no_power_section", asset="f1", quantity="power_kw"), None),
        ("no_water_section", _note("no_water_section", asset="f1", quantity="water_m3h"), None),
        ("under_a_day", _note("under_a_day", asset="f1", quantity="power_kw"), None),
        ("wastewater_no_water", _note("wastewater_no_water", asset="w1"), None),
        ("wastewater_few", _note("wastewater_few", asset="w1"), None),
        ("routes_disagree", _note("routes_disagree", low="0.85", high="1.42"),
         "các tuyến không thống nhất: tỷ số thời gian chạy của chúng từ 0,85 đến 1,42, nên một "
         "hệ số chung cho mọi con đường khớp kém với một số tuyến"),
        ("at_flow", _note("at_flow", flow="in-a.1", note=_note("arrivals_under_a_day")),
         "luồng xe 'in-a.1': chưa đủ một ngày xe đến, không khớp"),
        ("at_flow", _note("at_flow", flow="in-a.1", note=_note("rate_change", **change)),
         "luồng xe 'in-a.1': tần suất xe đến đổi +25% vào 2026-01-20T06:00 (85,5 → 106,9 xe "
         "mỗi ngày); khớp trên các lượt xe đến sau thời điểm đó"),
        ("at_dock_group", _note("at_dock_group", group="d.1", note=_note("service_gaps",
                                                                          gaps="3")), None),
        ("at_dock_group", _note("at_dock_group", group="d.1",
                                note=_note("service_change", **service)),
         "nhóm bến 'd.1': thời gian phục vụ đổi -15% vào 2026-01-21T10:14 (trung bình 42,5 → "
         "36,1 phút); khớp trên các lượt phục vụ sau thời điểm đó"),
        ("at_gate", _note("at_gate", gate="g.main", note=_note("service_change", **service)),
         None),
    ]  # fmt: skip


def test_every_fitting_note_is_said_in_vietnamese_with_its_figures() -> None:
    """Each note the fitting modules write, filled with figures as they fill them, is read back
    (the code's English and the table agree) and said in Vietnamese, numbers with a decimal
    comma, ids, field names, units and a library's own warning text as they are."""
    from twin.language import read_back
    from twin.reports.calibration import FIGURE_NOTES, note_text

    kept = {"in-a.1", "d.1", "g.main", "f1", "w1", "power_kw", "water_m3h", "dock_end", "power"}
    kept |= {"divide by zero encountered in log", "overflow"}
    notes = _rarer_notes()
    for key, english, vietnamese in notes:
        found = read_back(english, FIGURE_NOTES)
        assert found is not None and found[0] == f"calibration.note.{key}", english
        said = note_text(english, "vi")
        assert said != english and english_words_in(said, kept) == set(), said
        assert vietnamese is None or said == vietnamese, said
    used: set[str] = set()
    for _, english, _ in notes:
        used |= _keys_read_back(english, FIGURE_NOTES)
    assert used == {f"calibration.note.{key}" for key in RARER_NOTES}


RARER_NOTES = (
    "not_validated", "validation_interrupted", "numerical", "stage_trucks", "stage_meters",
    "stage_changes", "stage_validation", "ratio_capped", "daily_above", "daily_below",
    "level_shift", "level_shift_day", "no_power_section", "no_water_section", "under_a_day",
    "wastewater_no_water", "wastewater_few", "routes_disagree", "at_flow", "at_dock_group",
    "arrivals_under_a_day", "rate_change", "service_change", "service_gaps", "at_gate",
)  # fmt: skip
"""The fitting notes (and their parts) that the bundled sample never gives."""


def _keys_read_back(note: str, keys: tuple[str, ...]) -> set[str]:
    """The key of a note and of the notes within it."""
    from twin.language import read_back

    found = read_back(note, keys)
    if found is None:
        return set()
    key, fields = found
    within = (_keys_read_back(v, keys) for k, v in fields.items() if k in ("note", "stage"))
    return {key}.union(*within)


def test_the_fitting_notes_read_as_they_did_in_english() -> None:
    """calibration.json keeps the English notes: the table's text is the one the code wrote."""
    change = {"size": "+25", "at": "2026-01-20T06:00", "before": "85.5", "after": "106.9"}
    assert _note("at_flow", flow="in", note=_note("rate_change", **change)) == (
        "flow 'in': its arrival rate changed by +25% on 2026-01-20T06:00 (85.5 → 106.9 trucks "
        "a day); fitted on the arrivals after it"
    )
    assert _note("at_dock_group", group="d1", note=_note("service_gaps", gaps="3")) == (
        "dock group 'd1': 3 visit(s) without dock_end long before the end of the record were "
        "left out of the service fit"
    )
    assert _note("daily_below", hour="13", gap="12.5", unit="m³/h", share="22") == (
        "a daily shape the two levels cannot follow: around 13:00 the meter runs 12.5 m³/h "
        "below the fit (22% of the mean level)"
    )
    assert _note("no_water_section", asset="f1", quantity="water_m3h") == (
        "building 'f1' has water_m3h readings but no water section in the park file; add one "
        "(with its rates) to fit it"
    )
    assert _note("numerical", stage=_note("stage_changes"), warnings="overflow") == (
        "changes in the held-out span: numerical warning(s) (overflow); the values it gave were "
        "checked against the park format's ranges"
    )


def test_what_reading_a_file_dropped_is_said_in_vietnamese() -> None:
    from twin.calibration.table import FileReport
    from twin.language import say

    report = FileReport("meters.csv", rows=1200, kept=1193)
    report.drop(say("calibration.drop.spike", "en"), [30, 8, 9, 10, 11, 12])
    hint = say("calibration.drop.hint_meant", "en", name="power_kw")
    report.drop(say("calibration.drop.unknown_quantity", "en", quantity="powerkw", hint=hint), [7])
    kind = say("calibration.drop.kind.feeder", "en")
    report.drop(say("calibration.drop.water_on", "en", kind=kind, asset="fd1"), [40])
    report.notes.append(say("calibration.data.unused_columns", "en", columns="unit"))
    report.conflicts += [8, 9]
    assert report.summary() == (
        "meters.csv: 1,200 rows, 1,193 used; dropped 6 spikes (far from the meter's rolling "
        "median) (lines 8, 9, 10, 11, 12 and 1 more); 1 row with unknown quantity 'powerkw' "
        "(did you mean 'power_kw'?) (line 7); 1 row of water on feeder 'fd1' (power only) "
        "(line 40). column(s) unit not used (ignored). 2 of the duplicates had a different value "
        "(lines 8, 9)."
    )
    assert report.summary("vi") == (
        "meters.csv: 1.200 dòng, dùng 1.193; bỏ 6 đột biến (xa trung vị trượt của công tơ) "
        "(các dòng 8, 9, 10, 11, 12 và 1 dòng khác); 1 dòng có đại lượng lạ 'powerkw' (có phải "
        "là 'power_kw'?) (dòng 7); 1 dòng đo nước trên xuất tuyến 'fd1' (chỉ đo điện) (dòng 40). "
        "cột unit không dùng (bỏ qua). 2 bản lặp có giá trị khác (các dòng 8, 9)."
    )


def _fields(key: str) -> list[str]:
    from twin.language import TEXT

    return re.findall(r"\{(\w+)\}", TEXT[key]["en"])


def _without_fitting_notes(text: str) -> str:
    for pattern in FITTING_NOTES:
        text = re.sub(pattern, " ", text, flags=re.M)
    return text


def test_a_model_checks_warning_is_said_in_the_reports_language(tmp_path: Path) -> None:
    park = yaml.safe_load((data_root() / "assets" / "parks" / "demo-small.yaml").read_text("utf-8"))
    park["buildings"][0]["power"].update(base_kw=1.0, shift_kw=0.5)  # a 1.5 kW factory
    path = tmp_path / "watts.yaml"
    path.write_text(yaml.safe_dump(park, allow_unicode=True), encoding="utf-8")
    quick = ["--days", "0.1", "--warmup-days", "0", "-r", "1"]
    english = (
        "buildings[0] (id=f1).power: a factory drawing at most 1.5 kW (under 10 kW); MW meant?"
    )
    vi = CliRunner().invoke(cli.app, ["run", str(path), *quick, "--lang", "vi", "--out",
                                      str(tmp_path / "vi")])  # fmt: skip
    assert vi.exit_code == 0, vi.output
    assert f"warning: {english}" in vi.stderr
    markdown = (tmp_path / "vi" / "report.md").read_text(encoding="utf-8")
    page = prose_of_html((tmp_path / "vi" / "report.html").read_text(encoding="utf-8"))
    said = (
        "cảnh báo: buildings[0] (id=f1).power: nhà máy tiêu thụ tối đa 1,5 kW (dưới 10 kW); "
        "có phải định ghi MW?"
    )
    assert said in markdown and said in html.unescape(page) and english not in markdown
    line = next(line for line in markdown.splitlines() if "cảnh báo" in line)
    assert english_words_in(line, {"buildings[0] (id=f1).power", "kW", "MW"}) == set()
    doc = json.loads((tmp_path / "vi" / "kpis.json").read_text(encoding="utf-8"))
    assert doc["warnings"] == [english]
    en = CliRunner().invoke(cli.app, ["run", str(path), *quick, "--out", str(tmp_path / "en")])
    assert en.exit_code == 0, en.output
    assert f"warning: {english}" in (tmp_path / "en" / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text",
    [
        "power.feeders[0] (id=fd1).capacity_mw: 10000 MW is more than its substation 'sub1' "
        "(12.5 MW); kW meant?",
        "logistics.flows[0] (id=in-f1): 10,000 trucks in its busiest hour (over 1,000); "
        "trucks a day meant?",
        "logistics.roads[0] (id=r.1): 190.5 km/h (over 130); m/s or a typo?",
    ],
)
def test_a_stored_warning_is_read_back_into_its_key_and_fields(text: str) -> None:
    vi = warning_text(text, "vi")
    assert warning_text(text, "en") == text
    figures = re.findall(r"\d[\d,.]*\d|\d", text.split(":", 1)[1])
    if "road" in text:  # no template matches (speed_kmh missing): left as it is
        assert vi == text
        return
    assert vi != text and vi.split(":")[0] == text.split(":")[0]
    assert re.findall(r"\d[\d,.]*\d|\d", vi.split(":", 1)[1]) == [
        localized(f, "vi") for f in figures
    ]
    assert english_words_in(vi, {"power.feeders[0] (id=fd1).capacity_mw", "sub1", "MW", "kW",
                                 "logistics.flows[0] (id=in-f1)"}) == set()  # fmt: skip


def test_what_auto_chose_and_an_incomplete_result_are_said_in_the_language() -> None:
    doc = {
        "warnings": ["power.feeders[0] (id=f1).capacity_mw: 50 MW is more than 40 MW; kW meant?"],
        "warmup_choice": {"warmup_days": 0.75, "series": "trucks_in_park",
                          "pilot_replications": 5, "pilot_days": 3.0},
        "replication_rule": {"method": "sequential", "precision": 0.05,
                             "kpis": ["trucks.wait_mean_min"], "replications": 12,
                             "reached": False, "max_replications": 12,
                             "relative_half_width": {"trucks.wait_mean_min": 0.0712}},
        "complete": False, "interrupted": True, "missing_replications": [10, 11],
    }  # fmt: skip
    en = describe_choices(doc)
    assert en[1] == (
        "warm-up 0.75 days (18 h), chosen by MSER-5 on the trucks_in_park of 5 pilot "
        "replications of 3 days"
    )
    assert en[2] == (
        "-r auto: precision ±5% NOT reached at the cap of 12 replications: "
        "trucks.wait_mean_min ±7.1%"
    )
    assert en[3] == "incomplete (interrupted): replications [10, 11] are missing (null values)"
    vi = describe_choices(doc, "vi")
    assert vi[0].startswith("cảnh báo: power.feeders[0]")  # the model check's text stays
    assert "0,75 ngày (18 giờ)" in vi[1] and "±7,1%" in vi[2] and vi[3].startswith("chưa đầy đủ")
    assert english_words_in(" ".join(vi[1:]), {"trucks_in_park", "trucks.wait_mean_min"}) == set()


def test_the_live_state_and_the_nowcast_on_the_terminal_speak_the_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from console.tables import forecast_lines, print_state

    names = {"d1": "Kho lạnh", "sub1": "Trạm Bắc"}
    stages = {"gate_queue": {"g1": 2}, "at_gate": {}, "dock_queue": {"d1": 3}, "in_service": {}}
    state = {
        "time": "2026-01-05T10:00", "trucks": {"in_park": 7, "on_road": 1, "leaving": 1, **stages},
        "outages": [{"asset": "sub1", "since": "2026-01-05T09:00", "expected_end": None}],
        "meters": {"power_kw": {"f1": 1.0}}, "messages": {"stored": 9, "rejected": 0,
                                                          "duplicates": 1},
    }  # fmt: skip
    print_state(state, "vi", names)
    shown = capsys.readouterr().out
    assert shown.startswith("2026-01-05T10:00: 7 xe trong khu")
    assert "hàng chờ tại bến: Kho lạnh 3" in shown and "sự cố: Trạm Bắc" in shown
    assert english_words_in(shown, {"g1"}) == set()
    series = {"time": ["2026-01-05T14:00"], "mean": [1234.56], "p05": [0.5], "p95": [2.25]}
    forecast = {
        "origin": "2026-01-05T10:00", "hours": 4.0, "replications": 20, "state": {"trucks": 7},
        "series": {"trucks.in_park": series, "docks.d1.queue": series},
        "alerts": [{"series": "docks.d1.queue", "threshold": 2.0, "time": "2026-01-05T12:00",
                    "probability": 0.4, "peak_probability": 0.55}],
    }  # fmt: skip
    vi = forecast_lines(forecast, lang="vi", names=names)
    assert vi[1] == "  số xe trong khu lúc 14:00: 1.234,6 (90%: 0,5 đến 2,2)"
    assert vi[2].startswith("  hàng chờ tại bến Kho lạnh lúc 14:00")
    assert vi[3].startswith("  CẢNH BÁO hàng chờ tại bến Kho lạnh vượt 2 từ")
    assert english_words_in("\n".join(vi), set()) == set()
    en = forecast_lines(forecast)
    assert en[1] == "  trucks in the park at 14:00: 1,234.6 (90%: 0.5 to 2.2)"
