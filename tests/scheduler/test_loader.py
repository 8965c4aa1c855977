"""Loading a campaign directory: every parser through the files, every problem at once, nothing half-loaded.

The fixtures (conftest.py) give a small valid campaign of three Hà Nội wards exported
as CSV (``io_dir``, a fresh copy per test) and helpers to edit one cell (``io_edit``).
People rows, sorted by id: 1 KTV01, 2 KTV02, 3 KTV03, 4 SV01, 5 SV02, 6 SV03, 7 SV04,
8 SV05, 9 VT01, 10 VT02, 11 VT03, 12 VT04. Ward rows: 1 Bạch Mai, 2 Định Công,
3 Hoàng Mai. Mobile points: 1 MP01, 2 MP02, 3 MP03, 4 MP04. The campaign runs
20/08/2025 – 03/10/2025.
"""

import csv
import shutil
from datetime import date, datetime, time

import openpyxl
import pytest

from scheduler.io import CampaignLoadError, Problem, check_campaign, load_campaign
from scheduler.model import PriorityGroup


def where(problems):
    return [(p.file, p.row, p.column) for p in problems]


def only_problem(directory):
    problems = check_campaign(directory)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def write_toml(directory, text):
    (directory / "campaign.toml").write_text(text, encoding="utf-8")


def toml_text(directory):
    return (directory / "campaign.toml").read_text(encoding="utf-8")


# --- the valid campaign ---


def test_the_small_campaign_loads(io_dir, io_campaign):
    assert check_campaign(io_dir) == []
    assert load_campaign(io_dir) == io_campaign


def test_row_order_does_not_matter(io_dir, io_edit, io_campaign):
    for stem in ("wards", "people", "mobile_points"):
        io_edit.write_rows(io_dir, stem, io_edit.read_rows(io_dir, stem)[::-1])
    assert load_campaign(io_dir) == io_campaign


