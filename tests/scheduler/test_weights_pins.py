"""[weights] in campaign.toml and the optional pins table: loaded, refused with their place, exported.

The small campaign (tests/scheduler/conftest.py) runs 20/08/2025 – 03/10/2025; its shifts are sang, chieu
(service) and truc_ngay, truc_toi, truc_dem (on call). SV01 is unavailable on 26/08/2025 and works mornings only.
"""

from dataclasses import replace
from datetime import date

import pytest

from scheduler.export import campaign_toml, export_campaign
from scheduler.io import CampaignLoadError, check_campaign, load_campaign
from scheduler.model import Assignment, SoftWeights


def where(problems):
    return [(p.file, p.row, p.column) for p in problems]


def set_weights(directory, text):
    toml = (directory / "campaign.toml").read_text(encoding="utf-8")
    start = toml.index("[weights]\n")
    end = toml.index("\n\n", start)
    (directory / "campaign.toml").write_text(toml[:start] + "[weights]\n" + text + toml[end:], encoding="utf-8")


def write_pins(directory, lines):
    (directory / "pins.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- [weights] ----------------------------------------------------------------------------------


def test_weights_are_loaded_and_missing_keys_keep_their_default(io_dir):
    set_weights(io_dir, "unfilled = 5000\ntravel_minutes = 0\npeak_students = 7")
    weights = load_campaign(io_dir).weights
    assert weights == SoftWeights(unfilled=5000, travel_minutes=0, peak_students=7)


def test_weights_are_exported_in_full_and_round_trip(io_campaign, tmp_path):
    weights = SoftWeights(
        unfilled=999, travel_minutes=3, continuity=0, school_together=1, fair_spread=2, preferences=4, peak_students=6
    )
    campaign = replace(io_campaign, weights=weights)
    text = campaign_toml(campaign)
    for key in SoftWeights.__dataclass_fields__:
        assert f"\n{key} = {getattr(weights, key)}\n" in text
    export_campaign(campaign, tmp_path / "c")
    assert load_campaign(tmp_path / "c") == campaign


@pytest.mark.parametrize(
    "text, key, words",
    [
        ("travel = 3", "weights.travel", "khoá không được hỗ trợ 'travel'"),
        ("continuity = -1", "weights.continuity", "không phải -1"),
        ("fair_spread = 1.5", "weights.fair_spread", "phải là số nguyên"),
        ('preferences = "5"', "weights.preferences", "phải là số nguyên"),
        ("unfilled = true", "weights.unfilled", "phải là số nguyên"),
    ],
)
def test_bad_weights_are_problems_naming_the_key(io_dir, text, key, words):
    set_weights(io_dir, text)
    problems = check_campaign(io_dir)
    assert where(problems) == [("campaign.toml", None, key)]
    assert words in problems[0].message


def test_weights_that_are_not_a_table_are_a_problem(io_dir):
    toml = (io_dir / "campaign.toml").read_text(encoding="utf-8")
    start, end = toml.index("[weights]\n"), toml.index("\n\n", toml.index("[weights]\n"))
    (io_dir / "campaign.toml").write_text("weights = 3\n" + toml[:start] + toml[end:], encoding="utf-8")
    assert where(check_campaign(io_dir)) == [("campaign.toml", None, "weights")]


# --- pins ---------------------------------------------------------------------------------------


def test_pins_load_with_vietnamese_headers(io_dir, io_edit):
    codes = io_edit.codes
    write_pins(
        io_dir, ["Mã,Xã/phường,Ngày,Ca", "sv01,Định Công,21/08/2025,sang", "KTV01,Phường Bạch Mai,2025-08-20,truc_dem"]
    )
    campaign = load_campaign(io_dir)
    assert campaign.pins == (
        Assignment("KTV01", codes.BACH_MAI, date(2025, 8, 20), "truc_dem", covered_ward_codes=(codes.BACH_MAI,)),
        Assignment("SV01", codes.DINH_CONG, date(2025, 8, 21), "sang"),
    )


def test_without_a_pins_file_there_are_no_pins(io_dir):
    assert not (io_dir / "pins.csv").exists()
    assert load_campaign(io_dir).pins == ()


@pytest.mark.parametrize(
    "row, column, words",
    [
        ("NOBODY,Định Công,21/08/2025,sang", "person_id", "không có người mã 'NOBODY' trong people.csv"),
        ("SV01,Định Công,26/08/2025,sang", "date", "đã đăng ký bận ngày 26/08/2025"),
        ("SV01,Định Công,21/08/2025,chieu", "shift", "chỉ đăng ký các ca sang"),
        ("SV02,Định Công,21/08/2025,truc_toi", "shift", "chỉ dành cho kỹ thuật viên"),
        ("SV02,Định Công,21/08/2025,dem", "shift", "không có ca 'dem'"),
        ("SV02,Định Công,21/10/2025,sang", "date", "nằm ngoài chiến dịch"),
        ("SV02,Cầu Giấy,21/08/2025,sang", "ward", "không có trong wards.csv"),
        ("SV02,,21/08/2025,sang", "ward", "ô bắt buộc đang trống"),
    ],
)
def test_a_bad_pin_is_a_problem_at_its_row_and_column(io_dir, row, column, words):
    write_pins(io_dir, ["person_id,ward,date,shift", "SV02,Định Công,22/08/2025,chieu", row])
    problems = check_campaign(io_dir)
    assert where(problems) == [("pins.csv", 2, column)], [str(p) for p in problems]
    assert words in problems[0].message


def test_a_person_pinned_twice_in_one_shift_is_a_problem_on_both_rows(io_dir):
    write_pins(
        io_dir, ["person_id,ward,date,shift", "SV02,Định Công,22/08/2025,chieu", "SV02,Hoàng Mai,22/08/2025,chieu"]
    )
    assert where(check_campaign(io_dir)) == [("pins.csv", 1, "person_id"), ("pins.csv", 2, "person_id")]


def test_a_missing_pins_column_is_a_problem(io_dir):
    write_pins(io_dir, ["person_id,ward,date", "SV02,Định Công,22/08/2025"])
    with pytest.raises(CampaignLoadError) as error:
        load_campaign(io_dir)
    assert where(error.value.problems) == [("pins.csv", None, "shift")]


@pytest.mark.parametrize("table_format", ["csv", "xlsx"])
def test_pins_are_exported_only_when_there_are_some_and_round_trip(io_campaign, tmp_path, io_edit, table_format):
    codes = io_edit.codes
    pins = (
        Assignment("SV02", codes.DINH_CONG, date(2025, 8, 22), "chieu"),
        Assignment("KTV01", codes.HOANG_MAI, date(2025, 8, 20), "truc_toi", covered_ward_codes=(codes.HOANG_MAI,)),
    )
    pinned = replace(io_campaign, pins=tuple(sorted(pins, key=lambda p: (p.date, p.ward_code))))
    export_campaign(pinned, tmp_path / "pinned", table_format)
    assert (tmp_path / "pinned" / f"pins.{table_format}").exists()
    assert load_campaign(tmp_path / "pinned") == pinned
    export_campaign(io_campaign, tmp_path / "plain", table_format)
    assert not (tmp_path / "plain" / f"pins.{table_format}").exists()


def test_exporting_a_campaign_without_pins_empties_a_stale_pins_file(io_campaign, io_edit, tmp_path):
    pinned = replace(io_campaign, pins=(Assignment("SV02", io_edit.codes.DINH_CONG, date(2025, 8, 22), "chieu"),))
    export_campaign(pinned, tmp_path / "c")
    export_campaign(io_campaign, tmp_path / "c")
    assert (tmp_path / "c" / "pins.csv").read_text(encoding="utf-8") == "person_id,ward,date,shift\n"
    assert load_campaign(tmp_path / "c") == io_campaign


def test_the_export_refuses_a_pin_it_cannot_write(io_campaign, io_edit, tmp_path):
    codes = io_edit.codes
    wide = Assignment(
        "KTV01", codes.HOANG_MAI, date(2025, 8, 20), "truc_toi", covered_ward_codes=(codes.HOANG_MAI, codes.DINH_CONG)
    )
    with pytest.raises(ValueError, match="cannot say which wards"):
        export_campaign(replace(io_campaign, pins=(wide,)), tmp_path / "c")


def test_the_model_refuses_a_pin_of_an_unknown_person_ward_or_shift(io_campaign, io_edit):
    day = date(2025, 8, 22)
    for pin, words in (
        (Assignment("X", io_edit.codes.DINH_CONG, day, "sang"), "unknown person"),
        (Assignment("SV02", io_edit.codes.CAU_GIAY, day, "sang"), "unknown ward"),
        (Assignment("SV02", io_edit.codes.DINH_CONG, day, "dem"), "unknown shift"),
    ):
        with pytest.raises(ValueError, match=words):
            replace(io_campaign, pins=(pin,))
