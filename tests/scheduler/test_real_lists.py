"""The lists offices really send: title lines, another sheet, merged cells, STT and Ghi chú, ward names as
people write them, Vietnamese skills, Excel's numbers and dates; and the readers' limits.

Every workbook here is a real .xlsx built with openpyxl the way a coordinator's office builds one. The campaign
tests start from the small campaign of conftest.py (``io_dir``): people sorted by id are KTV01, KTV02, KTV03, SV01,
SV02, SV03, SV04, SV05, VT01, VT02, VT03, VT04.
"""

import zipfile

import openpyxl
import pytest

from scheduler import cells, tables
from scheduler.cells import CellError
from scheduler.io import check_campaign, load_campaign
from scheduler.loader import check_campaign_report
from scheduler.tables import PEOPLE, WARDS, read_table

PEOPLE_HEADINGS = {
    "person_id": "Mã",
    "full_name": "Họ và tên",
    "pool": "Nhóm",
    "organisation": "Đơn vị",
    "home_ward": "Xã/phường nơi ở",
    "phone": "Số điện thoại",
    "skills": "Kỹ năng",
    "unavailable_dates": "Ngày bận",
    "available_shifts": "Ca có thể trực",
    "weekly_cap_hours": "Giờ tối đa mỗi tuần",
    "night_eligible": "Trực đêm",
    "preferred_wards": "Xã/phường ưu tiên",
}
TITLE = "DANH SÁCH SINH VIÊN THAM GIA CHIẾN DỊCH 45 NGÀY ĐÊM RA QUÂN HỖ TRỢ CHUYỂN ĐỔI SỐ"


def office_people_workbook(
    path,
    rows,
    *,
    titles=(TITLE, "Kèm theo Công văn số 123/ĐTN ngày 15/08/2025"),
    merge_organisations=True,
    instructions_first=False,
):
    """people rows (canonical dicts) as an office sends them: title lines merged across the sheet, a blank
    line, a header with STT and Ghi chú, organisations merged down the column where they repeat.

    Returns the spreadsheet line of each row, in order.
    """
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if instructions_first:
        sheet.title = "Hướng dẫn"
        sheet.append(["Hướng dẫn điền danh sách"])
        sheet.append(["Mỗi người một dòng; số điện thoại ghi đủ 10 chữ số."])
        sheet = workbook.create_sheet("Danh sách")
    header = ["STT", *PEOPLE_HEADINGS.values(), "Ghi chú"]
    for title in titles:
        sheet.append([title])
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=len(header))
    if titles:
        sheet.append([])
    sheet.append(header)
    header_line = sheet.max_row
    organisation_column = header.index("Đơn vị") + 1
    lines = []
    for number, row in enumerate(rows, 1):
        sheet.append([number, *(row[name] for name in PEOPLE_HEADINGS), "đã xác nhận" if number == 2 else None])
        lines.append(sheet.max_row)
    if merge_organisations:
        start = header_line + 1
        for line in range(header_line + 2, sheet.max_row + 2):
            same = (
                line <= sheet.max_row
                and sheet.cell(line, organisation_column).value == sheet.cell(start, organisation_column).value
            )
            if not same:
                if line - 1 > start:
                    for below in range(start + 1, line):
                        sheet.cell(below, organisation_column).value = None
                    sheet.merge_cells(
                        start_row=start,
                        start_column=organisation_column,
                        end_row=line - 1,
                        end_column=organisation_column,
                    )
                start = line
    workbook.save(path)
    return lines


def as_office_xlsx(io_dir, io_edit, **options):
    """Replace the campaign's people.csv by the office's people.xlsx; the spreadsheet line of each person."""
    rows = io_edit.read_rows(io_dir, "people")
    (io_dir / "people.csv").unlink()
    lines = office_people_workbook(io_dir / "people.xlsx", rows, **options)
    return {row["person_id"]: line for row, line in zip(rows, lines, strict=True)}


def messages(problems):
    return [problem.message for problem in problems]


# --- an office's workbook loads to the same campaign ---------------------------------------------------------