def test_vietnamese_headers_and_values_load_to_the_same_campaign(io_dir, io_edit, io_campaign):
    """A coordinator's own sheet: Vietnamese headers, BOM, ';' delimiter, Vietnamese values, other forms."""
    rows = io_edit.read_rows(io_dir, "people")
    header = [
        "Mã",
        "Họ và tên",
        "Nhóm",
        "Đơn vị",
        "Xã/phường nơi ở",
        "Số điện thoại",
        "Kỹ năng",
        "Ngày bận",
        "Ca có thể trực",
        "Giờ tối đa mỗi tuần",
        "Trực đêm",
        "Xã/phường ưu tiên",
    ]
    pools = {"student": "Sinh viên", "telecom": "viễn thông", "technician": "Kỹ thuật viên"}
    codes = {"Phường Định Công": "00316", "Phường Bạch Mai": "292", "Phường Hoàng Mai": "00331"}
    with open(io_dir / "people.csv", "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        for row in rows:
            dates = "; ".join("-".join(reversed(d.split("/"))) for d in row["unavailable_dates"].split("; ") if d)
            writer.writerow(
                [
                    row["person_id"],
                    f"  {row['full_name']} ",
                    pools[row["pool"]],
                    row["organisation"],
                    row["home_ward"].replace("Phường ", "").lower(),
                    "+84 " + row["phone"][1:4] + " " + row["phone"][4:],
                    row["skills"].upper(),
                    dates,
                    row["available_shifts"],
                    row["weekly_cap_hours"],
                    {"yes": "có", "no": "không"}[row["night_eligible"]],
                    ";".join(codes[name] for name in row["preferred_wards"].split("; ") if name),
                ]
            )
    assert check_campaign(io_dir) == []
    assert load_campaign(io_dir) == io_campaign


def test_wards_by_code_and_unaccented_short_name(io_dir, io_edit, io_campaign):
    rows = io_edit.read_rows(io_dir, "wards")
    rows[0]["ward"] = "292"  # Bạch Mai, leading zeros dropped by a spreadsheet
    rows[1]["ward"] = "dinh cong"
    rows[2]["ward"] = "P. Hoàng Mai"
    io_edit.write_rows(io_dir, "wards", rows)
    assert load_campaign(io_dir) == io_campaign


def test_xlsx_input_with_real_date_number_and_bool_cells(io_dir, io_edit, io_campaign):
    """Spreadsheet cells of every type: dates, times, integers, floats, booleans; phone lost its leading 0."""
    people = io_edit.read_rows(io_dir, "people")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(people[0]))
    for row in people:
        values = dict(row)
        dates = [d for d in row["unavailable_dates"].split("; ") if d]
        if len(dates) == 1:
            day, month, year = map(int, dates[0].split("/"))
            values["unavailable_dates"] = datetime(year, month, day)
        values["phone"] = int(row["phone"])  # 0912345601 typed as a number: 912345601
        values["weekly_cap_hours"] = float(row["weekly_cap_hours"]) if row["weekly_cap_hours"] else None
        values["night_eligible"] = row["night_eligible"] == "yes"
        sheet.append(list(values.values()))
    (io_dir / "people.csv").unlink()
    workbook.save(io_dir / "people.xlsx")

    points = io_edit.read_rows(io_dir, "mobile_points")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Mã điểm",
            "Xã/phường",
            "Địa điểm",
            "Ngày",
            "Giờ bắt đầu",
            "Giờ kết thúc",
            "Số sinh viên",
            "Số nhân sự viễn thông",
            "Số kỹ thuật viên",
            "Kỹ năng cần",
            "Nhóm ưu tiên",
        ]
    )
    for row in points:
        day, month, year = map(int, row["date"].split("/"))
        start = time(*map(int, row["start_time"].split(":")))
        end = row["end_time"] if row["end_time"] == "24:00" else time(*map(int, row["end_time"].split(":")))
        sheet.append(
            [
                row["point_id"],
                row["ward"],
                row["place"],
                date(year, month, day),
                start,
                end,
                int(row["students_needed"]),
                int(row["telecom_needed"]),
                int(row["technicians_needed"]),
                row["skills_needed"],
                PriorityGroup(row["priority_group"]).label_vi,
            ]
        )
    (io_dir / "mobile_points.csv").unlink()
    workbook.save(io_dir / "mobile_points.xlsx")

    assert check_campaign(io_dir) == []
    assert load_campaign(io_dir) == io_campaign


def test_empty_cells_take_the_campaign_rules(io_dir, io_edit):
    text = toml_text(io_dir).replace("min_support_staff_per_shift = 2", "min_support_staff_per_shift = 4")
    write_toml(io_dir, text.replace("night_response_limit_minutes = 30", "night_response_limit_minutes = 25"))
    campaign = load_campaign(io_dir)
    dinh_cong = next(d for d in campaign.demands if d.ward_code == io_edit.codes.DINH_CONG)
    assert dinh_cong.min_support_staff == 4 and dinh_cong.night_response_limit_minutes == 25
    assert dinh_cong.service_shift_ids == ("sang", "chieu")  # empty: every service shift
    hoang_mai = next(d for d in campaign.demands if d.ward_code == io_edit.codes.HOANG_MAI)
    assert hoang_mai.min_support_staff == 3  # its own value stays


def test_service_shifts_follow_the_toml_order(io_dir, io_edit):
    io_edit.set_cell(io_dir, "wards", 2, "service_shifts", "chieu; sang")
    campaign = load_campaign(io_dir)
    assert campaign.demands[1].service_shift_ids == ("sang", "chieu")


def test_campaign_and_ward_objects_come_from_the_registry(io_dir):
    campaign = load_campaign(io_dir)
    assert campaign.province == "Thành phố Hà Nội"
    assert [w.name for w in campaign.wards] == ["Phường Bạch Mai", "Phường Định Công", "Phường Hoàng Mai"]
    assert campaign.wards[1].kind == "Phường" and campaign.wards[1].lat == pytest.approx(20.9769)


# --- one problem at a time: the message says where and why ---


