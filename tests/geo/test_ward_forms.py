"""Wards as people write them in lists: abbreviations, old districts and provinces after a comma, pre-2025 names
converted offline with the package's old→new table, and clear errors where a name cannot be read."""

import pytest

from geo.units import UnknownPlaceError, find_commune, match_commune

DINH_CONG, BACH_MAI = "00316", "00292"


@pytest.mark.parametrize(
    "text",
    [
        "Phường Định Công",
        "P.Định Công",
        "P. Định Công",
        "p.dinh cong",
        "Định Công",
        "Phường Định Công, Quận Hoàng Mai",
        "Phường Định Công, Q.Hoàng Mai",
        "Phường Định Công, Hà Nội",
        "Định Công, Hoàng Mai, TP. Hà Nội",
        "00316",
        "316",
    ],
)
def test_forms_of_a_2025_ward(text):
    match = match_commune(text, "Hà Nội")
    assert (match.unit.code, match.note) == (DINH_CONG, None)


def test_an_abbreviation_without_a_space_also_works_in_find_commune():
    assert find_commune("P.Định Công", "Hà Nội").code == DINH_CONG


@pytest.mark.parametrize(
    "text", ["Phường Bách Khoa", "Bách Khoa", "P.Bách Khoa", "Phường Bách Khoa, Quận Hai Bà Trưng, Hà Nội"]
)
def test_an_old_ward_is_converted_with_a_note(text):
    match = match_commune(text, "Hà Nội")
    name = text.split(",")[0]
    assert match.unit.code == BACH_MAI
    assert match.note == (
        f"'{name}' là tên trước 01/07/2025 (Phường Bách Khoa, Quận Hai Bà Trưng); nay thuộc Phường Bạch Mai"
    )


def test_an_old_ward_of_the_same_name_as_its_new_one_needs_no_note():
    assert match_commune("Phường Bạch Mai, Quận Hai Bà Trưng", "Hà Nội").note is None


def test_an_old_ward_split_among_new_ones_lists_them():
    with pytest.raises(UnknownPlaceError) as raised:
        match_commune("Thị trấn Tây Đằng", "Hà Nội")
    assert str(raised.value) == (
        "'Thị trấn Tây Đằng' là tên trước 01/07/2025 (Thị trấn Tây Đằng, Huyện Ba Vì), "
        "nay đã chia cho Xã Minh Châu, Xã Quảng Oai; hãy ghi tên xã/phường mới"
    )
    assert raised.value.suggestions == ["Xã Minh Châu", "Xã Quảng Oai"]


def test_an_old_name_of_two_districts_asks_for_the_district():
    with pytest.raises(
        UnknownPlaceError,
        match=r"^có 2 xã/phường cũ tên 'Phường Minh Khai' \(Phường Minh Khai, "
        r"Quận Hai Bà Trưng; Phường Minh Khai, Quận Bắc Từ Liêm\)",
    ):
        match_commune("Phường Minh Khai", "Hà Nội")
    with pytest.raises(
        UnknownPlaceError, match="Quận Hai Bà Trưng\\), nay đã chia cho Phường Bạch Mai, Phường Tương Mai;"
    ):
        match_commune("Phường Minh Khai, Hai Bà Trưng", "Hà Nội")


def test_a_district_the_ward_never_was_in_is_an_error():
    with pytest.raises(UnknownPlaceError, match="^Phường Định Công không gồm phần nào của Quận Cầu Giấy cũ"):
        match_commune("Phường Định Công, Quận Cầu Giấy", "Hà Nội")


def test_a_ward_of_another_province_names_it():
    for text in ("Phường Bến Thành", "Phường Bến Thành, TP.HCM", "Phường Bến Thành, TP Hồ Chí Minh"):
        with pytest.raises(UnknownPlaceError) as raised:
            match_commune(text, "Hà Nội")
        assert str(raised.value) == "'Phường Bến Thành' thuộc Thành phố Hồ Chí Minh, không thuộc Thành phố Hà Nội"


def test_another_province_written_after_a_hanoi_name():
    with pytest.raises(
        UnknownPlaceError,
        match=r"ghi tỉnh/thành phố khác \(Bình Dương, nay thuộc Thành phố Hồ Chí "
        r"Minh\); chiến dịch ở Thành phố Hà Nội",
    ):
        match_commune("Định Công, Bình Dương", "Hà Nội")


def test_a_code_of_another_province_says_where_it_is():
    with pytest.raises(
        UnknownPlaceError,
        match="^mã 25747 là Phường Thủ Dầu Một, Thành phố Hồ Chí Minh — không thuộc Thành phố Hà Nội$",
    ):
        match_commune("25747", "Hà Nội")


def test_a_part_after_a_comma_that_is_no_place_is_an_error():
    with pytest.raises(UnknownPlaceError, match="không hiểu 'số 5 ngõ 10' trong"):
        match_commune("Phường Định Công, số 5 ngõ 10", "Hà Nội")


@pytest.mark.parametrize("text", ["@Phường Bách Khoa", "Bách Khoa!", "Phường Định Công, Hoàng Mai#"])
def test_stray_symbols_never_match(text):
    with pytest.raises(UnknownPlaceError):
        match_commune(text, "Hà Nội")


def test_a_misspelt_ward_still_gets_a_suggestion():
    with pytest.raises(
        UnknownPlaceError, match="^không tìm thấy xã/phường 'Dinh Congg' — có phải 'Phường Định Công'\\?$"
    ):
        match_commune("Dinh Congg", "Hà Nội")