def test_an_office_workbook_with_titles_stt_notes_and_merged_organisations_loads(io_dir, io_edit, io_campaign):
    as_office_xlsx(io_dir, io_edit)
    assert check_campaign(io_dir) == []
    assert load_campaign(io_dir) == io_campaign
    notes = [p for p in check_campaign_report(io_dir).notes if p.file == "people.xlsx"]
    text = " | ".join(messages(notes))
    assert "dòng 4 được lấy làm dòng tiêu đề cột; 3 dòng phía trên (tiêu đề văn bản 'DANH SÁCH SINH VIÊN" in text
    assert "bỏ qua cột 'STT', 'Ghi chú'" in text
    assert "3 ô gộp theo cột (như E5:E7)" in text  # KTV01–03, SV01–02, SV03–04
    assert all(p.severity == "note" for p in notes)


def test_a_problem_under_title_lines_names_the_true_spreadsheet_line(io_dir, io_edit):
    lines = as_office_xlsx(io_dir, io_edit)
    workbook = openpyxl.load_workbook(io_dir / "people.xlsx")
    phone_column = list(PEOPLE_HEADINGS).index("phone") + 2  # after STT
    line = lines["SV02"]
    assert line == 9 and workbook.active.cell(line, 2).value == "SV02"
    workbook.active.cell(line, phone_column).value = "12345"
    workbook.save(io_dir / "people.xlsx")
    [problem] = check_campaign(io_dir)
    assert (problem.file, problem.column, problem.line) == ("people.xlsx", "phone", 9)
    assert str(problem).startswith("people.xlsx, hàng 8 (dòng 9), cột 'Số điện thoại' (phone): ")


def test_duplicates_under_title_lines_name_the_true_lines(io_dir, io_edit):
    rows = io_edit.read_rows(io_dir, "people")
    rows[5]["person_id"] = rows[0]["person_id"]  # SV02 takes KTV01's id
    (io_dir / "people.csv").unlink()
    lines = office_people_workbook(io_dir / "people.xlsx", rows)
    problems = check_campaign(io_dir)
    assert sorted(problem.line for problem in problems) == sorted([lines[0], lines[5]]) == [5, 10]
    assert any(f"(dòng {lines[5]})" in problem.message for problem in problems)


def test_the_table_on_a_second_sheet_is_read_with_a_note(io_dir, io_edit, io_campaign):
    as_office_xlsx(io_dir, io_edit, instructions_first=True)
    assert load_campaign(io_dir) == io_campaign
    notes = messages(check_campaign_report(io_dir).notes)
    assert any(
        note.startswith(
            "đọc bảng ở trang tính 'Danh sách' (trang thứ 2); các trang trước không có các cột của people: 'Hướng dẫn'"
        )
        for note in notes
    )