def test_impossible_date_31_02(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 4, "unavailable_dates", "31/02/2025")
    assert (
        str(only_problem(io_dir))
        == "people.csv, hàng 4 (dòng 5), cột unavailable_dates: ngày không tồn tại '31/02/2025'"
    )


def test_date_outside_the_campaign_names_the_campaign_range(io_dir, io_edit):
    io_edit.set_cell(io_dir, "mobile_points", 2, "date", "04/10/2025")
    problem = only_problem(io_dir)
    assert where([problem]) == [("mobile_points.csv", 2, "date")]
    assert problem.message == "ngày 04/10/2025 nằm ngoài chiến dịch (20/08/2025 – 03/10/2025)"


def test_campaign_boundaries_are_inside(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 1, "unavailable_dates", "20/08/2025; 03/10/2025")
    assert check_campaign(io_dir) == []
    io_edit.set_cell(io_dir, "people", 1, "unavailable_dates", "19/08/2025")
    assert "nằm ngoài chiến dịch" in only_problem(io_dir).message


def test_unknown_ward_suggests_the_right_one(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 2, "home_ward", "Dinh Congg")
    problem = only_problem(io_dir)
    assert str(problem) == (
        "people.csv, hàng 2 (dòng 3), cột home_ward: "
        "không tìm thấy xã/phường 'Dinh Congg' — có phải 'Phường Định Công'?"
    )


def test_dinh_cong_without_diacritics_is_found(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 2, "home_ward", "Dinh Cong")
    assert load_campaign(io_dir).person("KTV02").home_ward_code == io_edit.codes.DINH_CONG


def test_a_code_of_another_province_says_where_it_is(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 2, "home_ward", "25747")
    assert only_problem(io_dir).message == (
        "mã 25747 là Phường Thủ Dầu Một, Thành phố Hồ Chí Minh — không thuộc Thành phố Hà Nội"
    )


def test_a_preferred_ward_must_be_a_campaign_ward_but_home_need_not(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 6, "preferred_wards", "Phường Cầu Giấy")
    problem = only_problem(io_dir)
    assert where([problem]) == [("people.csv", 6, "preferred_wards")]
    assert "không có trong wards.csv" in problem.message


def test_a_home_ward_outside_the_campaign_is_fine(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 1, "home_ward", "Xã Sóc Sơn")
    assert load_campaign(io_dir).person("KTV01").home_ward_code == "00376"


def test_a_mobile_point_must_be_in_a_campaign_ward(io_dir, io_edit):
    io_edit.set_cell(io_dir, "mobile_points", 1, "ward", "Xã Sóc Sơn")
    assert "'Xã Sóc Sơn' không có trong wards.csv" in only_problem(io_dir).message


