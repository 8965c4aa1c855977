"""Cell parsers and formatters: each with good, bad and boundary cases."""

from datetime import date

import pytest

from scheduler import cells
from scheduler.cells import CellError
from scheduler.model import Pool, PriorityGroup, ShiftKind

# --- clean ---


@pytest.mark.parametrize(
    "raw,text",
    [
        ("  SV01 ", "SV01"),
        ("\tcó\u00a0", "có"),
        ("", ""),
        ("   ", ""),
        ("Nguye\u0302\u0303n", "Nguyễn"),  # NFD (decomposed) input becomes NFC
    ],
)
def test_clean_strips_padding_and_normalises(raw, text):
    assert cells.clean(raw) == text


@pytest.mark.parametrize(
    "raw",
    ["a\x00b", "SV\x0701", "\x1b[31m", "a\u200bb", "\ufeffSV01", "x\x7f", "a\nb", "tab\tinside", "\x85", "a\u2028b"],
)
def test_clean_refuses_control_and_invisible_characters(raw):
    with pytest.raises(CellError, match="ký tự điều khiển"):
        cells.clean(raw)


# --- numbers ---


@pytest.mark.parametrize("text,value", [("0", 0), ("2", 2), ("02", 2), ("50", 50)])
def test_parse_int_good(text, value):
    assert cells.parse_int(text, 0, 50) == value


@pytest.mark.parametrize(
    "text,reason",
    [
        ("-1", "âm"),
        ("2.5", "không phải số nguyên"),
        ("hai", "không phải số nguyên"),
        ("51", "quá lớn"),
        ("1e3", "không phải số nguyên"),
        ("٣", "không phải số nguyên"),
        ("99999999999999999999", "quá lớn"),
    ],
)
def test_parse_int_bad(text, reason):
    with pytest.raises(CellError, match=reason):
        cells.parse_int(text, 0, 50)


def test_parse_int_minimum_boundary():
    assert cells.parse_int("1", minimum=1) == 1
    with pytest.raises(CellError, match="nhỏ hơn mức tối thiểu 1"):
        cells.parse_int("0", minimum=1)


# --- booleans ---


@pytest.mark.parametrize("text", ["yes", "YES", "y", "true", "True", "1", "x", "X", "có", "CÓ", "co", "đúng"])
def test_parse_bool_true(text):
    assert cells.parse_bool(text) is True


@pytest.mark.parametrize("text", ["no", "No", "n", "false", "0", "không", "KHÔNG", "khong", "sai"])
def test_parse_bool_false(text):
    assert cells.parse_bool(text) is False


@pytest.mark.parametrize("text", ["2", "yes!", "maybe", "ok", "c"])
def test_parse_bool_bad(text):
    with pytest.raises(CellError, match="có/không"):
        cells.parse_bool(text)


# --- enums ---


@pytest.mark.parametrize(
    "text,pool",
    [
        ("student", Pool.STUDENT),
        ("Sinh viên", Pool.STUDENT),
        ("sinh vien", Pool.STUDENT),
        ("SV", Pool.STUDENT),
        ("telecom", Pool.TELECOM),
        ("viễn thông", Pool.TELECOM),
        ("Nhân sự viễn thông", Pool.TELECOM),
        ("technician", Pool.TECHNICIAN),
        ("kỹ thuật viên", Pool.TECHNICIAN),
        ("kĩ thuật viên", Pool.TECHNICIAN),
        ("KY THUAT VIEN", Pool.TECHNICIAN),
    ],
)
def test_parse_pool_english_and_vietnamese(text, pool):
    assert cells.parse_pool(text) is pool


def test_parse_pool_bad_lists_the_choices():
    with pytest.raises(CellError, match="'sinh viên' \\(student\\)"):
        cells.parse_pool("giáo viên")


