"""The daily visit list: read from a ward's workbook or the phone form, through the campaign tables' importer."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from scheduler.model import PriorityGroup
from scheduler.tables import MemoryFile
from scheduler.visit_io import (
    FORM_FILE,
    OUTSIDE_WARD,
    TEMPLATE_EXAMPLE,
    read_visit_requests,
    request_from_form,
    visit_request_row,
    visit_requests_template_bytes,
    write_visit_requests,
    write_visit_requests_template,
)

WARD = "00316"  # Phường Định Công
PROVINCE = "Thành phố Hà Nội"
BEFORE_CUTOFF = datetime(2025, 8, 1, 14, 30)
AFTER_CUTOFF = datetime(2025, 8, 1, 15, 20)
CUTOFF = 15 * 60

HEADER = [
    "STT",
    "Họ và tên",
    "Đối tượng",
    "SĐT",
    "Tổ dân phố",
    "Số nhà, đường",
    "Hình thức",
    "Nhu cầu",
    "Tên thủ tục",
    "Từ giờ",
    "Đến giờ",
    "Số phút dự kiến",
]
GOOD_ROWS = [
    [1, "Nguyễn Thị Hoa", "người cao tuổi", "0912 345 678", "Tổ dân phố số 5", "Số 12 ngõ 34 phố Định Công",
     "tận nhà", "kích hoạt VNeID mức 2", None, "08:00", "11:30", None],
    [2, "Trần Văn Bình", "người khuyết tật", "+84 983 000 111", "Tổ dân phố số 7", "Số 3 phố Kim Giang",
     "x", "cài iHanoi", None, None, None, 25],
    [3, "Lê Thị Lan", "hộ cận nghèo", None, "Tổ dân phố số 5", "Số 40 ngõ 2 phố Định Công",
     "đến điểm", "dịch vụ công", "Đăng ký khai sinh", "13h30", "17:00", None],
    [4, "Phạm Văn Hùng", "khác", "0903000001", "Tổ dân phố số 1", None,
     "không", "khác", None, None, None, None],
]  # fmt: skip


def workbook(rows, header=HEADER) -> MemoryFile:
    """A ward's list as offices send it: two title lines and a blank line above the header."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH NGƯỜI DÂN CẦN HỖ TRỢ LƯU ĐỘNG"])
    sheet.append(["Tổ dân phố số 5 — Phường Định Công"])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    raw = io.BytesIO()
    book.save(raw)
    return MemoryFile("danh_sach.xlsx", raw.getvalue())


def read(source, registered_at=BEFORE_CUTOFF, **extra):
    return read_visit_requests(source, WARD, PROVINCE, registered_at, CUTOFF, **extra)


def errors(problems):
    return [p for p in problems if p.is_error]


def test_a_list_under_title_lines_with_vietnamese_headers_and_words():
    requests, problems = read(workbook(GOOD_ROWS), first_id=41)
    assert errors(problems) == []
    assert [r.id for r in requests] == ["41", "42", "43", "44"]
    hoa, binh, lan, hung = requests
    assert {r.service_date for r in requests} == {date(2025, 8, 2)}
    assert {r.ward_code for r in requests} == {WARD}
    assert (hoa.priority_group, hoa.phone, hoa.home_visit, hoa.service) == (
        PriorityGroup.ELDERLY,
        "0912345678",
        True,
        "vneid",
    )
    assert (hoa.window_start_minute, hoa.window_end_minute, hoa.service_minutes) == (480, 690, 20)
    assert (binh.phone, binh.home_visit, binh.service, binh.service_minutes) == ("0983000111", True, "ihanoi", 25)
    assert (binh.window_start_minute, binh.window_end_minute) == (8 * 60, 17 * 60)
    assert (lan.phone, lan.home_visit, lan.service, lan.procedure) == ("", False, "procedure", "Đăng ký khai sinh")
    assert (lan.window_start_minute, lan.service_minutes) == (13 * 60 + 30, 30)
    assert (hung.priority_group, hung.home_visit, hung.service, hung.street) == (
        PriorityGroup.GENERAL,
        False,
        "other",
        "",
    )
    notes = [p.message for p in problems if p.severity == "note"]
    assert any("dòng 4 được lấy làm dòng tiêu đề" in m for m in notes)
    assert any("STT" in m for m in notes)