@pytest.mark.parametrize(
    "stem,row,column,value,reason",
    [
        ("people", 1, "phone", "0243 825 1234", "không phải số di động"),
        ("people", 1, "phone", "091234567", "10 chữ số"),
        ("people", 1, "pool", "giáo viên", "nhóm không hợp lệ"),
        ("people", 1, "night_eligible", "maybe", "có/không"),
        ("people", 1, "weekly_cap_hours", "16.5", "không phải số nguyên"),
        ("people", 1, "weekly_cap_hours", "169", "quá lớn"),
        ("people", 1, "weekly_cap_hours", "-1", "âm"),
        ("people", 1, "available_shifts", "sang; toi", "không có ca 'toi'"),
        ("people", 1, "skills", "vneid; vneid", "hai lần"),
        ("people", 1, "full_name", "Trần Văn Hùng 2", "chữ số"),
        ("people", 1, "full_name", "Trần\x07Văn Hùng", "ký tự điều khiển"),
        ("people", 1, "full_name", "Trần <b>Hùng</b>", "ký tự không hợp lệ '<'"),
        ("people", 1, "organisation", "VNPT\u200b", "ký tự điều khiển hoặc ký tự ẩn U+200B"),
        ("people", 1, "person_id", "KTV 01", "không hợp lệ"),
        ("people", 1, "unavailable_dates", "2025-13-01", "ngày không tồn tại"),
        ("people", 1, "unavailable_dates", "26/08", "dd/mm/yyyy"),
        ("people", 1, "preferred_wards", "Định Công; 00316", "hai lần"),
        ("wards", 1, "service_shifts", "sang; truc_dem", "ca 'truc_dem' là ca trực, không phải ca phục vụ"),
        ("wards", 1, "service_shifts", "morning", "không có ca 'morning'"),
        ("wards", 1, "oncall_24_7", "24/7", "có/không"),
        ("wards", 1, "min_support_staff", "hai", "không phải số nguyên"),
        ("wards", 1, "peak_dates", "02/09/2025; 31/09/2025", "ngày không tồn tại '31/09/2025'"),
        ("mobile_points", 1, "end_time", "07:59", "giờ kết thúc 07:59 phải sau giờ bắt đầu 08:00"),
        ("mobile_points", 1, "end_time", "08:00", "phải sau giờ bắt đầu"),
        ("mobile_points", 1, "start_time", "25:00", "giờ không tồn tại"),
        ("mobile_points", 1, "start_time", "24:00", "giờ không tồn tại"),
        ("mobile_points", 1, "skills_needed", "vneid", "thiếu số người"),
        ("mobile_points", 1, "priority_group", "trẻ em", "nhóm ưu tiên không hợp lệ"),
        ("mobile_points", 1, "place", "Chợ Mơ {tầng 2}", "ký tự không hợp lệ '{'"),
        ("mobile_points", 1, "students_needed", "1000", "quá lớn"),
    ],
)
def test_bad_cell(io_dir, io_edit, stem, row, column, value, reason):
    io_edit.set_cell(io_dir, stem, row, column, value)
    problem = only_problem(io_dir)
    assert (problem.file, problem.row, problem.column) == (f"{stem}.csv", row, column)
    assert reason in problem.message


def test_end_of_day_is_a_valid_end(io_dir, io_edit):
    io_edit.set_cell(io_dir, "mobile_points", 1, "end_time", "24:00")
    assert load_campaign(io_dir).mobile_points[0].end_minute == 1440


def test_a_mobile_point_needs_someone(io_dir, io_edit):
    rows = io_edit.read_rows(io_dir, "mobile_points")
    rows[0].update(students_needed="0", telecom_needed="", technicians_needed="0", skills_needed="")
    io_edit.write_rows(io_dir, "mobile_points", rows)
    problem = only_problem(io_dir)
    assert (problem.row, problem.column) == (1, None) and "cần ít nhất một người" in problem.message


def test_empty_required_cell(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 3, "phone", "  ")
    assert str(only_problem(io_dir)) == "people.csv, hàng 3 (dòng 4), cột phone: ô bắt buộc đang trống"


def test_missing_required_column_is_reported_once(io_dir, io_edit):
    rows = io_edit.read_rows(io_dir, "people")
    with open(io_dir / "people.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [c for c in rows[0] if c != "phone"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    problem = only_problem(io_dir)
    assert (problem.file, problem.row, problem.column) == ("people.csv", None, "phone")
    assert str(problem) == "people.csv, cột phone: thiếu cột bắt buộc 'phone' (tiếng Việt: 'số điện thoại')"


def test_optional_columns_may_be_left_out(io_dir, io_edit, io_campaign):
    rows = io_edit.read_rows(io_dir, "wards")
    with open(io_dir / "wards.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ward"])
        writer.writerows([row["ward"]] for row in rows)
    campaign = load_campaign(io_dir)
    assert campaign.demands[0].service_shift_ids == ("sang", "chieu")
    assert campaign.demands[0].extra_students_on_peak == 0