@pytest.mark.parametrize(
    "text,group",
    [
        ("elderly", PriorityGroup.ELDERLY),
        ("người cao tuổi", PriorityGroup.ELDERLY),
        ("Người khuyết tật", PriorityGroup.DISABLED),
        ("hộ nghèo", PriorityGroup.POOR),
        ("hộ cận nghèo", PriorityGroup.NEAR_POOR),
        ("NEAR_POOR", PriorityGroup.NEAR_POOR),
        ("người dân", PriorityGroup.GENERAL),
        ("general", PriorityGroup.GENERAL),
    ],
)
def test_parse_priority_group(text, group):
    assert cells.parse_priority_group(text) is group


def test_parse_priority_group_does_not_mix_poor_and_near_poor():
    assert cells.parse_priority_group("ho ngheo") is PriorityGroup.POOR
    with pytest.raises(CellError):
        cells.parse_priority_group("nghèo")


def test_parse_shift_kind():
    assert cells.parse_shift_kind("service") is ShiftKind.SERVICE
    assert cells.parse_shift_kind("trực") is ShiftKind.ONCALL
    with pytest.raises(CellError):
        cells.parse_shift_kind("night")


# --- dates ---


@pytest.mark.parametrize("text", ["26/08/2025", "26/8/2025", "2025-08-26", "2025-8-26", "26-08-2025", "26.08.2025"])
def test_parse_date_forms(text):
    assert cells.parse_date(text) == date(2025, 8, 26)


@pytest.mark.parametrize("text", ["31/02/2025", "29/02/2025", "2025-02-30", "00/01/2025", "01/13/2025", "31/09/2025"])
def test_parse_date_impossible(text):
    with pytest.raises(CellError, match=f"ngày không tồn tại '{text}'"):
        cells.parse_date(text)


def test_parse_date_leap_day_boundary():
    assert cells.parse_date("29/02/2024") == date(2024, 2, 29)


@pytest.mark.parametrize(
    "text", ["26/08/25", "2025/08/26", "26 08 2025", "26/08-2025", "hôm nay", "2025-08-26 10:00", "08/26"]
)
def test_parse_date_unreadable(text):
    with pytest.raises(CellError, match="dd/mm/yyyy"):
        cells.parse_date(text)


def test_format_date_is_dd_mm_yyyy():
    assert cells.format_date(date(2025, 9, 2)) == "02/09/2025"


# --- times ---


@pytest.mark.parametrize(
    "text,minute",
    [
        ("07:30", 450),
        ("7:30", 450),
        ("07:30:00", 450),
        ("7h30", 450),
        ("7h", 420),
        ("00:00", 0),
        ("23:59", 1439),
    ],
)
def test_parse_time(text, minute):
    assert cells.parse_time(text) == minute


@pytest.mark.parametrize("text", ["24:00", "25:00", "12:60", "7.30", "0730", "07:30:15", "noon", "-1:00"])
def test_parse_time_bad(text):
    with pytest.raises(CellError, match="giờ"):
        cells.parse_time(text)


def test_parse_time_end_of_day_only_when_allowed():
    assert cells.parse_time("24:00", allow_end_of_day=True) == 1440
    with pytest.raises(CellError):
        cells.parse_time("24:01", allow_end_of_day=True)


def test_format_time():
    assert cells.format_time(450) == "07:30"
    assert cells.format_time(1440) == "24:00"
    assert cells.format_time(1800) == "06:00"  # a night shift's end, the next morning


# --- phones ---


@pytest.mark.parametrize(
    "text",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "+84912345678",
        "+84 912 345 678",
        "84912345678",
        "(+84) 912 345 678",
        "0084912345678",
        "+84 (0) 912 345 678",
        "912345678",
    ],
)
def test_parse_phone_normalises(text):
    assert cells.parse_phone(text) == "0912345678"


@pytest.mark.parametrize("prefix", ["03", "05", "07", "08", "09"])
def test_parse_phone_mobile_prefixes(prefix):
    assert cells.parse_phone(prefix + "12345678") == prefix + "12345678"