def test_a_bad_row_is_named_by_row_and_column_and_nothing_is_kept():
    rows = [list(row) for row in GOOD_ROWS]
    rows[2][2] = "người nghèo khó"  # line 7: not a priority group
    rows[2][9] = "25:00"  # and not a time
    requests, problems = read(workbook(rows))
    assert requests == []  # all or nothing
    bad = errors(problems)
    assert [(p.row, p.line, p.column, p.heading) for p in bad] == [
        (6, 7, "priority_group", "Đối tượng"),
        (6, 7, "window_start", "Từ giờ"),
    ]
    assert "nhóm ưu tiên không hợp lệ 'người nghèo khó'" in bad[0].message
    assert "giờ không tồn tại '25:00'" in bad[1].message
    assert "hàng 6 (dòng 7), cột 'Từ giờ' (window_start)" in str(bad[1])


@pytest.mark.parametrize(
    ("column", "text", "expected_column", "words"),
    [
        (7, "thủ tục trực tuyến", "procedure", "cần ghi tên thủ tục"),
        (7, "sửa tivi", "service", "dịch vụ không hợp lệ"),
        (6, "có lẽ", "home_visit", "không hiểu hình thức"),
        (3, "024 3864 1234", "phone", "số máy bàn"),
        (11, "300", "service_minutes", "quá lớn"),
        (10, "08:10", "window_end", "phải sau giờ bắt đầu"),
        (1, "", "full_name", "ô bắt buộc đang trống"),
    ],
)
def test_each_cell_is_checked_at_its_column(column, text, expected_column, words):
    row = [1, "Nguyễn Thị Hoa", "người cao tuổi", "0912345678", "Tổ dân phố số 5", "Số 1 phố Định Công",
           "tận nhà", "kích hoạt VNeID", None, "08:10", "11:30", None]  # fmt: skip
    row[column] = text
    requests, problems = read(workbook([row]))
    bad = errors(problems)
    assert requests == []
    assert [(p.row, p.column) for p in bad] == [(4, expected_column)], bad
    assert words in bad[0].message


def test_the_window_must_hold_the_service_minutes():
    row = [1, "Nguyễn Thị Hoa", "người cao tuổi", None, "Tổ dân phố số 5", None,
           "tận nhà", "dịch vụ công", "Đăng ký thường trú", "16:45", "17:00", None]  # fmt: skip
    _, problems = read(workbook([row]))
    assert [(p.column, p.message) for p in errors(problems)] == [
        ("window_end", "khung giờ 16:45–17:00 ngắn hơn 30 phút dự kiến")
    ]
    row[11] = 15
    requests, problems = read(workbook([row]))
    assert errors(problems) == [] and requests[0].service_minutes == 15


def test_a_missing_required_column_is_an_error_of_the_header():
    header = [h if h != "Nhu cầu" else "Việc cần làm" for h in HEADER]
    requests, problems = read(workbook(GOOD_ROWS, header=header))
    assert requests == []
    assert any(p.row is None and "service" in p.message for p in errors(problems)), problems


def test_coordinates_both_or_neither_inside_vietnam_and_the_ward():
    header = ["Họ và tên", "Đối tượng", "Thôn", "Dịch vụ", "Vĩ độ", "Kinh độ"]
    rows = [
        ["Nguyễn Văn An", "NCT", "Thôn Đông", "vneid", "20,9831", "105.8412"],
        ["Trần Văn Bình", "hộ nghèo", "Thôn Đông", "vneid", "20.99", None],
        ["Lê Văn Cường", "hộ nghèo", "Thôn Đông", "vneid", "105.84", "20.98"],
        ["Đỗ Văn Dũng", "hộ nghèo", "Thôn Đông", "vneid", "hai mốt", "105.84"],
    ]
    requests, problems = read(workbook(rows, header=header))
    assert requests == []
    assert [(p.row, p.column) for p in errors(problems)] == [(5, "lon"), (6, "lat"), (6, "lon"), (7, "lat")]
    assert "cần ghi cả vĩ độ và kinh độ" in errors(problems)[0].message
    assert "hai cột đổi chỗ" in errors(problems)[1].message

    requests, problems = read(workbook(rows[:1], header=header))
    assert errors(problems) == [] and (requests[0].lat, requests[0].lon) == (20.9831, 105.8412)

    def inside(lat: float, lon: float) -> bool:
        return lon < 105.8

    requests, problems = read(workbook(rows[:1], header=header), locate=inside)
    assert requests == []
    assert [(p.row, p.column) for p in errors(problems)] == [(4, "lat")]
    assert OUTSIDE_WARD in errors(problems)[0].message