def test_unknown_column(io_dir):
    text = (io_dir / "wards.csv").read_text(encoding="utf-8").splitlines()
    text = [line + (",quê quán" if i == 0 else ",") for i, line in enumerate(text)]
    (io_dir / "wards.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    problem = only_problem(io_dir)
    assert (problem.row, problem.column) == (None, "quê quán") and "cột không được hỗ trợ" in problem.message


# --- duplicates: on every row; a later row names the first, the first names the later ones ---


def test_duplicate_person_id_ignores_case(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 9, "person_id", "sv01")
    problems = check_campaign(io_dir)
    assert [str(p) for p in problems] == [
        "people.csv, hàng 4 (dòng 5), cột person_id: mã 'SV01' trùng với hàng 9 (dòng 10)",
        "people.csv, hàng 9 (dòng 10), cột person_id: mã 'SV01' trùng với hàng 4 (dòng 5)",
    ]


def test_duplicate_phone_in_another_form(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 12, "phone", "+84 91 234 5601")  # KTV01's number
    problems = check_campaign(io_dir)
    assert where(problems) == [("people.csv", 1, "phone"), ("people.csv", 12, "phone")]
    assert problems[0].message == "số điện thoại 0912345601 trùng với hàng 12 (dòng 13)"
    assert problems[1].message == "số điện thoại 0912345601 trùng với hàng 1 (dòng 2)"


def test_three_rows_with_one_id_the_first_names_the_two_others_and_they_name_the_first(io_dir, io_edit):
    rows = io_edit.read_rows(io_dir, "people")
    for index in (1, 5):
        rows[index]["person_id"] = rows[0]["person_id"]
    io_edit.write_rows(io_dir, "people", rows)
    messages = {p.row: p.message for p in check_campaign(io_dir)}
    assert messages[1].endswith("trùng với hàng 2 (dòng 3), hàng 6 (dòng 7)")
    assert messages[2].endswith("trùng với hàng 1 (dòng 2)")
    assert messages[6].endswith("trùng với hàng 1 (dòng 2)")


def test_duplicate_ward_by_code_and_name(io_dir, io_edit):
    io_edit.set_cell(io_dir, "wards", 3, "ward", "00292")  # Bạch Mai again, by its code
    problems = [p for p in check_campaign(io_dir) if p.file == "wards.csv"]
    assert [str(p) for p in problems] == [
        "wards.csv, hàng 1 (dòng 2), cột ward: xã/phường 'Phường Bạch Mai' (00292) trùng với hàng 3 (dòng 4)",
        "wards.csv, hàng 3 (dòng 4), cột ward: xã/phường 'Phường Bạch Mai' (00292) trùng với hàng 1 (dòng 2)",
    ]


def test_duplicate_point_id(io_dir, io_edit):
    io_edit.set_cell(io_dir, "mobile_points", 4, "point_id", "MP02")
    problems = check_campaign(io_dir)
    assert where(problems) == [("mobile_points.csv", 2, "point_id"), ("mobile_points.csv", 4, "point_id")]
    assert "hàng 4 (dòng 5)" in problems[0].message and "hàng 2 (dòng 3)" in problems[1].message


# --- every problem at once, nothing half-loaded ---


def test_every_problem_at_once_with_file_row_and_column(io_dir, io_edit):
    io_edit.set_cell(io_dir, "wards", 2, "min_support_staff", "-2")
    io_edit.set_cell(io_dir, "people", 4, "unavailable_dates", "31/02/2025")
    io_edit.set_cell(io_dir, "people", 4, "phone", "12345")
    io_edit.set_cell(io_dir, "people", 7, "home_ward", "Dinh Congg")
    io_edit.set_cell(io_dir, "people", 10, "pool", "")
    io_edit.set_cell(io_dir, "mobile_points", 3, "date", "01/01/2026")
    io_edit.set_cell(io_dir, "mobile_points", 4, "start_time", "7 giờ")
    write_toml(io_dir, toml_text(io_dir).replace("[rules]", 'colour = "red"\n\n[rules]'))
    expected = [
        ("campaign.toml", None, "colour"),
        ("wards.csv", 2, "min_support_staff"),
        ("people.csv", 4, "phone"),
        ("people.csv", 4, "unavailable_dates"),
        ("people.csv", 7, "home_ward"),
        ("people.csv", 10, "pool"),
        ("mobile_points.csv", 3, "date"),
        ("mobile_points.csv", 4, "start_time"),
    ]
    assert where(check_campaign(io_dir)) == expected
    with pytest.raises(CampaignLoadError) as caught:
        load_campaign(io_dir)
    assert where(caught.value.problems) == expected
    text = str(caught.value)
    assert text.startswith("không đọc được chiến dịch: 8 lỗi")
    assert "people.csv, hàng 7 (dòng 8), cột home_ward: không tìm thấy xã/phường 'Dinh Congg'" in text


def test_nothing_is_half_loaded(io_dir, io_edit):
    """One bad cell in the last table and load_campaign returns nothing at all."""
    io_edit.set_cell(io_dir, "mobile_points", 4, "priority_group", "vip")
    with pytest.raises(CampaignLoadError) as caught:
        load_campaign(io_dir)
    assert len(caught.value.problems) == 1
    assert caught.value.__traceback__ is not None and not hasattr(caught.value, "campaign")


def test_a_broken_toml_does_not_flood_the_tables_with_problems(io_dir):
    write_toml(io_dir, toml_text(io_dir).replace('province = "Thành phố Hà Nội"', 'province = "Ha Nooi"'))
    problem = only_problem(io_dir)
    assert (
        str(problem)
        == "campaign.toml, khoá province: không tìm thấy tỉnh/thành phố 'Ha Nooi' — có phải 'Thành phố Hà Nội'?"
    )


def test_a_bad_ward_row_does_not_flood_the_references(io_dir, io_edit):
    io_edit.set_cell(io_dir, "wards", 2, "ward", "Dinh Congg")
    assert where(check_campaign(io_dir)) == [("wards.csv", 2, "ward")]


# --- files ---


def test_missing_directory(tmp_path):
    problem = only_problem(tmp_path / "nowhere")
    assert "không có thư mục" in problem.message


def test_missing_table_and_both_formats(io_dir):
    (io_dir / "mobile_points.csv").unlink()
    shutil.copy(io_dir / "people.csv", io_dir / "people.xlsx")
    problems = check_campaign(io_dir)
    messages = [p.message for p in problems]
    assert any("có cả people.csv và people.xlsx" in m for m in messages)
    assert any("thiếu tệp mobile_points.csv hoặc mobile_points.xlsx" in m for m in messages)


def test_garbage_files_are_problems_not_crashes(io_dir):
    (io_dir / "people.csv").write_bytes(bytes(range(256)) * 4)
    (io_dir / "wards.csv").unlink()
    (io_dir / "wards.xlsx").write_bytes(b"PK\x03\x04 broken zip")
    (io_dir / "mobile_points.csv").write_text("point_id\n" + "x" * 200_000 + "\n", encoding="utf-8")
    problems = check_campaign(io_dir)
    assert {p.file for p in problems} == {"people.csv", "wards.xlsx", "mobile_points.csv"}
    with pytest.raises(CampaignLoadError):
        load_campaign(io_dir)


# --- campaign.toml ---


def test_toml_unknown_keys_are_named_in_shifts_rules_and_weights(io_dir):
    original = toml_text(io_dir)
    text = original.replace("[rules]\n", "[rules]\nnight_shift_bonus = 2\n")
    text = text.replace("[weights]\n", "[weights]\ntravel = 3\n")
    text = text.replace('kind = "oncall"', 'kind = "oncall"\ncolour = "blue"', 1)
    write_toml(io_dir, text)
    assert where(check_campaign(io_dir)) == [
        ("campaign.toml", None, "shifts[3].colour"),
        ("campaign.toml", None, "rules.night_shift_bonus"),
        ("campaign.toml", None, "weights.travel"),
    ]


def test_toml_missing_keys(io_dir):
    write_toml(io_dir, "[rules]\n")
    assert where(check_campaign(io_dir)) == [
        ("campaign.toml", None, key) for key in ("name", "province", "start_date", "days", "shifts")
    ]


def test_toml_syntax_error_is_one_problem(io_dir):
    write_toml(io_dir, toml_text(io_dir) + "\nname = [unclosed\n")
    problem = only_problem(io_dir)
    assert problem.file == "campaign.toml" and "không đọc được TOML" in problem.message


def test_toml_accepts_a_date_literal_and_dd_mm_yyyy(io_dir, io_campaign):
    write_toml(io_dir, toml_text(io_dir).replace('start_date = "2025-08-20"', "start_date = 2025-08-20"))
    assert load_campaign(io_dir) == io_campaign
    write_toml(io_dir, toml_text(io_dir).replace("start_date = 2025-08-20", 'start_date = "20/08/2025"'))
    assert load_campaign(io_dir) == io_campaign


@pytest.mark.parametrize(
    "old,new,key,reason",
    [
        ("days = 45", "days = 0", "days", "từ 1 đến 366"),
        ("days = 45", "days = true", "days", "số nguyên"),
        ("days = 45", 'days = "45"', "days", "số nguyên"),
        ('start_date = "2025-08-20"', 'start_date = "31/02/2025"', "start_date", "ngày không tồn tại"),
        ('night_start = "22:00"', 'night_start = "22h00m"', "rules.night_start", "không đọc được giờ"),
        ("max_work_hours_per_day = 8", "max_work_hours_per_day = 25", "rules.max_work_hours_per_day", "0 đến 24"),
        ("min_weekly_rest_hours = 24", "min_weekly_rest_hours = -1", "rules.min_weekly_rest_hours", "0 đến 168"),
        ("oncall_24_7 = true", 'oncall_24_7 = "yes"', "rules.oncall_24_7", "true hoặc false"),
        ('kind = "service"', 'kind = "day"', "shifts[1].kind", "loại ca không hợp lệ"),
        ('start = "07:30"', 'start = "7:30 sáng"', "shifts[1].start", "không đọc được giờ"),
        ('end = "11:30"', 'end = "07:30"', "shifts[1].end", "trùng giờ bắt đầu"),
        ('id = "chieu"', 'id = "sang"', "shifts[2].id", "trùng với ca thứ 1"),
        ('name = "Ca sáng"', 'name = ""', "shifts[1].name", "không được để trống"),
    ],
)
def test_toml_bad_values(io_dir, old, new, key, reason):
    text = toml_text(io_dir)
    assert old in text
    write_toml(io_dir, text.replace(old, new, 1))
    problems = [p for p in check_campaign(io_dir) if p.file == "campaign.toml"]
    assert len(problems) == 1, [str(p) for p in problems]
    assert problems[0].column == key and reason in problems[0].message


def test_a_shift_ending_before_it_starts_ends_the_next_day(io_dir):
    campaign = load_campaign(io_dir)
    night = campaign.shift("truc_dem")
    assert (night.start_minute, night.end_minute) == (22 * 60, 30 * 60)


def test_toml_rules_are_read(io_dir):
    write_toml(
        io_dir,
        toml_text(io_dir)
        .replace('night_start = "22:00"', 'night_start = "21:30"')
        .replace("student_weekly_cap_hours = 20", "student_weekly_cap_hours = 12"),
    )
    rules = load_campaign(io_dir).rules
    assert rules.night_start_minute == 21 * 60 + 30 and rules.student_weekly_cap_hours == 12


def test_problem_text_forms():
    assert str(Problem("people.csv", 12, "phone", "x")) == "people.csv, hàng 12 (dòng 13), cột phone: x"
    assert str(Problem("people.csv", 12, None, "x")) == "people.csv, hàng 12 (dòng 13): x"
    assert str(Problem("people.csv", None, "phone", "x")) == "people.csv, cột phone: x"
    assert str(Problem("campaign.toml", None, "rules.night_start", "x")) == "campaign.toml, khoá rules.night_start: x"
    assert str(Problem("campaign.toml", None, None, "x")) == "campaign.toml: x"
    assert Problem("a.csv", 3, None, "x").line == 4


# --- the same files held in memory ---


def _files_of(directory):
    return {path.name: path.read_bytes() for path in directory.iterdir()}


def _same_from_bytes_and_directory(directory):
    """Load a directory and its files from bytes; both ways must give the same campaign and problems."""
    from scheduler.io import check_campaign_files, load_campaign_files
    from scheduler.loader import check_campaign_report, load_campaign_report

    from_directory = load_campaign_report(directory)
    from_bytes = load_campaign_files(_files_of(directory))
    assert from_bytes == from_directory
    assert check_campaign_files(_files_of(directory)) == check_campaign_report(directory)
    return from_bytes


def test_files_from_bytes_load_to_the_campaign_of_their_directory(io_dir, io_campaign):
    campaign, report = _same_from_bytes_and_directory(io_dir)
    assert campaign == io_campaign and report.errors == ()


def test_workbooks_from_bytes_load_to_the_campaign_of_their_directory(tmp_path, io_campaign):
    from scheduler.export import export_campaign

    directory = tmp_path / "xlsx"
    export_campaign(io_campaign, directory, "xlsx")
    assert {path.suffix for path in directory.iterdir()} >= {".xlsx"}
    campaign, _report = _same_from_bytes_and_directory(directory)
    assert campaign == io_campaign


def test_problems_from_bytes_name_the_same_file_row_column_and_words(io_dir, io_edit):
    io_edit.set_cell(io_dir, "people", 3, "phone", "12")
    io_edit.set_cell(io_dir, "wards", 2, "min_support_staff", "nhiều")
    write_toml(io_dir, toml_text(io_dir).replace("student_weekly_cap_hours = 20", "student_weekly_cap_hours = -1"))
    (io_dir / "mobile_points.xlsx").write_bytes(b"not a workbook")  # beside mobile_points.csv: two files
    campaign, report = _same_from_bytes_and_directory(io_dir)
    assert campaign is None
    files = {p.file for p in report.errors}
    assert {"people.csv", "wards.csv", "campaign.toml", "mobile_points.csv"} <= files
    assert ("people.csv", 3, "phone") in where(report.errors)


def test_missing_unreadable_and_damaged_files_read_the_same_from_bytes(io_dir):
    (io_dir / "campaign.toml").unlink()
    (io_dir / "wards.csv").write_bytes("code,name\n00316,Ph\xe1\n".encode("latin-1"))  # not UTF-8
    (io_dir / "people.csv").rename(io_dir / "people.xlsx")  # a CSV named as a workbook
    campaign, report = _same_from_bytes_and_directory(io_dir)
    assert campaign is None
    messages = {p.file: p.message for p in report.errors}
    assert messages["campaign.toml"] == "thiếu tệp campaign.toml trong thư mục chiến dịch"
    assert "không phải UTF-8" in messages["wards.csv"]
    assert "không mở được tệp Excel" in messages["people.xlsx"]


def test_files_from_bytes_ignore_other_names(io_dir, io_campaign):
    from scheduler.io import load_campaign_files

    files = {**_files_of(io_dir), "ghi-chu.txt": b"\xff", "people.bak": b""}
    assert load_campaign_files(files)[0] == io_campaign


def test_solver_settings_are_read_from_campaign_toml_and_bad_keys_are_problems(io_dir):
    from scheduler.io import read_solve_settings
    from scheduler.settings import SolveSettings

    toml = io_dir / "campaign.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + "\n[solver]\ntime_limit_seconds = 12\nprocesses = 3\n", encoding="utf-8"
    )
    assert check_campaign(io_dir) == []
    assert read_solve_settings(toml) == SolveSettings(time_limit_seconds=12, processes=3)
    toml.write_text(toml.read_text(encoding="utf-8") + "threads = 2\n", encoding="utf-8")
    problems = check_campaign(io_dir)
    assert [(p.file, p.column) for p in problems] == [("campaign.toml", "solver.threads")]
    assert "cp_sat_workers" in problems[0].message