@pytest.mark.parametrize(
    "text,reason",
    [
        ("0243 825 1234", "không phải số di động"),  # a Hà Nội landline
        ("0112345678", "không phải số di động"),
        ("091234567", "10 chữ số"),
        ("09123456789", "10 chữ số"),
        ("+1 212 555 0100", "không phải số Việt Nam"),
        ("0912345678 ext 1", "ký tự không hợp lệ"),
        ("0912/345/678", "ký tự không hợp lệ"),
        ("84+912345678", "'\\+' sai chỗ"),
        ("", "10 chữ số"),
    ],
)
def test_parse_phone_bad(text, reason):
    with pytest.raises(CellError, match=reason):
        cells.parse_phone(text)


# --- ids, names, free text, skills ---


@pytest.mark.parametrize("text", ["SV01", "sv-01", "KTV.2025_1", "1"])
def test_parse_identifier_good(text):
    assert cells.parse_identifier(text) == text


@pytest.mark.parametrize("text", ["SV 01", "SV@01", "-SV01", "Đ01", "a" * 41])
def test_parse_identifier_bad(text):
    with pytest.raises(CellError):
        cells.parse_identifier(text)


@pytest.mark.parametrize(
    "text,name",
    [
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("  Trần   Thị  Bình ", "Trần Thị Bình"),
        ("H'Hen Niê", "H'Hen Niê"),
        ("Lê-Nguyễn Minh", "Lê-Nguyễn Minh"),
        ("Y", "Y"),
    ],
)
def test_parse_person_name_good(text, name):
    assert cells.parse_person_name(text.strip()) == name


@pytest.mark.parametrize(
    "text,reason",
    [
        ("Nguyễn Văn 3", "chữ số"),
        ("Trần@Bình", "ký tự không hợp lệ '@'"),
        ("An (SV)", "ký tự"),
        ("'-.", "không có chữ cái"),
        ("☺", "ký tự"),
        ("A" * 101, "dài quá"),
    ],
)
def test_parse_person_name_bad(text, reason):
    with pytest.raises(CellError, match=reason):
        cells.parse_person_name(text)


def test_parse_free_text_allows_addresses_and_refuses_symbols():
    assert (
        cells.parse_free_text("Nhà văn hóa tổ 5, ngõ 12/3 (tầng 1)", "địa điểm")
        == "Nhà văn hóa tổ 5, ngõ 12/3 (tầng 1)"
    )
    assert cells.parse_free_text("Công ty TNHH A & B", "đơn vị") == "Công ty TNHH A & B"
    for junk in "@$<>{}|\\^~`=*%!?#[]☺€":
        with pytest.raises(CellError, match="ký tự không hợp lệ"):
            cells.parse_free_text(f"Chợ{junk}Mơ", "địa điểm")
    with pytest.raises(CellError, match="không có chữ hoặc số"):
        cells.parse_free_text("---", "địa điểm")


def test_parse_skill_lower_cases():
    assert cells.parse_skill("VNeID") == "vneid"
    assert cells.parse_skill("chu_ky_so") == "chu_ky_so"
    assert cells.parse_skill("Cài đặt  ứng dụng") == "cài đặt ứng dụng"
    for bad in ("vneid:1", "_x", "a;b", "sim@"):
        with pytest.raises(CellError):
            cells.parse_skill(bad)


# --- lists ---


def test_parse_list_splits_on_semicolons_and_drops_empty_items():
    assert cells.parse_list(" sang ;chieu; ", str) == ["sang", "chieu"]
    assert cells.parse_list(";", str) == []


def test_parse_list_refuses_an_item_twice_even_in_another_form():
    with pytest.raises(CellError, match="hai lần"):
        cells.parse_list("26/08/2025; 2025-08-26", cells.parse_date)


def test_parse_skill_counts():
    assert cells.parse_skill_counts("vneid:1; iHanoi : 2") == {"vneid": 1, "ihanoi": 2}
    assert cells.parse_skill_counts("") == {}
    for bad, reason in (
        ("vneid", "thiếu số người"),
        ("vneid:0", "tối thiểu 1"),
        ("vneid:1; VNEID:2", "hai lần"),
        ("vneid:x", "không phải số"),
    ):
        with pytest.raises(CellError, match=reason):
            cells.parse_skill_counts(bad)
