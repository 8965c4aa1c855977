"""``[volunteers]`` of campaign.toml: the coordinators' hotline, the wards' offices and contacts, what to bring."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scheduler.loader import check_campaign_report, load_campaign, read_volunteer_settings
from scheduler.settings import DEFAULT_BRING, VolunteerSettings, parse_contact_phone

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"


def _campaign(tmp_path, extra: str) -> Path:
    directory = tmp_path / "campaign"
    shutil.copytree(TINY, directory)
    toml = directory / "campaign.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return directory


def _errors(directory: Path) -> list[str]:
    return [f"{p.column}: {p.message}" for p in check_campaign_report(directory).errors]


def test_without_the_table_every_default():
    settings = read_volunteer_settings(TINY / "campaign.toml")
    assert settings == VolunteerSettings()
    assert settings.hotline_phone == "" and settings.wards == ()
    assert settings.bring_for("student", "service") == (
        "Căn cước công dân (CCCD)",
        "Điện thoại đã sạc đầy pin",
        "Thẻ sinh viên",
    )
    assert settings.bring_for("telecom", "mobile_point") == (
        *DEFAULT_BRING["everyone"],
        "Thẻ nhân viên",
        *DEFAULT_BRING["mobile_point"],
    )


def test_a_full_table_loads_and_the_campaign_is_unchanged(tmp_path):
    directory = _campaign(
        tmp_path,
        """
[volunteers]
hotline_name = "Tổ điều phối chiến dịch, Sở KH&CN"
hotline_phone = "(+84) 24 3825 6789"

[volunteers.bring]
everyone = ["CCCD"]
technician = []
mobile_point = ["Sạc dự phòng", "CCCD"]

[[volunteers.wards]]
ward = "dinh cong"
office = "Số 9 phố Định Công"
contact = "Chị Lan"
phone = "0987.654.321"

[[volunteers.wards]]
ward = "Phường Hoàng Liệt, Quận Hoàng Mai, Hà Nội"
contact = "Văn phòng UBND phường"
""",
    )
    assert _errors(directory) == []
    assert load_campaign(directory) == load_campaign(TINY)
    settings = read_volunteer_settings(directory / "campaign.toml")
    assert settings.hotline_name == "Tổ điều phối chiến dịch, Sở KH&CN" and settings.hotline_phone == "02438256789"
    assert settings.ward("00316").office == "Số 9 phố Định Công" and settings.ward("00316").phone == "0987654321"
    assert settings.ward("00337").phone == "" and settings.ward("09676") is None
    # a key given replaces its default; an item twice is shown once
    assert settings.bring_for("technician", "mobile_point") == ("CCCD", "Sạc dự phòng")
    assert settings.bring_for("student", "service") == ("CCCD", "Thẻ sinh viên")


@pytest.mark.parametrize(
    "extra, column, words",
    [
        ('[volunteers]\nhotline = "0912345678"\n', "volunteers.hotline", "khoá không được hỗ trợ 'hotline'"),
        ('[volunteers]\nhotline_phone = "12"\n', "volunteers.hotline_phone", "không hợp lệ"),
        ('[volunteers]\nhotline_phone = "0912 345 67a"\n', "volunteers.hotline_phone", "ký tự không hợp lệ 'a'"),
        ('[volunteers]\nhotline_name = "<script>"\n', "volunteers.hotline_name", "ký tự không hợp lệ"),
        ('[volunteers.bring]\nfood = ["cơm"]\n', "volunteers.bring.food", "khoá không được hỗ trợ 'food'"),
        ('[volunteers.bring]\nstudent = "Thẻ sinh viên"\n', "volunteers.bring.student", "phải là danh sách"),
        ('[[volunteers.wards]]\nward = "Phường Bến Thành"\n', "volunteers.wards[1].ward", "Thành phố Hồ Chí Minh"),
        ('[[volunteers.wards]]\nphone = "0912345678"\n', "volunteers.wards[1].ward", "thiếu khoá 'ward'"),
        (
            '[[volunteers.wards]]\nward = "Định Công"\n[[volunteers.wards]]\nward = "00316"\n',
            "volunteers.wards[2].ward",
            "đã có ở mục thứ 1",
        ),
        ("volunteers = 3\n", "volunteers", "phải là một bảng"),
    ],
)
def test_a_bad_value_is_an_error_naming_its_key(tmp_path, extra, column, words):
    if extra.startswith("volunteers ="):  # a top-level key must come before the first table
        directory = _campaign(tmp_path, "")
        toml = directory / "campaign.toml"
        toml.write_text(extra + toml.read_text(encoding="utf-8"), encoding="utf-8")
    else:
        directory = _campaign(tmp_path, "\n" + extra)
    errors = _errors(directory)
    assert any(error.startswith(f"{column}: ") and words in error for error in errors), errors


@pytest.mark.parametrize(
    "text, digits",
    [
        ("024 3825 6789", "02438256789"),
        ("+84 24 3825 6789", "02438256789"),
        ("0912.345.678", "0912345678"),
        ("84912345678", "0912345678"),
        ("1900 1234", "19001234"),
        ("1800 123 456", "1800123456"),
        ("1022", "1022"),
        ("113", "113"),
    ],
)
def test_contact_phones_of_every_usual_kind(text, digits):
    assert parse_contact_phone(text) == digits


@pytest.mark.parametrize("text", ["", "091234567", "091234567890", "+1 202 555 0100", "5555", "0912-345-678 ext 2"])
def test_contact_phones_refused(text):
    with pytest.raises(ValueError):
        parse_contact_phone(text)


def test_the_demo_gives_a_hotline_and_every_ward_an_office_and_a_contact(tmp_path):
    from scheduler.scenarios import demo_volunteers_toml

    campaign = load_campaign(TINY)
    directory = _campaign(tmp_path, "\n" + demo_volunteers_toml(campaign, seed=3))
    assert _errors(directory) == []
    settings = read_volunteer_settings(directory / "campaign.toml")
    assert settings.hotline_phone and settings.hotline_name
    phones = {settings.hotline_phone} | {person.phone for person in campaign.people}
    for ward in campaign.wards:
        contact = settings.ward(ward.code)
        assert contact is not None and contact.office == f"Trụ sở UBND {ward.name}"
        assert contact.phone not in phones  # an invented number, none of the people's
        phones.add(contact.phone)
    assert demo_volunteers_toml(campaign, seed=3) == demo_volunteers_toml(campaign, seed=3)
