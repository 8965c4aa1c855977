"""Checking a campaign stays small: duplicates name the first row, what is listed is bounded and counted
exactly, warnings and notes pass beside the errors without blocking a load, and TOML errors are Vietnamese.

The fixtures (conftest.py) give the small valid campaign exported as CSV (``io_dir``): twelve people,
the first (KTV01) with phone 0912345601; three wards; the campaign runs 20/08/2025 – 03/10/2025.
"""

from __future__ import annotations

import csv

import pytest

import scheduler.loader as loader
from raquan.cli import main
from scheduler.io import CampaignLoadError, check_campaign, load_campaign
from scheduler.loader import check_campaign_report, load_campaign_report
from scheduler.problems import (
    MAX_PROBLEMS_PER_COLUMN,
    MAX_PROBLEMS_PER_FILE,
    CheckReport,
    Problem,
    bounded,
    problem_count,
)

FILLED_ROWS = 20_000


def write_people_filled_down(directory, rows: int) -> None:
    """``rows`` people cycling through the small campaign's, each with its own id, all with KTV01's phone."""
    path = directory / "people.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, template = reader.fieldnames, list(reader)
    phone = template[0]["phone"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        for number in range(rows):
            row = dict(template[number % len(template)], person_id=f"P{number + 1:06d}", phone=phone)
            writer.writerow(row)


# --- one phone filled down a large table ---


def test_a_phone_filled_down_20000_rows_gives_a_bounded_report_with_an_exact_count(io_dir):
    write_people_filled_down(io_dir, FILLED_ROWS)
    report = check_campaign_report(io_dir)
    assert report.warnings == () and report.notes == ()
    assert report.error_count == FILLED_ROWS  # every row is counted
    assert len(report.errors) <= MAX_PROBLEMS_PER_COLUMN + 2  # but few are listed
    assert sum(len(str(problem)) for problem in report.errors) < 20_000
    first, second, *_ = report.errors
    assert (first.row, first.column) == (1, "phone")
    assert first.message == (
        "số điện thoại 0912345601 trùng với hàng 2 (dòng 3), hàng 3 (dòng 4), hàng 4 (dòng 5), "
        "hàng 5 (dòng 6), hàng 6 (dòng 7) và 19.994 hàng khác"
    )
    assert (second.row, second.message) == (2, "số điện thoại 0912345601 trùng với hàng 1 (dòng 2)")
    summary = report.errors[-1]
    assert summary.column == "phone" and summary.omitted == FILLED_ROWS - MAX_PROBLEMS_PER_COLUMN
    assert summary.message.startswith(f"và {FILLED_ROWS - MAX_PROBLEMS_PER_COLUMN:,} lỗi khác".replace(",", "."))


def test_the_same_bounds_reach_check_campaign_and_load_campaign(io_dir):
    write_people_filled_down(io_dir, FILLED_ROWS)
    errors = check_campaign(io_dir)
    assert len(errors) <= MAX_PROBLEMS_PER_COLUMN + 2 and problem_count(errors) == FILLED_ROWS
    with pytest.raises(CampaignLoadError) as caught:
        load_campaign(io_dir)
    assert caught.value.count == FILLED_ROWS
    assert list(caught.value.problems) == errors
    text = str(caught.value)
    assert text.startswith("không đọc được chiến dịch: 20.000 lỗi") and len(text) < 20_000


def test_a_large_table_with_an_error_is_still_checked_to_its_last_row(io_dir):
    """Once a table has an error its rows are no longer built, but every row is still checked."""
    write_people_filled_down(io_dir, 300)
    rows = (io_dir / "people.csv").read_text(encoding="utf-8").splitlines()
    rows[300] = (
        rows[300]
        .replace(",technician,", ",phi công,")
        .replace(",student,", ",phi công,")
        .replace(",telecom,", ",phi công,")
    )
    (io_dir / "people.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    errors = check_campaign(io_dir)
    assert [(p.row, p.column) for p in errors if p.column == "pool"] == [(300, "pool")]


def test_a_value_repeated_down_a_column_is_an_error_on_every_row(io_dir, io_edit):
    for row in (2, 5, 7):
        io_edit.set_cell(io_dir, "people", row, "pool", "phi công")
    errors = check_campaign(io_dir)
    assert [(p.row, p.column) for p in errors] == [(2, "pool"), (5, "pool"), (7, "pool")]
    assert len({p.message for p in errors}) == 1


def test_the_first_of_many_duplicates_names_five_and_counts_the_rest(io_dir, io_edit):
    rows = io_edit.read_rows(io_dir, "people")
    for index in range(1, 9):
        rows[index]["person_id"] = rows[0]["person_id"]
    io_edit.write_rows(io_dir, "people", rows)
    errors = [p for p in check_campaign(io_dir) if p.column == "person_id"]
    assert [p.row for p in errors] == list(range(1, 10))
    assert errors[0].message == (
        "mã 'KTV01' trùng với hàng 2 (dòng 3), hàng 3 (dòng 4), hàng 4 (dòng 5), "
        "hàng 5 (dòng 6), hàng 6 (dòng 7) và 3 hàng khác"
    )
    assert all(p.message == "mã 'KTV01' trùng với hàng 1 (dòng 2)" for p in errors[1:])


# --- bounded(): per column, per file, per severity ---


def many(count: int, column: str | None = "phone", file: str = "people.csv", severity: str = "error"):
    return [Problem(file, row, column, f"sai {row}", severity=severity) for row in range(1, count + 1)]


def test_bounded_lists_the_first_of_a_column_and_counts_the_rest():
    shown = bounded(many(300))
    assert [p.row for p in shown[:-1]] == list(range(1, MAX_PROBLEMS_PER_COLUMN + 1))
    assert shown[-1].omitted == 300 - MAX_PROBLEMS_PER_COLUMN and shown[-1].column == "phone"
    assert shown[-1].message.startswith("và 250 lỗi khác cùng cột không được liệt kê")
    assert problem_count(shown) == 300
    assert bounded(shown) == shown


def test_bounded_lists_at_most_the_file_limit_across_columns():
    problems = [problem for column in ("a", "b", "c", "d", "e") for problem in many(60, column)]
    problems.sort(key=lambda p: p.row)
    shown = bounded(problems)
    listed = [p for p in shown if not p.omitted]
    assert len(listed) == MAX_PROBLEMS_PER_FILE
    summaries = [p for p in shown if p.omitted]
    assert [(p.column, p.omitted) for p in summaries] == [(c, 10) for c in "abcde"] + [(None, 50)]
    assert "trong tệp" in summaries[-1].message
    assert problem_count(shown) == 300 and bounded(shown) == shown


def test_bounded_keeps_each_file_and_each_severity_apart():
    notes = many(500, "ward", severity="note")
    errors = many(3, "phone", file="wards.csv")
    report = CheckReport.of(notes + errors)
    assert [p.row for p in report.errors] == [1, 2, 3]
    assert report.note_count == 500 and len(report.notes) == MAX_PROBLEMS_PER_COLUMN + 1
    assert all(p.severity == "note" for p in report.notes)
    assert not report.ok and report.error_count == 3


def test_a_summary_of_problems_of_no_column_says_so():
    shown = bounded(many(MAX_PROBLEMS_PER_COLUMN + 1, None))
    assert shown[-1].omitted == 1 and "không thuộc cột nào" in shown[-1].message


# --- warnings and notes beside the errors ---


def with_reader_problems(monkeypatch, stem: str, *extra: Problem) -> None:
    """Make the table reader add ``extra`` to what it finds in ``stem``'s file."""
    read_table = loader.read_table

    def reading(path, schema):
        table, problems = read_table(path, schema)
        return table, problems + (list(extra) if schema.name == stem else [])

    monkeypatch.setattr(loader, "read_table", reading)


def test_the_readers_notes_and_warnings_pass_through_without_blocking(io_dir, io_campaign, monkeypatch):
    note = Problem("wards.csv", None, None, "đã tìm thấy dòng tiêu đề ở dòng 3", severity="note")
    warning = Problem("people.csv", 4, "home_ward", "tên xã cũ đã được đổi", severity="warning")
    with_reader_problems(monkeypatch, "wards", note)
    with_reader_problems(monkeypatch, "people", warning)
    assert check_campaign(io_dir) == []
    report = check_campaign_report(io_dir)
    assert report.ok and report.errors == ()
    assert note in report.notes and report.warnings == (warning,)
    assert {p.severity for p in report.notes} == {"note"}
    campaign, same = load_campaign_report(io_dir)
    assert campaign == io_campaign and same == report
    assert load_campaign(io_dir) == io_campaign


def test_a_note_on_people_does_not_stop_the_pins_being_checked(io_dir, monkeypatch):
    (io_dir / "pins.csv").write_text(
        "person_id,ward,date,shift\nNOBODY,Phường Bạch Mai,02/09/2025,sang\n", encoding="utf-8"
    )
    with_reader_problems(
        monkeypatch, "people", Problem("people.csv", None, "stt", "cột STT được bỏ qua", severity="note")
    )
    errors = check_campaign(io_dir)
    assert [(p.file, p.row, p.column) for p in errors] == [("pins.csv", 1, "person_id")]
    assert "không có người mã 'NOBODY'" in errors[0].message


def test_a_table_with_a_header_and_no_rows_is_a_warning(io_dir, io_campaign):
    header = (io_dir / "mobile_points.csv").read_text(encoding="utf-8").splitlines()[0]
    (io_dir / "mobile_points.csv").write_text(header + "\n\n", encoding="utf-8")
    report = check_campaign_report(io_dir)
    assert report.ok
    assert [(p.file, p.severity, p.message) for p in report.warnings] == [
        ("mobile_points.csv", "warning", "bảng có dòng tiêu đề nhưng không có hàng dữ liệu nào")
    ]
    assert load_campaign(io_dir).mobile_points == ()


def test_an_empty_pins_table_is_only_a_note(io_dir):
    (io_dir / "pins.csv").write_text("person_id,ward,date,shift\n", encoding="utf-8")
    report = check_campaign_report(io_dir)
    assert report.ok and report.warnings == ()
    assert [(p.file, p.severity) for p in report.notes if "không có hàng" in p.message] == [("pins.csv", "note")]


# --- campaign.toml syntax in Vietnamese ---


@pytest.mark.parametrize(
    "append, reason",
    [
        ("\nname = [unclosed\n", "giá trị không hợp lệ"),
        ("\n[extra\n", "thiếu ']' cuối dòng khai báo bảng"),
    ],
)
def test_a_toml_syntax_error_is_vietnamese_with_its_line_and_column(io_dir, append, reason):
    path = io_dir / "campaign.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + append, encoding="utf-8")
    line = text.count("\n") + 2
    errors = check_campaign(io_dir)
    assert len(errors) == 1 and errors[0].file == "campaign.toml"
    message = errors[0].message
    assert message.startswith(f"không đọc được TOML ở dòng {line}, cột ") and reason in message
    assert "Invalid" not in message and "Expected" not in message and "at line" not in message


def test_a_toml_error_at_the_end_of_the_document_names_the_last_line(io_dir):
    path = io_dir / "campaign.toml"
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text + '\nnote = "open', encoding="utf-8")
    line = text.count("\n") + 2
    message = check_campaign(io_dir)[0].message
    assert message == f"không đọc được TOML ở dòng {line}, cột 13: chuỗi chưa đóng dấu nháy"


# --- raquan check ---


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_prints_warnings_under_their_heading_and_succeeds(io_dir, capsys):
    header = (io_dir / "mobile_points.csv").read_text(encoding="utf-8").splitlines()[0]
    (io_dir / "mobile_points.csv").write_text(header + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "check", str(io_dir))
    assert code == 0
    assert "Cảnh báo (1):\n  mobile_points.csv: bảng có dòng tiêu đề nhưng không có hàng dữ liệu nào\n" in out
    assert "Lỗi" not in out and "Hợp lệ" in out


def test_check_prints_errors_and_notes_apart_and_fails_on_errors(io_dir, capsys, monkeypatch):
    write_people_filled_down(io_dir, 500)
    with_reader_problems(
        monkeypatch, "wards", Problem("wards.csv", None, None, "đã tìm thấy dòng tiêu đề ở dòng 3", severity="note")
    )
    code, out, err = run(capsys, "check", str(io_dir))
    assert code == 1
    errors, notes = out.split("Ghi chú (")
    assert errors.startswith("Lỗi (500):\n  people.csv, hàng 1 (dòng 2), cột phone:")
    assert len(errors.splitlines()) == 1 + MAX_PROBLEMS_PER_COLUMN + 1
    assert "\n  wards.csv: đã tìm thấy dòng tiêu đề ở dòng 3\n" in notes
    assert "Từ chối: 500 lỗi" in err