def test_a_list_sent_after_the_cutoff_goes_to_the_day_after_and_says_so():
    requests, problems = read(workbook(GOOD_ROWS), registered_at=AFTER_CUTOFF)
    assert {r.service_date for r in requests} == {date(2025, 8, 3)}
    late = [p for p in problems if "sau 15:00" in p.message]
    assert [(p.severity, p.row, p.message) for p in late] == [
        ("note", None, "danh sách nộp sau 15:00 được chuyển sang ngày 03/08/2025")
    ]
    _, problems = read(workbook(GOOD_ROWS), registered_at=BEFORE_CUTOFF)
    assert not [p for p in problems if "sau 15:00" in p.message]


def test_the_same_person_twice_is_a_warning_on_the_later_row_naming_the_first():
    rows = [*GOOD_ROWS, [5, "nguyễn  thị hoa", "người cao tuổi", "0912.345.678", "Tổ dân phố số 5", None,
                         "tận nhà", "cài iHanoi", None, None, None, None]]  # fmt: skip
    requests, problems = read(workbook(rows))
    assert len(requests) == 5  # a warning keeps the list
    warnings = [p for p in problems if p.severity == "warning"]
    assert [(p.row, p.column) for p in warnings] == [(8, "full_name")]
    assert "trùng với hàng 4 (dòng 5)" in warnings[0].message
    # Another Nguyễn Thị Hoa with another phone is another person.
    rows[-1][3] = "0912345679"
    _, problems = read(workbook(rows))
    assert [p for p in problems if p.severity == "warning"] == []


def test_a_list_with_a_header_and_no_rows_is_a_warning():
    requests, problems = read(workbook([]))
    assert requests == [] and errors(problems) == []
    assert [p.message for p in problems if p.severity == "warning"] == ["danh sách không có người nào"]


def test_the_template_round_trips_through_the_reader(tmp_path):
    path = tmp_path / "mau.xlsx"
    write_visit_requests_template(path)
    sheet = openpyxl.load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Họ và tên", "Nhóm ưu tiên", "Số điện thoại", "Tổ dân phố/thôn"]
    assert path.read_bytes() == visit_requests_template_bytes()
    requests, problems = read(path)
    assert errors(problems) == []
    assert len(requests) == 1
    assert visit_request_row(requests[0]) == TEMPLATE_EXAMPLE


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_written_list_reads_back_unchanged(tmp_path, suffix):
    requests, _ = read(workbook(GOOD_ROWS))
    path = tmp_path / f"list{suffix}"
    write_visit_requests(path, requests)
    again, problems = read(path)
    assert errors(problems) == []
    assert again == requests


def test_the_form_gives_the_same_request_as_the_row():
    requests, _ = read(workbook(GOOD_ROWS))
    for request in requests:
        cells = visit_request_row(request)
        from_form, problems = request_from_form(cells, WARD, PROVINCE, BEFORE_CUTOFF, CUTOFF)
        assert errors(problems) == []
        assert from_form is not None
        assert from_form == request.__class__(**{**request.__dict__, "id": "1"})


def test_the_form_names_the_column_of_each_problem():
    cells = {
        "full_name": "Nguyễn Thị Hoa",
        "priority_group": "người cao tuổi",
        "group_name": "Tổ dân phố số 5",
        "service": "dịch vụ công",
        "window_start": "25:00",
        "csrf_token": "ignored",
    }
    request, problems = request_from_form(cells, WARD, PROVINCE, AFTER_CUTOFF, CUTOFF)
    assert request is None
    assert [(p.file, p.row, p.column) for p in errors(problems)] == [
        (FORM_FILE, None, "procedure"),
        (FORM_FILE, None, "window_start"),
    ]
    assert "đăng ký sau 15:00 được chuyển sang ngày 03/08/2025" in [p.message for p in problems]
    cells.update(procedure="Đăng ký thường trú", window_start="8h")
    request, problems = request_from_form(cells, WARD, PROVINCE, AFTER_CUTOFF, CUTOFF)
    assert errors(problems) == []
    assert request is not None
    assert (request.service_date, request.window_start_minute, request.home_visit) == (date(2025, 8, 3), 480, True)
