"""Tables: CSV and XLSX in, header mapping (English or Vietnamese), CSV and XLSX out."""

import zipfile
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest

from scheduler.tables import (
    MOBILE_POINTS,
    PEOPLE,
    WARDS,
    Column,
    TableSchema,
    cell_text,
    find_table_file,
    header_key,
    read_table,
    write_table,
)

VIETNAMESE_PEOPLE_HEADER = [
    "Mã",
    "Họ và tên",
    "Nhóm",
    "Đơn vị",
    "Xã/Phường nơi ở",
    "Số điện thoại",
    "Kỹ năng",
    "Ngày bận",
    "Ca có thể trực",
    "Giờ tối đa mỗi tuần",
    "Trực đêm",
    "Xã/phường ưu tiên",
]


def write_text(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_header_key_ignores_case_diacritics_and_punctuation():
    assert header_key("Xã/Phường nơi ở") == header_key("xa phuong noi o") == "xa phuong noi o"
    assert header_key("person_id") == header_key("Person ID") == "person id"
    assert header_key("  HỌ VÀ TÊN ") == "ho va ten"


@pytest.mark.parametrize(
    "header,name",
    [
        ("person_id", "person_id"),
        ("mã", "person_id"),
        ("MA", "person_id"),
        ("full_name", "full_name"),
        ("Họ và tên", "full_name"),
        ("họ tên", "full_name"),
        ("ho ten", "full_name"),
        ("nhóm", "pool"),
        ("Đơn vị", "organisation"),
        ("xã/phường nơi ở", "home_ward"),
        ("Số điện thoại", "phone"),
        ("kỹ năng", "skills"),
        ("kĩ năng", "skills"),
        ("ngày bận", "unavailable_dates"),
        ("ca có thể trực", "available_shifts"),
        ("giờ tối đa mỗi tuần", "weekly_cap_hours"),
        ("Trực đêm", "night_eligible"),
        ("xã/phường ưu tiên", "preferred_wards"),
        ("Tên", None),
    ],
)
def test_people_headers(header, name):
    assert PEOPLE.canonical(header) == name


def test_every_schema_column_has_a_vietnamese_header():
    for schema in (WARDS, PEOPLE, MOBILE_POINTS):
        for column in schema.columns:
            assert column.vietnamese, column.name
            assert schema.canonical(column.vietnamese[0]) == column.name


def test_a_schema_refuses_a_header_meaning_two_columns():
    with pytest.raises(ValueError, match="two columns"):
        TableSchema("x", (Column("a", ("mã",)), Column("b", ("Mã",))))


def test_read_csv_with_vietnamese_header(tmp_path):
    path = write_text(
        tmp_path / "people.csv",
        ",".join(VIETNAMESE_PEOPLE_HEADER) + "\nSV01,Nguyễn Thị Lan,sinh viên,Trường A,Định Công,0912 345 678,,,,,,\n",
    )
    table, problems = read_table(path, PEOPLE)
    assert problems == []
    assert table.columns == tuple(name for name in PEOPLE.names if name != "email")  # email: optional, absent
    assert table.rows[0].get("full_name") == "Nguyễn Thị Lan"
    assert table.rows[0].get("phone") == "0912 345 678"


def test_read_csv_with_bom_and_semicolons(tmp_path):
    path = tmp_path / "wards.csv"
    path.write_bytes('\ufeffXã/phường;ngày cao điểm\r\nĐịnh Công;"01/09/2025; 02/09/2025"\r\n'.encode("utf-8"))
    table, problems = read_table(path, WARDS)
    assert problems == []
    assert table.columns == ("ward", "peak_dates")
    assert dict(table.rows[0].cells) == {"ward": "Định Công", "peak_dates": "01/09/2025; 02/09/2025"}


def test_blank_rows_are_skipped_but_keep_their_number(tmp_path):
    path = write_text(tmp_path / "wards.csv", "ward\nĐịnh Công\n\n ,\nBạch Mai\n")
    table, problems = read_table(path, WARDS)
    assert [(row.number, row.get("ward")) for row in table.rows] == [(1, "Định Công"), (4, "Bạch Mai")]
    assert problems == []


def test_unknown_missing_and_repeated_columns_are_problems(tmp_path):
    path = write_text(tmp_path / "people.csv", "mã,Họ tên,person_id,quê quán\nSV01,An,SV01,x\n")
    table, problems = read_table(path, PEOPLE)
    messages = {(p.column, p.row): p.message for p in problems}
    assert "cột không được hỗ trợ 'quê quán'" in messages[("quê quán", None)]
    assert "có hai lần (cột thứ 1 và 3)" in messages[("person_id", None)]
    for missing in ("pool", "organisation", "home_ward", "phone"):
        assert f"thiếu cột bắt buộc '{missing}'" in messages[(missing, None)]
    assert table.columns == ("person_id", "full_name")


def test_cells_beyond_the_header_are_a_row_problem(tmp_path):
    path = write_text(tmp_path / "wards.csv", "ward\nĐịnh Công,extra\nBạch Mai,\n")
    _, problems = read_table(path, WARDS)
    assert [(p.row, p.column) for p in problems] == [(1, None)]
    assert "nhiều hơn 1 cột" in problems[0].message


def test_a_headerless_column_with_data_is_a_problem_and_an_empty_one_is_not(tmp_path):
    path = write_text(tmp_path / "wards.csv", "ward,,\nĐịnh Công,,x\n")
    _, problems = read_table(path, WARDS)
    assert len(problems) == 1 and "cột thứ 3 không có tiêu đề" in problems[0].message


def test_not_utf8_is_one_clear_problem(tmp_path):
    path = tmp_path / "wards.csv"
    path.write_bytes(b"ward\n\xd0inh C\xf4ng\n")  # "Đinh Công" as Windows-1258 wrote it
    table, problems = read_table(path, WARDS)
    assert table.rows == ()
    assert len(problems) == 1 and "không phải UTF-8" in problems[0].message and "CSV UTF-8" in problems[0].message


def test_empty_file_is_a_problem(tmp_path):
    _, problems = read_table(write_text(tmp_path / "wards.csv", ""), WARDS)
    assert "tệp trống" in problems[0].message


def test_damaged_xlsx_is_a_problem_not_a_crash(tmp_path):
    path = write_text(tmp_path / "people.xlsx", "this is not a workbook")
    table, problems = read_table(path, PEOPLE)
    assert table.rows == () and "không mở được tệp Excel" in problems[0].message


def test_find_table_file_wants_exactly_one_format(tmp_path):
    assert find_table_file(tmp_path, "people")[1][0].message.startswith("thiếu tệp people.csv hoặc people.xlsx")
    write_text(tmp_path / "people.csv", "x")
    assert find_table_file(tmp_path, "people") == (tmp_path / "people.csv", [])
    write_text(tmp_path / "people.xlsx", "x")
    path, problems = find_table_file(tmp_path, "people")
    assert path is None and "có cả people.csv và people.xlsx" in problems[0].message


@pytest.mark.parametrize(
    "value,text",
    [
        (None, ""),
        ("abc", "abc"),
        (True, "true"),
        (False, "false"),
        (2, "2"),
        (2.0, "2"),
        (2.5, "2.5"),
        (912345678, "912345678"),
        (datetime(2025, 8, 26), "2025-08-26"),
        (date(2025, 8, 26), "2025-08-26"),
        (datetime(2025, 8, 26, 7, 30), "2025-08-26 07:30"),
        (time(7, 30), "07:30"),
        (time(7, 30, 15), "07:30:15"),
        (timedelta(hours=7, minutes=30), "07:30"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_read_xlsx_with_real_date_number_bool_and_time_cells(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Mã điểm", "Xã/Phường", "Địa điểm", "Ngày", "Giờ bắt đầu", "Giờ kết thúc", "Số sinh viên"])
    sheet.append(["MP01", "Định Công", "Nhà văn hóa", datetime(2025, 8, 26), time(8, 0), time(11, 30), 2])
    sheet.append([None] * 7)
    sheet.append(["MP02", 316, "Chợ", date(2025, 8, 27), "14:00", "17:00", 1.0])
    sheet["D2"].number_format = "dd/mm/yyyy"
    workbook.create_sheet("ghi chú").append(["not read"])
    path = tmp_path / "mobile_points.xlsx"
    workbook.save(path)
    table, problems = read_table(path, MOBILE_POINTS)
    assert problems == []
    assert [row.number for row in table.rows] == [1, 3]
    first, second = (dict(row.cells) for row in table.rows)
    assert first == {
        "point_id": "MP01",
        "ward": "Định Công",
        "place": "Nhà văn hóa",
        "date": "2025-08-26",
        "start_time": "08:00",
        "end_time": "11:30",
        "students_needed": "2",
    }
    assert second["ward"] == "316" and second["date"] == "2025-08-27" and second["students_needed"] == "1"


def test_write_csv_is_utf8_without_bom_with_canonical_header(tmp_path):
    path = tmp_path / "wards.csv"
    write_table(path, WARDS, [{"ward": "Phường Định Công", "peak_dates": "01/09/2025; 02/09/2025"}])
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8") == (
        "ward,service_shifts,min_support_staff,min_telecom_staff_per_day,oncall_24_7,"
        "night_response_limit_minutes,peak_dates,extra_students_on_peak\n"
        "Phường Định Công,,,,,,01/09/2025; 02/09/2025,\n"
    )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_then_read_gives_the_same_cells(tmp_path, suffix):
    rows = [
        {"ward": "Phường Định Công", "peak_dates": "01/09/2025"},
        {"ward": "=1+1", "service_shifts": 'a,b "c"\nd'},  # a formula stays text, quotes survive
        {"ward": "00316", "min_support_staff": "02"},
    ]  # leading zeros stay
    path = tmp_path / f"wards{suffix}"
    write_table(path, WARDS, rows)
    table, problems = read_table(path, WARDS)
    assert problems == []
    assert [{k: v for k, v in row.cells.items() if v} for row in table.rows] == rows


def test_a_lone_carriage_return_survives_csv(tmp_path):
    write_table(tmp_path / "wards.csv", WARDS, [{"ward": "a\rb", "peak_dates": "x"}])
    table, _ = read_table(tmp_path / "wards.csv", WARDS)
    assert table.rows[0].get("ward") == "a\rb" and table.rows[0].get("peak_dates") == "x"


def test_write_xlsx_is_byte_identical_for_equal_rows(tmp_path):
    rows = [{"person_id": "SV01", "full_name": "Nguyễn Thị Lan", "phone": "0912345678"}]
    write_table(tmp_path / "a.xlsx", PEOPLE, rows)
    write_table(tmp_path / "b.xlsx", PEOPLE, rows)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert archive.testzip() is None
    workbook = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert workbook.active.title == "people"
    assert workbook.active["F2"].value == "0912345678"  # text, the leading zero kept