def test_a_workbook_where_no_sheet_has_the_columns_lists_its_sheets(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Hướng dẫn"
    workbook.active.append(["Điền danh sách ở trang sau"])
    workbook.create_sheet("Tổng hợp").append(["Tổng số", 12])
    workbook.save(tmp_path / "people.xlsx")
    table, problems = read_table(tmp_path / "people.xlsx", PEOPLE)
    assert table.rows == ()
    first = problems[0]
    assert first.is_error and first.message.startswith(
        "không trang tính nào có dòng tiêu đề đủ các cột bắt buộc của people (person_id, full_name, pool, "
        "organisation, home_ward, phone) trong 20 dòng đầu; các trang tính: 'Hướng dẫn', 'Tổng hợp'"
    )


def test_merged_cells_give_their_value_to_every_row_they_cover(tmp_path):
    rows = [
        {name: "" for name in PEOPLE_HEADINGS} | {"person_id": f"SV{n}", "organisation": "Trường A"}
        for n in range(1, 5)
    ]
    office_people_workbook(tmp_path / "people.xlsx", rows)
    table, problems = read_table(tmp_path / "people.xlsx", PEOPLE)
    assert [row.get("organisation") for row in table.rows] == ["Trường A"] * 4
    assert [row.number for row in table.rows] == [4, 5, 6, 7]  # lines 5–8
    assert "1 ô gộp theo cột (như E5:E8)" in " ".join(messages(problems))


def test_a_merged_title_above_the_header_fills_nothing(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH XÃ/PHƯỜNG"])
    sheet.append([None])
    sheet.merge_cells("A1:A2")  # a title merged down into the line above the header
    sheet.append(["Xã/phường", "Ngày cao điểm"])
    sheet.append(["Định Công", None])
    workbook.save(tmp_path / "wards.xlsx")
    table, problems = read_table(tmp_path / "wards.xlsx", WARDS)
    assert [dict(row.cells) for row in table.rows] == [{"ward": "Định Công", "peak_dates": ""}]
    assert [p.severity for p in problems] == ["note"]


def test_a_csv_with_title_lines_and_semicolons(tmp_path):
    path = tmp_path / "wards.csv"
    path.write_text(
        "\ufeffDANH SÁCH XÃ, PHƯỜNG THAM GIA;;\n;;\nSTT;Xã/phường;Ngày cao điểm\n1;Định Công;01/09/2025\n2;Bạch Mai;\n",
        encoding="utf-8",
    )
    table, problems = read_table(path, WARDS)
    assert [(row.number, row.get("ward")) for row in table.rows] == [(3, "Định Công"), (4, "Bạch Mai")]
    assert table.columns == ("ward", "peak_dates")
    assert messages(problems) == [
        "dòng 3 được lấy làm dòng tiêu đề cột; 2 dòng phía trên (tiêu đề văn bản 'DANH SÁCH XÃ, PHƯỜNG THAM GIA') "
        "được bỏ qua",
        "bỏ qua cột 'STT': số thứ tự và ghi chú không phải dữ liệu của chiến dịch",
    ]
    assert {p.severity for p in problems} == {"note"}


def test_lines_numbered_in_stt_but_otherwise_empty_are_blank(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["STT", "Xã/phường", "Ghi chú"])
    sheet.append([1, "Định Công", None])
    for number in range(2, 6):  # a template numbered ahead
        sheet.append([number, None, "chưa có" if number == 3 else None])
    workbook.save(tmp_path / "wards.xlsx")
    table, problems = read_table(tmp_path / "wards.xlsx", WARDS)
    assert [(row.number, row.get("ward")) for row in table.rows] == [(1, "Định Công")]
    assert [p.severity for p in problems] == ["note"]


def test_a_header_on_line_one_keeps_the_old_numbers_and_no_note(tmp_path):
    path = tmp_path / "wards.csv"
    path.write_text("ward\nĐịnh Công\n\nBạch Mai\n", encoding="utf-8")
    table, problems = read_table(path, WARDS)
    assert problems == [] and [row.number for row in table.rows] == [1, 3]


def test_a_misspelt_optional_column_is_an_error_naming_the_nearest(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Mã,Họ và tên,Nhóm,Đơn vị,Nơi ở,Số điện thoại,Kỹ năg,Ghi chú\n", encoding="utf-8")
    _, problems = read_table(path, PEOPLE)
    [error] = [p for p in problems if p.is_error]
    assert error.column == "Kỹ năg"
    assert error.message.startswith("cột không được hỗ trợ 'Kỹ năg' — có phải 'kỹ năng' (skills)?")


# --- limits ------------------------------------------------------------------------------------------------


def test_the_limits_are_named_with_units():
    assert tables.MAX_XLSX_UNPACKED_BYTES == 50 * 1024 * 1024
    assert tables.MAX_CSV_BYTES == 20 * 1024 * 1024
    assert tables.MAX_TABLE_ROWS == 50_000


def test_an_xlsx_unpacking_beyond_the_limit_is_refused_before_openpyxl_opens_it(tmp_path, monkeypatch):
    path = tmp_path / "people.xlsx"
    office_people_workbook(path, [])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:  # 51 MB of zeros: a few kB zipped
        archive.writestr("xl/media/image1.bin", bytes(51 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook over the limit")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    table, problems = read_table(path, PEOPLE)
    assert table.rows == ()
    assert messages(problems) == [
        "tệp people.xlsx khi giải nén lớn 51 MB, vượt giới hạn 50 MB của một tệp Excel; hãy bỏ các trang tính, "
        "ảnh và định dạng không cần, hoặc lưu bảng dạng CSV UTF-8"
    ]


def test_a_csv_beyond_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(b"person_id\n" + b"SV01\n" * (4 * 1024 * 1024 + 1))
    table, problems = read_table(path, PEOPLE)
    assert table.rows == () and problems[0].message.startswith("tệp people.csv lớn 20 MB, vượt giới hạn 20 MB")


def test_a_csv_with_more_rows_than_the_limit_is_refused(tmp_path):
    path = tmp_path / "wards.csv"
    path.write_text("ward\n" + "Định Công\n" * 50_001, encoding="utf-8")
    table, problems = read_table(path, WARDS)
    assert table.rows == ()
    assert messages(problems) == [
        "tệp wards.csv có hơn 50.000 hàng dữ liệu, vượt giới hạn 50.000 hàng của một bảng; hãy chia danh sách "
        "thành nhiều đợt hoặc xoá các hàng thừa"
    ]
    path.write_text("ward\n" + "Định Công\n" * 50_000, encoding="utf-8")
    table, problems = read_table(path, WARDS)
    assert problems == [] and len(table.rows) == 50_000


def test_an_xlsx_with_more_rows_than_the_limit_stops_reading_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_TABLE_ROWS", 100)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("people")
    sheet.append(list(PEOPLE_HEADINGS.values()))
    for number in range(5000):
        sheet.append([f"SV{number}", "Nguyễn Văn A", "sinh viên", "Trường A", "Định Công", "0912345678"])
    workbook.save(tmp_path / "people.xlsx")
    read = []
    monkeypatch.setattr(tables, "cell_text", lambda value: read.append(value) or str(value or ""))
    table, problems = read_table(tmp_path / "people.xlsx", PEOPLE)
    assert table.rows == ()
    assert messages(problems)[0].startswith("tệp people.xlsx có hơn 100 hàng dữ liệu, vượt giới hạn 100 hàng")
    lines_read = len(read) / 6
    assert lines_read < 100 + 2 * tables.HEADER_SEARCH_LINES + 5  # not the 5,000 lines of the sheet


def test_a_sheet_with_a_line_beyond_excels_last_is_refused(tmp_path):
    path = tmp_path / "wards.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["ward"])
    workbook.active.append(["Định Công"])
    workbook.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    far = b'<row r="1048577"><c r="A1048577" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(b"</sheetData>", far)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    table, problems = read_table(path, WARDS)
    assert messages(problems) == [
        "trang tính 'Sheet' của tệp wards.xlsx có dòng sau dòng 1.048.576, nhiều hơn "
        "Excel cho phép; hãy mở và lưu lại tệp bằng Excel"
    ]


# --- wards as people write them ------------------------------------------------------------------------------


def test_an_old_ward_name_is_converted_with_a_note(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 4, "home_ward", "Phường Bách Khoa")  # SV01
    io_edit.set_cell(io_dir, "people", 5, "home_ward", "Phường Bách Khoa")  # SV02: noted once
    campaign = load_campaign(io_dir)
    assert campaign.person("SV01").home_ward_code == campaign.person("SV02").home_ward_code == "00292"
    notes = [p for p in check_campaign_report(io_dir).notes if p.column == "home_ward"]
    assert [(p.row, p.message) for p in notes] == [
        (
            4,
            "'Phường Bách Khoa' là tên trước 01/07/2025 (Phường Bách Khoa, Quận Hai Bà Trưng); "
            "nay thuộc Phường Bạch Mai",
        )
    ]


def test_an_old_ward_split_among_new_ones_is_an_error_listing_them(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 4, "home_ward", "X.Thạch Hòa")
    [problem] = check_campaign(io_dir)
    assert (problem.row, problem.column) == (4, "home_ward")
    assert problem.message == (
        "'X.Thạch Hòa' là tên trước 01/07/2025 (Xã Thạch Hòa, Huyện Thạch Thất), nay đã "
        "chia cho Xã Hòa Lạc, Xã Yên Bài, Xã Yên Xuân; hãy ghi tên xã/phường mới"
    )


@pytest.mark.parametrize(
    "text",
    [
        "P.Định Công",
        "p.dinh cong",
        "Phường Định Công, Quận Hoàng Mai",
        "Phường Định Công, Hà Nội",
        "Định Công, Q. Hoàng Mai, TP. Hà Nội",
    ],
)
def test_ward_forms_people_write(io_dir, io_edit, text):
    io_edit.set_cell(io_dir, "people", 4, "home_ward", text)
    assert load_campaign(io_dir).person("SV01").home_ward_code == io_edit.codes.DINH_CONG


def test_a_ward_of_another_province_says_which(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 4, "home_ward", "Phường Bến Thành")
    assert check_campaign(io_dir)[0].message == (
        "'Phường Bến Thành' thuộc Thành phố Hồ Chí Minh, không thuộc Thành phố Hà Nội"
    )


def test_a_campaign_ward_written_the_old_way_in_a_point(io_dir, io_edit):
    io_edit.set_cell(io_dir, "mobile_points", 2, "ward", "Phường Bách Khoa, Quận Hai Bà Trưng")  # MP02, Bạch Mai
    assert load_campaign(io_dir).mobile_points[1].ward_code == io_edit.codes.BACH_MAI


# --- skills, phones, dates -----------------------------------------------------------------------------------


def test_vietnamese_skill_names_map_to_skill_ids(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 6, "skills", "Cài đặt VNeID; Chữ ký số")  # SV03
    io_edit.set_cell(io_dir, "mobile_points", 2, "skills_needed", "VNeID: 1; chữ kí số: 1")
    campaign = load_campaign(io_dir)
    assert campaign.person("SV03").skills == {"vneid", "chu_ky_so"}
    assert {need.skill for need in campaign.mobile_points[1].staff_needed} == {None, "vneid", "chu_ky_so"}


def test_a_skill_no_point_needs_is_a_note(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 6, "skills", "Chữ ký số")  # SV03; no point needs chu_ky_so
    notes = [p for p in check_campaign_report(io_dir).notes if p.column == "skills"]
    assert (
        "kỹ năng 'chu_ky_so' (1 người) không có điểm lưu động nào cần; kỹ năng chỉ dùng để xếp người vào "
        "điểm lưu động cần nó" in messages(notes)
    )
    assert check_campaign(io_dir) == []


def test_every_scenario_skill_is_a_known_skill():
    from scheduler.scenarios import SKILLS_BY_POOL

    assert {skill for skills in SKILLS_BY_POOL.values() for skill in skills} <= set(cells.SKILL_NAMES)


@pytest.mark.parametrize(
    "text,skill",
    [
        ("Chữ ký số", "chu_ky_so"),
        ("chữ kí số", "chu_ky_so"),
        ("Cài đặt VNeID", "vneid"),
        ("Dịch vụ công trực tuyến", "dich_vu_cong"),
        ("chu-ky-so", "chu_ky_so"),
        ("Kỹ năng mềm", "kỹ năng mềm"),
    ],
)
def test_parse_skill_vietnamese_names(text, skill):
    assert cells.parse_skill(text) == skill


def test_a_phone_written_as_a_float_gets_its_zero_back(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 4, "phone", "987654301.0")  # SV01, 0987654301
    assert load_campaign(io_dir).person("SV01").phone == "0987654301"
    assert cells.parse_phone("84987654301.0") == "0987654301"


def test_a_phone_in_scientific_notation_is_refused_clearly():
    with pytest.raises(CellError, match="dạng số khoa học nên đã mất chữ số; hãy định dạng cột là Văn bản"):
        cells.parse_phone("9.87654E+08")


def test_a_month_first_date_says_so(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 4, "unavailable_dates", "8/24/2025")  # SV01
    [problem] = check_campaign(io_dir)
    assert problem.message == (
        "ngày không tồn tại '8/24/2025': có vẻ ghi theo kiểu tháng/ngày (ngày 24 tháng 8); "
        "hãy ghi ngày trước, tháng sau: 24/08/2025"
    )
    with pytest.raises(CellError, match="ngày không tồn tại '31/02/2025'$"):
        cells.parse_date("31/02/2025")  # not a month/day date: no such hint
